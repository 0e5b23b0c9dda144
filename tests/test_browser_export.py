"""Export for slides, in a real browser on the playground's path chart: each format is
downloaded through the chart's Export menu and read back here (PNG size, SVG traces, GIF frames
that decode, an MP4 or WebM container, CSV rows). One server for the module."""

from __future__ import annotations

import csv
import io
import json
import re
import struct
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from browser import (
    ARTIFACTS,
    ErrorLog,
    new_page,
    read_path_chart,
    wait_for_idle,
    wait_for_path_chart,
)

from charts import static_files
from components import export as exporter

ERRORS = ErrorLog()
EXPORT_TITLE = "Export: PNG, SVG, animation, CSV, JSON"  # the modebar button's title
# The path chart shows no modebar: its Export button sits in its playback toolbar.
EXPORT_BUTTON = ".pb-export .descent-export-button"


@pytest.fixture(scope="module")
def chart(server, browser):
    """The playground with its default paths, its Export menu reachable; yields (page, chart)."""
    page = new_page(browser, ERRORS)
    page.goto(server)
    wait_for_path_chart(page, min_paths=2)
    wait_for_idle(page)
    page.wait_for_selector(EXPORT_BUTTON)
    yield page, read_path_chart(page)
    page.context.close()
    assert ERRORS.errors == [], "console/page errors while exporting"


def test_install_publishes_the_exporter_and_its_encoders_and_refreshes_an_edited_copy(
        tmp_path, monkeypatch):
    monkeypatch.setattr(static_files, "STATIC_DIR", tmp_path)
    assert exporter.install_export_js().endswith("/app/static/descent_export.js")
    served = {exporter.EXPORT_JS: exporter.SOURCE / exporter.EXPORT_JS, **exporter.VENDORED}
    for name, source in served.items():
        assert (tmp_path / name).read_bytes() == source.read_bytes()
        # Each vendored encoder is committed with its licence and version.
        if name != exporter.EXPORT_JS:
            assert {"VERSION"} <= {f.name for f in source.parent.iterdir()}
            assert any(f.name.startswith("LICENSE") for f in source.parent.iterdir())
    stale = tmp_path / exporter.EXPORT_JS
    stale.write_bytes(b"x" * stale.stat().st_size)  # an older script of the same size
    exporter.install_export_js()
    assert stale.read_bytes() == (exporter.SOURCE / exporter.EXPORT_JS).read_bytes()


def export(page, kind: str, timeout: float = 120_000,
           button: str = EXPORT_BUTTON) -> tuple[bytes, str, dict]:
    """Open a chart's Export menu (the path chart's, unless ``button`` names another), pick
    ``kind``; return the download and its summary."""
    page.evaluate("""() => {
      window.DescentLabExport.lastExport = null;
      // Every progress message shown, however briefly.
      window.__exportTexts = [];
      const record = () => {
        const box = document.getElementById('descent-export-status');
        if (box) window.__exportTexts.push(box.textContent);
      };
      if (!window.__exportObserver) {
        window.__exportObserver = new MutationObserver(record);
        window.__exportObserver.observe(document.body, {subtree: true, childList: true,
                                                        characterData: true});
      }
    }""")
    page.locator(button).first.click()
    with page.expect_download(timeout=timeout) as info:
        page.locator(f'.descent-export-menu button[data-export="{kind}"]').click()
    download = info.value
    data = open(download.path(), "rb").read()
    summary = page.evaluate("() => window.DescentLabExport.lastExport")
    (ARTIFACTS / "export").mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "export" / download.suggested_filename).write_bytes(data)
    return data, download.suggested_filename, summary


def test_png_is_slide_sized(chart):
    data, name, _ = export(chart[0], "png")
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (1920, 1080)
    assert name.startswith("descent-lab-") and name.endswith("-slide.png")


def test_svg_holds_the_charts_paths_and_no_play_buttons(chart):
    page, drawn = chart
    data, name, _ = export(page, "svg")
    root = ET.fromstring(data)
    assert root.tag.endswith("svg") and name.endswith("-slide.svg")
    texts = {t.text for t in root.iter() if t.tag.endswith("text") and t.text}
    assert {p["name"] for p in drawn["paths"]} <= texts
    assert "▶ Play" not in texts
    scatter = [g for g in root.iter() if "scatter" in (g.get("class") or "").split()]
    assert len(scatter) >= len(drawn["paths"]) + len(drawn["heads"])


