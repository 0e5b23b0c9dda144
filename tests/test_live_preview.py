"""The drag-preview route (components/live_preview.py): what it answers, to whom, and when not.

The route's handler is called as the ASGI server calls it (a starlette Request), so no HTTP
client is needed; the browser side is tests/test_browser_live_slider.py.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlencode

import pytest
from starlette.requests import Request

from components import live_preview


@pytest.fixture
def offers(monkeypatch):
    """An empty registry, restored afterwards (it is the process's)."""
    monkeypatch.setattr(live_preview, "_offers", type(live_preview._offers)())
    return live_preview._offers


def ask(**query) -> tuple[int, object]:
    scope = {"type": "http", "method": "GET", "path": "/" + live_preview.ROUTE, "headers": [],
             "query_string": urlencode(query).encode()}
    response = asyncio.run(live_preview._answer(Request(scope)))
    return response.status_code, json.loads(response.body)


def test_an_offer_is_answered_for_its_token_group_slider_and_option(offers):
    seen = []

    def draw(slider, index):
        seen.append((slider, index))
        return json.dumps({"data": [{"x": [index]}]}) if slider == "st-key-lr" else None

    offers[("token-a", "playground")] = draw
    status, body = ask(token="token-a", group="playground", slider="st-key-lr", index=7)
    assert status == 200 and body == {"data": [{"x": [7]}]}
    assert seen == [("st-key-lr", 7)]
    # Another slider the offer does not know, another session's token, another group: nothing.
    assert ask(token="token-a", group="playground", slider="st-key-b1", index=7)[0] == 404
    assert ask(token="token-b", group="playground", slider="st-key-lr", index=7)[0] == 404
    assert ask(token="token-a", group="other", slider="st-key-lr", index=7)[0] == 404
    assert len(seen) == 2  # the unknown token and group never reached the offer


@pytest.mark.parametrize("query", [
    {},
    {"token": "t", "group": "g", "slider": "s"},
    {"token": "t", "group": "g", "slider": "s", "index": "-1"},
    {"token": "t", "group": "g", "slider": "s", "index": "1e3"},
    {"token": "t", "group": "g", "slider": "s", "index": "nan"},
    {"token": "t", "group": "g", "slider": "s", "index": "9" * 40},
    {"token": "", "group": "g", "slider": "s", "index": "1"},
])
def test_a_malformed_question_gets_a_clear_400_and_reaches_no_offer(offers, query):
    offers[("t", "g")] = lambda slider, index: pytest.fail("a malformed question was drawn")
    status, body = ask(**query)
    assert status == 400 and "index" in body["error"]


def test_the_registry_keeps_the_newest_offers_only(offers, monkeypatch):
    monkeypatch.setattr(live_preview, "MAX_OFFERS", 3)
    monkeypatch.setattr(live_preview, "endpoint", lambda: {"url": "/x", "token": token})
    for token in ("s1", "s2", "s3", "s1", "s4"):  # s1 offered again: newest before s4
        live_preview.offer("g", lambda slider, index, token=token: token)
    assert [t for t, _ in offers] == ["s3", "s1", "s4"]
    assert live_preview.answer("s1", "g", "x", 0) == "s1"
    assert live_preview.answer("s2", "g", "x", 0) is None


def test_without_the_route_nothing_is_offered_and_watchers_use_triggers(offers, monkeypatch):
    """A plain ``streamlit run app.py`` (or AppTest) has no route: no endpoint, no offers."""
    monkeypatch.setattr(live_preview, "_route_path", None)
    assert live_preview.endpoint() is None
    live_preview.offer("g", lambda slider, index: "{}")
    assert not offers


def test_the_route_lives_under_the_servers_base_url_path(monkeypatch):
    monkeypatch.setattr(live_preview, "_route_path", None)
    assert [r.path for r in live_preview.routes("/class/")] == ["/class/" + live_preview.ROUTE]
    assert [r.path for r in live_preview.routes(None)] == ["/" + live_preview.ROUTE]
