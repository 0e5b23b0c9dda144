"""Widget groups. Every widget has a key and is bound to the URL, so the link is the whole view.

Defaults that depend on the chosen surface or convention (learning rates, eps ...) are reset by
callbacks when that choice changes, which also keeps the link short: values equal to their default
are left out of it.

A group takes a key ``prefix``: the playground's groups have none (``surface``), a lesson page's
carry the page's (``si.surface``), so every page draws the same group under its own keys (twice on
one page under two prefixes) and each link keeps its spelling. A picker's callback (``on_change``,
by default the group's own from ``widget_defaults``) is called with that prefix. The optimizers'
own sliders and toggles are keyed by optimizer (``adam.learning_rate``) and take a prefix of their
own (``left.adam.learning_rate``): every page leaves it out, so each link spells them as the
playground does, and two groups of them on one page give each a prefix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

import streamlit as st

from components import presenter, url_state
from components.live_slider import previewed
from components.scales import fmt, ladder, snap
from components.widget_defaults import (
    DEFAULT_OPTIMIZER,
    DEFAULT_SURFACE,
    hp_key,
    hyperparameter_default,
    reset_for_convention,
    reset_for_optimizer,
    reset_for_surface,
    scoped,
)
from optimizers import CLIP_KINDS, CONVENTIONS, OPTIMIZERS, OptimizerSpec
from optimizers.registry import Hyperparameter
from surfaces import SURFACES, Surface

if TYPE_CHECKING:  # the page's key log is built by components.lesson and the playground
    from components.key_log import KeyLog

BIND = "query-params"
STEP_CHOICES = (50, 100, 200, 300, 500, 1000, 2000)
BATCH_CHOICES = (1, 2, 4, 8, 16, 32, 64, 128, 256)
ENSEMBLE_CHOICES = (1, 4, 8, 16, 32, 64)
DEFAULT_OPTIMIZERS = ["momentum", "rmsprop", "adam"]
DEFAULT_STEPS = 300


def drives_the_paths(hp: Hyperparameter) -> bool:
    """The learning rate and the decays (β, μ, ρ, α): the sliders that move the paths while
    they are dragged (components/live_slider.py). The rest commit on release."""
    return hp.name == "learning_rate" or hp.scale == "beta"


def live_keys(chosen: list[str], prefix: str = "") -> list[str]:
    """The keys of the chosen optimizers' sliders that move the paths while dragged."""
    return [hp_key(OPTIMIZERS[k], hp.name, prefix) for k in chosen
            for hp in OPTIMIZERS[k].hyperparameters if drives_the_paths(hp)]


def dragged_settings(settings: dict[str, dict], convention: str, slider: str, index: int,
                     prefix: str = "") -> dict[str, dict] | None:
    """``settings`` with the live slider keyed ``slider`` at its option ``index`` (a drag
    preview asked through the route, ``live_preview``), or None when no chosen optimizer has
    that live slider or the slider no such option."""
    for key, values in settings.items():
        spec = OPTIMIZERS[key]
        for hp in spec.hyperparameters:
            if drives_the_paths(hp) and hp_key(spec, hp.name, prefix) == slider:
                options = ladder(hp.scale, *hp.range(convention))
                return ({**settings, key: {**values, hp.name: options[index]}}
                        if 0 <= index < len(options) else None)
    return None


def hyperparameter_slider(spec, hp: Hyperparameter, convention, surface, log: KeyLog,
                          on_change: Callable | None = None, prefix: str = "") -> float:
    options = ladder(hp.scale, *hp.range(convention))
    library = hp.default(convention)
    return st.select_slider(
        f"{hp.name} ${hp.symbol}$",
        options=options,
        value=hyperparameter_default(spec, hp, convention, surface),
        format_func=fmt,
        key=log(hp_key(spec, hp.name, prefix), options),
        bind=BIND,
        help=f"{convention} default: {fmt(library)}",
        on_change=on_change,
    )


def optimizer_controls(spec: OptimizerSpec, convention: str, surface: Surface, log: KeyLog,
                       on_slide: Callable | None = None, prefix: str = "") -> dict:
    """The optimizer's sliders and option toggles, keyed under ``prefix``; their values.
    ``on_slide``: the sliders' callback (the playground reruns only its charts: the toggles
    change the rule shown too)."""
    values: dict = {}
    for hp in spec.hyperparameters:
        # a value the formula writes (AdaGrad's G0) reruns the whole group, so the rule redraws
        slide = None if hp.name in spec.formula_hyperparameters else on_slide
        values[hp.name] = hyperparameter_slider(spec, hp, convention, surface, log, slide, prefix)
    for option in spec.options:
        values[option.name] = st.toggle(option.label, value=option.default,
                                        key=log(hp_key(spec, option.name, prefix)), bind=BIND)
    return values


