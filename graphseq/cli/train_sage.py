"""``graphseq train-sage``: supervised GraphSAGE on sampled mini-batches, on one process or many.

    graphseq train-sage --dataset BlogCatalog --epochs 10 --checkpoint sage.pt --out sage.json
    graphseq train-sage --dataset BlogCatalog --epochs 10 --checkpoint sage.pt --nproc 2
    torchrun --standalone --nproc-per-node 2 -m graphseq.cli train-sage --dataset BlogCatalog

Its options are the fields of `graphseq.recipes.SampledGraphSAGERecipe`, with the recipe's
defaults. Launched by torchrun (or with ``--nproc``), every rank trains its share of each epoch
and rank 0 alone prints, writes the checkpoint and the results; ``--resume`` continues from the
checkpoint (with the same number of ranks).
"""

from __future__ import annotations

import argparse
import dataclasses

from .common import CommandError, add_graph_arguments, load_graph_source
from .launch import add_nproc_argument, relaunch

__all__ = ["register", "run"]


def register(subparsers) -> None:
    from ..recipes import SampledGraphSAGERecipe

    parser = subparsers.add_parser(
        "train-sage",
        help="supervised GraphSAGE on sampled mini-batches (resumable, torchrun-ready)",
        description="Train GraphSAGE node classification on sampled neighbourhoods of a graph "
        "with node labels (single- or multi-label), print the test metrics of the last epoch's "
        "weights and write them as JSON with --out. A graph without a split gets a seeded "
        "random one.",
    )
    add_graph_arguments(parser)
    parser.add_argument("--seed", type=int, default=0, help="random seed (0)")
    parser.add_argument("--checkpoint", help="file for the training state (rank 0 writes it)")
    parser.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    parser.add_argument("--out", help="JSON file for the history and test metrics (rank 0)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda (one GPU per rank) or auto")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    add_nproc_argument(parser)
    for field in dataclasses.fields(SampledGraphSAGERecipe):
        default = field.default
        option = "--" + field.name.replace("_", "-")
        if default is None or isinstance(default, bool):  # e.g. --replace / --no-replace
            shown = "chosen by the recipe" if default is None else default
            parser.add_argument(option, action=argparse.BooleanOptionalAction, default=default,
                                help=f"default {shown}")  # fmt: skip
        elif isinstance(default, tuple):
            parser.add_argument(option, type=int, nargs="+", default=list(default),
                                help=f"default {' '.join(map(str, default))}")  # fmt: skip
        else:
            parser.add_argument(option, type=type(default), default=default,
                                help=f"default {default}")  # fmt: skip
    parser.set_defaults(func=run)


def run(args) -> int:
    import json

    import torch

    from .. import distributed
    from ..recipes import SampledGraphSAGERecipe

    launched = relaunch(args)
    if launched is not None:
        return launched
    if args.threads:
        torch.set_num_threads(args.threads)
    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(SampledGraphSAGERecipe)}
    values["fanouts"] = tuple(values["fanouts"])
    recipe = SampledGraphSAGERecipe(**values)
    data, name = load_graph_source(args, "train-sage classifies the nodes of one graph")
    if getattr(data, "y", None) is None:
        raise CommandError(f"{name} has no node labels (data.y); train-sage needs them.")

    @distributed.main_process_only
    def report(trainer, record) -> None:
        shown = ", ".join(f"{k} {v:.4f}" for k, v in record.items() if k not in ("epoch", "time"))
        print(
            f"epoch {record['epoch']}/{trainer.max_epochs} ({record['time']:.2f}s): {shown}",
            flush=True,
        )

    try:
        trainer = recipe.train(
            data,
            args.seed,
            resume=args.resume,
            checkpoint=args.checkpoint,
            device=args.device,
            progress=False if args.quiet else None,
            callbacks=[] if args.quiet else [report],
        )
        metrics = trainer.test()
    except distributed.DistributedError as error:
        raise CommandError(str(error), code=1) from error
    result = {
        "dataset": str(name),
        "recipe": dataclasses.asdict(recipe),
        "seed": args.seed,
        "world_size": trainer.world_size,
        "epochs": trainer.epoch_,
        "epoch_time": trainer.epoch_time_,
        "test": metrics,
        "history": trainer.history_,
    }
    if distributed.is_main_process():
        print(json.dumps({"epochs": trainer.epoch_, "world_size": trainer.world_size, **metrics},
                         indent=2))  # fmt: skip
        if args.out:
            from pathlib import Path

            path = Path(args.out)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(result, indent=2) + "\n")
            print(f"results written to {path}")
    distributed.shutdown()
    return 0
