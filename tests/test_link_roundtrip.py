"""Issue 10, "Links": the link the app writes reproduces the view, on every page.

For a random state of a page's widgets (drawn by Hypothesis from the options each widget offers:
select-sliders, multiselects, selectboxes, radios, segmented controls, toggles, number inputs,
sliders, the playground's optimizer tab and a lesson's section tab), written as each widget's own
option labels, the page is opened with that state; the query string the app leaves in the
address bar is opened in a FRESH AppTest session, which must show the same widget values, the
same chart data (every plotly chart and live chart figure) and the same address bar, with no link
warning.

The state is set through a link, not by clicking: after a click the browser's front end writes
the URL itself and AppTest never sees it (its backend copy is refreshed only on programmatic
changes), so the address bar AppTest reports is the one the app writes when a view is opened.

Bounded: one derandomized example per page (no example database, no shrinking), so the file
costs about a page load and a half per page; on the network pages, which retrain for any new
state, the example changes one widget instead of all; the three fastest pages get two more.
"""

import math
from pathlib import Path

import pytest
from apptest_util import assert_clean, charts, open_app, texts
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from app_pages import NETWORK_PAGES

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(p.stem for p in (ROOT / "app_pages").glob("*.py") if p.stem != "__init__")
# A network page trains for every new state (tens of seconds each here): one widget changes.
NETWORK = {Path(name).stem for name, *_ in NETWORK_PAGES}
CHEAP = {"playground", "step_inspector", "cliff_clipping"}  # a second and third example: ~2 s each
CHOICE_KINDS = ("select_slider", "selectbox", "radio", "button_group")


def open_page(page: str, query: dict | None = None):
    return open_app(query, page=None if page == "playground" else f"app_pages/{page}.py")


_DEFAULTS: dict = {}


def defaults(page: str):
    """The page as first opened (once per page: its widgets are what a state is drawn from)."""
    if page not in _DEFAULTS:
        _DEFAULTS[page] = open_page(page)
        assert_clean(_DEFAULTS[page])
    return _DEFAULTS[page]


def keyed(at, kind: str):
    return [w for w in getattr(at, kind) if w.key]


def number_strategy(proto, integer: bool):
    low, high = proto.min, proto.max
    if integer:
        return st.integers(int(low), min(int(high), int(low) + 10_000)).map(str)
    return st.floats(low, high, allow_nan=False).map(lambda v: repr(round(v, 3)))


def link_strategy(at, one: bool = False) -> st.SearchStrategy[dict]:
    """A link naming a random value for each of the page's widgets (``one``: for one widget),
    each written as the widget's own option label (or a number in range)."""
    parts = {}
    for kind in CHOICE_KINDS:
        for w in keyed(at, kind):
            parts[w.key] = st.sampled_from(w.options)
    for w in keyed(at, "multiselect"):
        cap = min(3, w.max_selections or 3)
        parts[w.key] = st.lists(st.sampled_from(w.options), min_size=1, max_size=cap, unique=True)
    for w in keyed(at, "toggle"):
        parts[w.key] = st.sampled_from(["true", "false"])
    for w in keyed(at, "number_input"):
        parts[w.key] = number_strategy(w.proto, w.proto.data_type == w.proto.INT)
    for w in keyed(at, "slider"):
        parts[w.key] = number_strategy(w.proto, w.proto.data_type == w.proto.INT)
    for key in section_keys(at):  # a lesson's open section (components/lesson_sections.py)
        parts[key] = st.sampled_from([t.label for t in at.tabs])
    # Every widget is named: Hypothesis's first (simplest) example is then each widget's first
    # option, a real non-default state, which matters where a page gets a single example.
    chosen = st.fixed_dictionaries(parts)
    if one:
        chosen = st.sampled_from(sorted(parts)).flatmap(lambda k: parts[k].map(lambda v: {k: v}))
    if "tab" in at.session_state:  # the playground's optimizer tab: one of the chosen optimizers
        chosen = chosen.flatmap(lambda link: st.sampled_from(
            link.get("optimizers") or [t.label for t in at.tabs]).map(lambda t: link | {"tab": t}))
    return chosen


def view(at) -> dict:
    """What is on screen: every keyed widget's value (and the bound tab)."""
    values = {w.key: w.value for kind in (*CHOICE_KINDS, "multiselect", "toggle", "number_input",
                                          "slider") for w in keyed(at, kind)}
    for key in ["tab", *section_keys(at)]:
        if key in at.session_state:
            values[key] = at.session_state[key]
    return values


def section_keys(at) -> list[str]:
    """The link keys of a lesson page's section tabs (``<prefix>.section``)."""
    return [key for key in at.session_state if key.endswith(".section")]


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def check_round_trip(page: str, data) -> None:
    link = data.draw(link_strategy(defaults(page), one=page in NETWORK), label="link")
    at = open_page(page, link)
    assert_clean(at)
    written = dict(at.query_params)
    fresh = open_page(page, written)
    assert_clean(fresh)
    assert view(fresh) == view(at)
    assert same(charts(fresh), charts(at)), "the same link drew different chart data"
    assert dict(fresh.query_params) == dict(at.query_params), "the address bar changed on reload"
    assert not [w for w in texts(fresh, "warning") if w.startswith("Part of this link")]


ROUND_TRIP = settings(deadline=None, derandomize=True, database=None, phases=[Phase.generate],
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("page", PAGES)
@settings(ROUND_TRIP, max_examples=1)
@given(data=st.data())
def test_the_written_link_reproduces_the_view(page, data):
    check_round_trip(page, data)


@pytest.mark.parametrize("page", sorted(CHEAP))
@settings(ROUND_TRIP, max_examples=3)
@given(data=st.data())
def test_the_written_link_reproduces_the_view_more_often_on_fast_pages(page, data):
    check_round_trip(page, data)
