"""Sidebar widget groups shared by the L1/L2, dropout and model.train()/model.eval() pages.

Every widget is keyed with the page's prefix and bound to the URL (controls.BIND). Settings are
returned as plain values, so the pages can key st.cache_data on them.
"""

from __future__ import annotations

from typing import NamedTuple

import streamlit as st

from components import controls
from components.lesson import divergence_error
from components.scales import fmt, log_ladder
from components.widget_defaults import scoped
from networks import DATASETS

PLANE_SETS = ("moons", "circles", "spirals", "xor")  # 2-D: a decision boundary can be drawn
NOISE_OPTIONS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
TRAIN_SIZES = (30, 60, 100, 200, 500)
STEP_OPTIONS = (200, 500, 1000, 2000, 3000, 5000)
LR_OPTIONS = tuple(log_ladder(1e-3, 1.0))


class DataSettings(NamedTuple):
    name: str
    noise: float
    n_train: int
    seed: int


class TrainSettings(NamedTuple):
    learning_rate: float
    num_steps: int
    seed: int


def data_controls(log, prefix: str, *, name="moons", noise=0.3, n_train=60) -> DataSettings:
    label = lambda k: DATASETS[k].title  # noqa: E731
    key = st.selectbox("data set", PLANE_SETS, index=PLANE_SETS.index(name), format_func=label,
                       key=log(scoped(prefix, "data"), label=label, choices=PLANE_SETS),
                       bind=controls.BIND)
    noise = st.select_slider("input noise σ", NOISE_OPTIONS, value=noise, format_func=fmt,
                             key=log(scoped(prefix, "noise"), NOISE_OPTIONS), bind=controls.BIND,
                             help="Gaussian noise on the points: more noise, more to overfit.")
    n = st.select_slider("training points", TRAIN_SIZES, value=n_train, bind=controls.BIND,
                         key=log(scoped(prefix, "n"), TRAIN_SIZES),
                         help="Few points and a big network overfit; the test set has 1000.")
    seed = st.number_input("data seed", 0, 10_000, value=0, step=1, bind=controls.BIND,
                           key=log(scoped(prefix, "data_seed"), bounds=(0, 10_000)))
    return DataSettings(key, float(noise), int(n), int(seed))


def training_controls(log, prefix: str, *, num_steps: int, learning_rate=0.05) -> TrainSettings:
    """The shared training sidebar; ``num_steps``: the page's default (its lesson's measured one)."""
    st.caption("SGD with momentum 0.9, mini-batches of 30.")
    lr = st.select_slider("learning rate", LR_OPTIONS, value=learning_rate, format_func=fmt,
                          key=log(scoped(prefix, "lr"), LR_OPTIONS), bind=controls.BIND)
    steps = st.select_slider("steps", STEP_OPTIONS, value=num_steps, bind=controls.BIND,
                             key=log(scoped(prefix, "steps"), STEP_OPTIONS))
    return TrainSettings(float(lr), int(steps), seed_input(log, prefix))


def seed_input(log, prefix: str) -> int:
    """The seed of the network's initial weights and of its mini-batch order."""
    return int(st.number_input("initialisation seed", 0, 10_000, value=0, step=1, bind=controls.BIND,
                               key=log(scoped(prefix, "seed"), bounds=(0, 10_000))))


def report_divergence(runs) -> None:
    """A diverged run is shown as such (its charts stop there), never hidden."""
    for run in runs:
        divergence_error(run.label, run.result.diverged_at, by=run.result.ends_only)
