"""Every optimizer under the "pytorch" convention against golden trajectories from the real torch.

The data in tests/data/torch_golden.{json,npz} comes from scripts/generate_torch_golden.py, which
runs torch.optim (torch 2.13.0, float64, autograd, clip_grad_norm_/clip_grad_value_) for 150 steps
per case; regenerate it with ``make golden``. torch itself is never imported here.
"""

import json
from pathlib import Path

import jax
import numpy as np
import pytest

from optimizers import OPTIMIZERS, simulate
from surfaces import SURFACES

DATA = Path(__file__).parent / "data"
META = json.loads((DATA / "torch_golden.json").read_text())
CASES = META["cases"]
with np.load(DATA / "torch_golden.npz") as _npz:
    GOLDEN = {name: _npz[name] for name in _npz.files}

# torch.optim has no Lion: there is nothing to compare it with.
NOT_IN_TORCH = {"lion"}

# float64 against float64: REFERENCE.md measured 1e-12 for plain-numpy rules against the libraries.
# Our worst case is ~1e-13 absolute; 1e-10 relative leaves room for last-bit differences between
# XLA's and ATen's sqrt/exp/cos (the generator rejects cases that amplify such noise).
RTOL_F64, ATOL_F64 = 1e-10, 1e-12

# float32 against the float64 golden path over 150 steps. REFERENCE.md: "about 1e-4 relative for the
# Adam family, 1e-6 for the SGD family" over 100 steps. Adaptive rules divide by a running estimate
# of |g| and lose more to rounding (eps next to sqrt(v), bias corrections); SGD-family paths are
# sums of lr*g. Measured here, worst over all 150 steps: 3e-7 (SGD family), 6e-6 (adaptive), both
# relative to the path's size. The error is relative to max|path| so that coordinates passing
# through 0 are not judged by their own tiny magnitude.
RTOL_F32_SGD, RTOL_F32_ADAPTIVE = 1e-6, 1e-4

# Float32 is compared only up to the step given here. These unclipped/norm-clipped SGD runs at
# lr 0.5 hit the cliff's wall on step 11; there the gradient changes by ~Hk^2/10 ~ 190 per unit of
# x, so the float32 rounding of the position (~1e-7) is multiplied by ~100 in one step (measured:
# 4e-5 and 3e-6 relative from step 11 on). That is float32 arithmetic meeting a steep surface, not
# a rule mismatch: the float64 test above covers these paths to the last step.
F32_STEPS = {
    "sgd-lr0.5-cliff": 10,
    "sgd-lr0.5-clipnorm1-cliff": 10,
}


def _params():
    return [pytest.param(c, id=c["id"]) for c in CASES]


def run(case):
    clip = None if case["clip"] is None else (case["clip"][0], float(case["clip"][1]))
    return simulate(
        case["optimizer"], case["surface"], case["hyperparameters"],
        start=tuple(case["start"]), num_steps=case["num_steps"], convention="pytorch",
        clip=clip, surface_params=case["surface_params"],
    )


@pytest.mark.parametrize("case", _params())
def test_matches_torch_float64(case):
    golden = GOLDEN[case["id"]]
    with jax.enable_x64(True):
        traj = run(case)
    assert traj.path.dtype == np.float64
    np.testing.assert_allclose(traj.path, golden, rtol=RTOL_F64, atol=ATOL_F64,
                               err_msg=f"{case['id']}: differs from {case['torch_call']}")
    # Clipping acted on the same number of steps as torch's (the generator counts it).
    assert traj.clipped_steps == case["clipped_steps"]


@pytest.mark.parametrize("case", _params())
def test_matches_torch_float32(case):
    golden = GOLDEN[case["id"]]
    with jax.enable_x64(False):
        path = run(case).path
    assert path.dtype == np.float32
    steps = F32_STEPS.get(case["id"], case["num_steps"])
    path, golden = path[: steps + 1], golden[: steps + 1]
    rtol = RTOL_F32_ADAPTIVE if OPTIMIZERS[case["optimizer"]].adaptive else RTOL_F32_SGD
    scale = float(np.abs(golden).max())
    np.testing.assert_allclose(path, golden, rtol=rtol, atol=rtol * scale,
                               err_msg=f"{case['id']} in float32")


def test_golden_data_is_well_formed():
    assert META["torch_version"].startswith("2.13.0")
    assert META["dtype"] == "float64"
    assert [c["id"] for c in CASES] and len({c["id"] for c in CASES}) == len(CASES)
    assert set(GOLDEN) == {c["id"] for c in CASES}
    assert set(F32_STEPS) <= set(GOLDEN)
    size = sum((DATA / f"torch_golden.{ext}").stat().st_size for ext in ("json", "npz"))
    assert size < 1_000_000
    for c in CASES:
        path = GOLDEN[c["id"]]
        assert c["torch_version"].startswith("2.13.0")
        assert c["num_steps"] >= 100 and path.shape == (c["num_steps"] + 1, 2), c["id"]
        assert path.dtype == np.float64 and np.isfinite(path).all(), c["id"]
        assert np.array_equal(path[0], c["start"]), c["id"]
        assert np.abs(path[-1] - path[0]).max() > 1e-2, f"{c['id']} barely moves"
        assert c["surface"] in SURFACES
        assert set(c["surface_params"]) <= {p.name for p in SURFACES[c["surface"]].params}
        spec = OPTIMIZERS[c["optimizer"]]
        assert set(c["hyperparameters"]) <= set(spec.defaults("pytorch")), c["id"]


def test_every_torch_optimizer_has_golden_data():
    """A new optimizer without golden data (at defaults and at a custom setting) fails here."""
    for key, spec in OPTIMIZERS.items():
        if key in NOT_IN_TORCH:
            continue
        mine = [c for c in CASES if c["optimizer"] == key]
        defaults = [c for c in mine if c["setting"] == "defaults"]
        custom = [c for c in mine if c["setting"] == "custom"]
        assert defaults, f"{key}: no golden case at torch's defaults"
        assert custom, f"{key}: no golden case at a non-default setting"
        assert len({c["surface"] for c in mine}) >= 2, f"{key}: golden data on one surface only"
        for c in defaults:
            # Defaults cases store nothing, so they also check our PyTorch defaults; only the SGD
            # family, whose rate depends on the surface, sets a learning rate.
            allowed = set() if spec.adaptive else {"learning_rate"}
            assert set(c["hyperparameters"]) <= allowed, c["id"]
        reference = spec.defaults("pytorch")
        for c in custom:
            assert any(reference[k] != v for k, v in c["hyperparameters"].items()), c["id"]
    clips = {c["clip"][0] for c in CASES if c["clip"] is not None}
    assert clips == {"norm", "value"}
