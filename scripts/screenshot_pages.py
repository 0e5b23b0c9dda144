"""Screenshots of app pages at the widths the app must work at, for a person to look at.

    .venv/bin/python scripts/screenshot_pages.py momentum adaptive_rates [--query "a=1&b=2"]
    .venv/bin/python scripts/screenshot_pages.py --all
    .venv/bin/python scripts/screenshot_pages.py batch_norm --query "bnorm.section=Batch noise" \
        --tag noise    # artifacts/shots/batch_norm-noise-1400.png ...

Starts its own server (tests/browser.py), opens each page at 1400x900, 1280x720 (a projector) and
390x844 (a phone), waits for the script run to finish and the charts to draw, and writes
artifacts/shots/<page>-<width>.png: the first screen as a reader sees it, and a -full.png of the
whole page (a viewport as tall as the content, up to 16,000 px, since Streamlit's main area
scrolls internally). Prints any console error or exception box it saw. The playground is the page
"" (the default page lives at /).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from browser import ARTIFACTS, EXCEPTION, ErrorLog, launch_chromium, streamlit_server, wait_for_idle  # noqa: E402

SIZES = {"1400": (1400, 900), "1280": (1280, 720), "phone": (390, 844)}
MAX_HEIGHT = 16_000  # px: chromium's largest screenshot is 16,384 px a side
# The height of what the main area holds: its scrolling block's content, or the document's.
CONTENT_HEIGHT_JS = """() => Math.max(document.documentElement.scrollHeight,
  ...[...document.querySelectorAll('[data-testid="stMain"], [data-testid="stAppViewContainer"]')]
      .map((e) => e.scrollHeight + e.getBoundingClientRect().top))"""
ALL = ["", "step_inspector", "moments", "saddle_escape", "cliff_clipping", "momentum", "adaptive_rates",
       "batch_noise", "hyperparameter_map", "l1_l2", "dropout", "batch_norm", "layer_norm",
       "train_eval", "lr_range_test"]


def settle(page, quiet_ms: int = 2000, limit_ms: int = 60_000) -> None:
    """Wait until the number of drawn Plotly charts has not changed for ``quiet_ms``: charts draw
    after the script run ends, and the live charts after their component mounts."""
    count = lambda: page.locator(".js-plotly-plot .main-svg").count()  # noqa: E731
    last, steady, waited = -1, 0, 0
    while steady < quiet_ms and waited < limit_ms:
        page.wait_for_timeout(250)
        waited += 250
        now = count()
        steady = steady + 250 if now == last else 0
        last = now


def shoot(browser, url: str, name: str, size: tuple[int, int], errors: ErrorLog) -> None:
    out = ARTIFACTS / "shots"
    out.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    context.set_default_timeout(180_000)
    page = context.new_page()
    errors.attach(page)
    page.goto(url)
    page.wait_for_selector('[data-testid="stApp"]')
    page.wait_for_timeout(1500)
    wait_for_idle(page, 300_000)
    settle(page)
    page.screenshot(path=str(out / f"{name}-{size[0]}.png"))
    if page.locator(EXCEPTION).count():
        print(f"EXCEPTION on {name}: {page.locator(EXCEPTION).first.inner_text()[:500]}")
    # As tall as the page's content (Streamlit's main area scrolls inside the window, so a
    # full-page shot is the viewport): measured at 5,000 px, then grown once to what it holds.
    page.set_viewport_size({"width": size[0], "height": 5000})
    settle(page)
    tall = min(page.evaluate(CONTENT_HEIGHT_JS), MAX_HEIGHT)
    if tall > 5000:
        page.set_viewport_size({"width": size[0], "height": tall})
        settle(page)
    page.screenshot(path=str(out / f"{name}-{size[0]}-full.png"), full_page=True)
    context.close()
    print("wrote", out / f"{name}-{size[0]}.png", "and -full.png")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pages", nargs="*")
    parser.add_argument("--all", action="store_true")
    parser.add_argument("--query", default="")
    parser.add_argument("--sizes", default="1400,1280,phone")
    parser.add_argument("--tag", default="", help="added to the file names (a view of --query)")
    args = parser.parse_args()
    pages = ALL if args.all else args.pages
    errors = ErrorLog()
    with streamlit_server(log_path=ARTIFACTS / "screenshot-server.log") as base, \
            sync_playwright() as p:
        browser = launch_chromium(p)
        for page_path in pages:
            url = f"{base}/{page_path}" + (f"?{quote(args.query, safe='=&')}" if args.query else "")
            name = (page_path or "playground") + (f"-{args.tag}" if args.tag else "")
            for size in args.sizes.split(","):
                shoot(browser, url, name, SIZES[size], errors)
        browser.close()
    for e in errors.errors:
        print("CONSOLE/PAGE ERROR:", e[:300])


if __name__ == "__main__":
    main()