def optimizer_settings(chosen: list[str], convention: str, event=None,
                       prefix: str = "") -> dict[str, dict]:
    """The chosen optimizers' settings as their widgets under ``prefix`` (drawn before, in this
    run or an earlier one) hold them, the dragged value of a live slider's preview ``event`` in
    its place."""
    settings = {}
    for key in chosen:
        spec, values = OPTIMIZERS[key], {}
        for hp in spec.hyperparameters:
            name = hp_key(spec, hp.name, prefix)
            values[hp.name] = previewed(event, name, ladder(hp.scale, *hp.range(convention)),
                                        st.session_state[name])
        for option in spec.options:
            values[option.name] = st.session_state[hp_key(spec, option.name, prefix)]
        settings[key] = values
    return settings


def surface_label(key: str) -> str:
    """A surface as its picker shows it and the link stores it: the short name."""
    return SURFACES[key].short


def optimizer_label(key: str) -> str:
    return OPTIMIZERS[key].short


def surface_picker(log: KeyLog, prefix: str = "",
                   on_change: Callable[[str], None] = reset_for_surface) -> Surface:
    key = st.selectbox("Surface", list(SURFACES), format_func=surface_label,
                       key=log(scoped(prefix, "surface"), label=surface_label, choices=SURFACES),
                       bind=BIND, on_change=on_change, args=(prefix,))
    return SURFACES[key]


def surface_parameter_options(p) -> tuple[list[float], float]:
    """A surface parameter's slider ladder and its default on it."""
    options = ladder("log" if p.log else "linear", p.low, p.high)
    return options, snap(p.default, options)


def surface_parameter_key(surface: Surface, name: str, prefix: str | None = None) -> str:
    """A shape slider's key: ``<surface>.<name>`` (shared by the pages that show any surface) or
    under a lesson's own ``prefix`` (its one fixed surface)."""
    return scoped(prefix or surface.key, name)


def surface_parameters(surface: Surface, log: KeyLog, prefix: str | None = None) -> dict[str, float]:
    """The surface's shape sliders, keyed by ``surface_parameter_key``."""
    values = {}
    for p in surface.params:
        options, default = surface_parameter_options(p)
        key = surface_parameter_key(surface, p.name, prefix)
        values[p.name] = st.select_slider(p.label, options=options, value=default,
                                          format_func=fmt, key=log(key, options), bind=BIND)
    return values


def optimizer_picker(log: KeyLog, prefix: str = "", choices: Mapping | Iterable[str] = OPTIMIZERS,
                     default: Iterable[str] = DEFAULT_OPTIMIZERS) -> list[str]:
    """The optimizers to compare, from ``choices``."""
    return st.multiselect("Optimizers", list(choices), default=list(default),
                          format_func=optimizer_label,
                          key=log(scoped(prefix, "optimizers"), label=optimizer_label,
                                  choices=choices, multiple=True),
                          bind=BIND, placeholder="Choose optimizers to compare",
                          wrap=True)  # in a column the chips would scroll sideways, names cut off


def one_optimizer_picker(log: KeyLog, prefix: str, default: str = DEFAULT_OPTIMIZER,
                         on_change: Callable[[str], None] | None = reset_for_optimizer) -> str:
    """One optimizer, for a page that shows one at a time."""
    return st.selectbox("Optimizer", list(OPTIMIZERS), index=list(OPTIMIZERS).index(default),
                        format_func=optimizer_label, bind=BIND, on_change=on_change, args=(prefix,),
                        key=log(scoped(prefix, "optimizer"), label=optimizer_label,
                                choices=OPTIMIZERS))


def optimizer_tabs(chosen: list[str], log: KeyLog) -> list:
    """One tab per chosen optimizer; the open one is in the link (``tab=Adam``) like every other
    setting on screen (st.tabs binds to the URL since 1.67; its value is the label itself, so
    the tabs show the short names the link uses). Every tab's sliders still run: they feed the
    chart."""
    if not chosen:
        return []
    labels = [optimizer_label(k) for k in chosen]
    return st.tabs(labels, key=log("tab", choices=labels), bind=BIND)


