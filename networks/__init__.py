"""Neural networks in pure JAX: toy data, layers as pure functions, an MLP and its training.

Never imports streamlit or plotly (tests/test_architecture.py enforces it).
"""

from networks.api import TrainResult, train, train_batch
from networks.datasets import DATASETS, Dataset, load_digits, make_dataset
from networks.layers import (
    BatchNormState,
    DenseParams,
    NormParams,
    apply_dropout_mask,
    batch_norm,
    dense,
    dropout,
    layer_norm,
)
from networks.model import ACTIVATIONS, MLPConfig, MLPParams, forward, init_mlp
from networks.training import compiled_trainer, predict_logits

__all__ = [
    "ACTIVATIONS", "DATASETS", "BatchNormState", "Dataset", "DenseParams", "MLPConfig",
    "MLPParams", "NormParams", "TrainResult", "apply_dropout_mask", "batch_norm",
    "compiled_trainer", "dense", "dropout", "forward", "init_mlp", "layer_norm", "load_digits",
    "make_dataset", "predict_logits", "train", "train_batch",
]