def _sub_blocks(data: bytes, i: int) -> tuple[bytes, int]:
    out = bytearray()
    while data[i]:
        out += data[i + 1:i + 1 + data[i]]
        i += 1 + data[i]
    return bytes(out), i + 1


def gif_frames(data: bytes) -> tuple[tuple[int, int], list[dict]]:
    """The screen size and each image: its rectangle, transparent index (or None), LZW minimum
    code size and compressed data."""
    assert data[:6] == b"GIF89a"
    size = struct.unpack("<HH", data[6:10])
    flags, i, frames, transparent = data[10], 13, [], None
    if flags & 0x80:
        i += 3 << ((flags & 7) + 1)
    while data[i] != 0x3B:
        if data[i] == 0x21:  # extension: label, then sub-blocks
            body, end = _sub_blocks(data, i + 2)
            if data[i + 1] == 0xF9:  # graphic control: the next image's transparent index
                transparent = body[3] if body[0] & 1 else None
            i = end
        elif data[i] == 0x2C:  # image descriptor
            x, y, w, h, local = struct.unpack("<HHHHB", data[i + 1:i + 10])
            assert x + w <= size[0] and y + h <= size[1]
            i += 10 + ((3 << ((local & 7) + 1)) if local & 0x80 else 0)
            code_size = data[i]
            compressed, i = _sub_blocks(data, i + 1)
            frames.append(dict(box=(x, y, w, h), transparent=transparent, code_size=code_size,
                               data=compressed))
            transparent = None
        else:
            raise AssertionError(f"unknown GIF block {data[i]:#x} at {i}")
    return size, frames


def lzw_decode(code_size: int, data: bytes) -> bytes:
    """GIF's variable-width LZW, as a decoder reads it."""
    clear, end = 1 << code_size, (1 << code_size) + 1
    width, table, prev, out, bits, nbits = code_size + 1, None, None, bytearray(), 0, 0
    pos = 0
    while True:
        while nbits < width and pos < len(data):
            bits |= data[pos] << nbits
            nbits, pos = nbits + 8, pos + 1
        if nbits < width:
            break
        code, bits, nbits = bits & ((1 << width) - 1), bits >> width, nbits - width
        if code == clear:
            table = [bytes([c]) for c in range(clear)] + [b"", b""]
            width, prev = code_size + 1, None
            continue
        if code == end:
            break
        entry = table[code] if code < len(table) else prev + prev[:1]
        out += entry
        if prev is not None:
            table.append(prev + entry[:1])
            if len(table) == 1 << width and width < 12:
                width += 1
        prev = entry
    return bytes(out)


def composite(size, frames) -> list[np.ndarray]:
    """Each frame as a viewer shows it: its image over the one before (disposal "keep"),
    transparent pixels letting it through."""
    screen, shown = np.zeros(size[::-1], np.uint8), []
    for frame in frames:
        x, y, w, h = frame["box"]
        pixels = np.frombuffer(lzw_decode(frame["code_size"], frame["data"]), np.uint8)
        assert pixels.size == w * h, "an image does not decode to its size"
        pixels = pixels.reshape(h, w)
        region = screen[y:y + h, x:x + w]
        keep = pixels == frame["transparent"] if frame["transparent"] is not None else False
        screen[y:y + h, x:x + w] = np.where(keep, region, pixels)
        shown.append(screen.copy())
    return shown


def test_gif_has_one_image_per_animation_frame_and_decodes(chart):
    page, drawn = chart
    data, name, summary = export(page, "gif")
    size, frames = gif_frames(data)
    assert size == (800, 600) and name.endswith("-animation.gif")
    assert len(frames) == drawn["nFrames"] == summary["frames"]
    assert frames[0]["box"] == (0, 0, 800, 600)
    progress = page.evaluate("() => window.__exportTexts")
    assert any(re.fullmatch(r"Encoding GIF animation… \d+%", t) for t in progress), progress
    shown = composite(size, frames)
    moved = [int((a != b).sum()) for a, b in zip(shown, shown[1:])]
    assert sum(m > 0 for m in moved) > len(moved) // 2  # the heads move in most frames
    assert int((shown[0] != shown[-1]).sum()) > 100
    (ARTIFACTS / "export" / "gif_timing.json").write_text(json.dumps(summary))
    print(f"GIF: {summary['frames']} frames at 800x600 in {summary['ms']} ms "
          f"({summary['timings']}), {len(data) / 1e3:.0f} kB")


