"""Figures of the coverage analysis: ``coverage_crosstab``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hpo_insights.plot._common import (
    LABEL_WIDTH,
    TITLE_WIDTH,
    drawing,
    format_value,
    label_text,
    need_columns,
    panel_grid,
    panel_title,
    result_blocks,
    text_width,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _draw_counts(result: pd.DataFrame, ax: Axes, title: str) -> None:
    labels_r = "row_label" if "row_label" in result.columns else "row_value"
    labels_c = "col_label" if "col_label" in result.columns else "col_value"
    rows = list(pd.unique(result[labels_r]))
    cols = list(pd.unique(result[labels_c]))
    r = pd.Index(rows).get_indexer(result[labels_r])
    c = pd.Index(cols).get_indexer(result[labels_c])
    grid = np.zeros((len(rows), len(cols)))
    grid[r, c] = result["n_trials"].to_numpy(dtype=float)
    vmax = max(float(grid.max()) if grid.size else 1.0, 1.0)
    mesh = ax.pcolormesh(grid, cmap="Blues", vmin=0, vmax=vmax, edgecolors="0.85", linewidth=0.5)
    for (i, j), v in np.ndenumerate(grid):
        ax.text(j + 0.5, i + 0.5, str(int(v)), ha="center", va="center", fontsize=7,
                color="white" if v > 0.6 * vmax else ("0.45" if v == 0 else "black"))
    long = any(text_width(format_value(v, LABEL_WIDTH // 2)) > 6 for v in cols)
    ax.set_xticks(np.arange(len(cols)) + 0.5, [format_value(v, LABEL_WIDTH // 2) for v in cols],
                  rotation=30 if long else 0, ha="right" if long else "center")
    ax.set_yticks(np.arange(len(rows)) + 0.5, [format_value(v, LABEL_WIDTH // 2) for v in rows])
    ax.set_xlim(0, len(cols))
    ax.set_ylim(len(rows), 0)
    ax.grid(False)
    ax.set_xlabel(label_text(result["col_param"].iloc[0], TITLE_WIDTH) if len(result) else "")
    ax.set_ylabel(label_text(result["row_param"].iloc[0], TITLE_WIDTH // 2) if len(result) else "")
    ax.figure.colorbar(mesh, ax=ax, label="trials", fraction=0.05, pad=0.02)
    ax.set_title(title)


@drawing
def coverage_crosstab(result: pd.DataFrame, *, ax: Axes | None = None) -> Axes | Figure:
    """Heatmap of how many trials tried each combination of two parameters.

    Every cell is annotated with its count; combinations never tried show
    "0" on white, so the gaps of the search stand out. One panel per study.

    Parameters
    ----------
    result : pandas.DataFrame
        What :func:`hpo_insights.coverage_crosstab` returned.
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
    >>> cc = hi.coverage_crosstab(t[t["study"] == "transformer-2M"], params=["d_model", "n_heads"])
    >>> ax = hi.plot.coverage_crosstab(cc)
    >>> ax.get_ylabel(), ax.get_xlabel()
    ('d_model', 'n_heads')
    """
    need_columns(result, ["row_param", "row_value", "col_param", "col_value", "n_trials"],
          "coverage_crosstab", numeric=["n_trials"])
    blocks = result_blocks(result, ["study"])

    def draw(i: int, a: Axes) -> None:
        key, rows = blocks[i]
        _draw_counts(rows, a, panel_title("Coverage", key))

    labels = result["row_label" if "row_label" in result.columns else "row_value"]
    longest = max((text_width(format_value(v, LABEL_WIDTH // 2)) for v in pd.unique(labels)),
                  default=4)
    cols = result["col_label" if "col_label" in result.columns else "col_value"]
    widest = max((text_width(format_value(v, LABEL_WIDTH // 2)) for v in pd.unique(cols)),
                 default=4)
    # column labels wider than 6 cells are rotated by 30 degrees: room below for them
    bottom = 0.65 if widest <= 6 else 0.55 + 0.5 * 0.065 * widest
    return panel_grid(len(blocks), ax, draw, size=(6.0, 3.6), left=0.55 + 0.065 * longest,
                   bottom=bottom)
