"""A network page's trainings, two at a time, under one progress bar.

A compiled JAX call runs without the GIL, so two trainings on two threads use both cores of
this machine. Measured on the batch-norm page's four rate sweeps (7 learning rates x 1,000 steps
each, quiet machine): 2.65-2.74 s of wall time one after another, 1.58-1.59 s two at a time, and
less CPU (3.5 -> 2.8 s of CPU). Under a class's load the two threads share the cores with the
other sessions' runs like any other work.

The jobs must not draw (their cached functions are called with ``show_spinner=False``, and
whatever they read through another ``st.cache_data`` is read by the page first): they run on
threads that carry the page's script context only so that Streamlit's caches work there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
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
    bar = st.progress(0.0, text=f"Training {what}: 0 of {len(jobs)} …")
    context = get_script_run_ctx()

    def run(job: Callable[[], V]) -> V:
        add_script_run_ctx(threading.current_thread(), context)
        return job()

    results = {}
    pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="training")
    try:
        futures = {pool.submit(run, job): key for key, job in jobs.items()}
        for done, future in enumerate(as_completed(futures), 1):
            results[futures[future]] = future.result()
            bar.progress(done / len(jobs), text=f"Training {what}: {done} of {len(jobs)} …")
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    bar.empty()
    return {key: results[key] for key in jobs}
