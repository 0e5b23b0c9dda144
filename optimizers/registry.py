"""The optimizer registry: one complete row per optimizer (``spec.OptimizerSpec`` says what a row
holds and checks it).

Adding an optimizer is its rule (with its rate and frame functions) in ``rules.py`` or
``adam_rules.py`` and its formula and frame text in ``latex.py``, its row here, and its two
reference entries (tests/test_optax_reference.py, scripts/generate_torch_golden.py); pages, URL
state, colours and the other tests iterate over ``OPTIMIZERS``.
"""

from __future__ import annotations

from optimizers import adam_rules, latex, rules
from optimizers.base import CONVENTIONS
from optimizers.spec import (
    ETA,
    SIGN,
    EffectiveRate,
    Frame,
    Hyperparameter,
    LearningRateHint,
    OptimizerSpec,
    Option,
    StabilityLimit,
    Velocity,
)

__all__ = ["OPTIMIZERS", "Hyperparameter", "Option", "OptimizerSpec", "get_spec"]


def _same(value: float) -> dict[str, float]:
    return {c: value for c in CONVENTIONS}


def _lr(pytorch: float, optax: float | None = None) -> Hyperparameter:
    defaults = {"pytorch": pytorch, "optax": pytorch if optax is None else optax}
    return Hyperparameter("learning_rate", r"\eta", defaults, 1e-5, 10.0, scale="log")


def _momentum(default: float = 0.9) -> Hyperparameter:
    return Hyperparameter("momentum", r"\mu", _same(default), 0.0, 0.999, scale="beta")


def _b1(default: float = 0.9) -> Hyperparameter:
    return Hyperparameter("b1", r"\beta_1", _same(default), 0.0, 0.999, scale="beta")


def _b2(default: float = 0.999) -> Hyperparameter:
    return Hyperparameter("b2", r"\beta_2", _same(default), 0.5, 0.99999, scale="beta")


def _eps(pytorch: float, optax: float | None = None) -> Hyperparameter:
    defaults = {"pytorch": pytorch, "optax": pytorch if optax is None else optax}
    return Hyperparameter("eps", r"\epsilon", defaults, 1e-12, 1.0, scale="log")


def _weight_decay(pytorch: float, optax: float) -> Hyperparameter:
    defaults = {"pytorch": pytorch, "optax": optax}
    return Hyperparameter("weight_decay", r"\lambda", defaults, 0.0, 0.5, scale="log0")


def _library(semantic: str, pytorch: object, optax: object) -> dict[str, dict[str, object]]:
    """One semantic option that the two libraries set differently."""
    return {"pytorch": {semantic: pytorch}, "optax": {semantic: optax}}


SAME_IN_BOTH = {c: {} for c in CONVENTIONS}

# What the step inspector's state table calls each state field (rules.py names them).
_STATE_LABELS = {"b": "momentum buffer b", "m": "first moment m", "v": "second moment v",
                 "G": "sum of squares G", "v_max": "running max v_max", "g_bar": "mean gradient ḡ",
                 "buf": "momentum buffer", "Eg2": "E[g²]", "Edx2": "E[Δx²]", "t": "step count t",
                 "mu_prod": "Π μ (NAdam)", "u": "infinity norm u"}


def _labels(*fields: str) -> dict[str, str]:
    return {f: _STATE_LABELS[f] for f in fields}


_ADAM_STATE = _labels("t", "m", "v")
_BOTH_MOMENTS = ("b1", "b2")  # Adam's bias correction of m and v
_WINDOW_B2 = EffectiveRate(adam_rules.adam_rate, "window", window="b2")
# Largest stable learning rates on a quadratic with largest curvature L (tests/test_stability.py
# measures them): gradient descent, heavy ball, and Nesterov's look-ahead.
_GD_LIMIT = StabilityLimit(lambda L, beta: 2.0 / L + 0.0 * beta, "2/L")
_HEAVY_BALL_LIMIT = StabilityLimit(lambda L, beta: 2.0 * (1.0 + beta) / L, "2(1+β)/L")
_NESTEROV_LIMIT = StabilityLimit(lambda L, beta: 2.0 * (1.0 + beta) / ((1.0 + 2.0 * beta) * L),
                                 "2(1+β)/((1+2β)L)")
