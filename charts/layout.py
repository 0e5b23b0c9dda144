"""What every chart's frame shares: the app's font, white paper, a title at the top left, and one
axis style. A figure module passes only what is its own (margins, legend, hover mode, ranges).

Axis titles are plotly's ``{"text": ...}`` object: the bundled plotly.js ignores the string
shorthand (tests/test_chart_titles.py).
"""

from __future__ import annotations

# The app's own typeface (Streamlit serves "Source Sans"): live charts get no Streamlit theme.
FONT = dict(family='"Source Sans", "Source Sans Pro", system-ui, sans-serif', size=13, color="#1f2937")
GRID_COLOR = "#eef2f7"  # grid lines: visible behind a curve, never competing with it
LINE_COLOR = "#9ca3af"  # axis lines


def axis(title: str | dict | None = None, *, grid: bool = False, frame: bool = True,
         **extra) -> dict:
    """One axis: its title (none if ``None``; a dict is plotly's whole title object, e.g. with a
    ``standoff``), a grey axis line and, with ``grid``, light grid lines. ``frame`` boxes the
    plot: ticks outside, the line mirrored on the far side, no zero line (and no grid unless
    ``grid``). ``extra`` adds or overrides plotly's own keys; ``None`` leaves one to plotly
    (a validated ``go.Figure`` drops it)."""
    style = {} if title is None else {"title": title if isinstance(title, dict) else {"text": title}}
    style["linecolor"] = LINE_COLOR
    if frame:
        style |= dict(showgrid=grid, zeroline=False, ticks="outside", mirror=True)
    if grid:
        style |= dict(showgrid=True, gridcolor=GRID_COLOR)
    return style | extra


def map_axis(value_range, title: str, **extra) -> dict:
    """An axis of a loss-surface map, fixed to ``value_range``: with autorange off, a double
    click resets the zoom to the surface's domain."""
    return axis(title, range=list(value_range), autorange=False, constrain="domain", **extra)


# A horizontal legend at the figure's foot, in container coordinates: plotly.js then reserves its
# rows in the bottom margin, under the x-axis title, at any width. A legend placed in plot
# fractions (y = -0.3 ...) ran into "step" once a phone wrapped it into more rows. A clear border
# keeps it off the title. The one legend placement of every chart with a legend under the plot.
LEGEND_BELOW = dict(orientation="h", yref="container", y=0, yanchor="bottom", x=0, borderwidth=8,
                    bordercolor="rgba(0,0,0,0)")


def plot_layout(height: int, title: str | dict | None = None, **extra) -> dict:
    """A figure's layout: ``height`` px of white paper in the app's font, ``title`` (if any) at
    the top left (a dict: plotly's whole title object, placed elsewhere). ``extra`` (margin,
    legend, hovermode, the axes ...) adds or overrides; its dicts are copied, so a builder may
    adjust its own (``["margin"]["b"] = 90``) when a module passes one margin to all its figures."""
    frame = dict(height=height, font=FONT, plot_bgcolor="white", paper_bgcolor="white")
    if isinstance(title, dict):
        frame["title"] = title
    elif title is not None:
        frame["title"] = dict(text=title, x=0.01, font=dict(size=14))
    return frame | {key: dict(value) if isinstance(value, dict) else value
                    for key, value in extra.items()}


def map_layout(height: int, **extra) -> dict:
    """A loss-surface map's layout (the path charts, the step inspector): the legend in one row
    above the plot."""
    frame = dict(margin=dict(l=60, r=20, t=40, b=60), hovermode="closest",
                 legend=dict(orientation="h", y=1.01, yanchor="bottom", x=0, xanchor="left"))
    return plot_layout(height, **frame | extra)
