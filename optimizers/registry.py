"""The optimizer registry: one row per optimizer carries everything the UI and the tests need.

Adding an optimizer is one factory in ``rules.py`` plus one row here; pages, URL state and tests
iterate over ``OPTIMIZERS``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from optimizers import latex, rules
from optimizers.base import CONVENTIONS, Optimizer, check_convention


@dataclass(frozen=True)
class Hyperparameter:
    """A float hyperparameter: traced by the engine, so changing it never recompiles."""

    name: str
    symbol: str  # LaTeX symbol shown next to the slider
    defaults: Mapping[str, float]  # convention -> the library's default
    low: float
    high: float
    # "log" (learning rates, eps), "log0" (zero or log-spaced), "beta" (decays near 1), "linear"
    scale: str = "linear"

    def default(self, convention: str) -> float:
        return self.defaults[convention]

    def range(self, convention: str) -> tuple[float, float]:
        # Ranges are wide enough for both libraries' defaults; kept per-convention in the API so a
        # future rule with convention-specific limits needs no interface change.
        return self.low, self.high


@dataclass(frozen=True)
class Option:
    """A boolean that changes the program's structure (static: changing it compiles once)."""

    name: str
    label: str
    default: bool = False


@dataclass(frozen=True)
class OptimizerSpec:
    key: str
    title: str
    year: int
    paper: str
    factory: Callable[..., Optimizer]
    hyperparameters: tuple[Hyperparameter, ...]
    options: tuple[Option, ...]
    latex: Callable[..., str]  # (convention, **options) -> LaTeX of the rule: use rule_latex
    adaptive: bool  # steps scale like lr (sign-like), not like lr * |g|
    note: str = ""

    @property
    def short(self) -> str:
        """The title without its parenthetical: widget labels and links use it."""
        return self.title.split(" (")[0]

    @property
    def hyperparameter_names(self) -> tuple[str, ...]:
        return tuple(h.name for h in self.hyperparameters)

    def defaults(self, convention: str = "pytorch") -> dict[str, float | bool]:
        check_convention(convention)
        values: dict[str, float | bool] = {h.name: h.default(convention) for h in self.hyperparameters}
        values.update({o.name: o.default for o in self.options})
        return values

    def resolve(self, overrides: Mapping[str, float | bool] | None, convention: str) -> dict:
        """Defaults for ``convention`` updated with ``overrides``; unknown names raise ValueError."""
        values = self.defaults(convention)
        unknown = set(overrides or {}) - set(values)
        if unknown:
            raise ValueError(
                f"{self.key} has no hyperparameter {sorted(unknown)}; it takes {sorted(values)}"
            )
        values.update(overrides or {})
        return values

    def make(self, convention: str = "pytorch", **overrides) -> Optimizer:
        return self.factory(**self.resolve(overrides, convention), convention=convention)

    def rule_latex(self, convention: str = "pytorch",
                   values: Mapping[str, float | bool] | None = None) -> str:
        """The LaTeX of the rule ``make(convention, **values)`` runs: ``values`` are the page's
        settings (hyperparameters are accepted and ignored, options pick the variant)."""
        resolved = self.resolve(values, convention)
        return self.latex(convention, **{o.name: bool(resolved[o.name]) for o in self.options})


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


