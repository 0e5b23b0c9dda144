"""The model.train() vs model.eval() page's claims (lessons.train_eval) on its trained network:
at the defaults, for other seeds and rates, and what the text says outside the regime."""

import numpy as np
import pytest

from lessons import train_eval as lesson
from networks.modes import (
    probabilities_in_batches,
    probabilities_with_batch_stats,
    probabilities_without_norm,
    train_mode_probabilities,
)

DATA = ("moons", 0.2, 100, 0)  # the page's data defaults
P, LR, BATCH, PASSES = 0.2, 0.05, 8, 12
STEPS = lesson.DEFAULT_STEPS


def _claims(p=P, seed=0, batch=BATCH):
    data, result = lesson.train_network(DATA, p, LR, STEPS, seed)
    probes = data.x_test[:6]
    evals = np.stack([result.predict_proba(probes)[:, 1] for _ in range(PASSES)])
    dropout = train_mode_probabilities(result, np.concatenate([probes, data.x_train]),
                                       PASSES)[:, :6, 1]
    mates = probabilities_in_batches(result, probes, data.x_train, batch, PASSES)[..., 1]
    grid = np.random.default_rng(0).uniform(-1.5, 2.5, (2000, 2)).astype(np.float32)
    one_pass = train_mode_probabilities(result, grid, 1, seed=1)[0, :, 1]
    x, y = data.x_test, data.y_test
    return [lesson.dropout_passes_differ(dropout, evals, p),
            lesson.batch_mates_matter(mates, evals, batch),
            lesson.eval_uses_batch_norm(result.predict_proba(x), probabilities_with_batch_stats(
                result, x), probabilities_without_norm(result, x), y),
            lesson.one_train_pass_differs(one_pass, result.predict_proba(grid)[:, 1])]


@pytest.mark.parametrize("setting", [{}, dict(seed=1), dict(seed=2, p=0.5, batch=32)],
                         ids=["defaults", "seed 1", "seed 2, p 0.5, batch 32"])
def test_every_claim_holds(setting):
    claims = _claims(**setting)
    assert all(c.holds for c in claims), [c.text for c in claims if not c.holds]
    uses_bn = claims[2].values
    assert uses_bn["acc_eval"] - uses_bn["acc_without_norm"] > 0.05  # taking BN out hurts
    assert claims[0].values["eval_spread"] == claims[1].values["eval_spread"] == 0


def test_outside_the_regime_the_text_says_so():
    p = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    same = lesson.eval_uses_batch_norm(p, p, p + 1e-4, np.array([0, 1, 0]))
    assert not same.holds and "change little" in same.text
    still = np.full((5, 3), 0.4)
    assert "too small" in lesson.dropout_passes_differ(still, still, 0.05).text
    assert "barely move" in lesson.batch_mates_matter(still, still, 64).text
    assert "hardly any point" in lesson.one_train_pass_differs(np.full(9, 0.7), np.full(9, 0.7)).text
