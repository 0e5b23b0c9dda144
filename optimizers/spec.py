"""What a registry row is: everything any page or test needs to know about one optimizer.

A row has no optional parts: each field is required (``kw_only``) and ``__post_init__`` checks the
fields against each other, so a new row that forgets its colour, its effective rate or its
convention mapping fails at import, not on some page. ``None`` is an answer only where it means
something: no velocity (SGD), no closed-form stability limit (the adaptive methods).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass

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


# How an effective per-coordinate rate behaves over a run. The step inspector states one claim per
# behaviour, so a row names its behaviour and can never borrow another method's sentence.
RATE_BEHAVIOURS = {
    "eta": "the rate is η itself (the direction carries the rest)",
    "sign": "every coordinate moves by ±η, whatever the gradient's size",
    "only falls": "η over the root of a sum that only grows",
    "window": "η over the root of an average over a window of recent steps",
    "decaying max": "η over a maximum of |g| that decays by a factor each step: it forgets too",
    "rectified window": "η itself for the first steps, then η·r_t over the root of a window average",
    "running max": "η over the root of a running maximum",
}
_NO_RATE_FUNCTION = ("eta", "sign")
# The behaviours whose rate forgets old gradients: the row names the decay that sets the window.
WINDOWED_BEHAVIOURS = ("window", "decaying max", "rectified window")


@dataclass(frozen=True)
class EffectiveRate:
    """The rate each coordinate moves at: ``fn(hp, before, after, **semantics)`` (in rules.py, next
    to its rule) and its behaviour; ``window`` names the decay whose 1/(1 − decay) is the window."""

    fn: Callable | None
    behaviour: str
    window: str | None = None


ETA = EffectiveRate(None, "eta")
SIGN = EffectiveRate(None, "sign")


FRAME_FITS = ("exact", "with a note", "partly")  # partly: a term of the step is outside the frame


@dataclass(frozen=True)
class FrameText:
    """How the "one frame" lesson writes the rule, Δx = −η m_t/√V_t: ``latex(**semantics) -> (m_t,
    V_t)`` in LaTeX, how well the rule fits the frame (``FRAME_FITS``) and, unless exactly, why."""

    latex: Callable[..., tuple[str, str]]
    fit: str = "exact"
    note: str = ""


@dataclass(frozen=True)
class Frame:
    """The rule read in the frame: ``fn(hp, before, after, g, **semantics) -> (m_t, V_t, root_t)``
    (in rules.py, next to the rule) reads a recorded run (NumPy, steps on a leading axis; root_t is
    √V_t with ε where the library puts it, so the step is −η m_t/root_t), and its text. A
    ``weight_decay`` hyperparameter is decoupled, −ηλx_{t−1} outside the frame; ``outside_when``
    names a hyperparameter that, when non-zero, takes the whole step outside it (RMSProp's
    momentum sums past g/√V, each with its own V)."""

    fn: Callable
    text: FrameText
    outside_when: str | None = None


@dataclass(frozen=True)
class Velocity:
    """The state field that is the momentum buffer; it exists only while hyperparameter ``needs``
    is non-zero (RMSProp's optional momentum)."""

    field: str
    needs: str | None = None


@dataclass(frozen=True)
class StabilityLimit:
    """The largest stable learning rate on a quadratic of largest curvature L, as a function of
    (L, beta), and its formula as the hyperparameter map labels it."""

    fn: Callable
    label: str


@dataclass(frozen=True)
class LearningRateHint:
    """Which of a surface's suggested learning rates shows this optimizer well, times a factor:
    ``scale`` is "sgd" (steps like η|g|), "adaptive" (steps like η), "both" (like η|g| at first,
    like η later, as RAdam: the smaller of the two) or "unitless" (the factor)."""

    scale: str
    factor: float = 1.0

    def value(self, surface) -> float:
        base = {"sgd": surface.sgd_lr, "adaptive": surface.adaptive_lr, "unitless": 1.0,
                "both": min(surface.sgd_lr, surface.adaptive_lr)}
        return base[self.scale] * self.factor


@dataclass(frozen=True, kw_only=True)
class OptimizerSpec:
    key: str
    title: str
    year: int
    paper: str
    rule: Callable[..., Optimizer]  # hyperparameters, options and semantic options -> Optimizer
    hyperparameters: tuple[Hyperparameter, ...]
    options: tuple[Option, ...]
    conventions: Mapping[str, Mapping[str, object]]  # convention -> the rule's semantic options
    latex: Callable[..., str]  # (**semantics, **options) -> LaTeX of the rule: use rule_latex
    adaptive: bool  # steps scale like lr (sign-like), not like lr * |g|
    rate: EffectiveRate
    state_labels: Mapping[str, str]  # state field -> what the state table calls it
    velocity: Velocity | None
    corrects_bias: tuple[str, ...]  # the decays whose moments it divides by 1 - beta^t (Adamax: b1)
    stability: StabilityLimit | None  # None: no closed form (the adaptive methods)
    frame: Frame  # the rule as η·m_t/√V_t (the "one frame" lesson)
    lr_hint: LearningRateHint
    color: str  # a colour name of charts.palette.COLORS (the values live there)
    dash: str  # a plotly dash name
    note: str  # shown under the rule; "" when the rule says it all

    def __post_init__(self):
        if set(self.conventions) != set(CONVENTIONS):
            raise ValueError(f"{self.key}: map every convention {CONVENTIONS} to its options")
        if self.rate.behaviour not in RATE_BEHAVIOURS:
            raise ValueError(f"{self.key}: rate behaviour must be one of {sorted(RATE_BEHAVIOURS)}")
        if (self.rate.fn is None) != (self.rate.behaviour in _NO_RATE_FUNCTION):
            raise ValueError(f"{self.key}: a {self.rate.behaviour!r} rate needs a rate function "
                             "exactly when it is not η itself or a sign")
        if self.adaptive == (self.rate.behaviour == "eta"):
            raise ValueError(f"{self.key}: an adaptive rule has a rate other than η, and only it")
        names = set(self.hyperparameter_names)
        if (self.rate.behaviour in WINDOWED_BEHAVIOURS) != (self.rate.window in names):
            raise ValueError(f"{self.key}: a windowed rate names its decay hyperparameter")
        if self.frame.text.fit not in FRAME_FITS or (self.frame.text.fit != "exact"
                                                     and not self.frame.text.note):
            raise ValueError(f"{self.key}: the frame's fit is one of {FRAME_FITS}; a loose fit "
                             "says why in its note")
        if self.frame.outside_when not in (None, *names):
            raise ValueError(f"{self.key}: outside_when names a hyperparameter")
        if not set(self.corrects_bias) <= names:
            raise ValueError(f"{self.key}: corrects_bias names decay hyperparameters")
        if self.rate.behaviour == "running max" and "v_max" not in self.state_labels:
            raise ValueError(f"{self.key}: a running-max rate keeps its maximum in state v_max")
        if self.velocity is not None and self.velocity.field not in self.state_labels:
            raise ValueError(f"{self.key}: the velocity must be a state field")

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

    def semantics(self, convention: str) -> dict[str, object]:
        """The rule's semantic options that make it follow ``convention``'s library."""
        return dict(self.conventions[check_convention(convention)])

    def factory(self, *args, convention: str = "pytorch", **values) -> Optimizer:
        """The rule with hyperparameters and options ``values``, as ``convention`` runs it."""
        return self.rule(*args, **values, **self.semantics(convention))

    def make(self, convention: str = "pytorch", **overrides) -> Optimizer:
        return self.factory(**self.resolve(overrides, convention), convention=convention)

    def rule_latex(self, convention: str = "pytorch",
                   values: Mapping[str, float | bool] | None = None) -> str:
        """The LaTeX of the rule ``make(convention, **values)`` runs: ``values`` are the page's
        settings (options pick the variant; a hyperparameter the formula names, such as
        AdaGrad's G₀, is written with its value; the others are accepted and ignored)."""
        resolved = self.resolve(values, convention)
        options = {o.name: bool(resolved[o.name]) for o in self.options}
        shown = {h: float(resolved[h]) for h in self.formula_hyperparameters}
        return self.latex(**self.semantics(convention), **options, **shown)

    @property
    def formula_hyperparameters(self) -> tuple[str, ...]:
        """The hyperparameters whose value the formula writes (AdaGrad's G₀): a page redraws the
        formula when one of them moves."""
        named = inspect.signature(self.latex).parameters
        return tuple(h for h in self.hyperparameter_names if h in named)

    def rule_source(self) -> str:
        """The rule's Python source, as written in rules.py: what the formula runs."""
        return _source(self.rule)

    def frame_latex(self, convention: str = "pytorch") -> tuple[str, str]:
        """m_t and V_t of the "one frame" lesson in LaTeX, for ``convention``'s library."""
        return self.frame.text.latex(**self.semantics(convention))

    def frame_moments(self, hp: Mapping, before, after, g, convention: str):
        """(m_t, V_t, root_t) read off a recorded run: the step is −η m_t/root_t (see ``Frame``)."""
        return self.frame.fn(hp, before, after, g, **self.semantics(convention))

    def effective_rate(self, hp: Mapping, before, after, convention: str):
        """The per-coordinate rate (see rules.py) or None where it is η itself or a sign."""
        if self.rate.fn is None:
            return None
        return self.rate.fn(hp, before, after, **self.semantics(convention))


@functools.cache
def _source(rule) -> str:
    """``inspect.getsource`` reads and tokenizes the file on every call (~1 ms, each optimizer
    tab of every page run); the rules do not change while the process runs."""
    return inspect.getsource(rule).rstrip()
