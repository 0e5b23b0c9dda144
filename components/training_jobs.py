"""A network page's trainings, two at a time, under one progress bar.

A compiled JAX call runs without the GIL, so two trainings on two threads use both cores of
this machine. Measured on the batch-norm page's four rate sweeps (7 learning rates x 1,000 steps
each, quiet machine): 2.65-2.74 s of wall time one after another, 1.58-1.59 s two at a time, and
less CPU (3.5 -> 2.8 s of CPU). Under a class's load the two threads share the cores with the
other sessions' runs like any other work.

``train_jobs`` returns when every job is done; ``training`` hands the page its results as they
come, so a page draws each section once the runs it reads are trained while the rest train
(listed in the order the page reads them): the batch-norm page's first chart after its first two
sweeps, not all seven; the dropout page's lecture runs train while its first sections draw.

The jobs must not draw (their cached functions are called with ``show_spinner=False``, and
whatever they read through another ``st.cache_data`` is read by the page first): they run on
threads that carry the page's script context only so that Streamlit's caches work there.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Hashable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

WORKERS = 2  # the machine's cores
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def train_jobs(jobs: Mapping[K, Callable[[], V]], what: str) -> dict[K, V]:
    """Run every job of ``jobs`` (key -> a function of no arguments), WORKERS at a time, under a
    progress bar that says ``what`` is trained; their results by key, in the jobs' order. A job
    that raises raises here; if the run is stopped meanwhile (a new setting), the jobs not
    started are dropped and the ones running finish first."""
    with training(jobs, what) as results:
        return dict(results.items())


class Results(Mapping[K, V]):
    """The results of ``training``'s jobs by key: reading one waits for its job (and moves the
    progress bar meanwhile); the rest keep training."""

    def __init__(self, futures: dict[K, Future], bar, what: str):
        self._futures, self._bar, self._what = futures, bar, what

    def __getitem__(self, key: K) -> V:
        target, pending = self._futures[key], set(self._futures.values())
        while not target.done():
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for failed in (f for f in done if f.exception() is not None):
                failed.result()  # a job that raised raises now, whichever the page waits for
            self._show(len(self._futures) - len(pending))
        return target.result()

    def __iter__(self) -> Iterator[K]:
        return iter(self._futures)

    def __len__(self) -> int:
        return len(self._futures)

    def _show(self, done: int) -> None:
        self._bar.progress(done / len(self), text=f"Training {self._what}: {done} of {len(self)} …")


@contextlib.contextmanager
def training(jobs: Mapping[K, Callable[[], V]], what: str) -> Iterator[Results[K, V]]:
    """Start every job of ``jobs`` at once, WORKERS at a time in the jobs' order, and give their
    ``Results``: a page draws each section as soon as the jobs it reads are done, while the
    others train (list the jobs in the order the page reads them). On leaving, the jobs not
    started are dropped (the run was stopped or failed) and the ones running finish first."""
    bar = st.progress(0.0, text=f"Training {what}: 0 of {len(jobs)} …")
    context = get_script_run_ctx()

    def run(job: Callable[[], V]) -> V:
        add_script_run_ctx(threading.current_thread(), context)
        return job()

    pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="training")
    try:
        yield Results({key: pool.submit(run, job) for key, job in jobs.items()}, bar, what)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    bar.empty()
