"""The layer-norm page's claims (lessons/layer_norm.py) over seeds and settings, and the text when
a claim fails."""

from types import SimpleNamespace

import numpy as np
import pytest

from lessons import layer_norm as lesson
from lessons.layer_norm import normalise_groups


def _matrix(batch: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(0, 1.5, 8) + rng.uniform(0.3, 2.0, 8) * rng.normal(size=(batch, 8))


@pytest.mark.parametrize("seed", range(4))
def test_groups_and_batch_of_one_claims(seed):
    for batch in (2, 4, 6, 8):
        x = _matrix(batch, seed)
        claim = lesson.groups_claim(normalise_groups(x, 0), normalise_groups(x, 1))
        assert claim.holds, claim.text
        one = lesson.batch_of_one_claim(x)
        assert one.holds and one.values["bn_output_max_abs"] == 0.0
        assert one.values["ln_output_std"] == pytest.approx(1.0, abs=1e-3)
    x = _matrix(1, seed)
    single = lesson.groups_claim(normalise_groups(x, 0), normalise_groups(x, 1))
    assert not single.holds and "a column of one number" in single.text


@pytest.mark.parametrize("seed", range(4))
def test_padding_pollutes_batch_norm_and_never_touches_layer_norm(seed):
    effects = [lesson.padding_effect(lesson.padded_batch(t, seed)) for t in lesson.PAD_LENGTHS]
    for t, effect in zip(lesson.PAD_LENGTHS, effects):
        bn, ln = lesson.padding_claims(effect, t)
        assert bn.holds, bn.text
        assert ln.holds and effect.ln_change == 0.0, ln.text
        assert effect.mean_law_gap < 1e-9  # zeros pull the mean to exactly (1 − p) μ_real
    padding = [e.padding for e in effects]
    change = [e.bn_change for e in effects]
    assert np.all(np.diff(padding) > 0) and np.all(np.diff(change) > 0)


def test_padding_claim_without_padding_says_so():
    batch = lesson.padded_batch(16)
    full = lesson.PaddedBatch(np.where(batch.real[..., None], batch.x, 1.0),
                              np.ones_like(batch.real), np.full(len(batch.lengths), 16))
    bn, ln = lesson.padding_claims(lesson.padding_effect(full), 16)
    assert not bn.holds and "No padding" in bn.text
    assert ln.holds


def _runs(acc: float):
    return [SimpleNamespace(test_acc=np.array([0.5, acc]), diverged_at=None)] * 3


def test_small_batch_claim_texts():
    fine = {"layer": {2: _runs(0.9), 16: _runs(0.95)}, "batch": {2: _runs(0.8), 16: _runs(0.95)}}
    assert lesson.small_batch_claim(fine, [2, 16]).holds
    close = {"layer": {2: _runs(0.9), 16: _runs(0.95)}, "batch": {2: _runs(0.89), 16: _runs(0.95)}}
    claim = lesson.small_batch_claim(close, [2, 16])
    assert not claim.holds and "not as the lesson says" in claim.text
    large = {"layer": {16: _runs(0.95)}, "batch": {16: _runs(0.95)}}
    claim = lesson.small_batch_claim(large, [16])
    assert not claim.holds and "Pick a batch size ≤ 4" in claim.text


def test_diverged_seeds_are_counted_never_dropped_unsaid():
    lost = SimpleNamespace(test_acc=np.array([0.5, np.nan]), diverged_at=7)
    some = _runs(0.9)[:2] + [lost]
    assert lesson.accuracy_cell(some) == "0.900 (1 of 3 diverged)"
    assert lesson.accuracy_cell([lost] * 3) == "diverged"
    assert lesson.accuracy_cell(_runs(0.9)) == "0.900"
    results = {"layer": {2: some, 16: _runs(0.95)}, "batch": {2: _runs(0.8), 16: _runs(0.95)}}
    claim = lesson.small_batch_claim(results, [2, 16])
    assert "1 of the runs diverged and are left out of these means" in claim.text
    assert "diverged" not in lesson.small_batch_claim(
        {"layer": {2: _runs(0.9)}, "batch": {2: _runs(0.8)}}, [2]).text
