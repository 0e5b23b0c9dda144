"""The layer-norm page's batch-size chart: a seed that diverged is marked, never dropped unsaid."""

from types import SimpleNamespace

import numpy as np
from apptest_util import decode

from charts.layer_norm_figures import batch_size_figure

LABELS = {"batch": "batch norm", "layer": "layer norm"}


def _seed(acc: float, loss: float, diverged_at=None):
    lost = diverged_at is not None
    history = {"test_acc": np.array([0.5, np.nan if lost else acc]),
               "test_loss": np.array([0.7, np.nan if lost else loss])}
    return SimpleNamespace(history=history, diverged_at=diverged_at)


def _figure():
    results = {"batch": {2: [_seed(0.6, 0.9)] * 3, 16: [_seed(0.9, 0.3, diverged_at=40)] * 3},
               "layer": {2: [_seed(0.8, 0.5), _seed(0.9, 0.4), _seed(0.1, 9.0, diverged_at=7)],
                         16: [_seed(0.95, 0.2)] * 3}}
    return batch_size_figure([2, 16], results, LABELS)


def _traces(figure, name, panel):
    axis = "y" if panel == 1 else f"y{panel}"
    return [t for t in figure.data if t.name == name and (t.yaxis or "y") == axis]


def test_a_diverged_seed_is_an_x_at_the_bad_end_of_each_panel_with_its_count():
    figure = _figure()
    marks = [t for t in figure.data if t.name == "diverged"]
    assert sum(bool(t.showlegend) for t in marks) == 1  # one legend entry for every norm
    acc, loss = _traces(figure, "diverged", 1), _traces(figure, "diverged", 2)
    assert {(x, text) for t in acc for x, text in zip(t.x, t.text)} == {
        (16, "3 of 3 seeds diverged"), (2, "1 of 3 seeds diverged")}
    assert all(y == 0 for t in acc for y in t.y)
    finite = [y for t in figure.data if t.name != "diverged" and (t.yaxis or "y") == "y2"
              for y in decode(t.y) if np.isfinite(y)]
    assert max(finite) == 0.9 and all(y > max(finite) for t in loss for y in t.y)


def test_the_means_leave_out_diverged_seeds_and_a_size_whose_seeds_all_diverged():
    figure = _figure()
    (layer,) = _traces(figure, "layer norm (mean of seeds)", 1)
    assert np.allclose(decode(layer.y), [0.85, 0.95])
    (batch,) = _traces(figure, "batch norm (mean of seeds)", 1)
    assert decode(batch.y)[0] == 0.6 and np.isnan(decode(batch.y)[1])
