"""Figures of the collapse analysis: ``detect_collapse``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hpo_insights.plot._common import (
    PANEL_SIZE,
    TITLE_WIDTH,
    drawing,
    label_text,
    need_columns,
    palette_colors,
    panel_grid,
    panel_title,
    result_blocks,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _draw_collapse(result: pd.DataFrame, ax: Axes, *, min_range: float | None, metric: str,
                   title: str, grid: bool = False, legend: bool = True) -> None:
    colors = palette_colors()
    flag = result["collapsed"].astype("boolean")
    x = result["pred_range"].to_numpy(dtype=float)
    y = result["value"].to_numpy(dtype=float)
    yes = flag.fillna(False).to_numpy(dtype=bool)
    no = (~flag).fillna(False).to_numpy(dtype=bool)
    known = np.isfinite(x)
    n_no, n_yes, unknown = int(no.sum()), int(yes.sum()), int(flag.isna().sum())
    ax.scatter(x[no & known], y[no & known], s=20, color=colors[0], alpha=0.75, linewidths=0,
               label="not collapsed" + ("" if grid else f" ({n_no})"), gid="ok")
    ax.scatter(x[yes & known], y[yes & known], s=36, marker="X", color=colors[3],
               edgecolor="black", linewidths=0.4,
               label="collapsed" + ("" if grid else f" ({n_yes})"), gid="collapsed")
    if min_range is not None:
        ax.axvline(min_range, color="0.3", ls="--", lw=1, label=f"min_range = {min_range:g}")
    if unknown and not grid:
        ax.plot([], [], " ", label=f"not measured: {unknown}")
    if grid:  # small multiples: the counts in a corner, the encoding once (first panel)
        ax.text(0.98, 0.04, f"collapsed {n_yes}, not collapsed {n_no}"
                + (f", not measured {unknown}" if unknown else ""), transform=ax.transAxes,
                ha="right", va="bottom", fontsize=7, gid="counts",
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1})
    ax.set_xlim(left=0)
    ax.set_xlabel("prediction range (pred_max - pred_min)")
    ax.set_ylabel(label_text(metric))
    ax.set_title(title)
    if legend:
        ax.legend(loc="center right" if grid else "best")


@drawing
def detect_collapse(
    result: pd.DataFrame,
    *,
    min_range: float | None = None,
    metric: str = "objective",
    ax: Axes | None = None,
) -> Axes | Figure:
    """Prediction range against the objective, collapsed trials highlighted.

    One point per trial of the result: x is ``pred_range``, y the objective
    (``value``); collapsed trials are orange crosses. Trials with nothing
    measured (``collapsed`` is <NA>) are not drawn; the legend counts them.
    One panel per study, two per row, sharing both axes (small multiples):
    each panel's counts in its lower right corner, the legend in the first.

    Parameters
    ----------
    result : pandas.DataFrame
        What :func:`hpo_insights.detect_collapse` returned.
    min_range : float, optional
        The threshold the analysis used, drawn as a dashed line.
    metric : str, default "objective"
        The y-axis label.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (a result of one study only).

    Returns
    -------
    matplotlib.axes.Axes or matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import hpo_insights as hi
    >>> t = hi.datasets.example()
    >>> ax = hi.plot.detect_collapse(hi.detect_collapse(t[t["study"] == "transformer-200M"]))
    >>> ax.get_xlabel()
    'prediction range (pred_max - pred_min)'
    """
    need_columns(result, ["collapsed", "pred_range", "value"], "detect_collapse",
          numeric=["pred_range", "value"])
    blocks = result_blocks(result, ["study"])

    def draw(i: int, a: Axes) -> None:
        key, rows = blocks[i]
        _draw_collapse(rows, a, min_range=min_range, metric=metric,
                       title=panel_title("Prediction collapse", key, TITLE_WIDTH // ncols),
                       grid=len(blocks) > 1, legend=i == 0)

    ncols = min(len(blocks), 2)
    return panel_grid(len(blocks), ax, draw, size=(PANEL_SIZE[0], 3.6 if ncols == 1 else 2.8),
                   ncols=ncols, width=PANEL_SIZE[0], share=True)
