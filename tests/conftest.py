import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("JAX_PLATFORMS", "cpu")


def _uses_browser(item) -> bool:
    return "test_browser" in item.nodeid or "browser" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config, items):
    """Browser tests run last: by then the AppTests have filled JAX's persistent compilation
    cache (app.py points it at .jax_cache), so the served app compiles little, and cold-start
    timing does not decide whether a page visit times out. Run together, they share one server
    and one chromium (the session fixtures below): each module starting its own cost a server
    start and a cold first page per module."""
    items.sort(key=_uses_browser)


@pytest.fixture(scope="session")
def server():
    """The app, served once for every browser test (tests/browser.py: its log, its shutdown)."""
    from browser import streamlit_server

    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """One chromium for every browser test; each test opens its own context (no shared state)."""
    from browser import launch_chromium
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = launch_chromium(p)
        yield chromium
        chromium.close()


@pytest.fixture
def page(request, browser):
    """A fresh context and page for one test, closed after it. Its console and page errors go to
    the test module's ``ERRORS`` (a tests/browser.py ErrorLog, so a module can also check them
    all at its end), and the test fails if it logged any."""
    from tests.browser import ErrorLog, new_page

    errors = getattr(request.module, "ERRORS", None) or ErrorLog()
    mark = len(errors.errors)
    pg = new_page(browser, errors)
    yield pg
    pg.context.close()
    assert errors.since(mark) == [], "console/page errors during this test"
