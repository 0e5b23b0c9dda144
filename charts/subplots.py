"""Subplot grids as plain dicts, for figures built as dicts and validated once as a go.Figure.

``make_subplots`` costs ~30 ms a call in plotly.py, and each ``add_scatter(row=, col=)`` or
row/col-filtered axis update several more; a grid's layout (axis domains and anchors, shared
axes' ``matches``, the panels' title annotations) depends only on its shape, titles and spacing,
so it is computed once by ``make_subplots`` itself and copied.
"""

from __future__ import annotations

import copy
import functools
import re

from plotly.subplots import make_subplots


@functools.lru_cache(maxsize=32)
def _skeleton(rows: int, cols: int, titles: tuple, options: tuple) -> dict:
    grid = make_subplots(rows, cols, subplot_titles=list(titles), **dict(options))
    layout = grid.to_plotly_json()["layout"]
    # go.Figure adds the default template itself; passing it in would validate it again (~0.3 s).
    layout.pop("template", None)
    return layout


def axes(layout: dict, letter: str) -> list[dict]:
    """Every ``"x"`` or ``"y"`` axis of ``layout``, as ``update_xaxes`` / ``update_yaxes`` select."""
    return [value for key, value in layout.items() if re.fullmatch(f"{letter}axis[0-9]*", key)]


class Grid:
    """``make_subplots(rows, cols, subplot_titles=titles, **options)``'s layout as a dict of one's
    own (``layout``), with the axis references of each panel, numbered as make_subplots does."""

    def __init__(self, rows: int, cols: int, titles=(), **options):
        self.cols = cols
        self.layout = copy.deepcopy(_skeleton(rows, cols, tuple(titles), tuple(sorted(options.items()))))

    def _suffix(self, row: int, col: int) -> str:
        index = (row - 1) * self.cols + col  # make_subplots numbers from the top left, by rows
        return "" if index == 1 else str(index)

    def refs(self, row: int, col: int) -> dict:
        """A trace's ``xaxis`` and ``yaxis`` in panel (``row``, ``col``), as ``add_trace`` sets them."""
        suffix = self._suffix(row, col)
        return dict(xaxis=f"x{suffix}", yaxis=f"y{suffix}")

    def axis(self, letter: str, row: int, col: int) -> dict:
        """The layout's ``"x"`` or ``"y"`` axis dict of panel (``row``, ``col``), to update in place."""
        return self.layout[f"{letter}axis{self._suffix(row, col)}"]
