"""The network pages' faster paths give the bits of the plain computations they replaced: train-mode
passes with compiled dropout masks, dropout masks averaged one at a time, the exact BN statistics
in one pass, shuffles drawn together, remembered noise measurements, and figures whose data arrays
reach plotly as typed arrays."""

import json
from types import SimpleNamespace

import jax
import numpy as np
import plotly.graph_objects as go
import plotly.utils
import pytest
from _plotly_utils.utils import to_typed_array_spec

from charts.figures import typed_array, validated
from lessons.batch_norm import statistics
from networks.model import MLPConfig, forward, init_mlp
from networks.modes import dropout_scales, train_mode_probabilities


def _net(norm="none", rates=(0.3, 0.5), **config):
    config = MLPConfig(sizes=config.pop("sizes", (2, 24, 16, 2)), norm=norm, **config)
    params, bn_state = init_mlp(config, seed=3)
    rates = None if rates is None else np.asarray(rates, np.float32)
    return SimpleNamespace(config=config, params=params, bn_state=bn_state, dropout_rates=rates)


def _same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


NETS = {"dropout": _net(), "classic": _net(dropout_form="classic"), "no dropout": _net(rates=None),
        "tanh, 80 wide": _net(activation="tanh", sizes=(2, 80, 80, 3)),
        "batch norm": _net("batch", rates=None), "BN and dropout": _net("batch"),
        "BN after": _net("batch", norm_position="after"), "layer norm": _net("layer")}


@pytest.mark.parametrize("name", NETS)
def test_train_mode_passes_are_the_forward_pass_bit_for_bit(name):
    net, x = NETS[name], np.random.default_rng(0).normal(size=(300, 2)).astype(np.float32)
    got = train_mode_probabilities(net, x, 3, seed=2)
    want = [jax.nn.softmax(forward(net.config, net.params, net.bn_state, x, train=True,
                                   dropout_rates=net.dropout_rates,
                                   key=jax.random.key(2 * 100_003 + k)).logits) for k in range(3)]
    assert _same_bits(got, np.stack([np.asarray(w) for w in want])) and got.flags.writeable


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_masks_one_at_a_time_average_as_one_draw(p):
    rng = np.random.default_rng(1)
    for h in (np.maximum(rng.normal(size=(200, 16)), 0).astype(np.float32),
              rng.normal(size=(30, 5))):  # signed: a dropped negative unit is -0.0
        for num_masks in (1, 3, 50):
            masks = np.random.default_rng(0).random((num_masks, *h.shape), np.float32) >= p
            got = dropout_scales(h, p, num_masks)
            assert _same_bits(got["inverted"]["train"], (h * masks / (1 - p)).mean(axis=0))
            assert _same_bits(got["classic"]["train"], (h * masks).mean(axis=0))


@pytest.mark.parametrize("config", [dict(), dict(norm_position="after"),
                                    dict(activation="tanh", sizes=(2, 8, 8, 8, 2))])
def test_exact_statistics_in_one_pass_are_those_layer_by_layer(config):
    net = _net("batch", rates=None, **config)
    x = np.random.default_rng(2).normal(size=(200, 2)).astype(np.float32)
    n, states = len(x), list(net.bn_state)
    for i in range(net.config.num_hidden):  # the definition: layer_inputs once per layer
        z = statistics.layer_inputs(net, x, tuple(states))[i]
        states[i] = states[i]._replace(mean=z.mean(axis=0), var=z.var(axis=0) * n / (n - 1))
    got = statistics.exact_statistics(net, x)
    assert all(_same_bits(a, b) for s, t in zip(got, states) for a, b in zip(s, t))


def test_shuffles_drawn_together_are_the_shuffles_one_by_one():
    one_by_one, together = np.random.default_rng(4), np.random.default_rng(4)
    want = np.stack([one_by_one.permutation(257) for _ in range(30)])
    assert _same_bits(statistics.permutations(together, 257, 30), want)
    assert one_by_one.random() == together.random()  # the generators end in the same state


def test_remembered_noise_is_the_measured_noise_and_stays_so():
    z = np.random.default_rng(5).normal(size=(300, 6)).astype(np.float32)
    want = statistics._measure_noise(z, (2, 8, 32), 0)
    first = statistics.batch_stat_noise(z, (2, 8, 32))
    first.mean_noise[:] = 0  # a caller's change must not reach the remembered measurement
    again = statistics.batch_stat_noise(z.copy(), [2, 8, 32])
    by_column = statistics.batch_stat_noise(np.asfortranarray(z), (2, 8, 32))
    assert all(_same_bits(a, b) for a, b in zip(again[:4], want[:4]))
    assert all(_same_bits(a, b) for a, b in zip(
        by_column[:4], statistics._measure_noise(np.asfortranarray(z), (2, 8, 32), 0)[:4]))


ARRAYS = [np.linspace(0, 1, 7), np.arange(12, dtype=np.float32).reshape(3, 4),
          np.arange(0, 2001, 20), np.array([-5, 100]), np.array([0, 70_000]), np.array([0, 2**40]),
          np.array([3, 300], np.uint64), np.arange(5, dtype=np.int32),
          np.arange(20.0).reshape(4, 5)[:, 1], np.array([True, False]), np.zeros(0)]


@pytest.mark.parametrize("values", ARRAYS, ids=lambda v: f"{v.dtype}{v.shape}")
def test_typed_arrays_are_those_plotly_writes(values):
    want, got = to_typed_array_spec(values), typed_array(values)
    assert got == want if isinstance(want, dict) else got is values


def test_a_figure_with_typed_arrays_writes_the_same_json():
    traces = [dict(type="scatter", x=v, y=np.arange(len(v)), name=str(i)) for i, v in
              enumerate(a for a in ARRAYS if a.ndim == 1)]
    traces.append(dict(type="heatmap", x=[1, 2, 3], y=np.arange(3.0), z=np.eye(3)))
    figure = dict(data=traces, layout=dict(height=300, title=dict(text="t")))
    as_json = lambda f: json.dumps(f.to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder)  # noqa: E731
    assert as_json(validated(figure)) == as_json(go.Figure(figure))
    assert isinstance(figure["data"][0]["x"], np.ndarray)  # the caller's dicts are left alone
