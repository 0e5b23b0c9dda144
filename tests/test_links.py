"""Issue 10, "Links": repeated and mixed entries, infinite integers, markdown in the link warning,
the address bar keeping the view, and a bounded fuzz of all of it.

The link checker's pieces are tested as pure functions with Hypothesis (cheap); a few AppTest runs
prove the wiring on real pages. Slow network pages are covered by the structural test instead:
every number input routes through the one KeyLog guard.
"""

import ast
import re
import types
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from apptest_util import assert_clean, open_app, texts
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from components import key_log, url_state
from optimizers import OPTIMIZERS

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(p.stem for p in (ROOT / "app_pages").glob("*.py") if p.stem != "__init__")
PAGE = {name: f"app_pages/{name}.py" for name in PAGES if name != "playground"}
HEADER = "Part of this link could not be applied as written:  "
# The same characters url_state escapes, written out again so the test does not trust the code.
MARKUP = set("\\`*_[](){}<>#!|~$:&@^\"'")


# Patterns Streamlit's markdown finds in text even after escapes are resolved (GFM's bare URLs and
# e-mails, :emoji:, :color[...] and :material/icon:); JavaScript's \w is ASCII.
RENDERED = re.compile(r"https?:/|www\.|[-.\w+]+@[-\w]|:[\w/-]+[:\[]", re.ASCII | re.IGNORECASE)
ZWSP = "\u200b"


def inert(md: str) -> bool:
    """Whether markdown text can only render as plain text: one line, every character that could
    open markup backslash-escaped, and none of the patterns matched in resolved text."""
    if any(not ch.isprintable() for ch in md.replace(ZWSP, "")):
        return False
    plain = re.sub(r"\\.", " ", md)  # escaped characters are literal
    intraword = {i for i, ch in enumerate(plain) if ch == "_" and 0 < i < len(plain) - 1
                 and plain[i - 1].isalnum() and plain[i + 1].isalnum()}  # no emphasis there
    loose = {ch for i, ch in enumerate(plain) if i not in intraword}
    return not (loose & MARKUP) and not RENDERED.search(re.sub(r"\\(.)", r"\1", md))


def warning_lines(at) -> list[str]:
    found = [w for w in texts(at, "warning") if w.startswith("Part of this link")]
    return found[0].split("\n") if found else []


def assert_warning_inert(lines: list[str]) -> None:
    """The link warning: the fixed header, then one bullet per problem whose link text is inert."""
    assert lines[0] == HEADER
    for line in lines[1:]:
        m = re.fullmatch(r"- “(.*)” (?:does not apply here|is invalid or out of range: using (.*))",
                         line)
        assert m, line
        assert all(inert(part) for part in m.groups() if part is not None), line


# --- 1. repeated entries ------------------------------------------------------------------------

@pytest.mark.parametrize("query,page,key,expected", [
    ({"optimizers": ["adam", "ADAM"]}, None, "optimizers", ["adam"]),
    ({"saddle.optimizers": ["rmsprop", "RMSPROP", "sgd"]}, "saddle_escape", "saddle.optimizers",
     ["rmsprop", "sgd"]),
    ({"ar.optimizers": ["adam", "adam"]}, "adaptive_rates", "ar.optimizers", ["adam"]),
])
def test_repeated_entries_collapse_to_one_with_a_warning(query, page, key, expected):
    at = open_app(query, page=PAGE.get(page))
    assert_clean(at)  # was StreamlitDuplicateElementKey
    assert at.session_state[key] == expected
    assert any(key in line for line in warning_lines(at))
    in_url = [OPTIMIZERS[k].short for k in expected]
    assert at.query_params[key] == (in_url if len(in_url) > 1 else in_url[0])  # each once


@given(st.lists(st.sampled_from(list(OPTIMIZERS)), min_size=1, max_size=8),
       st.lists(st.sampled_from(["key", "label", "upper", "lower"]), min_size=8, max_size=8))
