"""MLP training cost: steps per second, compile time per variant, variants side by side, a cold
start with JAX's persistent compilation cache, the network pages' new settings after warm-up (what
compiles again and what it costs), and the same loop in plain PyTorch.

The task: a 2-64-64-2 ReLU MLP, Adam (lr 1e-2), 1,000 mini-batch steps of 32 drawn from 100
two-moons points, statistics recorded every 100 steps on train + 1,000 test points. The PyTorch
figures come from benchmarks/bench_networks_torch.py run by .venv-golden/bin/python (torch is
never imported by the project's venv); without that venv the comparison is skipped.
"""

import inspect
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jax
import jax.monitoring
import numpy as np
from _common import ROOT, best_time

from lessons import dropout as dropout_page
from lessons.batch_norm import runs as bn_runs
from networks import MLPConfig, make_dataset, train, train_batch
from networks.api import _data, _stack, _variant_values
from networks.model import init_mlp
from networks.training import TrainSpec, batch_indices, compiled_trainer
from optimizers.registry import get_spec

STEPS, BATCH, RECORD_EVERY = 1000, 32, 100
DATA = make_dataset("moons", n_train=100, n_test=1000, seed=0)
VARIANTS = {
    "plain": (MLPConfig(), 0.0),
    "dropout 0.2": (MLPConfig(), 0.2),
    "batch norm": (MLPConfig(norm="batch"), 0.0),
    "layer norm": (MLPConfig(norm="layer"), 0.0),
}


def _args(config: MLPConfig, dropout: float, num_variants: int = 1):
    """The compiled trainer and its inputs, as ``train_batch`` builds them."""
    shared = dict(l1=0.0, l2=0.0, dropout=dropout, bn_momentum=0.1, seed=0,
                  hyperparameters={"learning_rate": 1e-2})
    reg, opt = _variant_values(config, shared, {}, get_spec("adam"), "pytorch")
    options = (("bias_correction", bool(opt.pop("bias_correction"))),)
    regs, opts = [reg] * num_variants, [opt] * num_variants
    spec = TrainSpec(config, "adam", options, "pytorch", STEPS, BATCH, RECORD_EVERY, dropout > 0)
    start = jax.tree.map(lambda a: np.stack([a] * num_variants), init_mlp(config, 0))
    idx = np.stack([batch_indices(0, 100, BATCH, STEPS)] * num_variants)
    args = jax.device_put((_stack(regs, opts, {"bias_correction"}), start, idx, _data(DATA)))
    return compiled_trainer(spec), args


def compile_and_run() -> None:
    jax.jit(lambda x: x + 1).lower(1.0).compile()  # XLA's one-time start-up is not a variant's
    for label, (config, dropout) in VARIANTS.items():
        fn, args = _args(config, dropout)
        start = time.perf_counter()
        fn.lower(*args).compile()
        compile_s = time.perf_counter() - start
        # The trainer pads its inputs and adds its traced values (compiled_trainer): it is timed
        # as the pages call it (its first, warm-up call reads the program back from the cache).
        run_s = best_time(lambda f=fn, a=args: jax.block_until_ready(f(*a)), repeats=10)
        print(f"JAX scan, 2-64-64-2 {label:12s}: compile {compile_s:5.2f} s, "
              f"{STEPS} steps in {run_s * 1e3:6.1f} ms ({run_s / STEPS * 1e6:5.1f} us/step)")


def api_overhead() -> None:
    config = MLPConfig()
    call = lambda: train(config, DATA, "adam", {"learning_rate": 1e-2},  # noqa: E731
                         num_steps=STEPS, batch_size=BATCH, record_every=RECORD_EVERY)
    print(f"train() API call, plain, 1000 steps incl. init and NumPy results: "
          f"{best_time(call, repeats=10) * 1e3:6.1f} ms")


def side_by_side(num_variants: int = 8) -> None:
    config = MLPConfig()
    variants = [{"l2": float(v)} for v in np.geomspace(1e-5, 1e-1, num_variants)]
    kwargs = dict(hyperparameters={"learning_rate": 1e-2}, num_steps=STEPS, batch_size=BATCH,
                  record_every=RECORD_EVERY)
    together = best_time(lambda: train_batch(config, DATA, "adam", variants, **kwargs), repeats=5)
    one = best_time(lambda: train_batch(config, DATA, "adam", variants[:1], **kwargs), repeats=5)
    print(f"{num_variants} L2 strengths in one vmapped call: {together * 1e3:6.1f} ms "
          f"(one variant: {one * 1e3:5.1f} ms; {num_variants} calls would take "
          f"~{num_variants * one * 1e3:6.1f} ms)")


