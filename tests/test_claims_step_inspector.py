"""The step inspector's claims (lessons.step_inspector): the drawn parts add up to the drawn step,
Nesterov's look-ahead, and what the effective-rate chart shows; true at the page's defaults and
across the cases the text names, and saying why where not."""

import dataclasses
import re

import numpy as np
import pytest

from lessons import step_inspector as lesson
from optimizers.step_trace import trace_run

RAVINE_LR = {"learning_rate": 0.5, "momentum": 0.9}  # the page's default run: momentum, ravine


@pytest.fixture(scope="module")
def nesterov():
    return trace_run("nesterov", "ravine", RAVINE_LR, num_steps=50)


@pytest.mark.parametrize("key, hparams, surface", [
    ("momentum", RAVINE_LR, "ravine"),
    ("momentum", RAVINE_LR | {"ema": True}, "ravine"),
    ("sgd", {"learning_rate": 0.5}, "ravine"),
    ("momentum", {"learning_rate": 1e-3, "momentum": 0.9}, "rosenbrock"),
    ("nesterov", {"learning_rate": 1e-3, "momentum": 0.9}, "cliff"),
])
def test_drawn_parts_add_up_to_the_step(key, hparams, surface):
    trace = trace_run(key, surface, hparams, num_steps=50)
    for step in (1, 2, 7, 50):
        claim = lesson.arrows_claim(trace, step)
        assert claim.holds, claim.text
        tip = trace.path[step - 1] + sum(v for _, v in lesson.step_parts(trace, step))
        np.testing.assert_allclose(tip, trace.path[step], rtol=1e-5, atol=1e-6)


def test_nesterov_parts_add_up_where_the_lecture_parts_do_not(nesterov):
    """The old drawing (carried momentum, then the gradient) sums to the lecture's θ step, not to
    the drawn x step; the library form −η(g + μ b_t) does."""
    lr, mu, step = RAVINE_LR["learning_rate"], RAVINE_LR["momentum"], 5
    carried = -lr * mu * nesterov.state["b"][step - 1]  # the old drawing: b_{t−1}, then g_t
    old_tip = nesterov.path[step - 1] + carried - lr * nesterov.used_grad[step - 1]
    assert np.linalg.norm(old_tip - nesterov.path[step]) > 1e-2
    assert lesson.arrows_claim(nesterov, step).holds


def test_a_step_that_is_not_the_sum_is_caught(nesterov):
    moved = nesterov.path.copy()
    moved[3] += 1e-3
    claim = lesson.arrows_claim(dataclasses.replace(nesterov, path=moved), 3)
    assert not claim.holds and "do not add up" in claim.text


@pytest.mark.parametrize("step", [1, 5, 30])
def test_nesterov_gradient_is_taken_at_the_look_ahead(nesterov, step):
    claim = lesson.look_ahead_claim(nesterov, step)
    assert claim.holds, claim.text


def test_rate_is_eta_for_sgd_and_momentum(nesterov):
    for trace in (nesterov, trace_run("sgd", "ravine", {"learning_rate": 0.5}, num_steps=50)):
        claim = lesson.rate_claim(trace)
        assert claim.name == "step_inspector.rate_is_eta" and claim.holds, claim.text
    assert "buffer" in lesson.rate_claim(nesterov).text


@pytest.mark.parametrize("convention", ["pytorch", "optax"])
def test_adagrad_rate_only_falls(convention):
    trace = trace_run("adagrad", "rosenbrock", {"learning_rate": 0.1}, num_steps=100,
                      convention=convention)
    claim = lesson.rate_claim(trace)
    assert claim.holds and claim.values["largest_rise"] == 1.0, claim.text


@pytest.mark.parametrize("key, convention", [("adam", "pytorch"), ("rmsprop", "optax"),
                                             ("adadelta", "pytorch")])
def test_windowed_rates_rise_again_when_gradients_shrink(key, convention):
    trace = trace_run(key, "rosenbrock", {}, num_steps=50, convention=convention)
    claim = lesson.rate_claim(trace)
    assert claim.name == "step_inspector.windowed_rate_recovers"
    assert claim.holds, claim.text
    assert claim.values["largest_rise"] > 1.01 and claim.values["gradient_shrink"] < 1


def test_windowed_rate_that_did_not_rise_says_so():
    trace = trace_run("adam", "cliff", {}, num_steps=50, convention="optax")
    claim = lesson.rate_claim(trace)
    assert not claim.holds and "has not risen again" in claim.text


def test_lion_sign_step_and_its_weight_decay():
    exact = lesson.rate_claim(trace_run("lion", "ravine", {}, num_steps=50, convention="pytorch"))
    assert exact.holds, exact.text
    assert exact.values["low"] == pytest.approx(1.0, rel=1e-6)
    assert exact.values["high"] == pytest.approx(1.0, rel=1e-6)
    decayed = lesson.rate_claim(trace_run("lion", "ravine", {}, num_steps=50, convention="optax"))
    assert not decayed.holds and "weight decay" in decayed.text


