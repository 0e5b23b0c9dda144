import os
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("JAX_PLATFORMS", "cpu")

# JAX's persistent compilation cache, from the first compile on: the same programs are compiled
# by each xdist worker, by the AppTests' app runs and by every server the tests start (they get
# these variables; app.py points at the same .jax_cache), so a program compiled once is read back
# elsewhere instead of compiled again, from the first run of a fresh clone on. Threshold 0: most
# of the suite's programs compile in well under JAX's default 1 s, and those are the many.
# Set before jax is imported (it reads the variables then); setdefault lets a run point elsewhere.
JAX_CACHE = Path(os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(ROOT / ".jax_cache")))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
# Bounded on disk (optimizers/jax_cache.py): pruned once per run, in the controller.
from optimizers import jax_cache  # noqa: E402  (after the variables: jax reads them at import)


def _uses_browser(item) -> bool:
    return "test_browser" in item.nodeid or "browser" in getattr(item, "fixturenames", ())


def pytest_configure(config):
    if not hasattr(config, "workerinput"):  # once per run: in the controller, not in each worker
        jax_cache.prune(JAX_CACHE)


def pytest_collection_modifyitems(config, items):
    """Browser tests run together and last in each process: a process starts one server and one
    chromium for all the browser tests it runs (the session fixtures below), and in a single
    process the AppTests have by then filled JAX's persistent cache. Under xdist each worker
    tells the scheduler below which tests those are."""
    items.sort(key=_uses_browser)
    if hasattr(config, "workerinput"):
        browser_ids = "\n".join(item.nodeid for item in items if _uses_browser(item))
        Path(config.workerinput["browser_tests"]).write_text(browser_ids)


# pytest-xdist (``make test`` runs ``-n 2 --dist loadfile``). Its scheduler learns only test ids,
# so the workers write the browser tests' ids to a file of this run that the controller names.
BROWSER_TESTS = pytest.StashKey[Path]()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    stash = node.config.stash
    if BROWSER_TESTS not in stash:
        stash[BROWSER_TESTS] = Path(tempfile.mkdtemp(prefix="descent-xdist-")) / "browser-tests"
    node.workerinput["browser_tests"] = str(stash[BROWSER_TESTS])


def pytest_unconfigure(config):
    if BROWSER_TESTS in config.stash:
        shutil.rmtree(config.stash[BROWSER_TESTS].parent, ignore_errors=True)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile`` (each module one unit, so its module-scoped fixtures are computed
    once), with the modules that use the browser queued first, most browser tests first: each
    browser test loads pages, so those are the longest units (the layout walk, then
    test_browser.py's navigation walk), and both workers start on one. Each worker starts its own
    server and chromium for the browser modules it is given (the session fixtures below); the two
    servers share JAX's persistent compilation cache. Behind them come the other modules, most
    tests first (xdist's default)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class BrowserFirst(LoadFileScheduling):
        def _assign_work_unit(self, node) -> None:
            if not hasattr(self, "_browser_first"):  # once all workers have collected
                browser_tests = Counter(
                    nodeid.split("::")[0]
                    for nodeid in config.stash[BROWSER_TESTS].read_text().splitlines())
                for module, _ in reversed(browser_tests.most_common()):
                    if module in self.workqueue:  # (a module whose tests were all deselected is not)
                        self.workqueue.move_to_end(module, last=False)
                self._browser_first = True
            super()._assign_work_unit(node)

    return BrowserFirst(config, log)


@pytest.fixture(scope="session")
def server():
    """The app, served once for every browser test of this process (tests/browser.py: its log,
    its shutdown). Each xdist worker has its own, with its own log."""
    from browser import ARTIFACTS, streamlit_server

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    with streamlit_server(log_path=worker and ARTIFACTS / f"streamlit-{worker}.log") as url:
        yield url


# One chromium per process for a stretch of browser tests, started by the first and stopped
# right after the last (pytest_runtest_teardown below), not at the session's end: sync playwright
# keeps an asyncio event loop running in this thread while it is up, and under xdist a module
# scheduled after the browser modules on the same worker would run inside it (test_serve's
# asyncio.run then fails).
_CHROMIUM: dict = {}


def _chromium():
    if not _CHROMIUM:
        from browser import launch_chromium
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        _CHROMIUM.update(playwright=playwright, chromium=launch_chromium(playwright))
    return _CHROMIUM["chromium"]


class _SharedChromium:
    """Stands for the shared chromium, (re)started on first use: a session-scoped value that
    module-scoped fixtures may hold, though the browser behind it stops after the browser tests."""

    def __getattr__(self, name):
        return getattr(_chromium(), name)


@pytest.fixture(scope="session")
def browser():
    """The shared chromium; each test opens its own context (no shared state)."""
    return _SharedChromium()


def _stop_chromium() -> None:
    if _CHROMIUM:
        _CHROMIUM.pop("chromium").close()
        _CHROMIUM.pop("playwright").stop()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
    """After the last browser test of a stretch (a worker may be given another browser module
    later: chromium then starts again), stop chromium and its event loop before this process
    runs anything else."""
    if nextitem is None or not _uses_browser(nextitem):
        _stop_chromium()


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