def convention_picker(log: KeyLog, prefix: str = "",
                      on_change: Callable[[str], None] = reset_for_convention) -> str:
    return st.radio("Convention", CONVENTIONS, horizontal=True, key=log(scoped(prefix, "convention")),
                    bind=BIND, on_change=on_change, args=(prefix,),
                    help="Which library's exact formulas and defaults to reproduce.")


def click_to_start_toggle(log: KeyLog) -> bool:
    return st.toggle("click the map to set the start", key=log("pick"), bind=BIND,
                     help="Makes the overlay map clickable: a click moves the start there.")


def start_bounds(surface: Surface) -> tuple[tuple[float, float], tuple[float, float]]:
    """Where a start may lie: outside the drawn domain by one domain width, never unboundedly far."""
    return tuple((low - (high - low), high + (high - low)) for low, high in surface.domain)


def start_inputs(surface: Surface, log: KeyLog) -> tuple[float, float]:
    cols = st.columns(2)
    x_range, y_range = start_bounds(surface)
    x = cols[0].number_input("start x", *x_range, value=surface.start[0], step=0.1, format="%.3f",
                             key=log("x0", bounds=x_range), bind=BIND)
    y = cols[1].number_input("start y", *y_range, value=surface.start[1], step=0.1, format="%.3f",
                             key=log("y0", bounds=y_range), bind=BIND)
    return float(x), float(y)


def noise_controls(log: KeyLog) -> tuple[float, int, int, int]:
    noise_options = [0.0] + ladder("log", 0.01, 100.0)
    sigma = st.select_slider("gradient noise σ", options=noise_options,
                             value=0.0, format_func=fmt, key=log("noise", noise_options), bind=BIND,
                             help="Per-sample gradient noise; a mini-batch of B samples averages it "
                                  "down to σ/√B.")
    batch = st.select_slider("batch size B", options=BATCH_CHOICES, value=1,
                             key=log("batch", BATCH_CHOICES), bind=BIND)
    cols = st.columns(2)
    ensemble = cols[0].selectbox("ensemble (seeds)", ENSEMBLE_CHOICES, key=log("ensemble"),
                                 bind=BIND)
    seed = cols[1].number_input("seed", 0, 1_000_000, value=0, step=1,
                                key=log("seed", bounds=(0, 1_000_000)), bind=BIND)
    return float(sigma), int(batch), int(ensemble), int(seed)


def clip_controls(log: KeyLog) -> tuple[str, float] | None:
    kind = st.radio("Gradient clipping", ("none",) + CLIP_KINDS, horizontal=True, key=log("clip"),
                    bind=BIND)
    clip_options = ladder("log", 1e-3, 1e3)
    threshold = st.select_slider("clip threshold c", options=clip_options, value=1.0,
                                 format_func=fmt, key=log("clip_c", clip_options), bind=BIND,
                                 disabled=kind == "none")
    return None if kind == "none" else (kind, float(threshold))


def steps_picker(log: KeyLog) -> int:
    return st.select_slider("steps", options=STEP_CHOICES, value=DEFAULT_STEPS,
                            key=log("steps", STEP_CHOICES), bind=BIND)


def playground_link(spec: OptimizerSpec, surface: Surface, convention: str, steps: int,
                    hyperparameters: dict[str, float], surface_params: dict[str, float],
                    extra: tuple[dict, dict, dict] = ({}, {}, {})) -> str:
    """The playground's canonical link showing one optimizer (the hyperparameter map's "Open this
    setting"): the widgets' keys, spellings and defaults above, written by url_state.link.
    ``extra``: another group's (values, defaults, labels), e.g. schedule_controls.link_entries."""
    # A presenting teacher stays in presenter mode in the playground (the switch's link form).
    values = {"surface": surface.key, "optimizers": [spec.key], "steps": steps,
              "convention": convention, presenter.KEY: presenter.active()}
    defaults = {"surface": DEFAULT_SURFACE, "optimizers": DEFAULT_OPTIMIZERS, "steps": DEFAULT_STEPS,
                "convention": CONVENTIONS[0], presenter.KEY: False}
    labels = {"surface": surface_label, "optimizers": optimizer_label}
    for hp in spec.hyperparameters:
        if hp.name in hyperparameters:
            key = hp_key(spec, hp.name)
            values[key], labels[key] = hyperparameters[hp.name], fmt
            defaults[key] = hyperparameter_default(spec, hp, convention, surface)
    for p in surface.params:
        key = surface_parameter_key(surface, p.name)
        values[key], labels[key] = surface_params[p.name], fmt
        defaults[key] = surface_parameter_options(p)[1]
    return url_state.link(values | extra[0], defaults | extra[1], labels | extra[2])