COLD = """
import sys, time
sys.path.insert(0, {root!r})
import jax
jax.config.update("jax_compilation_cache_dir", {cache!r})
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
from networks import MLPConfig, make_dataset, train
data = make_dataset("moons", n_train=100, n_test=1000)
start = time.perf_counter()
train(MLPConfig(norm="batch"), data, num_steps=1000, record_every=100)
print(time.perf_counter() - start)
"""


def cold_start() -> None:
    with tempfile.TemporaryDirectory() as cache:
        code = COLD.format(root=str(ROOT), cache=cache)
        times = [float(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                      text=True, check=True).stdout) for _ in range(2)]
    print(f"cold start, first train() call (BN variant) in a fresh process: {times[0]:5.2f} s "
          f"with an empty persistent cache, {times[1]:5.2f} s with it filled")


COMPILES = []
jax.monitoring.register_event_duration_secs_listener(
    lambda event, duration, **kw: COMPILES.append(duration)
    if event == "/jax/core/compile/backend_compile_duration" else None
)


def _bn_page(depth=4, batch=32, steps=1000):
    """The batch-norm page's sweep of one variant: 7 learning rates in one call (spirals, 256
    training points, BN before ReLU, plain SGD, 50 records, the batch and depth padded as the
    page pads them: lessons/batch_norm/runs.py)."""
    return bn_runs.rate_sweep("batch", bn_runs.page_data("spirals"), "relu", depth, batch, steps, 0)


def _dropout_page(n_train=60, steps=2000):
    """The dropout page's dropout runs: 5 seeds of 2-64-64-2 at p = 0.2, momentum, batch 30."""
    return dropout_page.train_dropout(("moons", 0.3, n_train, 0), (0.2, 0.2), "inverted", 0.05,
                                      steps, 0)


PAGE_CHANGES = [  # (label, call): the first of each page warms it up
    ("batch norm page, warm-up (depth 4, batch 32, 1000 steps)", lambda: _bn_page()),
    ("  steps 1000 -> 2000", lambda: _bn_page(steps=2000)),
    ("  steps 2000 -> 300", lambda: _bn_page(steps=300)),
    ("  batch size 32 -> 16 (same bucket)", lambda: _bn_page(batch=16)),
    ("  batch size 16 -> 64 (next bucket)", lambda: _bn_page(batch=64)),
    ("  batch size 64 -> 128", lambda: _bn_page(batch=128)),
    ("  hidden layers 4 -> 3", lambda: _bn_page(depth=3)),
    ("dropout page, warm-up (60 points, 2000 steps)", lambda: _dropout_page()),
    ("  steps 2000 -> 500", lambda: _dropout_page(steps=500)),
    ("  training points 60 -> 200", lambda: _dropout_page(n_train=200)),
    ("  training points 200 -> 30", lambda: _dropout_page(n_train=30)),
]


def page_changes() -> None:
    """A new setting of each kind of the network pages' training sliders, after warm-up: the
    compilations it triggers, its wall time (compile + train + results) and the process's CPU
    time (all threads; steadier than the wall time on a shared machine)."""
    padded = "pad_train" in inspect.signature(train_batch).parameters
    print(f"network pages, a new setting after warm-up (training-set size padded: {padded}):")
    for label, call in PAGE_CHANGES:
        before, start, cpu = len(COMPILES), time.perf_counter(), time.process_time()
        call()
        print(f"{label:58s}: {len(COMPILES) - before} compilation(s), "
              f"{time.perf_counter() - start:6.2f} s wall, {time.process_time() - cpu:6.2f} s CPU")


def torch_comparison() -> None:
    python = ROOT / ".venv-golden" / "bin" / "python"
    if not python.exists():
        print("PyTorch comparison skipped: .venv-golden is missing (make golden creates it)")
        return
    script = Path(__file__).parent / "bench_networks_torch.py"
    out = subprocess.run([str(python), str(script)], capture_output=True, text=True, check=True)
    print(out.stdout.rstrip())


if __name__ == "__main__":
    print(f"jax {jax.__version__}, {jax.devices()[0].platform}; task: 2-64-64-2 MLP, Adam, "
          f"{STEPS} steps x batch {BATCH}, recorded every {RECORD_EVERY}")
    compile_and_run()
    api_overhead()
    side_by_side()
    cold_start()
    page_changes()
    torch_comparison()
