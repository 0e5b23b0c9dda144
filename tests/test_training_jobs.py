"""A network page's trainings, two at a time (components/training_jobs.py)."""

import threading
import time

import pytest

from components.training_jobs import WORKERS, train_jobs


def test_two_jobs_run_at_once_and_the_results_keep_the_jobs_order():
    # Each job waits for the other at a barrier: one after the other, the first would time out.
    meet = threading.Barrier(WORKERS, timeout=10)

    def job(value):
        return lambda: (meet.wait(), value)[1]

    jobs = {name: job(i) for i, name in enumerate(("c", "a", "d", "b"))}
    assert list(train_jobs(jobs, "test jobs").items()) == [("c", 0), ("a", 1), ("d", 2), ("b", 3)]


def test_a_failing_job_raises_and_the_jobs_not_started_are_dropped():
    started = []

    def fails():
        started.append("fails")
        raise ValueError("diverged")

    def later(name):
        return lambda: (started.append(name), time.sleep(0.2))  # 40 of them: ~4 s on 2 threads

    jobs = {"fails": fails, **{f"job {i}": later(f"job {i}") for i in range(40)}}
    with pytest.raises(ValueError, match="diverged"):
        train_jobs(jobs, "test jobs")
    assert len(started) < len(jobs)
