"""Page registry: the navigation order of the app.

Lessons appear in the order below once their script exists, so a lesson is added by writing its
page file and (already here) its row.
"""

from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent

LESSONS = [
    ("step_inspector.py", "Step inspector", "🔍"),
    ("saddle_escape.py", "Saddle escape", "🐴"),
    ("cliff_clipping.py", "Cliff and clipping", "🧗"),
    ("momentum.py", "Momentum", "🎳"),
    ("adaptive_rates.py", "Adaptive learning rates", "📐"),
    ("batch_noise.py", "Batch size and noise", "🎲"),
    ("hyperparameter_map.py", "Hyperparameter map", "🗺️"),
]

NETWORK_PAGES = [
    ("l1_l2.py", "L1 vs L2", "✂️"),
    ("dropout.py", "Dropout", "🕳️"),
    ("batch_norm.py", "Batch norm", "📊"),
    ("layer_norm.py", "Layer norm vs batch norm", "↔️"),
    ("train_eval.py", "train() vs eval()", "🔀"),
]


def _pages(rows):
    return [st.Page(HERE / name, title=title, icon=icon) for name, title, icon in rows
            if (HERE / name).exists()]


def playground_page():
    return st.Page(HERE / "playground.py", title="Playground", icon="🧭", default=True)


def navigation():
    sections = {"Explore": [playground_page()], "Lessons": _pages(LESSONS),
                "Networks": _pages(NETWORK_PAGES)}
    return st.navigation({name: pages for name, pages in sections.items() if pages})
