"""Every optimizer under the "optax" convention against optax itself, run live.

The reference loop is written here with optax's own transformations (no code shared with the
engine except the surface function), in float64, so agreement to ~1e-12 means the rules are the same.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from optimizers import OPTIMIZERS, simulate
from surfaces import SURFACES


def _rmsprop(h, o):
    return optax.rmsprop(h["learning_rate"], decay=h["decay"], eps=h["eps"],
                         centered=o.get("centered", False), momentum=h["momentum"] or None)


def _momentum(h, o):
    # The EMA form equals library momentum with the learning rate scaled by (1 - mu).
    lr = h["learning_rate"] * (1 - h["momentum"]) if o.get("ema") else h["learning_rate"]
    return optax.sgd(lr, momentum=h["momentum"])


OPTAX_EQUIVALENT = {
    "sgd": lambda h, o: optax.sgd(h["learning_rate"]),
    "momentum": _momentum,
    "nesterov": lambda h, o: optax.sgd(h["learning_rate"], momentum=h["momentum"], nesterov=True),
    "adagrad": lambda h, o: optax.adagrad(h["learning_rate"], h["initial_accumulator_value"], h["eps"]),
    "adadelta": lambda h, o: optax.adadelta(h["learning_rate"], h["rho"], h["eps"]),
    "rmsprop": _rmsprop,
    "adam": lambda h, o: optax.adam(h["learning_rate"], h["b1"], h["b2"], h["eps"]),
    "nadam": lambda h, o: optax.nadam(h["learning_rate"], h["b1"], h["b2"], h["eps"]),
    "adamw": lambda h, o: optax.adamw(h["learning_rate"], h["b1"], h["b2"], h["eps"],
                                      weight_decay=h["weight_decay"]),
    "amsgrad": lambda h, o: optax.amsgrad(h["learning_rate"], h["b1"], h["b2"], h["eps"]),
    "lion": lambda h, o: optax.lion(h["learning_rate"], h["b1"], h["b2"],
                                    weight_decay=h["weight_decay"]),
    "adamax": lambda h, o: optax.adamax(h["learning_rate"], h["b1"], h["b2"], h["eps"]),
    "radam": lambda h, o: optax.radam(h["learning_rate"], h["b1"], h["b2"], h["eps"]),
}

# Non-default settings per optimizer (learning rates chosen so paths move and stay finite).
SETTINGS = {
    "sgd": [{"learning_rate": 1e-3}],
    "momentum": [{"learning_rate": 5e-4, "momentum": 0.8}, {"learning_rate": 1e-3, "ema": True}],
    "nesterov": [{"learning_rate": 5e-4, "momentum": 0.7}],
    "adagrad": [{"learning_rate": 0.3, "eps": 1e-3, "initial_accumulator_value": 0.5}],
    "adadelta": [{"learning_rate": 3.0, "rho": 0.8, "eps": 1e-4}],
    "rmsprop": [
        {"learning_rate": 3e-3, "decay": 0.95},
        {"learning_rate": 2e-3, "centered": True},
        {"learning_rate": 1e-3, "momentum": 0.8, "eps": 1e-4},
    ],
    "adam": [{"learning_rate": 3e-2, "b1": 0.8, "b2": 0.99, "eps": 1e-6}],
    "nadam": [{"learning_rate": 3e-2, "b1": 0.85, "b2": 0.98}],
    "adamw": [{"learning_rate": 2e-2, "weight_decay": 0.1}],
    "amsgrad": [{"learning_rate": 5e-2, "b1": 0.8, "b2": 0.95}],
    "lion": [{"learning_rate": 5e-3, "b1": 0.95, "b2": 0.98, "weight_decay": 0.05}],
    "adamax": [{"learning_rate": 5e-2, "b1": 0.8, "b2": 0.95, "eps": 1e-4}],
    # b2 = 0.9: rho_t passes 5 at step 6, and r_t is far from 1 for many steps
    "radam": [{"learning_rate": 5e-2, "b1": 0.85, "b2": 0.9, "eps": 1e-4}],
}

CASES = [(k, {}) for k in OPTIMIZERS] + [(k, s) for k, ss in SETTINGS.items() for s in ss]
SURFACE_KEYS = ["ravine", "himmelblau"]
STEPS = 150


def optax_path(name, overrides, surface, start, clip=None):
    spec = OPTIMIZERS[name]
    values = spec.resolve(overrides, "optax")
    options = {o.name: values.pop(o.name) for o in spec.options}
    tx = OPTAX_EQUIVALENT[name](values, options)
    if clip is not None:
        kind, c = clip
        tx = optax.chain(optax.clip_by_global_norm(c) if kind == "norm" else optax.clip(c), tx)
    grad = jax.grad(lambda p: surface(p))

    def step(carry, _):
        x, state = carry
        updates, state = tx.update(grad(x), state, x)
        x = optax.apply_updates(x, updates)
        return (x, state), x

    x0 = jnp.asarray(start, jnp.float64)
    _, xs = jax.lax.scan(step, (x0, tx.init(x0)), None, length=STEPS)
    return np.concatenate([np.asarray(x0)[None], np.asarray(xs)])


def test_every_registered_optimizer_has_an_optax_equivalent():
    assert set(OPTAX_EQUIVALENT) == set(OPTIMIZERS)
    assert set(SETTINGS) == set(OPTIMIZERS), "every optimizer needs a non-default setting too"


def _id(case):
    name, setting = case
    return name + ("-defaults" if not setting else "-" + "-".join(f"{k}={v}" for k, v in setting.items()))


@pytest.mark.parametrize("surface_key", SURFACE_KEYS)
@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_matches_optax_in_float64(case, surface_key):
    name, setting = case
    surface = SURFACES[surface_key]
    with jax.enable_x64(True):
        ours = simulate(name, surface, setting, num_steps=STEPS, convention="optax").path
        reference = optax_path(name, setting, surface, surface.start)
    assert np.isfinite(reference).all()
    assert np.abs(reference[-1] - reference[0]).max() > 1e-3, "the case must actually move"
    np.testing.assert_allclose(ours, reference, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind,threshold", [("norm", 1.0), ("value", 0.5)])
@pytest.mark.parametrize("name", ["sgd", "momentum", "adam", "rmsprop"])
def test_clipping_matches_optax(name, kind, threshold):
    surface = SURFACES["cliff"]
    setting = {"learning_rate": 0.5 if not OPTIMIZERS[name].adaptive else 0.1}
    with jax.enable_x64(True):
        traj = simulate(name, surface, setting, num_steps=STEPS, convention="optax",
                        clip=(kind, threshold))
        reference = optax_path(name, setting, surface, surface.start, clip=(kind, threshold))
    assert traj.clipped_steps > 0
    np.testing.assert_allclose(traj.path, reference, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam", "lion"])
def test_float32_default_tracks_float64_reference(name):
    """The app runs in float32: it stays within REFERENCE.md's float32 tolerance of optax in f64."""
    surface = SURFACES["himmelblau"]
    setting = SETTINGS[name][0]
    ours = simulate(name, surface, setting, num_steps=100, convention="optax").path
    assert ours.dtype == np.float32
    with jax.enable_x64(True):
        reference = optax_path(name, setting, surface, surface.start)[:101]
    rtol = 1e-6 if not OPTIMIZERS[name].adaptive else 1e-4
    np.testing.assert_allclose(ours, reference, rtol=rtol, atol=rtol)


def test_adam_without_bias_correction_matches_numpy_rule():
    """optax has no switch for this; a plain NumPy loop of the textbook rule is the reference."""
    surface, lr, b1, b2, eps = SURFACES["himmelblau"], 0.05, 0.9, 0.999, 1e-8
    with jax.enable_x64(True):
        ours = simulate("adam", surface, {"learning_rate": lr, "bias_correction": False},
                        num_steps=STEPS).path
        grad = jax.grad(lambda p: surface(p))
        x, m, v, ref = np.array(surface.start, float), 0.0, 0.0, []
        for _ in range(STEPS + 1):
            ref.append(x.copy())
            g = np.asarray(grad(jnp.asarray(x)))
            m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g**2
            x = x - lr * m / (np.sqrt(v) + eps)
    np.testing.assert_allclose(ours, np.array(ref), rtol=1e-10, atol=1e-12)
