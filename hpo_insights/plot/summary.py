"""Figures of the summary analyses: ``optimization_history``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from hpo_insights.plot._common import (
    PANEL_SIZE,
    TITLE_WIDTH,
    drawing,
    label_text,
    mark_outside,
    need_columns,
    palette_colors,
    robust_ylim,
    set_margins,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes


@drawing
def optimization_history(
    result: pd.DataFrame, *, metric: str = "objective", ax: Axes | None = None
) -> Axes:
    """The objective of each completed trial by trial number, with the best so far.

    Points are the counted trials, the step line ``best_so_far``; several
    studies share the axes, one colour each. Trials that do not count
    (``counted`` False: pruned, failed, unfinished, non-finite) are not drawn;
    the legend says how many. The y limits follow the bulk of the counted
    trials (Tukey's far fences, see ``docs/plots.md``) and each study's final
    best; trials outside are triangles at the edge, counted in the corner.

    Parameters
    ----------
    result : pandas.DataFrame
        What :func:`hpo_insights.optimization_history` returned.
    metric : str, default "objective"
        The y-axis label.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import hpo_insights as hi
    >>> ax = hi.plot.optimization_history(hi.optimization_history(hi.datasets.example()))
    >>> len([line for line in ax.lines if str(line.get_gid()).startswith("best:")])
    3
    """
    need_columns(result, ["study", "number", "value", "best_so_far"], "optimization_history",
          numeric=["number", "value", "best_so_far"])
    colors = palette_colors(result["study"].nunique())
    if ax is None:
        fig, ax = plt.subplots(figsize=PANEL_SIZE)
        set_margins(fig)
    value = result["value"].to_numpy(dtype=float)
    counted = (result["counted"].astype("boolean").fillna(False).to_numpy(dtype=bool)
               if "counted" in result.columns else np.isfinite(value))
    shown = result[counted]
    for color, (s, h) in zip(colors, shown.groupby("study", sort=False), strict=False):
        ax.scatter(h["number"], h["value"], s=10, color=color, alpha=0.45, linewidths=0,
                   gid=f"trials:{s}")
        ax.step(h["number"], h["best_so_far"], where="post", color=color, lw=1.6,
                label=label_text(f"{s} (best so far)"), gid=f"best:{s}")
    ax.plot([], [], "o", color="0.5", alpha=0.5, ms=4, label="completed trials")
    excluded = int((~counted).sum())
    if excluded:
        ax.plot([], [], " ", label=f"{excluded} pruned/failed/unfinished trials excluded")
    # the bulk of the trials fills the axes; outliers (collapsed runs) sit at its edge
    final = shown.groupby("study", sort=False)["best_so_far"].last().to_numpy(dtype=float)
    mark_outside(ax, shown["number"].to_numpy(dtype=float), value[counted],
                  robust_ylim(value[counted], keep=final, groups=shown["study"].to_numpy()))
    ax.set_xlabel("trial number")
    ax.set_ylabel(label_text(metric))
    names = list(pd.unique(result["study"]))
    ax.set_title(label_text("Optimization history" + (f": {names[0]}" if len(names) == 1 else ""),
                        TITLE_WIDTH))
    ax.legend(loc="best", ncols=1 + len(names) // 8)
    return ax