def test_adaptive_arrows_are_directions_with_a_measured_angle():
    trace = trace_run("adam", "rosenbrock", {}, num_steps=50)
    claim = lesson.arrows_claim(trace, 1)
    assert claim.name == "step_inspector.adaptive_direction" and claim.holds
    update, g = trace.update[0], trace.used_grad[0]
    cosine = -update @ g / np.linalg.norm(update) / np.linalg.norm(g)
    assert claim.values["angle"] == pytest.approx(np.degrees(np.arccos(cosine)), abs=1e-3)


@pytest.mark.parametrize("key", ["momentum", "nesterov"])
def test_parts_add_up_with_gradient_noise_over_seeds(key):
    """With noise the parts use the gradient the rule saw (g_t used): still the drawn step."""
    for seed in range(3):
        trace = trace_run(key, "ravine", RAVINE_LR, num_steps=50, noise=1.0, seed=seed)
        for step in (3, 20, 50):
            claim = lesson.arrows_claim(trace, step)
            assert claim.holds, (seed, claim.text)


RAW_TEX = re.compile(r"_\{|_[A-Za-z0-9]|\\[A-Za-z]|[{}$]")  # x_{t−1}, g_t, x_4, \mu, braces


@pytest.mark.parametrize("key, hparams", [
    ("sgd", {"learning_rate": 0.5}), ("momentum", RAVINE_LR | {"ema": True}), ("nesterov", RAVINE_LR),
    ("adam", {}), ("amsgrad", {}),
])  # every text with an index or a symbol: the arrow labels, the look-ahead, the rate claims
def test_claims_and_arrow_labels_read_as_plain_text(key, hparams):
    """The boxes and the legend are plain text, not LaTeX: indices are subscript characters
    (xₜ₋₁, x₄), never x_{t−1} or x_4 with its underscore and braces on show."""
    trace = trace_run(key, "ravine", hparams, num_steps=20)
    shown = [lesson.arrows_claim(trace, 5), lesson.rate_claim(trace)]
    if key == "nesterov":
        shown.append(lesson.look_ahead_claim(trace, 5))
    sentences = [c.text for c in shown if c] + [c.statement for c in shown if c]
    sentences += [name for name, _ in lesson.step_parts(trace, 5) or []]
    for sentence in sentences:
        assert not RAW_TEX.search(sentence), sentence
    if key == "nesterov":
        assert "The ◇ is x₄ = θ₄ + μ v₄" in shown[-1].text and "g₅ is taken" in shown[-1].text


@pytest.mark.parametrize("convention", ["pytorch", "optax"])
def test_radam_steps_at_eta_until_rho_passes_5(convention):
    """RAdam's first 5 steps (β₂ = 0.999: ρ₅ ≈ 4.996, ρ₆ ≈ 5.994) are momentum steps at η; from
    step 6 its rate is rectified. A run that diverges first, or a β₂ whose ρ∞ ≤ 5, says so."""
    trace = trace_run("radam", "ravine", {"learning_rate": 0.05}, num_steps=50, convention=convention)
    claim = lesson.rate_claim(trace)
    assert claim.name == "step_inspector.rectified_rate" and claim.holds, claim.text
    assert claim.values["plain_steps"] == 5 and "first 5 steps" in claim.text
    assert "From step 6" in claim.text
    thrown = lesson.rate_claim(trace_run("radam", "rosenbrock", {"learning_rate": 0.05},
                                         num_steps=50, convention=convention))
    assert not thrown.holds and "diverged at step" in thrown.text
    never = lesson.rate_claim(trace_run("radam", "ravine", {"learning_rate": 0.05, "b2": 0.6},
                                        num_steps=50, convention=convention))
    assert never.holds and never.values["plain_steps"] == 50 and "never rectifies" in never.text


def test_adamax_rate_forgets_like_a_window_through_its_decaying_max():
    claim = lesson.rate_claim(trace_run("adamax", "rosenbrock", {}, num_steps=50))
    assert claim.name == "step_inspector.windowed_rate_recovers" and claim.holds, claim.text
    assert claim.text.startswith("Adamax divides by a maximum of |g| that shrinks by β₂ a step")


def test_a_step_at_one_rate_for_both_coordinates_is_not_blamed_on_per_coordinate_rates():
    radam = trace_run("radam", "rosenbrock", {"learning_rate": 0.001}, num_steps=20)
    assert "same rate here" in lesson.arrows_claim(radam, 3).text  # a momentum step, ρ₃ < 5
    assert "each coordinate has its own rate" in lesson.arrows_claim(radam, 10).text
    adam = trace_run("adam", "rosenbrock", {}, num_steps=20)
    assert "each coordinate has its own rate" in lesson.arrows_claim(adam, 1).text
