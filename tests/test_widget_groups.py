"""Widget groups take a key prefix (components/controls.py): one group drawn twice on a page
keeps two sets of keys, and a picker's callback resets what its own group chose."""

import pytest
from streamlit.testing.v1 import AppTest

from components.widget_defaults import hyperparameter_default, scoped
from optimizers import OPTIMIZERS
from surfaces import SURFACES


def _two_groups():
    import streamlit as st

    from components import controls
    from components.key_log import KeyLog
    from components.widget_defaults import reset_for_optimizer

    log = KeyLog()
    for prefix in ("left", "right"):
        optimizer = controls.one_optimizer_picker(log, prefix)
        surface = controls.surface_picker(log, prefix, on_change=reset_for_optimizer)
        convention = controls.convention_picker(log, prefix, on_change=reset_for_optimizer)
        st.write(prefix, optimizer, surface.key, convention)


def _learning_rate(surface: str, optimizer: str = "momentum", convention: str = "pytorch"):
    spec = OPTIMIZERS[optimizer]
    hp = spec.hyperparameters[spec.hyperparameter_names.index("learning_rate")]
    return hyperparameter_default(spec, hp, convention, SURFACES[surface])


@pytest.fixture(scope="module")
def page():
    return AppTest.from_function(_two_groups, default_timeout=60).run()


def test_a_prefix_scopes_every_key_and_no_prefix_keeps_the_playgrounds():
    assert scoped("si", "surface") == "si.surface"
    assert scoped("", "surface") == "surface"  # the playground's links keep their spelling


def test_one_group_twice_on_a_page_keeps_two_sets_of_keys(page):
    assert not page.exception
    for prefix in ("left", "right"):
        assert page.selectbox(key=f"{prefix}.optimizer").value == "momentum"
        assert page.selectbox(key=f"{prefix}.surface").value == "ravine"
        assert page.radio(key=f"{prefix}.convention").value == "pytorch"


def test_a_pickers_callback_reads_its_own_groups_choices(page):
    others = [k for k in SURFACES if _learning_rate(k) != _learning_rate("ravine")]
    assert others  # a surface whose suggested rate differs, so the reset shows
    page.selectbox(key="right.surface").set_value(others[0]).run()
    assert page.session_state["momentum.learning_rate"] == _learning_rate(others[0])
    assert page.selectbox(key="left.surface").value == "ravine"
    page.radio(key="left.convention").set_value("optax").run()  # left's surface: ravine
    assert page.session_state["momentum.learning_rate"] == _learning_rate("ravine", convention="optax")
    page.selectbox(key="right.optimizer").set_value("adam").run()  # right's surface, adam's rate
    assert page.session_state["adam.learning_rate"] == _learning_rate(others[0], "adam")
    assert not page.exception
