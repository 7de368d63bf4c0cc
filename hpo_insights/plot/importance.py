"""Figures of the importance analyses: ``variance_explained``, ``importance_by_budget``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from hpo_insights.plot._common import (
    PANEL_SIZE,
    _blocks,
    _need,
    _palette,
    _panels,
    _theme,
    _title,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from hpo_insights.importance_budgets import BudgetImportance


def _draw_shares(rows: pd.DataFrame, ax: Axes, title: str) -> None:
    colors = _palette()
    rows = rows.sort_values("share", ascending=False, kind="stable", na_position="last")
    y = np.arange(len(rows))
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
    ax.set_yticks(y, [str(p) for p in rows["param"]])
    ax.invert_yaxis()  # largest share on top
    labels = [f"{v:.2f}" if np.isfinite(v) else "n/a" for v in share]
    ax.bar_label(bars, labels=labels, padding=3, fontsize=7)
    ax.set_xlim(0, 1.08)
    ax.set_xlabel("share of objective variance (eta squared)"
                  + ("; grey: does not matter" if "matters" in rows.columns else ""))
    ax.set_ylabel("")
    ax.grid(axis="y", visible=False)
    if "share_adjusted" in rows.columns or "ci_low" in rows.columns:
        ax.legend(loc="lower right")
    ax.set_title(title)


def variance_explained(result: pd.DataFrame, *, ax: Axes | None = None) -> Axes | Figure:
    """Bar chart of the share of objective variance each parameter explains.

    One horizontal bar per parameter: its ``share`` (largest on top,
    labelled with its value), one panel per study. When the result has them,
    ``ci_low``/``ci_high`` are error bars on the share, ``share_adjusted`` a
    diamond, and parameters whose ``matters`` is False are grey.

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
    """
    _need(result, ["param", "share"], "variance_explained")
    blocks = _blocks(result, ["study"])
    n_params = max((len(b) for _, b in blocks), default=1)

    def draw(i: int, a: Axes) -> None:
        key, rows = blocks[i]
        _draw_shares(rows, a, _title("Parameter importance", key))

    with _theme():
        longest = max((len(str(p)) for p in result["param"]), default=4)
        return _panels(len(blocks), ax, draw, size=(PANEL_SIZE[0], max(2.2, 0.35 * n_params + 1)),
                       left=0.3 + 0.07 * longest)


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
    table = result.table
    budgets = list(pd.unique(table["budget"]))
    x_of = {b: i for i, b in enumerate(budgets)}
    # Parameters in order of their largest share, so the legend reads top-down.
    params = list(
        table.groupby("param", sort=False)["share"].max().sort_values(ascending=False).index
    )
    has_ci = {"ci_low", "ci_high"} <= set(table.columns)
    width = 0.25 / max(len(params), 1)  # small horizontal offsets keep intervals apart
    with _theme():
        made = ax is None
        if made:
            _, ax = plt.subplots(figsize=PANEL_SIZE)
        colors = _palette(len(params))
        for k, p in enumerate(params):
            rows = table[table["param"] == p]
            x = np.array([x_of[b] for b in rows["budget"]], dtype=float)
            x = x + (k - (len(params) - 1) / 2) * width
            y = rows["share"].to_numpy(dtype=float)
            ax.plot(x, y, marker="o", color=colors[k], label=str(p), linewidth=1.5)
            if has_ci:
                lo = rows["ci_low"].to_numpy(dtype=float)
                hi_ = rows["ci_high"].to_numpy(dtype=float)
                ax.vlines(x, lo, hi_, color=colors[k], alpha=0.5, linewidth=1.2)
        ax.set_xticks(range(len(budgets)), [str(b) for b in budgets])
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
                pairs.append(f"{a}-{b} {rho:.2f}" if np.isfinite(rho) else f"{a}-{b} n/a")
        title = "Parameter importance per budget"
        if pairs:
            title += "\nrank agreement (Spearman): " + ", ".join(pairs)
        ax.set_title(title)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), title="parameter")
        if made:  # room for the legend right of the axes (a given ax's figure is left alone)
            ax.figure.tight_layout()
        return ax