def test_choices_any_form_any_case_each_once(keys, forms):
    label = lambda k: OPTIMIZERS[k].short  # noqa: E731
    spell = {"key": lambda k: k, "label": label, "upper": lambda k: label(k).upper(),
             "lower": lambda k: label(k).lower()}
    raw = [spell[f](k) for k, f in zip(keys, forms)]
    assert key_log._choices(raw, OPTIMIZERS, label, multiple=True) == list(dict.fromkeys(keys))
    single = key_log._choices(raw, OPTIMIZERS, label, multiple=False)
    assert single == (keys[0] if len(set(keys)) == 1 else None)


# --- 2. key and label forms mixed ---------------------------------------------------------------

def test_mixed_key_and_label_forms_are_both_accepted():
    at = open_app({"optimizers": ["sgd", "Adam"]})
    assert_clean(at)
    assert at.session_state["optimizers"] == ["sgd", "adam"]  # old code dropped SGD
    assert not texts(at, "warning")


# --- 3. infinite integers -----------------------------------------------------------------------

@pytest.mark.parametrize("query,page", [
    ({"seed": "inf"}, None),
    ({"ar.seed": "1e309"}, "adaptive_rates"),
    ({"si.seed": "-inf", "si.step": "inf"}, "step_inspector"),
    ({"clip.step": "9" * 400, "clip.x0": "-inf"}, "cliff_clipping"),
])
def test_infinite_integers_fall_back_with_a_warning(query, page):
    at = open_app(query, page=PAGE.get(page))
    assert_clean(at)  # was OverflowError inside Streamlit
    lines = warning_lines(at)
    for key in query:
        assert any(url_state.escape(key) in line for line in lines), key
        assert key not in at.query_params  # dropped from the address bar


