"""Optimizers as pure JAX update rules, their registry, and the simulation engine."""

from optimizers.base import CONVENTIONS, Optimizer
from optimizers.clipping import CLIP_KINDS
from optimizers.engine import simulate, simulate_batch
from optimizers.registry import OPTIMIZERS, Hyperparameter, OptimizerSpec, Option, get_spec
from optimizers.sweep import SweepResult, sweep
from optimizers.trajectory import BatchResult, Trajectory

__all__ = [
    "CLIP_KINDS", "CONVENTIONS", "OPTIMIZERS", "BatchResult", "Hyperparameter", "Optimizer",
    "Option", "OptimizerSpec", "SweepResult", "Trajectory", "get_spec", "simulate", "simulate_batch",
    "sweep",
]
