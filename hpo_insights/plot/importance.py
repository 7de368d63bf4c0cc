"""Figures of the importance analyses: ``variance_explained``, ``importance_by_budget``."""

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
    need_columns,
    palette_colors,
    panel_grid,
    panel_title,
    result_blocks,
    set_margins,
    text_width,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from hpo_insights.importance_budgets import BudgetImportance


def _draw_shares(rows: pd.DataFrame, ax: Axes, title: str, order: pd.Index,
                 legend: bool = True, grid: bool = False) -> None:
    colors = palette_colors()
    # bars in the figure's parameter order (position = rank in *order*)
    rows = rows.iloc[np.argsort(order.get_indexer(rows["param"]), kind="stable")]
    y = order.get_indexer(rows["param"]).astype(float)
    share = rows["share"].to_numpy(dtype=float)
    if "matters" in rows.columns:
        matters = rows["matters"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        color = [colors[0] if m else "0.7" for m in matters]
    else:
        color = colors[0]
    bars = ax.barh(y, np.nan_to_num(share), color=color, height=0.7)
    if {"ci_low", "ci_high"} <= set(rows.columns):
        lo = rows["ci_low"].to_numpy(dtype=float)
        hi = rows["ci_high"].to_numpy(dtype=float)
        ok = np.isfinite(lo) & np.isfinite(hi) & np.isfinite(share)
        if ok.any():
            err = np.vstack([np.clip(share - lo, 0, None), np.clip(hi - share, 0, None)])
            ax.errorbar(share[ok], y[ok], xerr=err[:, ok], fmt="none", ecolor="0.2",
                        capsize=2, lw=0.8, gid="ci", label="95% CI")
    if "share_adjusted" in rows.columns:
        adjusted = rows["share_adjusted"].to_numpy(dtype=float)
        ax.scatter(np.clip(adjusted, 0, None), y, marker="D", s=22, color=colors[3],
                   edgecolor="black", linewidths=0.4, zorder=4, gid="adjusted",
                   label="adjusted share (all parameters fitted together)")
    ax.set_yticks(np.arange(len(order)), [label_text(p) for p in order])
    ax.set_ylim(len(order) - 0.5, -0.5)  # first (largest) on top; idempotent on shared axes
    labels = [f"{v:.2f}" if np.isfinite(v) else "n/a" for v in share]
    ax.bar_label(bars, labels=labels, padding=3, fontsize=7)
    ax.set_xlim(0, 1.08)
    ax.set_xlabel(("share of objective variance (eta squared)" if not grid else
                   "eta squared")
                  + ("; grey: does not matter" if "matters" in rows.columns else ""))
    ax.set_ylabel("")
    ax.grid(axis="y", visible=False)
    if legend and ("share_adjusted" in rows.columns or "ci_low" in rows.columns):
        # one study: bars sorted, the lower right is free (a grid moves it below the panels)
        ax.legend(loc="lower right")
    ax.set_title(title, fontsize=8 if grid else None)


def _share_order(result: pd.DataFrame) -> pd.Index:
    """Parameters by their mean share over the studies (largest first, no share last)."""
    mean = result.groupby("param", sort=False)["share"].mean()
    return pd.Index(mean.sort_values(ascending=False, kind="stable", na_position="last").index)


@drawing
def variance_explained(result: pd.DataFrame, *, ax: Axes | None = None) -> Axes | Figure:
    """Bar chart of the share of objective variance each parameter explains.

    One horizontal bar per parameter: its ``share``, labelled with its value,
    largest on top. When the result has them, ``ci_low``/``ci_high`` are error
    bars on the share, ``share_adjusted`` a diamond, and parameters whose
    ``matters`` is False are grey. Several studies are small multiples: one
    panel per study, two per row, sharing both axes (share 0 to 1, the
    parameters in one order: by their mean share over the studies), so a bar
    compares with the bar below or beside it; one legend, below the panels.

    Parameters
    ----------
    result : pandas.DataFrame
        What :func:`hpo_insights.variance_explained` returned.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (a result of one study only). A new figure when ``None``.

    Returns
    -------
    matplotlib.axes.Axes or matplotlib.figure.Figure
        The Axes for one study; a Figure with one panel per study otherwise.

    Raises
    ------
    hpo_insights.TrialsError
        Not a result of :func:`hpo_insights.variance_explained`, or ``ax=``
        given for several studies.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import hpo_insights as hi
    >>> trials = hi.datasets.example()
    >>> ve = hi.variance_explained(trials[trials["study"] == "transformer-2M"])
    >>> ax = hi.plot.variance_explained(ve)
    >>> order = ve.sort_values("share", ascending=False)["param"].tolist()
    >>> [t.get_text() for t in ax.get_yticklabels()] == order
    True
    >>> fig = hi.plot.variance_explained(hi.variance_explained(trials))  # one panel per study
    >>> [a.get_title() for a in fig.axes]
    ['Parameter importance: transformer-2M', 'Parameter importance: transformer-20M', \
'Parameter importance: transformer-200M']
    """
    need_columns(result, ["param", "share"], "variance_explained",
          numeric=["share", "ci_low", "ci_high", "share_adjusted"])
    blocks = result_blocks(result, ["study"])
    order = _share_order(result)
    many = len(blocks) > 1
    ncols = min(len(blocks), 2)
    width = max((text_width(label_text(p)) for p in order), default=4)
    panel_h = max(2.2, 0.35 * len(order) + 1) if not many else 0.22 * len(order) + 1.1

    def draw(i: int, a: Axes) -> None:
        key, rows = blocks[i]
        _draw_shares(rows, a, panel_title("Parameter importance", key,
                                     TITLE_WIDTH // ncols if many else TITLE_WIDTH),
                     order, legend=i == 0, grid=many)

    drawn = panel_grid(len(blocks), ax, draw, size=(PANEL_SIZE[0], panel_h), ncols=ncols,
                       width=PANEL_SIZE[0], share=True, left=0.3 + 0.07 * width,
                       bottom=0.95 if many else 0.65)
    if many and drawn.axes[0].get_legend() is not None:
        # small multiples: one legend for the figure, below the panels, over no bar
        first = drawn.axes[0]
        first.get_legend().remove()
        drawn.legend(*first.get_legend_handles_labels(), loc="lower center", ncols=2,
                     frameon=False, bbox_to_anchor=(0.5, 0.0))
    return drawn


@drawing
def importance_by_budget(result: BudgetImportance, *, ax: Axes | None = None) -> Axes:
    """Each parameter's share per budget (one line each), budgets smallest first.

    Draws a :class:`hpo_insights.BudgetImportance` (the result of
    :func:`hpo_insights.importance_by_budget`) and computes nothing: x is the
    budget (in the table's order), y the share, one line with markers per
    parameter, vertical bars for the 95% interval when the table has
    ``ci_low``/``ci_high``. The title gives the Spearman rank correlation of
    each pair of neighbouring budgets (``agreement``).

    Parameters
    ----------
    result : hpo_insights.BudgetImportance
        The result to draw.
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
    >>> res = hi.importance_by_budget(hi.datasets.example())
    >>> ax = hi.plot.importance_by_budget(res)
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['2M', '20M', '200M']
    """
    table = getattr(result, "table", None)
    if not isinstance(table, pd.DataFrame) or not isinstance(
            getattr(result, "agreement", None), pd.DataFrame):
        raise TypeError(
            "hi.plot.importance_by_budget draws the BudgetImportance returned by "
            f"hi.importance_by_budget(trials), got {type(result).__name__} instead."
        )
    need_columns(table, ["budget", "param", "share"], "importance_by_budget",
          numeric=["share", "ci_low", "ci_high"])
    budgets = list(pd.unique(table["budget"]))
    x_of = {b: i for i, b in enumerate(budgets)}
    # Parameters in order of their largest share, so the legend reads top-down.
    params = list(
        table.groupby("param", sort=False)["share"].max().sort_values(ascending=False).index
    )
    has_ci = {"ci_low", "ci_high"} <= set(table.columns)
    width = 0.25 / max(len(params), 1)  # small horizontal offsets keep intervals apart
    if ax is None:
        fig, ax = plt.subplots(figsize=PANEL_SIZE)
        # fixed room for the legend right of the axes (no layout engine: one measuring pass)
        longest = max((text_width(label_text(p)) for p in params), default=9)
        set_margins(fig, right=0.45 + 0.06 * max(longest, 9), top=0.7)
    colors = palette_colors(len(params))
    for k, p in enumerate(params):
        rows = table[table["param"] == p]
        x = np.array([x_of[b] for b in rows["budget"]], dtype=float)
        x = x + (k - (len(params) - 1) / 2) * width
        y = rows["share"].to_numpy(dtype=float)
        ax.plot(x, y, marker="o", color=colors[k], label=label_text(p), linewidth=1.5)
        if has_ci:
            lo = rows["ci_low"].to_numpy(dtype=float)
            hi_ = rows["ci_high"].to_numpy(dtype=float)
            ax.vlines(x, lo, hi_, color=colors[k], alpha=0.5, linewidth=1.2)
    ax.set_xticks(range(len(budgets)), [label_text(b) for b in budgets])
    ax.set_xlim(-0.5, len(budgets) - 0.5)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("budget")
    ax.set_ylabel("share of objective variance")
    agree = result.agreement
    pairs = []
    for a, b in zip(budgets[:-1], budgets[1:], strict=True):
        hit = agree[(agree["budget_a"] == a) & (agree["budget_b"] == b)]
        if len(hit):
            rho = float(hit["spearman"].iloc[0])
            pair = f"{label_text(a, 12)}-{label_text(b, 12)}"
            pairs.append(f"{pair} {rho:.2f}" if np.isfinite(rho) else f"{pair} n/a")
    title = "Parameter importance per budget"
    if pairs:
        title += "\n" + label_text("rank agreement (Spearman): " + ", ".join(pairs), TITLE_WIDTH)
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), title="parameter")
    return ax
