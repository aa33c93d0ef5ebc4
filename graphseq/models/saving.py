"""Save and load every trained model to one file: its class, configuration, weights and a
version stamp.

    model.save("gcn.pt")                    # or graphseq.save_model(model, "gcn.pt")
    model = graphseq.load_model("gcn.pt")   # the same outputs as before

A torch model (`SavableModule`: GCN, GraphSAGE, GAE, GraphClassifier, the structure-agnostic
baseline, WalkRNN, CharRNN, SequenceClassifier) remembers the arguments it was built with, so
loading builds the same architecture and loads the weights into it. A scikit-learn-style
estimator (DeepWalk, Node2Vec, UnsupervisedGraphSAGE) stores its parameters and its fitted
attributes (embeddings with their node ids, a trained model).

The file records `MODEL_FORMAT` and the graphseq version that wrote it; a file of another format
fails with a message that names both versions. Files are written atomically (a temporary file
and a rename), so an interruption never leaves half a model behind. Loading unpickles Python
objects: load only files you trust.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import os
from pathlib import Path

import torch

__all__ = ["MODEL_FORMAT", "SavableEstimator", "SavableModule", "load_model", "save_model"]

MODEL_FORMAT = 1
"""Version of the saved-model layout; bumped when an older file could not be read correctly."""


class SavableModule(torch.nn.Module):
    """A module that remembers its constructor arguments (``init_args``), so `save`/`load`
    rebuild it. Subclasses just call ``super().__init__()`` as usual."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None:
            return

        @functools.wraps(init)
        def recording_init(self, *args, **kw):
            if "init_args" not in self.__dict__:  # the outermost __init__ records
                bound = inspect.signature(init).bind(self, *args, **kw)
                bound.apply_defaults()
                arguments = dict(bound.arguments)
                arguments.pop("self")
                extra = arguments.pop("kwargs", None)
                object.__setattr__(self, "init_args", {**arguments, **(extra or {})})
            init(self, *args, **kw)

        cls.__init__ = recording_init

    def save(self, path) -> Path:
        """Save this model to ``path`` (see `save_model`)."""
        return save_model(self, path)

    @classmethod
    def load(cls, path, map_location="cpu"):
        """The model saved at ``path`` (must be a ``cls``)."""
        model = load_model(path, map_location)
        if not isinstance(model, cls):
            raise TypeError(f"{path} holds a {type(model).__name__}, not a {cls.__name__}.")
        return model


class SavableEstimator:
    """`save` / `load` for a scikit-learn-style estimator that implements ``_fitted_state()``
    (its fitted attributes as a dict) and ``_load_fitted_state(state)``; the parameters are
    ``get_params()``."""

    def save(self, path) -> Path:
        """Save the parameters and the fitted state to ``path`` (see `save_model`)."""
        return save_model(self, path)

    @classmethod
    def load(cls, path):
        """The estimator saved at ``path`` (must be a ``cls``)."""
        model = load_model(path)
        if not isinstance(model, cls):
            raise TypeError(f"{path} holds a {type(model).__name__}, not a {cls.__name__}.")
        return model


def _class_path(obj) -> str:
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def _config_of(model: SavableModule) -> dict:
    config = dict(model.init_args)
    # A factory (e.g. GraphClassifier's readout=lambda c: ...) cannot be pickled; the module
    # it built can, and rebuilding with it gives the same architecture.
    for name, value in config.items():
        if callable(value) and not isinstance(value, (torch.nn.Module, type)):
            built = getattr(model, name, None)
            if not isinstance(built, torch.nn.Module):
                raise TypeError(
                    f"cannot save {type(model).__name__}: its argument {name}= is a function "
                    "whose result the model does not keep; build the model with a module instead."
                )
            config[name] = built
    return config


def save_model(model, path) -> Path:
    """Write ``model`` (a `SavableModule` or a fitted graphseq estimator) to ``path``."""
    import graphseq

    record = {
        "graphseq_model_format": MODEL_FORMAT,
        "graphseq_version": graphseq.__version__,
        "class": _class_path(model),
    }
    if isinstance(model, SavableModule):
        record.update(kind="module", config=_config_of(model), state_dict=model.state_dict())
    elif hasattr(model, "get_params") and hasattr(model, "_fitted_state"):
        record.update(kind="estimator", params=model.get_params(), fitted=model._fitted_state())
    else:
        raise TypeError(
            f"cannot save a {type(model).__name__}: graphseq saves its own models and "
            "estimators; for another torch module save its state_dict with torch.save."
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    torch.save(record, tmp)
    os.replace(tmp, path)
    return path


def load_model(path, map_location="cpu"):
    """The model or estimator saved at ``path`` by `save_model`, in eval mode for modules."""
    import graphseq

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no saved model at {path}.")
    try:
        record = torch.load(path, map_location=map_location, weights_only=False)
    except Exception as error:
        raise ValueError(f"{path} could not be read as a saved graphseq model: {error}") from error
    if not isinstance(record, dict) or "graphseq_model_format" not in record:
        raise ValueError(f"{path} is not a saved graphseq model (graphseq.save_model writes them).")
    if record["graphseq_model_format"] != MODEL_FORMAT:
        raise ValueError(
            f"{path} was saved by graphseq {record.get('graphseq_version', '?')} in model format "
            f"{record['graphseq_model_format']}; this graphseq ({graphseq.__version__}) reads "
            f"format {MODEL_FORMAT}. Load it with the graphseq version that saved it and retrain "
            "or re-save it, or install that version."
        )
    module_name, _, class_name = record["class"].rpartition(".")
    cls = getattr(importlib.import_module(module_name), class_name)
    if record["kind"] == "module":
        model = cls(**record["config"])
        model.load_state_dict(record["state_dict"])
        return model.eval()
    model = cls(**record["params"])
    model._load_fitted_state(record["fitted"])
    return model
