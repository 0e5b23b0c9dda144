"""Generate the PyTorch golden data for networks/ from the real torch.nn (torch 2.13.0).

How to run (from the repository root), in the separate venv that ``make golden`` creates, so torch
never enters the project's environment:

    .venv-golden/bin/python scripts/generate_torch_network_golden.py

It writes two files, read by tests/test_networks_layers.py and tests/test_networks_model.py:

- ``tests/data/torch_network_golden.npz``: float64 arrays named ``<case>/<array>``.
- ``tests/data/torch_network_golden.json``: one record per case: its arrays, the torch call that
  produced them, the settings, the torch version.

Cases (all float64):
- ``bn_train``: ``nn.BatchNorm1d`` forward in training mode (batch mean, biased variance).
- ``bn_steps_m0.1``, ``bn_steps_m0.3``, ``bn_steps_none``: five training batches in a row; after
  each, the output and the running mean / running (unbiased) variance; then an eval forward on
  new data with the running statistics. ``none`` is momentum=None, the cumulative average.
- ``ln``: ``nn.LayerNorm`` forward on a 2-D and a 3-D input with a random affine.
- ``dropout_p0.2``, ``dropout_p0.5``: ``nn.Dropout`` in training on nonzero inputs (the mask is
  recovered as output != 0) and in eval. RNGs differ between libraries, so the test compares the
  scaling given the same mask.
- ``mlp_<norm>``: a 2-8-8-3 MLP (ReLU, norm before or after the activation), cross-entropy plus
  L1 and L2 penalties on the weights, five ``torch.optim.SGD`` steps on fixed batches: the losses,
  the final weights and the BN running statistics. This script imports nothing from the project.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

TORCH_VERSION = "2.13.0"
OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "torch_network_golden"
RNG = np.random.default_rng(20240613)
ARRAYS: dict[str, np.ndarray] = {}
CASES: list[dict] = []


def t(a) -> torch.Tensor:
    return torch.tensor(np.asarray(a), dtype=torch.float64)


def store(case: str, **arrays) -> list[str]:
    for name, value in arrays.items():
        value = value.detach().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)
        ARRAYS[f"{case}/{name}"] = value.astype(np.float64)
    return sorted(arrays)


def random_affine(bn_or_ln, n):
    with torch.no_grad():
        bn_or_ln.weight.copy_(t(RNG.uniform(0.5, 2.0, n)))
        bn_or_ln.bias.copy_(t(RNG.normal(0.0, 1.0, n)))


def bn_train_case():
    x = RNG.normal(1.0, 3.0, (16, 6))
    bn = nn.BatchNorm1d(6)
    random_affine(bn, 6)
    y = bn.train()(t(x))
    names = store("bn_train", x=x, gamma=bn.weight, beta=bn.bias, y=y,
                  running_mean=bn.running_mean, running_var=bn.running_var)
    CASES.append({"id": "bn_train", "arrays": names, "torch_call": "nn.BatchNorm1d(6).train()(x)",
                  "eps": bn.eps, "momentum": bn.momentum})


def bn_steps_case(momentum):
    case = f"bn_steps_{'none' if momentum is None else f'm{momentum}'}"
    batches = RNG.normal(2.0, 1.5, (5, 8, 4)) * RNG.uniform(0.5, 3.0, 4)
    x_eval = RNG.normal(2.0, 2.0, (10, 4))
    bn = nn.BatchNorm1d(4, momentum=momentum)
    random_affine(bn, 4)
    ys, means, variances = [], [], []
    bn.train()
    for batch in batches:
        ys.append(bn(t(batch)).detach().numpy())
        means.append(bn.running_mean.numpy().copy())
        variances.append(bn.running_var.numpy().copy())
    y_eval = bn.eval()(t(x_eval))
    names = store(case, batches=batches, gamma=bn.weight, beta=bn.bias, y=np.stack(ys),
                  running_mean=np.stack(means), running_var=np.stack(variances),
                  x_eval=x_eval, y_eval=y_eval)
    CASES.append({"id": case, "arrays": names, "momentum": momentum, "eps": bn.eps,
                  "torch_call": f"nn.BatchNorm1d(4, momentum={momentum}): 5 train steps, then eval"})


def ln_case():
    ln = nn.LayerNorm(5)
    random_affine(ln, 5)
    x2, x3 = RNG.normal(-1.0, 2.0, (7, 5)), RNG.normal(0.5, 4.0, (3, 4, 5))
    names = store("ln", gamma=ln.weight, beta=ln.bias, x2=x2, y2=ln(t(x2)), x3=x3, y3=ln(t(x3)))
    CASES.append({"id": "ln", "arrays": names, "eps": ln.eps, "torch_call": "nn.LayerNorm(5)(x)"})


def dropout_case(p):
    case = f"dropout_p{p}"
    x = RNG.uniform(0.5, 2.0, (200, 10)) * RNG.choice([-1.0, 1.0], (200, 10))  # never 0
    layer = nn.Dropout(p)
    y_train, y_eval = layer.train()(t(x)), layer.eval()(t(x))
    names = store(case, x=x, y_train=y_train, y_eval=y_eval)
    CASES.append({"id": case, "arrays": names, "p": p,
                  "torch_call": f"nn.Dropout({p}).train()(x) and .eval()(x)"})


def make_mlp(norm: str, position: str) -> nn.Sequential:
    layers: list[nn.Module] = []
    for n_in, n_out in ((2, 8), (8, 8)):
        layers.append(nn.Linear(n_in, n_out))
        block = [nn.ReLU()]
        if norm != "none":
            norm_layer = nn.BatchNorm1d(n_out) if norm == "batch" else nn.LayerNorm(n_out)
            random_affine(norm_layer, n_out)
            block = [norm_layer, nn.ReLU()] if position == "before" else [nn.ReLU(), norm_layer]
        layers += block
    layers.append(nn.Linear(8, 3))
    return nn.Sequential(*layers)


def mlp_case(norm: str, position: str, l1=1e-3, l2=1e-2, lr=0.1, steps=5):
    case = f"mlp_{norm}_{position}"
    model = make_mlp(norm, position)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    norms = [m for m in model if isinstance(m, (nn.BatchNorm1d, nn.LayerNorm))]
    initial = {f"W{i}": m.weight.T.clone() for i, m in enumerate(linears)}
    initial |= {f"b{i}": m.bias.clone() for i, m in enumerate(linears)}
    initial |= {f"gamma{i}": m.weight.clone() for i, m in enumerate(norms)}
    initial |= {f"beta{i}": m.bias.clone() for i, m in enumerate(norms)}
    xs, ys = RNG.normal(0.0, 1.5, (steps, 16, 2)), RNG.integers(0, 3, (steps, 16))
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    model.train()
    for x, y in zip(xs, ys):
        opt.zero_grad()
        penalty = sum(l1 * m.weight.abs().sum() + l2 * (m.weight**2).sum() for m in linears)
        loss = nn.functional.cross_entropy(model(t(x)), torch.tensor(y)) + penalty
        loss.backward()
        opt.step()
        losses.append(loss.item())
    final = {f"final_W{i}": m.weight.T for i, m in enumerate(linears)}
    stats = {}
    for i, m in enumerate(norms):
        if isinstance(m, nn.BatchNorm1d):
            stats |= {f"running_mean{i}": m.running_mean, f"running_var{i}": m.running_var}
    x_eval = RNG.normal(0.0, 1.5, (10, 2))
    logits_eval = model.eval()(t(x_eval))
    names = store(case, **initial, xs=xs, ys=ys, losses=losses, **final, **stats,
                  x_eval=x_eval, logits_eval=logits_eval)
    CASES.append({"id": case, "arrays": names, "norm": norm, "position": position, "l1": l1,
                  "l2": l2, "lr": lr, "steps": steps,
                  "torch_call": f"2-8-8-3 ReLU MLP, norm={norm} {position} activation; "
                                "loss = F.cross_entropy + l1*sum|W| + l2*sum W^2 over Linear "
                                f"weights; torch.optim.SGD(lr={lr}), {steps} steps"})


def main() -> None:
    assert torch.__version__.startswith(TORCH_VERSION), (
        f"golden data must come from torch {TORCH_VERSION}; this is {torch.__version__}")
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(0)
    bn_train_case()
    for momentum in (0.1, 0.3, None):
        bn_steps_case(momentum)
    ln_case()
    for p in (0.2, 0.5):
        dropout_case(p)
    for norm, position in (("none", "before"), ("batch", "before"), ("batch", "after"),
                           ("layer", "before"), ("layer", "after")):
        mlp_case(norm, position)
    np.savez_compressed(OUT.with_suffix(".npz"), **ARRAYS)
    meta = {"description": "Golden outputs of torch.nn layers; see "
                           "scripts/generate_torch_network_golden.py.",
            "torch_version": torch.__version__, "dtype": "float64", "cases": CASES}
    OUT.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"{len(CASES)} cases, {len(ARRAYS)} arrays -> {OUT}.{{npz,json}}")


if __name__ == "__main__":
    main()
