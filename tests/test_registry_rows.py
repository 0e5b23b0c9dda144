"""A registry row is complete: everything any page needs about an optimizer is in its row, and a
row that lacks a part cannot be built (so no page falls back to a sentence about another method).
"""

import dataclasses
import inspect
import re
from types import SimpleNamespace

import jax.numpy as jnp
import numpy as np
import pytest

from charts.palette import COLORS
from lessons import step_inspector
from optimizers import CONVENTIONS, OPTIMIZERS, adam_rules, latex, registry, rules
from optimizers.base import CONVENTIONS as LIBRARIES
from optimizers.spec import ETA, FRAME_FITS, RATE_BEHAVIOURS, EffectiveRate, OptimizerSpec
from optimizers.step_trace import bias_correction, effective_lr, trace_run
from surfaces import SURFACES

PLOTLY_DASHES = {"solid", "dot", "dash", "longdash", "dashdot", "longdashdot"}
FIELDS = [f.name for f in dataclasses.fields(OptimizerSpec)]


def one_step(spec, convention):
    """Init and one update on a fixed gradient: (hyperparameters, state before, state after)."""
    hp = spec.defaults(convention)
    opt = spec.make(convention)
    params = jnp.array([0.3, -0.4])
    before = opt.init(params)
    _, after = opt.update(jnp.array([1.0, -0.02]), before, params)
    return hp, before, after


@pytest.mark.parametrize("key", OPTIMIZERS)
def test_every_row_is_complete(key):
    spec = OPTIMIZERS[key]
    assert spec.title and spec.paper and spec.year > 1900
    assert spec.color in COLORS and spec.dash in PLOTLY_DASHES
    assert spec.lr_hint.value(SURFACES["ravine"]) > 0
    assert (spec.stability is None) == spec.adaptive  # a closed form exactly for the GD family
    if spec.stability is not None:
        assert spec.stability.label and spec.stability.fn(2.0, 0.5) > 0
    for convention in CONVENTIONS:
        assert spec.rule_latex(convention)
        hp, before, after = one_step(spec, convention)
        assert set(spec.state_labels) == set(after._fields)  # the state table names every field
        rate = spec.effective_rate(hp, before, after, convention)
        assert (rate is None) == (spec.rate.behaviour in ("eta", "sign"))
        if rate is not None:
            assert np.shape(rate) == (2,) and np.all(np.asarray(rate) > 0), rate
    if spec.velocity is not None:
        assert spec.velocity.field in spec.state_labels
        assert spec.velocity.needs in (None, *spec.hyperparameter_names)
    assert spec.frame.text.fit in FRAME_FITS and (spec.frame.text.fit == "exact" or spec.frame.text.note)
    assert f"def {spec.rule.__name__}(" in spec.rule_source()  # the code shown under the formula


GRADIENTS = np.array([[1.0, -2.0], [0.5, 0.3], [-0.7, 1.1], [2.0, 0.1], [0.3, -0.4], [-1.2, 0.6],
                      [0.8, 0.9], [0.05, -0.02], [-0.4, -1.5], [1.1, 0.2]])


def run_steps(spec, convention, hp):
    """The rule over GRADIENTS (eagerly, no engine): positions, steps, states stacked over t."""
    opt, x = spec.factory(**hp, convention=convention), jnp.array([0.3, -0.4])
    states, xs, steps = [opt.init(x)], [], []
    for g in GRADIENTS:
        step, state = opt.update(jnp.asarray(g, x.dtype), states[-1], x)
        xs.append(np.asarray(x, float))
        x = x + step
        states.append(state)
        steps.append(np.asarray(step, float))
    stacked = {f: np.array([np.asarray(getattr(s, f), float) for s in states]) for f in states[0]._fields}
    return np.array(xs), np.array(steps), stacked


@pytest.mark.parametrize("key", OPTIMIZERS)
@pytest.mark.parametrize("convention", CONVENTIONS)
def test_every_row_reads_its_steps_in_the_frame(key, convention):
    """The row's frame (m_t, V_t and √V_t with ε where the library puts it) rebuilds every step
    the rule takes, −η m_t/√V_t plus the decoupled decay, and its LaTeX is there to show."""
    spec = OPTIMIZERS[key]
    m_tex, v_tex = spec.frame_latex(convention)
    assert m_tex and v_tex
    hp = spec.defaults(convention)
    hp.update({"eps": 0.05} if "eps" in hp else {})  # large: where each library puts ε shows
    xs, steps, state = run_steps(spec, convention, hp)
    before = SimpleNamespace(**{f: v[:-1] for f, v in state.items()})
    after = SimpleNamespace(**{f: v[1:] for f, v in state.items()})
    m, V, root = (np.broadcast_to(a, steps.shape)
                  for a in spec.frame_moments(hp, before, after, GRADIENTS, convention))
    assert np.all(V >= 0) and np.all(root > 0)
    rebuilt = -hp["learning_rate"] * np.where(m == 0, 0.0, m / root)
    rebuilt -= hp["learning_rate"] * hp.get("weight_decay", 0.0) * xs
    np.testing.assert_allclose(rebuilt, steps, rtol=2e-5, atol=1e-7 * hp["learning_rate"])


