"""Generate the PyTorch golden trajectories in tests/data/ from the real torch.optim (torch 2.13.0).

How to run (from the repository root; ``make golden`` does exactly this). torch lives in its own
venv so it never enters the project's environment:

    python3 -m venv .venv-golden
    .venv-golden/bin/pip install torch==2.13.0 numpy
    .venv-golden/bin/python scripts/generate_torch_golden.py

It writes two files, read by tests/test_torch_golden.py:

- ``tests/data/torch_golden.npz``: one float64 array ``(num_steps + 1, 2)`` per case, named by the
  case id; row 0 is the start, row i the position after i optimizer steps.
- ``tests/data/torch_golden.json``: one record per case: id, our optimizer key, the
  hyperparameters in our (optax-style) names, the surface key and its params, start, num_steps,
  clip (and how many steps it acted on), the exact torch call that produced it, the torch version.

Every case runs the real ``torch.optim`` class on a 2-element float64 parameter, gradients by
autograd, with ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_`` before each step where the
case asks for clipping. The surfaces are re-written in torch (scripts/torch_surfaces.py), literally
mirroring ``surfaces/functions.py``; nothing is imported from the project (no jax in this venv).

"defaults" cases store no hyperparameter except, for the SGD family, a learning rate suited to the
surface, so the test also checks our registry's PyTorch defaults against torch's. torch's SGD has
no momentum by default: the ``momentum`` and ``nesterov`` keys pass momentum=0.9 (our registry's
default) explicitly, and the json records that call.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch_surfaces import SURFACE_SETUP, SURFACES

TORCH_VERSION = "2.13.0"
NUM_STEPS = 150
# Gradient jitter standing in for rounding: a few units in the last place of the gradient, plus
# an absolute part for gradients that are small differences of O(10) terms (near a minimum).
JITTER, JITTER_ABS = 1e-15, 1e-14
CONDITIONING_LIMIT = 1e-12  # largest path change (relative to its scale) jitter may cause
OUT_DIR = Path(__file__).resolve().parent.parent / "tests" / "data"


# --- Optimizers: our key -> torch class, fixed torch kwargs, and the name mapping -----------------

TORCH_CLASS = {
    "sgd": ("SGD", {}),
    "momentum": ("SGD", {"momentum": 0.9}),  # torch's default momentum is 0: pass 0.9 explicitly
    "nesterov": ("SGD", {"momentum": 0.9, "nesterov": True}),
    "adagrad": ("Adagrad", {}),
    "adadelta": ("Adadelta", {}),
    "rmsprop": ("RMSprop", {}),
    "adam": ("Adam", {}),
    "nadam": ("NAdam", {}),
    "adamw": ("AdamW", {}),
    "amsgrad": ("Adam", {"amsgrad": True}),
    "adamax": ("Adamax", {}),
    "radam": ("RAdam", {}),
}

# Our (optax-style) name -> torch's. b1/b2 go into torch's ``betas`` tuple.
OURS_TO_TORCH = {
    "learning_rate": "lr",
    "decay": "alpha",
    "momentum": "momentum",
    "eps": "eps",
    "rho": "rho",
    "weight_decay": "weight_decay",
    "initial_accumulator_value": "initial_accumulator_value",
    "momentum_decay": "momentum_decay",
    "centered": "centered",
}
TORCH_DEFAULT_BETAS = (0.9, 0.999)  # the same in Adam, AdamW, NAdam, Adamax and RAdam


def torch_call(key: str, hparams: dict) -> tuple[str, dict]:
    """The torch class name and kwargs for our optimizer ``key`` with ``hparams`` (our names)."""
    cls, kwargs = TORCH_CLASS[key]
    kwargs = dict(kwargs)
    for name, value in hparams.items():
        if name in ("b1", "b2"):
            continue
        kwargs[OURS_TO_TORCH[name]] = value
    if "b1" in hparams or "b2" in hparams:
        kwargs["betas"] = (hparams.get("b1", TORCH_DEFAULT_BETAS[0]),
                           hparams.get("b2", TORCH_DEFAULT_BETAS[1]))
    return cls, kwargs


# --- Cases --------------------------------------------------------------------------------------

CASES: list[dict] = []


def case(key, surface, hparams=None, *, setting, clip=None, label=None):
    """Register a case. ``setting`` is "defaults" (nothing stored beyond an SGD-family learning
    rate) or "custom" (at least one non-default value)."""
    assert setting in ("defaults", "custom")
    hparams = dict(hparams or {})
    label = label or setting
    if clip is not None:
        label += f"-clip{clip[0]}{clip[1]:g}"
    start, surface_params = SURFACE_SETUP[surface]
    CASES.append({
        "id": f"{key}-{label}-{surface}",
        "optimizer": key,
        "setting": setting,
        "hyperparameters": hparams,
        "surface": surface,
        "surface_params": surface_params,
        "start": list(start),
        "num_steps": NUM_STEPS,
        "clip": None if clip is None else list(clip),
    })


# SGD family: torch's SGD default lr is 1e-3; a learning rate suited to the surface is always set.
case("sgd", "rosenbrock", {"learning_rate": 1e-3}, setting="defaults")
case("sgd", "ravine", {"learning_rate": 0.5}, setting="defaults")
case("sgd", "himmelblau", {"learning_rate": 5e-3}, setting="custom", label="lr5e-3")
case("momentum", "rosenbrock", {"learning_rate": 1e-4}, setting="defaults")
case("momentum", "ravine", {"learning_rate": 0.05}, setting="defaults")
case("momentum", "rosenbrock", {"learning_rate": 5e-4, "momentum": 0.5}, setting="custom",
     label="mu0.5")
case("momentum", "himmelblau", {"learning_rate": 2e-3, "momentum": 0.95}, setting="custom",
     label="mu0.95")
case("nesterov", "rosenbrock", {"learning_rate": 1e-4}, setting="defaults")
case("nesterov", "ravine", {"learning_rate": 0.05}, setting="defaults")
case("nesterov", "ravine", {"learning_rate": 0.2, "momentum": 0.7}, setting="custom", label="mu0.7")
case("nesterov", "himmelblau", {"learning_rate": 2e-3, "momentum": 0.95}, setting="custom",
     label="mu0.95")

# Adaptive methods at torch's defaults (nothing stored) and at custom settings.
for key in ("adagrad", "adadelta", "rmsprop", "adam", "nadam", "adamw", "amsgrad", "adamax",
            "radam"):
    # AdaDelta's step grows until it bounces across Rosenbrock's valley, where rounding noise grows
    # ~3x per step (check_conditioning rejects it): it runs on Himmelblau and the cliff instead.
    surfaces = ("himmelblau", "ravine", "cliff") if key == "adadelta" else ("rosenbrock", "ravine")
    for surface in surfaces:
        case(key, surface, setting="defaults")

case("adagrad", "ravine", {"learning_rate": 0.5, "initial_accumulator_value": 0.1, "eps": 1e-6},
     setting="custom", label="G0.1-eps1e-6")
case("adagrad", "himmelblau", {"learning_rate": 0.3}, setting="custom", label="lr0.3")
case("adadelta", "himmelblau", {"rho": 0.95, "eps": 1e-4}, setting="custom",
     label="rho0.95-eps1e-4")
case("adadelta", "ravine", {"learning_rate": 0.5, "eps": 1e-3}, setting="custom",
     label="lr0.5-eps1e-3")
case("rmsprop", "rosenbrock", {"centered": True}, setting="custom", label="centered")
case("rmsprop", "ravine", {"learning_rate": 1e-3, "momentum": 0.9}, setting="custom", label="mu0.9")
# Centered RMSProp settled at a minimum divides by a cancelled v - g_bar^2 and is unstable there:
# this one runs on the ravine, which it does not finish in 150 steps.
case("rmsprop", "ravine",
     {"learning_rate": 0.01, "decay": 0.9, "momentum": 0.5, "centered": True},
     setting="custom", label="centered-decay0.9-mu0.5")
case("adam", "rosenbrock", {"learning_rate": 0.05, "b1": 0.8, "b2": 0.99}, setting="custom",
     label="b0.8-0.99")
case("adam", "himmelblau", {"learning_rate": 0.1, "eps": 1e-3}, setting="custom", label="eps1e-3")
case("nadam", "rosenbrock", {"learning_rate": 0.02, "momentum_decay": 0.01}, setting="custom",
     label="psi0.01")
case("nadam", "ravine", {"learning_rate": 0.05, "b1": 0.95, "b2": 0.99}, setting="custom",
     label="b0.95-0.99")
case("adamw", "ravine", {"learning_rate": 0.02, "weight_decay": 0.1}, setting="custom",
     label="wd0.1")
case("adamw", "himmelblau", {"learning_rate": 0.05, "b1": 0.85}, setting="custom", label="b1-0.85")
case("amsgrad", "rosenbrock", {"learning_rate": 0.05, "b2": 0.9}, setting="custom", label="b2-0.9")
case("amsgrad", "himmelblau", {"learning_rate": 0.05, "eps": 1e-4}, setting="custom",
     label="eps1e-4")
case("adamax", "ravine", {"learning_rate": 0.02, "b1": 0.8, "b2": 0.99}, setting="custom",
     label="b0.8-0.99")
case("adamax", "himmelblau", {"learning_rate": 0.05, "eps": 1e-2}, setting="custom",
     label="eps1e-2")
# b2 = 0.9 rectifies from step 6 with r_t far from 1; eps = 1e-4 is large enough that where torch
# adds it (to sqrt(v), before the bias correction) shows in the path.
case("radam", "ravine", {"learning_rate": 0.05, "b2": 0.9, "eps": 1e-4}, setting="custom",
     label="b2-0.9-eps1e-4")
case("radam", "himmelblau", {"learning_rate": 0.02, "b1": 0.8}, setting="custom", label="b1-0.8")

# Clipping on the cliff, whose wall gradient (about Hk/4) is dozens of times the bowl's. The
# surface params are stored explicitly (H = 3, k = 25), so the registry's defaults may change.
case("sgd", "cliff", {"learning_rate": 0.5}, setting="custom", label="lr0.5")
case("sgd", "cliff", {"learning_rate": 0.5}, setting="custom", label="lr0.5", clip=("norm", 1.0))
case("sgd", "cliff", {"learning_rate": 0.5}, setting="custom", label="lr0.5", clip=("value", 0.5))
case("momentum", "cliff", {"learning_rate": 0.1}, setting="defaults", clip=("norm", 0.5))
case("adam", "cliff", {"learning_rate": 0.1}, setting="custom", label="lr0.1", clip=("norm", 1.0))
case("rmsprop", "cliff", {"learning_rate": 0.05}, setting="custom", label="lr0.05",
     clip=("value", 0.3))
case("sgd", "rosenbrock", {"learning_rate": 1e-3}, setting="defaults", clip=("norm", 10.0))


# --- Running ------------------------------------------------------------------------------------


def run_case(c: dict, jitter: np.random.Generator | None = None):
    """Run one case; ``jitter`` adds rounding-size noise to each gradient, a stand-in for the
    last-bit differences between two correct implementations (see ``check_conditioning``).
    Returns (path, torch class name, torch kwargs, number of steps the clip acted on)."""
    loss_fn = SURFACES[c["surface"]]
    params = c["surface_params"]
    x = torch.tensor(c["start"], dtype=torch.float64, requires_grad=True)
    cls, kwargs = torch_call(c["optimizer"], c["hyperparameters"])
    opt = getattr(torch.optim, cls)([x], **kwargs)
    path, clipped = [x.detach().clone()], 0
    for _ in range(c["num_steps"]):
        opt.zero_grad()
        loss_fn(x, params).backward()
        if jitter is not None:
            noise = torch.from_numpy(jitter.normal(0.0, 1.0, (2, 2)))
            x.grad.add_(x.grad * JITTER * noise[0] + JITTER_ABS * noise[1])
        if c["clip"] is not None:
            kind, threshold = c["clip"]
            if kind == "norm":
                norm = torch.nn.utils.clip_grad_norm_([x], threshold)
                clipped += bool(threshold / (norm + 1e-6) < 1.0)  # torch's own clip_coef test
            else:
                clipped += bool((x.grad.abs() > threshold).any())
                torch.nn.utils.clip_grad_value_([x], threshold)
        opt.step()
        path.append(x.detach().clone())
    return torch.stack(path).numpy(), cls, kwargs, clipped


def check_conditioning(c: dict, path: np.ndarray) -> float:
    """Reject cases whose path amplifies rounding noise: they could not be compared at 1e-10.

    Some runs are numerically unstable (AdaDelta's growing step bouncing across Rosenbrock's valley,
    centered RMSProp dividing by a cancelled v - g_bar^2 at a minimum): there a 1e-16 difference
    in one gradient grows ~3x per step, and no other implementation, however correct, can follow
    the exact path. A golden case must stay within CONDITIONING_LIMIT of itself under
    rounding-size gradient jitter (the test's own tolerance is 1e-10).
    """
    scale = max(1.0, float(np.abs(path).max()))
    worst = 0.0
    for seed in range(3):
        other, *_ = run_case(c, np.random.default_rng(seed))
        worst = max(worst, float(np.abs(other - path).max()) / scale)
    assert worst < CONDITIONING_LIMIT, (
        f"{c['id']}: rounding-size gradient jitter moves the path by {worst:.1e} (relative); "
        "choose settings whose trajectory is numerically stable")
    return worst


def main() -> None:
    assert torch.__version__.startswith(TORCH_VERSION), (
        f"golden data must come from torch {TORCH_VERSION}; this is {torch.__version__}")
    torch.set_default_dtype(torch.float64)
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"

    arrays, records = {}, []
    for c in CASES:
        path, cls, kwargs, clipped = run_case(c)
        assert path.shape == (c["num_steps"] + 1, 2) and path.dtype == np.float64
        assert np.isfinite(path).all(), f"{c['id']}: trajectory is not finite"
        moved = float(np.abs(path[-1] - path[0]).max())
        late = float(np.abs(path[-1] - path[-11]).max() + np.abs(path[11] - path[1]).max())
        assert moved > 1e-2 and late > 0, f"{c['id']}: trajectory barely moves ({moved:.2e})"
        assert c["clip"] is None or clipped > 0, f"{c['id']}: the clip never acts"
        worst = check_conditioning(c, path)
        arrays[c["id"]] = path
        call = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        records.append({**c, "clipped_steps": clipped if c["clip"] else 0,
                        "torch_call": f"torch.optim.{cls}([x], {call})",
                        "torch_version": torch.__version__})
        print(f"{c['id']:45s} moved {moved:7.3f}  end ({path[-1, 0]: .4f}, {path[-1, 1]: .4f})"
              f"  jitter {worst:.0e}")

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT_DIR / "torch_golden.npz", **arrays)
    meta = {
        "description": "Golden trajectories from the real torch.optim; see "
                       "scripts/generate_torch_golden.py. path[i] is the position after i steps.",
        "torch_version": torch.__version__,
        "dtype": "float64",
        "cases": records,
    }
    (OUT_DIR / "torch_golden.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"{len(records)} cases -> {OUT_DIR}")


if __name__ == "__main__":
    main()
