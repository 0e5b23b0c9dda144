"""components/live_slider.py without a browser: which value a run draws for a preview trigger,
and the drag watchers in a page (AppTest runs no JavaScript, so no preview ever arrives there:
every slider reads its committed value). tests/test_browser_live_slider.py drags for real."""

from __future__ import annotations

import json

import pytest

from components.live_slider import css_class, previewed
from tests.apptest_util import assert_clean, open_app

WATCHER = "descent_lab.live_slider"

OPTIONS = [0.001, 0.002, 0.005, 0.01, 0.02]


KEY = "adam.learning_rate"
ME, OTHER = css_class(KEY), css_class("adam.b1")


@pytest.mark.parametrize("event, expected", [
    (None, 0.005),                                             # no drag this run
    ({"slider": ME, "index": 1, "base": 2}, 0.002),            # dragged from 0.005 to 0.002
    ({"slider": ME, "index": 2, "base": 2}, 0.005),            # dragged back over the start
    ({"slider": ME, "index": None, "base": 2}, 0.005),         # released where it began: taken back
    ({"slider": ME, "index": 4, "base": 0}, 0.005),            # its base is not the committed
                                                               # value: the release's commit has
                                                               # arrived, stale preview
    ({"slider": OTHER, "index": 1, "base": 2}, 0.005),         # another slider of the group
    ({"index": 1, "base": 2}, 0.005),                          # no slider named
    ({"slider": KEY, "index": 1, "base": 2}, 0.005),           # the key, not its class
    ({"slider": ME, "index": 5, "base": 2}, 0.005),            # off the ladder
    ({"slider": ME, "index": -1, "base": 2}, 0.005),
    ({"slider": ME, "index": 1.0, "base": 2}, 0.005),          # not an index
    ({"slider": ME, "index": True, "base": 2}, 0.005),
    ({"slider": ME, "index": "1", "base": 2}, 0.005),
    ({"slider": ME, "index": 1}, 0.005),                       # no base
    ([1, 2], 0.005),
])
def test_previewed(event, expected):
    assert previewed(event, KEY, OPTIONS, 0.005) == expected


def test_css_class_is_streamlits_key_class():
    # The frontend's rule: "st-key-" + key.trim() with every character outside [A-Za-z0-9_-]
    # replaced by "-" (tests/test_browser*.py select widgets by it).
    assert css_class("momentum.learning_rate") == "st-key-momentum-learning_rate"
    assert css_class(" mom.β ") == "st-key-mom--"
    assert css_class("a-b_c9") == "st-key-a-b_c9"


def watchers(at) -> list[list[str]]:
    """The page's drag watchers, each as the slider classes it watches, in page order."""
    found = []

    def walk(node):
        for child in getattr(node, "children", {}).values():
            if (getattr(child, "type", None) == "bidi_component"
                    and child.proto.component_name == WATCHER):
                found.append(json.loads(child.proto.json)["sliders"])
            walk(child)

    walk(at._tree)
    return found


def watched_sliders(at) -> list[str]:
    return [slider for group in watchers(at) for slider in group]


def test_playground_watches_the_learning_rates_and_decays_and_keeps_committed_values():
    at = open_app()
    assert_clean(at)
    watched = watched_sliders(at)
    # Default optimizers: momentum, RMSProp and Adam; their learning rates and decays are live.
    assert {css_class(k) for k in ("momentum.learning_rate", "momentum.momentum",
                                   "rmsprop.learning_rate", "rmsprop.decay",
                                   "adam.learning_rate", "adam.b1", "adam.b2")} <= set(watched)
    assert len(watched) == len(set(watched))
    assert len(watchers(at)) == 1, "one watcher for the whole group, not one per slider"
    assert not any(c.endswith(("-eps", "-weight_decay")) for c in watched)
    # No drag, no preview: a slider moved by AppTest keeps its committed value (the frontend,
    # not AppTest, writes the link: test_browser_live_slider checks it).
    at.select_slider(key="momentum.learning_rate").set_value(0.01).run()
    assert_clean(at)
    assert at.session_state["momentum.learning_rate"] == 0.01


def test_momentum_lesson_watches_its_rate_and_beta():
    at = open_app(page="app_pages/momentum.py")
    assert_clean(at)
    assert {css_class("mom.lr"), css_class("mom.beta")} <= set(watched_sliders(at))
