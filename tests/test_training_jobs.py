"""A network page's trainings, two at a time (components/training_jobs.py)."""

import threading
import time

import pytest

from components.training_jobs import WORKERS, train_jobs, training


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


def test_a_page_reads_each_result_as_soon_as_its_own_job_is_done():
    """``training``: the first section draws while a later job still trains."""
    release = threading.Event()
    jobs = {"first": lambda: "first's runs", "later": lambda: (release.wait(10), "later's runs")[1]}
    try:
        with training(jobs, "test jobs") as runs:
            assert runs["first"] == "first's runs"
            assert not release.is_set()  # "later" is still waiting: it was not needed
            release.set()
            assert runs["later"] == "later's runs"
            assert list(runs) == ["first", "later"] and len(runs) == 2
    finally:
        release.set()


def test_a_failing_job_raises_whichever_result_the_page_waits_for():
    release = threading.Event()

    def fails():
        raise ValueError("diverged")

    jobs = {"waits": lambda: release.wait(10), "fails": fails}
    start = time.monotonic()
    with pytest.raises(ValueError, match="diverged"), training(jobs, "test jobs") as runs:
        try:
            runs["waits"]
        finally:
            release.set()  # leaving waits for the running jobs: let "waits" end
    assert time.monotonic() - start < 5  # raised when "fails" failed, not after "waits"'s 10 s
