"""One frame for every optimizer: a first moment m_t, a second moment V_t, and the step
Δx_t = −η · m_t / √V_t.

Each optimizer's row holds its frame (``spec.Frame``): m_t and V_t as LaTeX (and where it does not
fit the frame exactly, why) and the function that reads them off a run. ``frame_values`` applies
it to a traced run (``optimizers.step_trace``) and rebuilds the step from the numbers, so a page can
show m_t, V_t and the step side by side.
The claims about them live in ``lessons.moments`` (this package's ``__init__``).

Indexing follows ``optimizers.step_trace``: arrays over steps have T rows, row t − 1 is step t.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np

from optimizers.registry import OPTIMIZERS, get_spec
from optimizers.step_trace import StepTrace

# V = 1: the rows whose rate is η itself (SGD, momentum, Nesterov).
CONSTANT_V = tuple(k for k, spec in OPTIMIZERS.items() if spec.rate.behaviour == "eta")


@dataclass(frozen=True)
class FrameValues:
    """One run read in the frame, each array (T, 2): step t in row t − 1."""

    optimizer: str
    g: np.ndarray  # the gradient the rule used
    m: np.ndarray
    V: np.ndarray
    rate: np.ndarray  # η / (√V_t with ε where the library puts it): what multiplies m_t
    outside: np.ndarray  # the part of the step outside the frame (decoupled weight decay)
    rebuilt: np.ndarray  # −rate · m_t + outside: the step rebuilt from the frame
    actual: np.ndarray  # the step the rule took (the tracer's recorded update)
    in_frame: bool  # False when the step is not −rate · m_t (RMSProp with momentum)
    learning_rate: float
    diverged_at: int | None
    hyperparameters: Mapping[str, float | bool] = field(default_factory=dict)


def hyperparameters(trace: StepTrace) -> dict:
    """The run's hyperparameters as the rule saw them: a float32 run used float32 values (0.999
    in float32 is 0.99900001, which moves 1 − β₂ by 1e-5), so the rebuilt step uses them too."""
    as_run = lambda v: v if isinstance(v, bool) else float(trace.path.dtype.type(v))  # noqa: E731
    return {k: as_run(v) for k, v in trace.hyperparameters.items()}


def moments(trace: StepTrace) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """m_t, V_t and √V_t with ε where the library puts it, at every step (T, 2), from the row."""
    state = {k: np.asarray(v, float) for k, v in trace.state.items()}
    before = SimpleNamespace(**{k: v[:-1] for k, v in state.items()})
    after = SimpleNamespace(**{k: v[1:] for k, v in state.items()})
    g = np.asarray(trace.used_grad, float)
    m, V, root = get_spec(trace.optimizer).frame_moments(hyperparameters(trace), before, after, g,
                                                        trace.convention)
    return tuple(np.broadcast_to(np.asarray(a, float), g.shape) for a in (m, V, root))


def frame_values(trace: StepTrace) -> FrameValues:
    """The run in the frame: m_t, V_t, the rate η/√V_t and the step rebuilt from them."""
    hp = hyperparameters(trace)
    m, V, root = moments(trace)
    lr = float(hp["learning_rate"])
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = lr / root
        direction = np.where(m == 0, 0.0, m * rate)  # Lion: sign(0) = 0, not 0/0
    decay = float(hp.get("weight_decay", 0.0))
    outside = -lr * decay * np.asarray(trace.path[:-1], float) if decay else np.zeros_like(m)
    outside_when = get_spec(trace.optimizer).frame.outside_when
    in_frame = not (outside_when and hp[outside_when] != 0)
    return FrameValues(trace.optimizer, np.asarray(trace.used_grad, float), m, V, rate, outside,
                       -direction + outside, np.asarray(trace.update, float), in_frame, lr,
                       trace.diverged_at, hp)
