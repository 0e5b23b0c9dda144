"""Widget groups take a key prefix (components/controls.py): one group drawn twice on a page
keeps two sets of keys, and a picker's callback resets what its own group chose."""

import pytest
from streamlit.errors import StreamlitDuplicateElementKey
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



def _two_optimizer_groups(groups):
    """RMSProp's sliders and toggle twice, each group (its pickers' prefix, its sliders') with its
    own convention picker whose callback resets that group's sliders; what optimizer_settings
    reads back under each sliders' prefix."""
    import functools

    import streamlit as st

    from components import controls
    from components.key_log import KeyLog
    from components.widget_defaults import reset_for_convention
    from optimizers import OPTIMIZERS
    from surfaces import SURFACES

    log = KeyLog()
    for prefix, sliders in groups:
        convention = controls.convention_picker(log, prefix, on_change=functools.partial(
            reset_for_convention, optimizers=["rmsprop"], sliders=sliders))
        controls.optimizer_controls(OPTIMIZERS["rmsprop"], convention, SURFACES["ravine"], log,
                                    prefix=sliders)
        st.session_state[f"_read.{sliders}"] = controls.optimizer_settings(
            ["rmsprop"], convention, prefix=sliders)["rmsprop"]


def _rmsprop_default(name: str, convention: str = "pytorch"):
    spec = OPTIMIZERS["rmsprop"]
    hp = spec.hyperparameters[spec.hyperparameter_names.index(name)]
    return hyperparameter_default(spec, hp, convention, SURFACES["ravine"])


def test_the_optimizer_controls_without_prefixes_clash_on_one_page(caplog):
    """As before the sliders took a prefix: the pickers apart, the sliders' keys the same."""
    page = AppTest.from_function(_two_optimizer_groups, default_timeout=60,
                                 kwargs={"groups": (("left", ""), ("right", ""))}).run()
    assert page.exception  # its message is redacted (.streamlit/config.toml); the log has it
    errors = [r.exc_info[1] for r in caplog.records if r.exc_info]
    assert any(isinstance(e, StreamlitDuplicateElementKey) and "rmsprop.learning_rate" in str(e)
               for e in errors), errors


def test_the_optimizer_controls_twice_on_a_page_keep_independent_values():
    page = AppTest.from_function(_two_optimizer_groups, default_timeout=60,
                                 kwargs={"groups": (("left", "left"), ("right", "right"))}).run()
    assert not page.exception
    rate = page.select_slider(key="left.rmsprop.learning_rate")
    moved = next(float(o) for o in rate.options if float(o) != rate.value)
    rate.set_value(moved).run()
    page.toggle(key="right.rmsprop.centered").set_value(True).run()
    left, right = page.session_state["_read.left"], page.session_state["_read.right"]
    assert left["learning_rate"] == moved != right["learning_rate"] == _rmsprop_default("learning_rate")
    assert right["centered"] and not left["centered"]
    # a group's convention resets its own sliders only (its decay; the moved rate stays)
    assert _rmsprop_default("decay", "optax") != _rmsprop_default("decay")
    page.radio(key="left.convention").set_value("optax").run()
    left, right = page.session_state["_read.left"], page.session_state["_read.right"]
    assert left["decay"] == _rmsprop_default("decay", "optax")
    assert right["decay"] == _rmsprop_default("decay")
    assert left["learning_rate"] == moved
    assert page.select_slider(key="right.rmsprop.decay").value == _rmsprop_default("decay")
    assert not page.exception
