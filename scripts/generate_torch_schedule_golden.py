"""Generate the PyTorch learning-rate-schedule golden data in tests/data/ (torch 2.13.0).

Run from the repository root in the golden venv (``make golden`` does it):

    .venv-golden/bin/python scripts/generate_torch_schedule_golden.py

It writes ``tests/data/torch_schedule_golden.{json,npz}``, read by tests/test_schedules_torch.py:

- ``<id>.lr`` and ``<id>.momentum`` (float64, one entry per step t = 0..num_steps-1): the optimizer
  group's ``lr`` and its momentum (SGD's ``momentum`` or Adam's ``betas[0]``) that step t used,
  read just before ``optimizer.step()``; the real ``torch.optim.lr_scheduler`` class sets them.
- ``<id>.path`` for the cases with a surface: the positions x_0..x_T of the real torch optimizer
  (float64, autograd) stepping on that surface with the scheduler stepped after every step
  (ReduceLROnPlateau with the loss at the new point, ``PlateauFeed``).
- the json: per case its id, our schedule key, its parameters in our names (lr(t) = eta * f(t)),
  eta, our optimizer key and hyperparameters, the exact torch calls, the torch version.

The surfaces are the mirrors in torch_surfaces.py (no project import: no jax here).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import torch
from torch_surfaces import SURFACE_SETUP, SURFACES

TORCH_VERSION = "2.13.0"
OUT_DIR = Path(__file__).resolve().parent.parent / "tests" / "data"
SCHED = torch.optim.lr_scheduler
CASES: list[dict] = []


def scheduler(key: str, opt, eta: float, p: dict):
    """The torch scheduler our schedule ``key`` with parameters ``p`` names (schedules.py rows)."""
    if key == "step":
        return SCHED.StepLR(opt, step_size=int(p["step_size"]), gamma=p["gamma"])
    if key == "exponential":
        return SCHED.ExponentialLR(opt, gamma=p["gamma"])
    if key == "cosine":
        return SCHED.CosineAnnealingLR(opt, T_max=int(p["decay_steps"]), eta_min=p["alpha"] * eta)
    if key == "warmup_cosine":
        w, total = int(p["warmup_steps"]), int(p["decay_steps"])
        rise = SCHED.LinearLR(opt, start_factor=p["start"], end_factor=1.0, total_iters=w)
        fall = SCHED.CosineAnnealingLR(opt, T_max=total - w, eta_min=p["alpha"] * eta)
        return SCHED.SequentialLR(opt, [rise, fall], milestones=[w])
    if key == "one_cycle":
        return SCHED.OneCycleLR(opt, max_lr=eta, total_steps=int(p["total_steps"]),
                                pct_start=p["pct_start"], div_factor=p["div_factor"],
                                final_div_factor=p["final_div_factor"],
                                base_momentum=p["base_momentum"], max_momentum=p["max_momentum"])
    if key == "plateau":  # one threshold in torch: relative, or absolute when rtol is 0
        assert not (p["rtol"] and p["atol"]), "torch takes one threshold, rel or abs"
        return SCHED.ReduceLROnPlateau(
            opt, mode="min", factor=p["factor"], patience=int(p["patience"]),
            threshold=p["rtol"] or p["atol"], threshold_mode="rel" if p["rtol"] else "abs",
            cooldown=int(p["cooldown"]), min_lr=p["min_scale"] * eta, eps=p["eps"])
    if key == "cyclical":
        return SCHED.CyclicLR(opt, base_lr=p["base"] * eta, max_lr=eta,
                              step_size_up=int(p["step_size_up"]),
                              base_momentum=p["base_momentum"], max_momentum=p["max_momentum"])
    raise ValueError(key)


def optimizer(key: str, x, hparams: dict):
    if key == "momentum":
        return torch.optim.SGD([x], lr=hparams["learning_rate"], momentum=hparams["momentum"])
    return torch.optim.Adam([x], lr=hparams["learning_rate"])  # betas (0.9, 0.999), eps 1e-8


def case(schedule, params, steps, *, opt="momentum", surface=None, label="", lr=None):
    hparams = {"learning_rate": lr or (0.05 if surface else 0.3)}
    if opt == "momentum":
        hparams["momentum"] = 0.9
    CASES.append({"id": f"{schedule}-{opt}{'-' + surface if surface else ''}{label}",
                  "schedule": schedule, "params": params, "eta": hparams["learning_rate"],
                  "optimizer": opt, "hyperparameters": hparams, "num_steps": steps,
                  "surface": surface})


case("step", {"step_size": 7, "gamma": 0.5}, 40)
case("exponential", {"gamma": 0.95}, 80)
# Past T_max torch's cosine rises again (back to eta at 2 T_max): run to 4.8 T_max.
case("cosine", {"decay_steps": 25, "alpha": 0.1}, 120)
case("cosine", {"decay_steps": 30, "alpha": 0.0}, 100, label="-alpha0")
case("warmup_cosine", {"warmup_steps": 10, "decay_steps": 50, "start": 0.1, "alpha": 0.05}, 90)
_ONE_CYCLE = {"total_steps": 50, "pct_start": 0.3, "div_factor": 25.0, "final_div_factor": 1e4,
              "base_momentum": 0.85, "max_momentum": 0.95}
# torch refuses to step past total_steps: each one-cycle case runs exactly total_steps steps.
case("one_cycle", _ONE_CYCLE, 50)
case("one_cycle", _ONE_CYCLE, 50, opt="adam")
# pct_start * total_steps = 9.25, not a whole step: torch peaks at 8.25, optax at 9.
case("one_cycle", {"total_steps": 37, "pct_start": 0.25, "div_factor": 10.0,
                   "final_div_factor": 100.0, "base_momentum": 0.8, "max_momentum": 0.9}, 37,
     label="-T37")
case("cyclical", {"step_size_up": 6, "base": 0.1, "base_momentum": 0.8, "max_momentum": 0.9}, 50)
case("cyclical", {"step_size_up": 4, "base": 0.2, "base_momentum": 0.85, "max_momentum": 0.95},
     30, opt="adam")
# Whole runs: momentum / beta1 cycling and the rate together, on two surfaces.
case("one_cycle", _ONE_CYCLE, 50, surface="ravine")
case("one_cycle", _ONE_CYCLE, 50, opt="adam", surface="rosenbrock")
case("cosine", {"decay_steps": 25, "alpha": 0.1}, 80, opt="adam", surface="ravine")
case("cyclical", {"step_size_up": 6, "base": 0.1, "base_momentum": 0.8, "max_momentum": 0.9}, 60,
     surface="ravine")
# Reduce-on-plateau: stepped with the new point's loss after every step (its parameters as our
# row names them: all eight given, since a run needs each). Momentum's swings and Adam's
# overshoots give the bad losses that cut the rate; cooldown, min_lr, an absolute threshold,
# the eps rule (cuts stop once they would lower the rate by <= eps) and k = 3 each get a case.
_PLATEAU = {"factor": 0.5, "patience": 3, "rtol": 1e-4, "atol": 0.0, "cooldown": 0,
            "min_scale": 0.0, "accumulation_size": 1, "eps": 1e-8}
case("plateau", _PLATEAU, 150, surface="rosenbrock", lr=2e-3)
case("plateau", _PLATEAU | {"factor": 0.3, "patience": 2, "cooldown": 4, "min_scale": 0.05},
     120, opt="adam", surface="ravine", lr=0.5)
case("plateau", _PLATEAU | {"rtol": 0.0, "atol": 1e-3, "patience": 0, "eps": 3e-3}, 100,
     surface="himmelblau", lr=0.02, label="-abs-eps")
case("plateau", _PLATEAU | {"accumulation_size": 3, "patience": 1, "min_scale": 1e-3}, 150,
     opt="adam", surface="rosenbrock", lr=1.0, label="-k3")


class PlateauFeed:
    """What a training loop does for ReduceLROnPlateau here: after each step, the loss at the new
    point; every k-th step the scheduler is stepped with the mean of the last k (optax's running
    mean formula, so both conventions average alike)."""

    def __init__(self, c: dict, sched, surface_params):
        self.c, self.sched, self.params, self.count, self.mean = c, sched, surface_params, 0, 0.0

    def __call__(self, x) -> None:
        with torch.no_grad():
            value = float(SURFACES[self.c["surface"]](x, self.params))
        self.count += 1
        self.mean = ((self.count - 1) * self.mean + value) / self.count
        if self.count == int(self.c["params"]["accumulation_size"]):
            self.sched.step(self.mean)
            self.count, self.mean = 0, 0.0


def run_case(c: dict) -> dict[str, np.ndarray]:
    """lr and momentum per step (and the path on a surface) from the real torch classes."""
    start, surface_params = SURFACE_SETUP[c["surface"] or "ravine"]
    x = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = optimizer(c["optimizer"], x, c["hyperparameters"])
    sched = scheduler(c["schedule"], opt, c["eta"], c["params"])
    group, lr, momentum, path = opt.param_groups[0], [], [], [x.detach().clone()]
    step = PlateauFeed(c, sched, surface_params) if c["schedule"] == "plateau" else \
        (lambda x: sched.step())
    for _ in range(c["num_steps"]):
        lr.append(group["lr"])
        momentum.append(group["momentum"] if "momentum" in group else group["betas"][0])
        opt.zero_grad()
        if c["surface"]:
            SURFACES[c["surface"]](x, surface_params).backward()
        else:
            x.grad = torch.zeros_like(x)
        opt.step()
        step(x)
        path.append(x.detach().clone())
    out = {"lr": np.array(lr), "momentum": np.array(momentum)}
    if c["surface"]:
        out["path"] = torch.stack(path).numpy()
        c |= {"start": list(start), "surface_params": surface_params}
    return out


def main() -> None:
    assert torch.__version__.split("+")[0] == TORCH_VERSION, torch.__version__
    torch.set_default_dtype(torch.float64)
    arrays = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SequentialLR's deprecated-epoch warning
        for c in CASES:
            arrays |= {f"{c['id']}.{k}": v for k, v in run_case(c).items()}
            c["torch"] = type(scheduler(c["schedule"], optimizer(
                c["optimizer"], torch.zeros(2, requires_grad=True), c["hyperparameters"]),
                c["eta"], c["params"])).__name__
    np.savez_compressed(OUT_DIR / "torch_schedule_golden.npz", **arrays)
    meta = {"torch_version": torch.__version__, "cases": CASES}
    (OUT_DIR / "torch_schedule_golden.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"wrote {len(CASES)} cases, {len(arrays)} arrays")


if __name__ == "__main__":
    main()
