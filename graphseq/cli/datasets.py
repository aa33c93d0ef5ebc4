"""``graphseq datasets``: the known datasets, whether each is available, and where."""

from __future__ import annotations

__all__ = ["register", "run"]


def register(subparsers) -> None:
    parser = subparsers.add_parser("datasets", help="list datasets and whether each is available")
    parser.add_argument("--root", help="data directory to search first")
    parser.add_argument(
        "--clear-cache", action="store_true", help="delete every processed dataset, then list"
    )
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..cache import cache_dir, clear_cache
    from ..datasets import data_search_dirs, dataset_table

    if args.clear_cache:
        print(f"cleared the processed-data cache {clear_cache()}")
    rows = dataset_table(args.root)
    width = max(len(r["name"]) for r in rows)
    print(f"{'name':<{width}}  kind   task        available  description")
    for r in rows:
        mark = "yes" if r["available"] else "no"
        print(
            f"{r['name']:<{width}}  {r['kind']:<5}  {r['task']:<10}  {mark:<9}  {r['description']}"
        )
    print("\ndata directories searched, in order:")
    for why, directory in data_search_dirs(args.root):
        print(f"  {directory}  ({why})")
    print(f"processed files: {cache_dir() / 'processed'} (graphseq datasets --clear-cache)")
    return 0
