"""The playground's summary table."""

from __future__ import annotations

import numpy as np

from charts.figures import PathSeries
from optimizers.metrics import summarize


def _fmt_loss(value: float) -> str:
    return "—" if not np.isfinite(value) else f"{value:.4g}"


def summary_rows(series_list: list[PathSeries], target: float | None, tolerance: float) -> list[dict]:
    rows = []
    for sr in series_list:
        s = summarize(sr.main, target)
        row = {
            "optimizer": sr.label,
            "final loss": _fmt_loss(s.final_loss),
            "best loss": _fmt_loss(s.best_loss),
            f"steps to f*+{tolerance:g}": "never" if s.steps_to_target is None else str(s.steps_to_target),
            "diverged at": "—" if s.diverged_at is None else f"step {s.diverged_at}",
            "clipped steps": str(s.clipped_steps),
        }
        if sr.ensemble is not None and len(sr.ensemble) > 1:
            diverged = int((sr.ensemble.diverged_at >= 0).sum())
            finals = sr.ensemble.loss[:, -1]
            row["seeds diverged"] = f"{diverged}/{len(sr.ensemble)}"
            row["median final (seeds)"] = _fmt_loss(float(np.median(finals)) if diverged == 0
                                                    else float("nan"))
        rows.append(row)
    return rows