# torch.optim.SGD defaults to lr=1e-3 (momentum and Nesterov are SGD with momentum=0.9 set, the
# usual choice); optax.sgd has no default learning rate, so the optax column uses the same 1e-3.
OPTIMIZERS: dict[str, OptimizerSpec] = {
    spec.key: spec
    for spec in (
        OptimizerSpec(
            "sgd", "SGD", 1951, "Robbins & Monro, A Stochastic Approximation Method",
            rules.sgd, (_lr(1e-3),), (), latex.sgd, adaptive=False,
        ),
        OptimizerSpec(
            "momentum", "Momentum (heavy ball)", 1964,
            "Polyak, Some methods of speeding up the convergence of iteration methods",
            rules.momentum, (_lr(1e-3), _momentum()),
            (Option("ema", "EMA form (lecture note): b ← μb + (1−μ)g"),),
            latex.momentum, adaptive=False,
            note=latex.MOMENTUM_NOTE,
        ),
        OptimizerSpec(
            "nesterov", "Nesterov (NAG)", 1983,
            "Nesterov 1983; Sutskever et al., On the importance of initialization and momentum",
            rules.nesterov, (_lr(1e-3), _momentum()), (), latex.nesterov, adaptive=False,
            note=latex.NESTEROV_NOTE,
        ),
        OptimizerSpec(
            "adagrad", "AdaGrad", 2011, "Duchi, Hazan & Singer, Adaptive Subgradient Methods",
            rules.adagrad,
            (
                _lr(1e-2, 1e-1),
                _eps(1e-10, 1e-7),
                Hyperparameter("initial_accumulator_value", "G_0", {"pytorch": 0.0, "optax": 0.1},
                               0.0, 1.0),
            ),
            (), latex.adagrad, adaptive=True,
        ),
        OptimizerSpec(
            "adadelta", "AdaDelta", 2012, "Zeiler, ADADELTA: An Adaptive Learning Rate Method",
            rules.adadelta,
            (_lr(1.0), Hyperparameter("rho", r"\rho", _same(0.9), 0.0, 0.999, scale="beta"), _eps(1e-6)),
            (), latex.adadelta, adaptive=True,
            note="optax's adadelta() defaults to learning_rate=None, which ascends; we use 1.0.",
        ),
        OptimizerSpec(
            "rmsprop", "RMSProp", 2012, "Hinton, Neural Networks for Machine Learning, lecture 6e",
            rules.rmsprop,
            (
                _lr(1e-2),
                Hyperparameter("decay", r"\alpha", {"pytorch": 0.99, "optax": 0.9}, 0.0, 0.9999,
                               scale="beta"),
                _eps(1e-8),
                _momentum(0.0),
            ),
            (Option("centered", "centered (divide by the standard deviation)"),),
            latex.rmsprop, adaptive=True,
        ),
        OptimizerSpec(
            "adam", "Adam", 2015, "Kingma & Ba, Adam: A Method for Stochastic Optimization",
            rules.adam, (_lr(1e-3), _b1(), _b2(), _eps(1e-8)),
            (Option("bias_correction", "bias correction", default=True),),
            latex.adam, adaptive=True,
        ),
        OptimizerSpec(
            "nadam", "NAdam", 2016, "Dozat, Incorporating Nesterov Momentum into Adam",
            rules.nadam,
            (
                _lr(2e-3),
                _b1(),
                _b2(),
                _eps(1e-8),
                Hyperparameter("momentum_decay", r"\psi", _same(4e-3), 0.0, 0.1),
            ),
            (), latex.nadam, adaptive=True,
            note="momentum_decay only enters PyTorch's momentum schedule; optax keeps β₁ fixed.",
        ),
        OptimizerSpec(
            "adamw", "AdamW", 2019, "Loshchilov & Hutter, Decoupled Weight Decay Regularization",
            rules.adamw, (_lr(1e-3), _b1(), _b2(), _eps(1e-8), _weight_decay(1e-2, 1e-4)),
            (), latex.adamw, adaptive=True,
        ),
        OptimizerSpec(
            "amsgrad", "AMSGrad", 2018, "Reddi, Kale & Kumar, On the Convergence of Adam and Beyond",
            rules.amsgrad, (_lr(1e-3), _b1(), _b2(), _eps(1e-8)), (), latex.amsgrad,
            adaptive=True,
        ),
        OptimizerSpec(
            "lion", "Lion", 2023, "Chen et al., Symbolic Discovery of Optimization Algorithms",
            rules.lion, (_lr(1e-4), _b1(), _b2(0.99), _weight_decay(0.0, 1e-3)), (),
            latex.lion, adaptive=True,
            note="torch.optim has no Lion: both conventions use the paper's rule (as optax does); "
            "the PyTorch column takes lion-pytorch's default weight_decay = 0.",
        ),
    )
}


def get_spec(name: str) -> OptimizerSpec:
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {sorted(OPTIMIZERS)}")
    return OPTIMIZERS[name]