_STEPS_LIKE_GRADIENT = LearningRateHint("sgd")  # steps scale like η|g|
_STEPS_LIKE_ETA = LearningRateHint("adaptive")  # steps scale like η

# Colours and dashes are named here and valued in charts/palette.py, which explains the
# choice (tests/test_palette.py checks them under colour-vision deficiencies). A family shares a
# hue: Nesterov is momentum's ochre, NAdam is Adam's blue, both in the same look-ahead dash;
# Adamax is Adam's blue too and RAdam AdamW's indigo, each in a dash that keeps it apart.
#
# torch.optim.SGD defaults to lr=1e-3 (momentum and Nesterov are SGD with momentum=0.9 set, the
# usual choice); optax.sgd has no default learning rate, so the optax column uses the same 1e-3.
OPTIMIZERS: dict[str, OptimizerSpec] = {
    spec.key: spec
    for spec in (
        OptimizerSpec(
            key="sgd", title="SGD", year=1951,
            paper="Robbins & Monro, A Stochastic Approximation Method",
            rule=rules.sgd, hyperparameters=(_lr(1e-3),), options=(), conventions=SAME_IN_BOTH,
            latex=latex.sgd, adaptive=False, rate=ETA, state_labels={}, velocity=None,
            corrects_bias=(), stability=_GD_LIMIT, frame=Frame(rules.sgd_frame, latex.SGD_FRAME),
            lr_hint=_STEPS_LIKE_GRADIENT, color="near-black", dash="solid", note="",
        ),
        OptimizerSpec(
            key="momentum", title="Momentum (heavy ball)", year=1964,
            paper="Polyak, Some methods of speeding up the convergence of iteration methods",
            rule=rules.momentum, hyperparameters=(_lr(1e-3), _momentum()),
            options=(Option("ema", "EMA form (lecture note): b ← μb + (1−μ)g"),),
            conventions=SAME_IN_BOTH, latex=latex.momentum, adaptive=False, rate=ETA,
            state_labels=_labels("b"), velocity=Velocity("b"), corrects_bias=(),
            stability=_HEAVY_BALL_LIMIT, frame=Frame(rules.momentum_frame, latex.MOMENTUM_FRAME),
            lr_hint=_STEPS_LIKE_GRADIENT, color="ochre", dash="solid", note=latex.MOMENTUM_NOTE,
        ),
        OptimizerSpec(
            key="nesterov", title="Nesterov (NAG)", year=1983,
            paper="Nesterov 1983; Sutskever et al., On the importance of initialization and momentum",
            rule=rules.nesterov, hyperparameters=(_lr(1e-3), _momentum()), options=(),
            conventions=SAME_IN_BOTH, latex=latex.nesterov, adaptive=False, rate=ETA,
            state_labels=_labels("b"), velocity=Velocity("b"), corrects_bias=(),
            stability=_NESTEROV_LIMIT, frame=Frame(rules.nesterov_frame, latex.NESTEROV_FRAME),
            lr_hint=_STEPS_LIKE_GRADIENT, color="ochre", dash="dash",
            note=latex.NESTEROV_NOTE,
        ),
        OptimizerSpec(
            key="adagrad", title="AdaGrad", year=2011,
            paper="Duchi, Hazan & Singer, Adaptive Subgradient Methods",
            rule=rules.adagrad,
            hyperparameters=(
                _lr(1e-2, 1e-1),
                _eps(1e-10, 1e-7),
                Hyperparameter("initial_accumulator_value", "G_0", {"pytorch": 0.0, "optax": 0.1},
                               0.0, 1.0),
            ),
            options=(), conventions=_library("eps_in_sqrt", False, True), latex=latex.adagrad,
            adaptive=True, rate=EffectiveRate(rules.adagrad_rate, "only falls"),
            state_labels=_labels("G"), velocity=None, corrects_bias=(), stability=None,
            # its rate only decays, so it starts higher to show the same distance
            frame=Frame(rules.adagrad_frame, latex.ADAGRAD_FRAME),
            lr_hint=LearningRateHint("adaptive", 5.0), color="green", dash="dot", note="",
        ),
        OptimizerSpec(
            key="adadelta", title="AdaDelta", year=2012,
            paper="Zeiler, ADADELTA: An Adaptive Learning Rate Method",
            rule=rules.adadelta,
            hyperparameters=(_lr(1.0), Hyperparameter("rho", r"\rho", _same(0.9), 0.0, 0.999,
                                                      scale="beta"), _eps(1e-6)),
            options=(), conventions=SAME_IN_BOTH, latex=latex.adadelta, adaptive=True,
            rate=EffectiveRate(rules.adadelta_rate, "window", window="rho"),
            state_labels=_labels("Eg2", "Edx2"), velocity=None, corrects_bias=(),
            stability=None,
            # a unitless multiplier: 1.0 is the paper's and both libraries' choice
            frame=Frame(rules.adadelta_frame, latex.ADADELTA_FRAME),
            lr_hint=LearningRateHint("unitless", 1.0), color="bluish green", dash="dashdot",
            note="optax's adadelta() defaults to learning_rate=None, which ascends; we use 1.0.",
        ),
        OptimizerSpec(
            key="rmsprop", title="RMSProp", year=2012,
            paper="Hinton, Neural Networks for Machine Learning, lecture 6e",
            rule=rules.rmsprop,
            hyperparameters=(
                _lr(1e-2),
                Hyperparameter("decay", r"\alpha", {"pytorch": 0.99, "optax": 0.9}, 0.0, 0.9999,
                               scale="beta"),
                _eps(1e-8),
                _momentum(0.0),
            ),
            options=(Option("centered", "centered (divide by the standard deviation)"),),
            conventions=_library("eps_in_sqrt", False, True), latex=latex.rmsprop, adaptive=True,
            rate=EffectiveRate(rules.rmsprop_rate, "window", window="decay"),
            state_labels=_labels("v", "g_bar", "buf"), velocity=Velocity("buf", needs="momentum"),
            corrects_bias=(), stability=None,
            frame=Frame(rules.rmsprop_frame, latex.RMSPROP_FRAME, outside_when="momentum"),
            lr_hint=_STEPS_LIKE_ETA, color="teal", dash="longdash", note="",
        ),
        OptimizerSpec(
            key="adam", title="Adam", year=2015,
            paper="Kingma & Ba, Adam: A Method for Stochastic Optimization",
            rule=adam_rules.adam, hyperparameters=(_lr(1e-3), _b1(), _b2(), _eps(1e-8)),
            options=(Option("bias_correction", "bias correction", default=True),),
            conventions=SAME_IN_BOTH, latex=latex.adam, adaptive=True, rate=_WINDOW_B2,
            state_labels=_ADAM_STATE, velocity=Velocity("m"), corrects_bias=_BOTH_MOMENTS, stability=None,
            frame=Frame(adam_rules.adam_frame, latex.ADAM_FRAME),
            lr_hint=_STEPS_LIKE_ETA, color="blue", dash="solid", note="",
        ),
        OptimizerSpec(
            key="nadam", title="NAdam", year=2016,
            paper="Dozat, Incorporating Nesterov Momentum into Adam",
            rule=adam_rules.nadam,
            hyperparameters=(
                _lr(2e-3),
                _b1(),
                _b2(),
                _eps(1e-8),
                Hyperparameter("momentum_decay", r"\psi", _same(4e-3), 0.0, 0.1),
            ),
            options=(), conventions=_library("warm_momentum", True, False), latex=latex.nadam,
            adaptive=True, rate=_WINDOW_B2, state_labels=_labels("t", "m", "v", "mu_prod"),
            velocity=Velocity("m"), corrects_bias=_BOTH_MOMENTS, stability=None,
            frame=Frame(adam_rules.nadam_frame, latex.NADAM_FRAME), lr_hint=_STEPS_LIKE_ETA,
            color="blue", dash="dash",
            note="momentum_decay only enters PyTorch's momentum schedule; optax keeps β₁ fixed.",
        ),
        OptimizerSpec(
            key="adamw", title="AdamW", year=2019,
            paper="Loshchilov & Hutter, Decoupled Weight Decay Regularization",
            rule=adam_rules.adamw,
            hyperparameters=(_lr(1e-3), _b1(), _b2(), _eps(1e-8), _weight_decay(1e-2, 1e-4)),
            options=(), conventions=SAME_IN_BOTH, latex=latex.adamw, adaptive=True,
            rate=_WINDOW_B2, state_labels=_ADAM_STATE, velocity=Velocity("m"), corrects_bias=_BOTH_MOMENTS,
            stability=None, frame=Frame(adam_rules.adam_frame, latex.ADAMW_FRAME),
            lr_hint=_STEPS_LIKE_ETA, color="indigo", dash="longdashdot", note="",
        ),
        OptimizerSpec(
            key="amsgrad", title="AMSGrad", year=2018,
            paper="Reddi, Kale & Kumar, On the Convergence of Adam and Beyond",
            rule=adam_rules.amsgrad, hyperparameters=(_lr(1e-3), _b1(), _b2(), _eps(1e-8)), options=(),
            conventions=_library("max_of_corrected", False, True), latex=latex.amsgrad,
            adaptive=True, rate=EffectiveRate(adam_rules.amsgrad_rate, "running max"),
            state_labels=_labels("t", "m", "v", "v_max"), velocity=Velocity("m"),
            corrects_bias=_BOTH_MOMENTS, stability=None,
            frame=Frame(adam_rules.amsgrad_frame, latex.AMSGRAD_FRAME), lr_hint=_STEPS_LIKE_ETA,
            color="purple", dash="dot", note="",
        ),
        OptimizerSpec(
            key="adamax", title="Adamax", year=2015,
            paper="Kingma & Ba, Adam: A Method for Stochastic Optimization (§7.1)",
            rule=adam_rules.adamax, hyperparameters=(_lr(2e-3), _b1(), _b2(), _eps(1e-8)),
            options=(), conventions=SAME_IN_BOTH, latex=latex.adamax, adaptive=True,
            rate=EffectiveRate(adam_rules.adamax_rate, "decaying max", window="b2"),
            state_labels=_labels("t", "m", "u"), velocity=Velocity("m"), corrects_bias=("b1",),
            stability=None, frame=Frame(adam_rules.adamax_frame, latex.ADAMAX_FRAME),
            lr_hint=_STEPS_LIKE_ETA, color="blue", dash="longdashdot",
            note="torch.optim.Adamax defaults to lr = 2e-3; optax.adamax has no default, so the "
            "optax column uses the same.",
        ),
        OptimizerSpec(
            key="radam", title="RAdam (rectified Adam)", year=2020,
            paper="Liu et al., On the Variance of the Adaptive Learning Rate and Beyond",
            rule=adam_rules.radam, hyperparameters=(_lr(1e-3), _b1(), _b2(), _eps(1e-8)),
            options=(),
            conventions={"pytorch": {"eps_before_correction": True, "threshold_inclusive": False},
                         "optax": {"eps_before_correction": False, "threshold_inclusive": True}},
            latex=latex.radam, adaptive=True,
            rate=EffectiveRate(adam_rules.radam_rate, "rectified window", window="b2"),
            state_labels=_ADAM_STATE, velocity=Velocity("m"), corrects_bias=_BOTH_MOMENTS, stability=None,
            frame=Frame(adam_rules.radam_frame, latex.RADAM_FRAME),
            # its first steps are momentum steps, η·m̂ (like η|g|); rectified ones are like η
            lr_hint=LearningRateHint("both"), color="indigo", dash="dash", note="",
        ),
        OptimizerSpec(
            key="lion", title="Lion", year=2023,
            paper="Chen et al., Symbolic Discovery of Optimization Algorithms",
            rule=rules.lion,
            hyperparameters=(_lr(1e-4), _b1(), _b2(0.99), _weight_decay(0.0, 1e-3)), options=(),
            conventions=SAME_IN_BOTH, latex=latex.lion, adaptive=True, rate=SIGN,
            state_labels=_labels("m"), velocity=Velocity("m"), corrects_bias=(),
            stability=None,
            # its steps are ±η per coordinate, the largest an adaptive method takes
            frame=Frame(rules.lion_frame, latex.LION_FRAME),
            lr_hint=LearningRateHint("adaptive", 1 / 3), color="grey", dash="longdashdot",
            note="torch.optim has no Lion: both conventions use the paper's rule (as optax does); "
            "the PyTorch column takes lion-pytorch's default weight_decay = 0.",
        ),
    )
}


def get_spec(name: str) -> OptimizerSpec:
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {sorted(OPTIMIZERS)}")
    return OPTIMIZERS[name]
