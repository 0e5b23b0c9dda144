"""How a live chart looks and which plotly tools it offers, where ``st.plotly_chart`` would
have applied Streamlit's chart theme and config (the theme does not reach a component)."""

from __future__ import annotations

# What st.plotly_chart's "streamlit" theme puts in a figure's template (read from Streamlit
# 1.67's light theme in the browser; the title weight matches how its titles render), for charts
# drawn by the live component, which the theme does not reach. The figure builders' own settings
# still win over it.
_MUTED, _GRID = "#808495", "#e6eaf1"
# A log axis labels its 2s and 5s in full (0.5, 2x10⁻¹): plotly's default small digits read
# "10⁻¹ 2 5 1 2", where a student takes the 5 just under 1 for 5, not 0.5.
_AXIS = dict(gridcolor=_GRID, zerolinecolor=_GRID, tickcolor=_GRID, minor=dict(gridcolor=_GRID),
             tickfont=dict(color=_MUTED, size=12), automargin=True, minorloglabels="complete")
STREAMLIT_LOOK = {"layout": dict(
    colorway=["#0068c9", "#83c9ff", "#ff2b2b", "#ffabab", "#29b09d", "#7defa1", "#ff8700",
              "#ffd16a", "#6d3fc0", "#d5dae5"],
    font=dict(color=_MUTED, size=12), paper_bgcolor="#FFFFFF", plot_bgcolor="#FFFFFF",
    title=dict(font=dict(size=16, color="#2F2D2B", weight=600), pad=dict(l=4), x=0, xanchor="left"),
    legend=dict(font=dict(size=12, color="#262730"), bordercolor="transparent", borderwidth=0),
    xaxis=dict(_AXIS, title=dict(font=dict(color=_MUTED, size=14), standoff=20), showgrid=False,
               zeroline=False),
    yaxis=dict(_AXIS, title=dict(font=dict(color=_MUTED, size=14), standoff=24)),
    hoverlabel=dict(bgcolor="#FFFFFF", bordercolor="rgba(47, 45, 43, 0.2)",
                    font=dict(color=_MUTED, size=12)),
)}

# Every live chart: no "Share chart" (upload to Chart Studio) button, which plotly.js 4 shows
# by default (config.showSendToCloud); a caller's config adds to this.
# (Resizing: followBox in the script, not config.responsive.)
BASE_CONFIG = {"showSendToCloud": False, "modeBarButtonsToRemove": ["sendChartToCloud"]}


def chart_config(config: dict | None) -> dict:
    """``config`` over ``BASE_CONFIG`` (removed buttons are merged, not replaced)."""
    config = dict(config or {})
    removed = BASE_CONFIG["modeBarButtonsToRemove"] + list(config.get("modeBarButtonsToRemove", []))
    return {**BASE_CONFIG, **config, "modeBarButtonsToRemove": list(dict.fromkeys(removed))}
