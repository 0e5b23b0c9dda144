"""Page registry: the navigation order of the app (Material icons ship with Streamlit, so they
render everywhere, unlike emoji).

Lessons appear in the order below once their script exists, so a lesson is added by writing its
page file and (already here) its row.
"""

from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent

LESSONS = [
    ("step_inspector.py", "Step inspector", ":material/search:"),
    ("moments.py", "One frame: mₜ and Vₜ", ":material/functions:"),
    ("saddle_escape.py", "Saddle escape", ":material/landscape:"),
    ("cliff_clipping.py", "Cliff and clipping", ":material/content_cut:"),
    ("momentum.py", "Momentum", ":material/speed:"),
    ("adaptive_rates.py", "Adaptive learning rates", ":material/tune:"),
    ("batch_noise.py", "Batch size and noise", ":material/casino:"),
    ("hyperparameter_map.py", "Hyperparameter map", ":material/grid_on:"),
]

NETWORK_PAGES = [
    ("l1_l2.py", "L1 vs L2", ":material/compress:"),
    ("dropout.py", "Dropout", ":material/blur_on:"),
    ("batch_norm.py", "Batch norm", ":material/bar_chart:"),
    ("layer_norm.py", "Layer norm vs batch norm", ":material/view_column:"),
    ("train_eval.py", "model.train() vs model.eval()", ":material/swap_horiz:"),
    ("lr_range_test.py", "Learning-rate range test", ":material/trending_up:"),
]


def _pages(rows):
    return [st.Page(HERE / name, title=title, icon=icon) for name, title, icon in rows
            if (HERE / name).exists()]


def playground_page():
    return st.Page(HERE / "playground.py", title="Playground", icon=":material/explore:", default=True)


def navigation():
    sections = {"Explore": [playground_page()], "Lessons": _pages(LESSONS),
                "Networks": _pages(NETWORK_PAGES)}
    # Fully expanded: with more than twelve pages Streamlit would fold the list behind "View N more",
    # hiding the network lessons from a class that has not found the button.
    return st.navigation({name: pages for name, pages in sections.items() if pages}, expanded=True)
