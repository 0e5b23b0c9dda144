"""The "One frame" lesson's core: every optimizer's m_t and V_t rebuild its step, and the claims
the page prints hold where their text says they do (and can fail)."""

import dataclasses

import numpy as np
import pytest

from components.widget_defaults import suggested_learning_rate
from lessons import moments
from optimizers import CONVENTIONS, OPTIMIZERS
from optimizers.step_trace import trace_run
from surfaces import SURFACES

PAGE_DEFAULT = ["sgd", "momentum", "adagrad", "rmsprop", "adam"]  # app_pages/moments.DEFAULT
STEPS = 50  # the page's default: the tests share its compiled runs


def frame(key, surface="ravine", convention="pytorch", steps=STEPS, **hparams):
    hparams.setdefault("learning_rate", suggested_learning_rate(OPTIMIZERS[key], SURFACES[surface]))
    return moments.frame_values(trace_run(key, surface, hparams, num_steps=steps,
                                          convention=convention))


def test_every_registered_optimizer_has_its_m_and_V_for_both_conventions():
    for key, spec in OPTIMIZERS.items():
        for convention in CONVENTIONS:
            m, V = spec.frame_latex(convention)
            assert m and V, key
        assert spec.frame.text.fit in ("exact", "with a note", "partly")
        assert spec.frame.text.fit == "exact" or spec.frame.text.note, f"{key}: a loose fit must say why"


# Every optimizer under PyTorch's convention; under optax's, those whose rule differs.
CASES = ([(k, "pytorch", {}) for k in OPTIMIZERS]
         + [(k, "optax", {}) for k, spec in OPTIMIZERS.items()
            if spec.semantics("optax") != spec.semantics("pytorch")]
         + [("rmsprop", "pytorch", {"centered": True}), ("adam", "pytorch", {"bias_correction": False}),
            ("momentum", "pytorch", {"ema": True})])


@pytest.mark.parametrize("key, convention, options", CASES,
                         ids=[f"{k}-{c}-{'-'.join(o) or 'default'}" for k, c, o in CASES])
def test_the_step_rebuilt_from_m_and_V_is_the_step_taken(key, convention, options):
    values = frame(key, "ravine", convention, **options)
    assert values.in_frame
    assert np.isfinite(values.actual).all() and np.abs(values.actual).max() > 0
    assert moments.mismatch(values) <= moments.TOLERANCE
    claim = moments.step_rebuilt_claim([values])
    assert claim.holds and claim.values["mismatch"] <= moments.TOLERANCE
    assert OPTIMIZERS[key].short in claim.text


def test_the_rebuild_check_can_fail():
    good = frame("adam")
    off = dataclasses.replace(good, actual=good.actual * 1.01)  # a step 1 % away from the frame's
    claim = moments.step_rebuilt_claim([frame("sgd"), off])
    assert not claim.holds and "Adam" in claim.text and "do not describe" in claim.text
    assert claim.values["mismatch"] == pytest.approx(0.01 / 1.01, rel=1e-3)


def test_rmsprop_with_momentum_is_named_as_outside_the_frame():
    heavy = frame("rmsprop", momentum=0.9)
    assert not heavy.in_frame and moments.mismatch(heavy) > 1e-2  # -η g/√V is not its step
    alone = moments.step_rebuilt_claim([heavy])
    assert not alone.holds and "left out" in alone.text
    with_adam = moments.step_rebuilt_claim([heavy, frame("adam")])
    assert with_adam.holds and "left out" in with_adam.text and "for all 1 optimizers" in with_adam.text


def test_lion_moves_every_coordinate_by_plus_or_minus_lr():
    values = frame("lion", weight_decay=0.0)
    lr = values.learning_rate
    np.testing.assert_allclose(np.abs(values.actual), lr, rtol=1e-6)
    np.testing.assert_allclose(values.m / np.sqrt(values.V), np.sign(values.m))


