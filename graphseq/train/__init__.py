"""Training: one `Trainer` for every model, driven by a `Task`."""

from .checkpoint import load_checkpoint, save_checkpoint
from .cross_validation import cross_validate, stratified_folds
from .early_stopping import EarlyStopping
from .graph_classification import GraphClassificationTask
from .language_model import LanguageModelTask
from .metrics import accuracy, f1_scores, multilabel_f1_scores
from .node_classification import NodeClassificationTask
from .sampled_node_classification import SampledNodeClassificationTask
from .sequence_classification import SequenceClassificationTask
from .task import Task
from .trainer import Trainer, resolve_device
from .walk_node_classification import WalkNodeClassificationTask

__all__ = [
    "EarlyStopping",
    "LanguageModelTask",
    "GraphClassificationTask",
    "NodeClassificationTask",
    "SequenceClassificationTask",
    "SampledNodeClassificationTask",
    "Task",
    "Trainer",
    "WalkNodeClassificationTask",
    "accuracy",
    "cross_validate",
    "f1_scores",
    "load_checkpoint",
    "multilabel_f1_scores",
    "resolve_device",
    "save_checkpoint",
    "stratified_folds",
]
