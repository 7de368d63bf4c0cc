"""Figures of the cross-budget analyses: ``compare_budgets``."""

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
def compare_budgets(
    result: pd.DataFrame,
    *,
    history: pd.DataFrame | None = None,
    metric: str = "objective",
    seed: int | None = 0,
    ax: Axes | None = None,
) -> Axes:
    """The best objective per budget (stars), over the spread of every trial when given.

    Budgets are in the result's (size) order. With *history* (the result of
    :func:`hpo_insights.optimization_history` for the same trials, which has
    a ``budget`` column), each budget also gets a box (quartiles, whiskers at
    1.5 IQR) and its completed trials as jittered points; the y limits then
    follow the bulk of each budget's trials and the stars (Tukey's far fences,
    see ``docs/plots.md``), trials outside are triangles at the edge, counted
    in the corner.

    Parameters
    ----------
    result : pandas.DataFrame
        What :func:`hpo_insights.compare_budgets` returned.
    history : pandas.DataFrame, optional
        What :func:`hpo_insights.optimization_history` returned.
    metric : str, default "objective"
        The y-axis label.
    seed : int or None, default 0
        Seed of the horizontal jitter of the points.
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
    >>> ax = hi.plot.compare_budgets(hi.compare_budgets(hi.datasets.example()))
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['2M', '20M', '200M']
    """
    need_columns(result, ["budget", "best"], "compare_budgets", numeric=["best"])
    colors = palette_colors()
    order = [str(b) for b in result["budget"]]
    best = result["best"].to_numpy(dtype=float)
    if ax is None:
        fig, ax = plt.subplots(figsize=PANEL_SIZE)
        set_margins(fig)
    if history is not None:
        need_columns(history, ["budget", "value"], "optimization_history", numeric=["value"])
        if "counted" in history.columns:
            history = history[history["counted"].astype("boolean").fillna(False)
                              .to_numpy(dtype=bool)]
        pos = {b: i for i, b in enumerate(order)}
        x = history["budget"].astype(str).map(pos).to_numpy(dtype=float)
        y = history["value"].to_numpy(dtype=float)
        keep = np.isfinite(x) & np.isfinite(y)
        x, y = x[keep], y[keep]
        ax.boxplot([y[x == i] for i in range(len(order))], positions=np.arange(len(order)),
                   widths=0.5, showfliers=False, patch_artist=True,
                   boxprops={"facecolor": "0.93", "edgecolor": "0.5"},
                   medianprops={"color": "0.3"}, whiskerprops={"color": "0.5"},
                   capprops={"color": "0.5"})
        rng = np.random.default_rng(seed)
        jitter = x + rng.uniform(-0.15, 0.15, len(x))
        ax.scatter(jitter, y, s=12, color=colors[0], alpha=0.6, linewidths=0, zorder=2,
                   label="completed trials", gid="trials")
        # the bulk of each budget fills the axes; outliers (collapsed runs) sit at its edge
        mark_outside(ax, jitter, y, robust_ylim(y, keep=best, groups=x), color=colors[0])
    ax.scatter(np.arange(len(order)), best, marker="*", s=220,
               color=colors[3], edgecolor="black", linewidths=0.6, zorder=4,
               label="best per budget", gid="best")
    ax.set_xticks(np.arange(len(order)), [label_text(b, 20) for b in order])
    ax.set_xlim(-0.6, len(order) - 0.4)
    ax.set_xlabel("budget")
    ax.set_ylabel(label_text(metric))
    ax.set_title(label_text(f"{metric} per budget", TITLE_WIDTH))
    ax.legend(loc="best")
    return ax
