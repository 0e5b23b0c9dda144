import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("JAX_PLATFORMS", "cpu")


def pytest_collection_modifyitems(config, items):
    """Browser tests run last: by then the AppTests have filled JAX's persistent compilation
    cache (app.py points it at .jax_cache), so the served app compiles little, and cold-start
    timing does not decide whether a page visit times out."""
    items.sort(key=lambda item: "test_browser" in item.nodeid)