def _mp4_boxes(data: bytes) -> list[bytes]:
    boxes, i = [], 0
    while i + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[i:i + 8])
        boxes.append(kind)
        i += size if size >= 8 else len(data)
    return boxes


def test_video_is_mp4_or_webm_as_the_browser_can_encode(chart):
    page, drawn = chart
    can = page.evaluate("""async () => {
      if (typeof VideoEncoder === 'undefined') return null;
      const ok = async (codec) => (await VideoEncoder.isConfigSupported(
          {codec, width: 1280, height: 720, bitrate: 4e6, framerate: 25})).supported;
      return {mp4: await ok('avc1.42001f'), webm: await ok('vp09.00.10.08') || await ok('vp8')};
    }""")
    data, name, summary = export(page, "video")
    print("video:", summary)
    if can is None:  # the documented fallback: a GIF, and the reason shown
        assert data[:6] == b"GIF89a" and summary["fallback"]
        return
    expected = "mp4" if can["mp4"] else "webm"
    assert summary["format"] == expected and name.endswith("-animation." + expected)
    assert summary["frames"] == drawn["nFrames"]
    assert len(data) > 10_000
    if expected == "mp4":
        boxes = _mp4_boxes(data)
        assert boxes[0] == b"ftyp" and b"moov" in boxes and b"mdat" in boxes
    else:
        assert data[:4] == b"\x1a\x45\xdf\xa3" and b"webm" in data[:64]


def test_without_h264_the_video_is_webm_and_without_webcodecs_a_gif(chart):
    """Browsers differ: one without an H.264 encoder (Chromium builds without it, Firefox)
    gets WebM; one without WebCodecs gets the GIF and is told so."""
    page, drawn = chart
    page.evaluate("""() => {
      window.__isConfigSupported = VideoEncoder.isConfigSupported;
      VideoEncoder.isConfigSupported = (config) => config.codec.startsWith('avc1')
          ? Promise.resolve({supported: false, config}) : window.__isConfigSupported(config);
    }""")
    try:
        data, name, summary = export(page, "video")
    finally:
        page.evaluate("() => { VideoEncoder.isConfigSupported = window.__isConfigSupported; }")
    assert summary["format"] == "webm" and name.endswith("-animation.webm")
    assert data[:4] == b"\x1a\x45\xdf\xa3" and b"webm" in data[:64] and len(data) > 10_000
    assert summary["frames"] == drawn["nFrames"]
    page.evaluate("() => { window.__VideoEncoder = window.VideoEncoder; delete window.VideoEncoder; }")
    try:
        data, name, summary = export(page, "video")
    finally:
        page.evaluate("() => { window.VideoEncoder = window.__VideoEncoder; }")
    assert data[:6] == b"GIF89a" and name.endswith("-animation.gif")
    assert "no video encoder" in summary["fallback"]
    assert any("no video encoder" in t for t in page.evaluate("() => window.__exportTexts"))


def test_csv_and_json_hold_every_path_point(chart):
    page, drawn = chart
    data, name, _ = export(page, "csv")
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert name.endswith("-data.csv")
    assert list(rows[0]) == ["series", "step", "x", "y"]
    assert len(rows) == sum(len(p["x"]) for p in drawn["paths"])
    for path in drawn["paths"]:
        mine = [r for r in rows if r["series"] == path["name"]]
        assert [int(r["step"]) for r in mine] == list(range(len(path["x"])))
        assert [float(r["x"]) for r in mine] == pytest.approx(path["x"])
        assert [float(r["y"]) for r in mine] == pytest.approx(path["y"])
    data, name, _ = export(page, "json")
    series = json.loads(data)["series"]
    assert [s["name"] for s in series] == [p["name"] for p in drawn["paths"]]
    assert [len(s["x"]) for s in series] == [len(p["x"]) for p in drawn["paths"]]