def number_input_calls():
    for path in [*ROOT.glob("app_pages/*.py"), *ROOT.glob("components/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "number_input"):
                yield path.name, node


def test_every_number_input_goes_through_the_keylog_guard():
    """The guard lives in KeyLog (one place): every number input on every page must give its key
    through ``log(..., bounds=...)`` so ``seed=inf`` never reaches Streamlit's int()."""
    calls = list(number_input_calls())
    assert len(calls) >= 10
    for name, call in calls:
        key = next((k.value for k in call.keywords if k.arg == "key"), None)
        assert isinstance(key, ast.Call) and getattr(key.func, "id", None) == "log", name
        assert any(k.arg == "bounds" for k in key.keywords), name


# --- 4. markdown in the warning -----------------------------------------------------------------

@given(st.text(max_size=300))
def test_escaped_link_text_is_inert_and_short(text):
    shown = url_state.escape(text)
    assert inert(shown)
    assert len(re.sub(r"\\(.)", r"\1", shown).replace(ZWSP, "")) <= 41  # 40 and an ellipsis


def test_markdown_and_html_in_a_link_render_as_text():
    query = {"`x`\n# Heading": "1", "seed": "[click](http://evil.example)\n\n# big",
             "steps": "<script>alert(1)</script>", "k" * 300: "www.evil.example $x$ :red[hi]"}
    at = open_app(query)
    assert_clean(at)
    lines = warning_lines(at)
    assert len(lines) == 1 + len(query)
    assert_warning_inert(lines)
    assert all(len(line) < 200 for line in lines), "keys are truncated too"


# --- 5. the address bar keeps the view ----------------------------------------------------------

def test_a_registry_key_link_keeps_its_view_in_the_address_bar():
    at = open_app({"surface": "rosenbrock", "optimizers": ["sgd", "adam"],
                   "adam.learning_rate": "0.0123"})
    assert_clean(at)
    view = {k: at.session_state[k] for k in ("surface", "optimizers", "adam.learning_rate")}
    assert view == {"surface": "rosenbrock", "optimizers": ["sgd", "adam"],
                    "adam.learning_rate": 0.015}
    assert at.query_params["surface"] == "Rosenbrock"  # was dropped: reload opened the defaults
    reloaded = open_app(dict(at.query_params))
    assert {k: reloaded.session_state[k] for k in view} == view
    assert not texts(reloaded, "warning")


# --- 6. fuzz --------------------------------------------------------------------------------------

GOOD = {"optimizers": ["sgd", "Adam", "RMSProp", "momentum"], "surface": ["Rosenbrock", "ravine"],
        "seed": ["3", "0"], "steps": ["100", "500"], "adam.learning_rate": ["0.01", "0.1"],
        "x0": ["1.5", "-2"], "noise": ["0.5"], "ar.seed": ["7"], "si.seed": ["2"],
        "mv.optimizers": ["adam", "Lion"], "mom.betas": ["0.9", "0.5"], "clip.step": ["3"]}
NASTY = st.one_of(
    st.sampled_from(["inf", "-inf", "nan", "1e309", "-1e400", "9" * 400, "0x10",
                     "[a](http://x.y)", "`code`\n# h", "<script>alert(1)</script>", "www.x.org",
                     "$x$", ":red[hi]", "**b**", "\u202eevil", "‮", "日本語", "🙂"]),
    st.text(min_size=1, max_size=60).map(lambda s: "¤" + s),  # "¤": never a number or option
)
GARBAGE_KEY = st.text(min_size=1, max_size=80).map(lambda s: "zz" + s)
# An entry is (key, values, must_be_named).
TINY = st.sampled_from(["1e-320", "5e-324", "-0", "1e-12"])  # usable (they round to 0)
ENTRY = st.one_of(
    st.tuples(st.sampled_from(sorted(GOOD)), st.lists(TINY, min_size=1, max_size=2),
              st.just(False)),
    st.sampled_from(sorted(GOOD)).flatmap(
        lambda k: st.lists(st.sampled_from(GOOD[k]), min_size=1, max_size=3).map(
            lambda v: (k, v, False))),
    st.tuples(st.sampled_from(sorted(GOOD)), st.lists(NASTY, min_size=1, max_size=3),
              st.just(True)),
    st.tuples(GARBAGE_KEY, st.lists(NASTY | st.sampled_from(["1", "adam"]), min_size=1,
                                    max_size=2), st.just(True)),
)


def link_of(entries) -> dict[str, list[str]]:
    return {key: values for key, values, _ in entries}


@settings(max_examples=300, deadline=None)
@given(st.lists(ENTRY, max_size=8, unique_by=lambda e: e[0]),
       st.dictionaries(st.sampled_from(sorted(GOOD)), st.one_of(
           st.integers(), st.floats(), st.text(max_size=20), st.lists(st.text(max_size=5)))))
def test_link_checker_names_every_unusable_parameter_as_text(entries, values):
    """The pure link checker against any link and any widget values: never raises, every line is
    inert, and every garbage key or value is named."""
    session = types.SimpleNamespace(session_state=values)
    real, url_state.st = url_state.st, session
    try:
        found = url_state.problems(link_of(entries), list(GOOD), {"optimizers": str})
    finally:
        url_state.st = real
    assert_warning_inert([HEADER] + [f"- {line}" for line in found])
    for key, _, must in entries:
        if must:
            assert any(line.startswith(f"“{url_state.escape(key)}") for line in found), key


@given(st.lists(NASTY | st.sampled_from(["3", "12", "-5", "1e5"]), min_size=1, max_size=3),
       st.sampled_from([(None, (0, 1_000_000)), (None, (-7.0, 7.0)), ((0.001, 0.01, 0.1, 1.0), None)]))
def test_number_parsing_is_finite_and_in_range(raw, kind):
    options, bounds = kind  # a widget has a ladder of options or a range, not both
    value = key_log._coerce(raw[0], options, bounds)
    if value is None:
        return
    assert value == value and abs(value) < float("inf")
    if bounds:
        assert bounds[0] <= value <= bounds[1]
        assert isinstance(value, int) == all(isinstance(b, int) for b in bounds)
    if options:
        assert value in options


@pytest.mark.parametrize("page", PAGES)
@settings(max_examples=2, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(entries=st.lists(ENTRY, min_size=2, max_size=6, unique_by=lambda e: e[0]))
def test_fuzzed_links_never_break_a_page(page, entries):
    """Every page under AppTest with fuzzed links (two fixed examples each, no shrinking: a page
    load costs seconds): no exception, an inert warning naming every garbage parameter."""
    at = open_app(link_of(entries), page=PAGE.get(page))
    assert_clean(at)
    lines = warning_lines(at)
    if any(must for *_, must in entries):
        assert_warning_inert(lines)
    for key, _, must in entries:
        if must:
            assert any(line.startswith(f"- “{url_state.escape(key)}") for line in lines), key


# --- 7. one canonical link form -------------------------------------------------------------------

def as_lists(query) -> dict[str, list[str]]:
    return {k: v if isinstance(v, list) else [v] for k, v in dict(query).items()}


def test_the_link_builder_writes_the_widgets_own_form_and_leaves_defaults_out():
    values = {"surface": "rosenbrock", "optimizers": ["sgd", "adam"], "pick": True, "x0": 5.0,
              "steps": 300, "adam.b1": 0.5, "seed": 3}
    defaults = {"surface": "ravine", "steps": 300, "optimizers": ("sgd", "adam"), "seed": 0}
    labels = {"surface": lambda k: k.title(), "optimizers": str.upper, "adam.b1": lambda v: "½"}
    query = parse_qs(urlsplit(url_state.link(values, defaults, labels)).query)
    assert query == {"surface": ["Rosenbrock"], "pick": ["true"], "x0": ["5"], "adam.b1": ["½"],
                     "seed": ["3"]}
    assert url_state.link({"steps": 300}, {"steps": 300}, page="momentum") == "./momentum"


def test_the_maps_playground_link_stays_in_the_address_bar_unchanged():
    """The map's "Open this setting in the playground" link, opened, shows that setting and the
    address bar keeps it as it is (it used to drop ``optimizers``: a reload lost the view)."""
    at = open_app({"hm.surface": "Rosenbrock", "hm.optimizer": "Adam", "hm.n": "10",
                   "adam.learning_rate": "0.1", "hm.convention": "optax"},
                  page=PAGE["hyperparameter_map"])
    assert_clean(at)
    url = next(b.proto.url for b in at.get("link_button") if "playground" in b.proto.label)
    link = parse_qs(urlsplit(url).query)
    assert link["optimizers"] == ["Adam"] and link["adam.learning_rate"] == ["0.1"]
    opened = open_app(link)
    assert_clean(opened)
    assert not texts(opened, "warning")
    assert (opened.session_state["surface"], opened.session_state["optimizers"]) == ("rosenbrock", ["adam"])
    assert opened.session_state["adam.learning_rate"] == 0.1
    assert as_lists(opened.query_params) == link


def test_the_maps_playground_link_keeps_presenter_mode():
    """A presenting teacher who opens the map's setting in the playground is still presenting;
    without ``present`` in the map's link, the playground link leaves it out."""
    query = {"hm.surface": "Rosenbrock", "hm.optimizer": "Adam", "hm.n": "10"}
    for present, expected in (("1", ["true"]), (None, None)):
        at = open_app({**query, "present": present} if present else query,
                      page=PAGE["hyperparameter_map"])
        assert_clean(at)
        url = next(b.proto.url for b in at.get("link_button") if "playground" in b.proto.label)
        assert parse_qs(urlsplit(url).query).get("present") == expected


def test_a_step_inspector_registry_key_link_keeps_its_view():
    at = open_app({"si.optimizer": "adam", "si.surface": "rosenbrock"}, page=PAGE["step_inspector"])
    assert_clean(at)
    assert (at.session_state["si.optimizer"], at.session_state["si.surface"]) == ("adam", "rosenbrock")
    assert as_lists(at.query_params) == {"si.optimizer": ["Adam"], "si.surface": ["Rosenbrock"]}
    assert not texts(at, "warning")


def test_the_open_optimizer_tab_is_in_the_link():
    at = open_app({"optimizers": ["sgd", "adam", "lion"], "tab": "ADAM"})
    assert_clean(at)
    assert at.session_state["tab"] == "Adam"
    assert at.query_params["tab"] == "Adam"  # the tab's own form, as a click on it writes
    assert not texts(at, "warning")
    unknown = open_app({"optimizers": ["sgd", "adam"], "tab": "lion"})  # not a chosen optimizer
    assert_clean(unknown)
    assert unknown.session_state["tab"] == "SGD" and "tab" not in unknown.query_params
    assert any("tab=lion" in line for line in warning_lines(unknown))


def test_parameters_no_widget_used_leave_the_address_bar_after_the_warning():
    at = open_app({"optimizers": "sgd", "adam.b1": "0.5", "zzz": "1"})
    assert_clean(at)
    assert len(warning_lines(at)) == 3  # both named once
    assert as_lists(at.query_params) == {"optimizers": ["SGD"]}
