import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("JAX_PLATFORMS", "cpu")

# JAX's persistent compilation cache (optimizers/jax_cache.py: the user's cache folder, shared by
# every clone), from the first compile on: the same programs are compiled by each xdist worker, by
# the AppTests' app runs and by every server the tests start (they inherit the variable; app.py
# points at the same folder), so a program compiled once is read back elsewhere, and by the next
# run, instead of compiled again. JAX_COMPILATION_CACHE_DIR=... make test points a run elsewhere
# (an empty folder: a cold run). Set before any program compiles.
from optimizers import jax_cache  # noqa: E402

JAX_CACHE = jax_cache.APP_CACHE
os.environ["JAX_COMPILATION_CACHE_DIR"] = str(JAX_CACHE)
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
jax_cache.compile_into(str(JAX_CACHE))  # bounded on disk: pruned once per run, in the controller


def _uses_browser(item) -> bool:
    return "test_browser" in item.nodeid or "browser" in getattr(item, "fixturenames", ())


def pytest_configure(config):
    if not hasattr(config, "workerinput"):  # once per run: in the controller, not in each worker
        jax_cache.prune(JAX_CACHE)


def pytest_collection_modifyitems(config, items):
    """Browser tests run together and last: they share one server and one chromium (the session
    fixtures below; each module starting its own cost a server start and a cold first page per
    module), and in a single process the AppTests have by then filled JAX's persistent cache.
    Under xdist each worker tells the scheduler below which tests those are."""
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
    """``--dist loadfile``, except that all browser tests are one unit, run in file order on one
    worker: one server and one chromium, and test_browser.py's last test sees every page its
    module opened. (``--dist loadgroup`` with xdist_group marks would say this, but pytest 9.2's
    node ids ignore the group suffix xdist 3.8 writes: pytest-xdist#1386.) Every other module is
    its own unit, so its module-scoped fixtures are computed once. The browser unit starts first
    (then the modules with most tests), so one worker drives the browser while the other runs the
    rest; the server and the AppTests fill the shared compilation cache for each other."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModuleOrBrowser(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if not hasattr(self, "_browser"):  # read once all workers have collected
                self._browser = set(config.stash[BROWSER_TESTS].read_text().splitlines())
            return "browser" if nodeid in self._browser else nodeid.split("::")[0]

        def _assign_work_unit(self, node) -> None:
            if "browser" in self.workqueue:  # the longest unit starts first
                self.workqueue.move_to_end("browser", last=False)
            super()._assign_work_unit(node)

    return ModuleOrBrowser(config, log)


@pytest.fixture(scope="session")
def server():
    """The app, served once for every browser test (tests/browser.py: its log, its shutdown)."""
    from browser import streamlit_server

    with streamlit_server() as url:
        yield url


# One chromium for every browser test, started by the first and stopped right after the last
# (pytest_runtest_teardown below), not at the session's end: sync playwright keeps an asyncio
# event loop running in this thread while it is up, and under xdist a module scheduled after the
# browser unit on the same worker would run inside it (test_serve's asyncio.run then fails).
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
    """After the last browser test (browser tests run as one contiguous block: see above), stop
    chromium and its event loop before this process runs anything else."""
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