@pytest.mark.parametrize("surface, convention", [("ravine", "pytorch"), ("ravine", "optax"),
                                                 ("saddle", "pytorch")])
def test_adagrad_rate_only_falls(surface, convention):
    values = frame("adagrad", surface, convention)
    claim = moments.adagrad_rate_claim([frame("sgd"), values])
    assert claim.holds and claim.values["rises"] == 0 and claim.values["largest_change"] <= 0
    assert claim.values["kept_x"] == pytest.approx(values.rate[-1, 0] / values.rate[0, 0])
    assert moments.adagrad_rate_claim([frame("sgd")]) is None  # no AdaGrad on the page, no sentence


def test_adagrad_claim_can_fail():
    values = frame("adagrad")
    rising = dataclasses.replace(values, rate=values.rate[::-1])
    claim = moments.adagrad_rate_claim([rising])
    assert not claim.holds and claim.values["rises"] == STEPS - 1 and "rose at" in claim.text


def test_page_defaults_claims_hold():
    values = [frame(k) for k in PAGE_DEFAULT]
    claims = [moments.step_rebuilt_claim(values), moments.adagrad_rate_claim(values),
              moments.window_rate_claim(values), moments.adam_first_step_claim(values),
              moments.constant_rate_claim(values)]
    assert all(c.holds for c in claims), [c.text for c in claims if not c.holds]
    assert "for all 5 optimizers" in claims[0].text
    assert claims[2].values["rise"] > moments.RISE


def test_window_rate_rises_only_where_the_gradients_shrink():
    # The ravine: the gradients shrink as the runs reach the floor, so the average forgets them.
    shrinking = moments.window_rate_claim([frame(k) for k in ("rmsprop", "adam")])
    assert shrinking.holds and "rate rose" in shrinking.text
    # The plateau's first steps: the gradients grow as the runs leave the flat part.
    growing = moments.window_rate_claim([frame(k, "plateau", steps=10) for k in ("rmsprop", "adam")])
    assert not growing.holds and "did not shrink" in growing.text
    assert growing.values["rise"] <= moments.RISE
    assert moments.window_rate_claim([frame("sgd")]) is None


def test_adams_first_step_is_lr_only_with_bias_correction_and_a_gradient_above_eps():
    corrected = moments.adam_first_step_claim([frame("sgd"), frame("adam")])
    assert corrected.holds
    assert corrected.values["ratio_x"] == pytest.approx(1.0, abs=1e-3)
    uncorrected = moments.adam_first_step_claim([frame("adam", bias_correction=False)])
    assert not uncorrected.holds and "Without bias correction" in uncorrected.text
    assert uncorrected.values["ratio_y"] == pytest.approx(0.1 / np.sqrt(0.001), rel=1e-3)
    # The saddle's start has y = 0: no gradient along y, so no first step there.
    flat = moments.adam_first_step_claim([frame("adam", "saddle")])
    assert not flat.holds and flat.values["ratio_y"] == 0 and "ε" in flat.text
    assert moments.adam_first_step_claim([frame("sgd")]) is None


def test_constant_v_rate_is_lr_and_coinciding_lines_are_named():
    sgd, heavy = frame("sgd"), frame("momentum")
    claim = moments.constant_rate_claim([sgd, heavy, frame("adam")])
    assert claim.holds and claim.values["deviation"] == 0 and claim.values["hidden_lines"] == 1
    assert "SGD lies under Momentum" in claim.text
    slower = moments.constant_rate_claim([frame("sgd", learning_rate=0.1), heavy])
    assert slower.holds and slower.values["hidden_lines"] == 0 and "lies under" not in slower.text
    off = dataclasses.replace(sgd, rate=sgd.rate * 1.5)  # a rate that is not η must be caught
    assert not moments.constant_rate_claim([off]).holds
    assert moments.constant_rate_claim([frame("adam")]) is None