def test_trail_mode_exports_whole_paths_and_grows_them_in_the_animation(chart):
    """In trail mode the chart on screen holds the paths cut at the current step: the CSV still
    has every point, and the GIF draws the paths growing (frame 0 has none of them)."""
    page, drawn = chart  # the default view's paths: the same run, drawn whole
    page.goto(page.url.split("?")[0] + "?trail=true")
    wait_for_path_chart(page, min_paths=2)
    wait_for_idle(page)
    page.wait_for_function("() => document.querySelector('.pb-toolbar')?.dataset.trail === 'true'")
    data, _, _ = export(page, "csv")
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert len(rows) == sum(len(p["x"]) for p in drawn["paths"])
    data, _, summary = export(page, "gif")
    size, frames = gif_frames(data)
    assert len(frames) == drawn["nFrames"]
    shown = composite(size, frames)
    # The paths drawn between the first frame and the last: far more than a few heads' pixels.
    assert int((shown[0] != shown[-1]).sum()) > 3000


def modebar_titles(page, key: str) -> list[str] | None:
    """The modebar buttons of the live chart under ``key`` (in the page, shown on hover)."""
    return page.evaluate("""(key) => {
      const gd = document.querySelector(`.st-key-${key} .live-plot`);
      return gd && [...gd.querySelectorAll('.modebar-btn')].map((b) => b.getAttribute('data-title'));
    }""", key.replace(".", "-"))


def modebar_export(key: str) -> str:
    return f'.st-key-{key.replace(".", "-")} .modebar-btn[data-title="{EXPORT_TITLE}"]'


def test_every_live_chart_offers_export_once_and_no_second_png_button(chart):
    """A chart with plotly's tools gets Export in place of plotly's PNG button; one drawn without
    them (displayModeBar off: a lesson's path map and curves) gets a modebar holding Export
    alone; the path chart keeps its Export in the playback toolbar, not twice. PNG export
    through such a lone button works."""
    page, _ = chart  # the playground, as the tests before left it
    page.wait_for_function("() => document.querySelector('.st-key-loss_chart .modebar-btn')")
    loss = modebar_titles(page, "loss_chart")
    # plotly's own toImage button is titled "Download plot as a PNG" (or "Download plot").
    assert EXPORT_TITLE in loss and not any(t.startswith("Download plot") for t in loss), loss
    assert modebar_titles(page, "path_chart") == []
    assert page.locator(EXPORT_BUTTON).count() == 1
    # Through the sidebar: opening a lesson's address directly logs streamlit#7074's two 404s.
    page.locator('[data-testid="stSidebarNav"] a[href$="/momentum"]').click()
    for key in ("mom.paths", "mom.loss"):  # both configured with displayModeBar: False
        page.wait_for_selector(modebar_export(key), state="attached", timeout=90_000)
        assert modebar_titles(page, key) == [EXPORT_TITLE], key
    wait_for_idle(page)
    page.hover(".st-key-mom-loss .live-plot")
    data, name, summary = export(page, "png", button=modebar_export("mom.loss"))
    assert struct.unpack(">II", data[16:24]) == (1920, 1080) and name.endswith("-slide.png")
    assert summary["format"] == "png"


def test_a_chart_refits_when_the_window_is_resized(chart):
    """Resizing the window (F11 on a projector) refits a live chart at once, not at its next
    update, and a figure's own height stays."""
    page, _ = chart
    size = page.viewport_size
    fit = """() => [...document.querySelectorAll('.live-plot')].filter((gd) => gd.layout?.height)
                  .map((gd) => [gd.clientWidth, gd._fullLayout.width, gd.layout.height,
                                gd._fullLayout.height])"""
    before = page.evaluate(fit)
    assert before
    try:
        page.set_viewport_size({"width": size["width"] - 300, "height": size["height"]})
        page.wait_for_function(f"() => ({fit})().every(([box, drawn]) => Math.abs(box - drawn) <= 1)"
                               f" && ({fit})()[0][0] < {before[0][0]}", timeout=10_000)
        after = page.evaluate(fit)
        assert [(h, drawn) for *_, h, drawn in after] == [(h, drawn) for *_, h, drawn in before]
    finally:
        page.set_viewport_size(size)
