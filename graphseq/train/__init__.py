"""Training: one `Trainer` for every model, driven by a `Task`."""

from .checkpoint import load_checkpoint, save_checkpoint
from .cross_validation import CrossValidationResult, FoldResult, cross_validate, stratified_folds
from .early_stopping import EarlyStopping
from .graph_classification import GraphClassificationTask
from .language_model import LanguageModelTask
from .link_prediction import LinkPredictionTask
from .metrics import accuracy, classification_metrics, f1_scores, multilabel_f1_scores
from .node_classification import NodeClassificationTask
from .sampled_node_classification import SampledNodeClassificationTask
from .sequence_classification import SequenceClassificationTask
from .task import Task, resolve_splits
from .trainer import Trainer, resolve_device
from .unsupervised import UnsupervisedSAGETask
from .walk_node_classification import WalkNodeClassificationTask

__all__ = [
    "CrossValidationResult",
    "EarlyStopping",
    "FoldResult",
    "GraphClassificationTask",
    "LanguageModelTask",
    "LinkPredictionTask",
    "NodeClassificationTask",
    "SampledNodeClassificationTask",
    "SequenceClassificationTask",
    "Task",
    "Trainer",
    "UnsupervisedSAGETask",
    "WalkNodeClassificationTask",
    "accuracy",
    "classification_metrics",
    "cross_validate",
    "f1_scores",
    "load_checkpoint",
    "multilabel_f1_scores",
    "resolve_device",
    "resolve_splits",
    "save_checkpoint",
    "stratified_folds",
]