def test_a_row_missing_any_field_cannot_be_built():
    full = {name: getattr(OPTIMIZERS["adam"], name) for name in FIELDS}
    for name in FIELDS:
        with pytest.raises(TypeError, match=name):
            OptimizerSpec(**{k: v for k, v in full.items() if k != name})


def test_a_new_adaptive_row_must_declare_its_own_rate():
    """Adam's rule under a new name, with the rate left at η, without its rate function, or
    windowed without naming its window: each is refused when the row is built."""
    adam = OPTIMIZERS["adam"]
    wrong = [ETA, EffectiveRate(None, "window", window="b2"),
             EffectiveRate(adam_rules.adam_rate, "window"),
             EffectiveRate(adam_rules.adam_rate, "rises at will"),
             EffectiveRate(adam_rules.adam_rate, "running max")]  # no v_max in its state
    for rate in wrong:
        with pytest.raises(ValueError):
            dataclasses.replace(adam, key="newadam", rate=rate)
    with pytest.raises(ValueError, match="convention"):
        dataclasses.replace(adam, key="newadam", conventions={"pytorch": {}})


def test_the_step_inspector_has_a_sentence_for_every_rate_behaviour():
    assert set(step_inspector.rates.RATE_CLAIMS) | {"eta", "sign"} == set(RATE_BEHAVIOURS)


def test_a_new_row_is_described_by_its_own_row(monkeypatch):
    """A hypothetical new adaptive method (Adam's rule, a new name, a window over b2) gets the
    step inspector's sentence for its declared behaviour, with its own name and window, and the
    state table's labels; no sentence names another method."""
    new = dataclasses.replace(OPTIMIZERS["adam"], key="newadam", title="NewAdam", options=())
    monkeypatch.setitem(registry.OPTIMIZERS, "newadam", new)
    trace = trace_run("newadam", "ravine", {"learning_rate": 0.05, "b2": 0.9}, num_steps=60)
    claim = step_inspector.rate_claim(trace)
    assert claim.name == "step_inspector.windowed_rate_recovers"
    assert claim.text.startswith("NewAdam divides by an average over about the last 10 steps")
    assert effective_lr(trace).shape == (60, 2)


def test_rules_name_differences_by_meaning_not_by_library():
    """No rule or formula branches on a library's name: the rows map conventions to options,
    each named by what it does and taken by the rule, its formula and its rate and frame."""
    modules = (rules, adam_rules, latex)
    functions = [f for m in modules for _, f in inspect.getmembers(m, inspect.isfunction)
                 if f.__module__ == m.__name__]
    assert not [f.__name__ for f in functions if "convention" in inspect.signature(f).parameters]
    for module in modules:
        assert not re.search(r"""==\s*["'](optax|pytorch)""", inspect.getsource(module))
    for spec in OPTIMIZERS.values():
        named = {name for c in CONVENTIONS for name in spec.semantics(c)}
        assert not [n for n in named if any(lib in n.lower() for lib in (*LIBRARIES, "torch"))]
        for function in (spec.rule, spec.latex, spec.frame.fn, spec.rate.fn or spec.rule):
            params = inspect.signature(function).parameters
            takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
            assert takes_any or named <= set(params), (spec.key, function)


def test_only_amsgrad_carries_a_running_maximum():
    assert [k for k, s in OPTIMIZERS.items() if "v_max" in s.state_labels] == ["amsgrad"]


def test_the_adagrad_formula_shows_the_g0_slider_value():
    spec = OPTIMIZERS["adagrad"]
    assert r"G_0 &= 0.1 " in spec.rule_latex("optax")  # the convention's default
    assert r"G_0 &= 0 " in spec.rule_latex("pytorch")
    assert r"G_0 &= 0.35 " in spec.rule_latex("pytorch", {"initial_accumulator_value": 0.35})
    assert r"G_0 &= 2.5 \cdot 10^{-5}" in spec.rule_latex("optax", {"initial_accumulator_value": 2.5e-5})


def test_the_step_inspector_shows_only_the_bias_factors_a_rule_divides_by():
    """Adamax corrects m only (its u is a maximum): its state table has 1 − β₁ᵗ and no 1 − β₂ᵗ."""
    adamax = bias_correction(trace_run("adamax", "ravine", {}, num_steps=5))
    assert list(adamax) == ["1 − β₁ᵗ"]
    np.testing.assert_allclose(adamax["1 − β₁ᵗ"], 1 - 0.9 ** np.arange(1, 6), rtol=1e-6)
    assert list(bias_correction(trace_run("adam", "ravine", {}, num_steps=5))) == ["1 − β₁ᵗ",
                                                                                  "1 − β₂ᵗ"]
    assert bias_correction(trace_run("rmsprop", "ravine", {}, num_steps=5)) == {}
