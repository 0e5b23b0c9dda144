"""The same MLP and loop as bench_networks.py, written in plain PyTorch on the CPU.

Run with the golden venv (torch never enters the project's venv):

    .venv-golden/bin/python benchmarks/bench_networks_torch.py

A 2-64-64-2 ReLU MLP, Adam (lr 1e-2), 1,000 mini-batch steps of 32 drawn from 100 points by
per-epoch permutations, and an eval pass over train + test points every 100 steps (what our
scan records). Prints one line per variant: the best wall time of the whole loop over 5 runs, after a warm-up.
"""

import time

import numpy as np
import torch
from torch import nn

STEPS, BATCH, N_TRAIN, N_TEST, RECORD_EVERY = 1000, 32, 100, 1000, 100


def make_model(norm: str, p: float) -> nn.Sequential:
    layers: list[nn.Module] = []
    for n_in in (2, 64):
        layers.append(nn.Linear(n_in, 64))
        if norm == "batch":
            layers.append(nn.BatchNorm1d(64))
        elif norm == "layer":
            layers.append(nn.LayerNorm(64))
        layers.append(nn.ReLU())
        if p > 0:
            layers.append(nn.Dropout(p))
    return nn.Sequential(*layers, nn.Linear(64, 2))


def run(norm: str, p: float, x, y, x_all, y_all) -> float:
    torch.manual_seed(0)
    model = make_model(norm, p)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    per_epoch = N_TRAIN // BATCH
    order = torch.cat([torch.randperm(N_TRAIN)[: per_epoch * BATCH]
                       for _ in range(STEPS // per_epoch + 1)]).view(-1, BATCH)
    start = time.perf_counter()
    for t in range(STEPS):
        model.train()
        b = order[t]
        opt.zero_grad()
        nn.functional.cross_entropy(model(x[b]), y[b]).backward()
        opt.step()
        if (t + 1) % RECORD_EVERY == 0:
            model.eval()
            with torch.no_grad():
                logits = model(x_all)
                nn.functional.cross_entropy(logits, y_all).item()
    return time.perf_counter() - start


def main() -> None:
    rng = np.random.default_rng(0)
    x_all = torch.tensor(rng.normal(0, 1, (N_TRAIN + N_TEST, 2)), dtype=torch.float32)
    y_all = torch.tensor(rng.integers(0, 2, N_TRAIN + N_TEST))
    x, y = x_all[:N_TRAIN], y_all[:N_TRAIN]
    # One thread: tiny matmuls gain nothing from more, and on a loaded 2-core machine OpenMP's
    # spinning threads made one run 20x slower.
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, CPU, {torch.get_num_threads()} thread")
    run("none", 0.0, x, y, x_all, y_all)  # warm-up: first-call allocations and dispatch caches
    for label, norm, p in (("plain", "none", 0.0), ("dropout 0.2", "none", 0.2),
                           ("batch norm", "batch", 0.0), ("layer norm", "layer", 0.0)):
        best = min(run(norm, p, x, y, x_all, y_all) for _ in range(5))
        print(f"PyTorch eager, 2-64-64-2 {label:12s}: {STEPS} steps in {best * 1e3:7.1f} ms "
              f"({best / STEPS * 1e6:6.1f} us/step)")


if __name__ == "__main__":
    main()
