"""Figures of the curve analyses: ``fidelity_correlation``, ``pruning_audit``,
``search_progress``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hpo_insights._errors import TrialsError
from hpo_insights.plot._common import (
    PANEL_SIZE,
    drawing,
    label_text,
    need_columns,
    palette_colors,
    panel_grid,
    panel_title,
    result_blocks,
)
from hpo_insights.plot.trends import log_ticks

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


@drawing
def fidelity_correlation(result: pd.DataFrame, *, threshold: float | None = 0.9,
                         ax: Axes | None = None) -> Axes | Figure:
    """Spearman's rho between each step and the final value, with its interval.

    One panel per study: the line is ``rho`` by ``step``, the band
    ``ci_low``–``ci_high``, the dashed line the *threshold* and the dotted
    vertical line the first settled step (``settled``).

    Parameters
    ----------
    result : pandas.DataFrame
        What :func:`hpo_insights.fidelity_correlation` (or
        :func:`hpo_insights.budget_correlation`) returned.
    threshold : float or None, default 0.9
        Drawn as a horizontal line (``None``: not drawn).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (one study only).

    Returns
    -------
    matplotlib.axes.Axes or matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> import hpo_insights as hi
    >>> fc = pd.DataFrame({"study": "s", "step": [0, 1, 2], "n_trials": 20,
    ...     "rho": [0.5, 0.8, 1.0], "ci_low": [0.1, 0.6, 1.0], "ci_high": [0.8, 0.9, 1.0],
    ...     "settled": [False, False, True]})
    >>> ax = hi.plot.fidelity_correlation(fc)
    >>> [line.get_gid() for line in ax.lines][:1]
    ['rho']
    """
    need_columns(result, ["study", "step", "rho", "ci_low", "ci_high", "settled"],
          "fidelity_correlation")
    blocks = result_blocks(result, ["study"])
    xlabel = "budget" if "budget" in result.columns else "step"

    def draw(i: int, a: Axes) -> None:
        key, rows = blocks[i]
        x = rows["step"].to_numpy(dtype=float)
        a.fill_between(x, rows["ci_low"].to_numpy(dtype=float),
                       rows["ci_high"].to_numpy(dtype=float), alpha=0.25, lw=0,
                       label="95% interval", gid="band")
        a.plot(x, rows["rho"].to_numpy(dtype=float), marker="o", ms=3, lw=1.5,
               label="Spearman rho", gid="rho")
        if threshold is not None:
            a.axhline(threshold, ls="--", lw=1, color="0.4", label=f"threshold {threshold:g}",
                      gid="threshold")
        settled = rows.loc[rows["settled"].astype(bool), "step"]
        if len(settled):
            a.axvline(float(settled.min()), ls=":", color="0.2",
                      label=f"settled from {xlabel} {settled.min()}", gid="settled")
        if "budget" in rows.columns:
            a.set_xticks(x, [label_text(b, 12) for b in rows["budget"]])
        a.set_ylim(min(-0.05, float(np.nanmin(rows["ci_low"], initial=0.0)) - 0.05), 1.05)
        a.set_xlabel(xlabel)
        a.set_ylabel("rank correlation with the final value")
        a.set_title(panel_title("Fidelity", key))
        a.legend(loc="lower right", fontsize="small")

    return panel_grid(len(blocks), ax, draw)


@drawing
def pruning_audit(result: Any, *, ax: Axes | None = None) -> Axes | Figure:
    """Where the rule would have stopped each trial, against how good it was in the end.

    One panel per study: each COMPLETE trial at (``rank`` of its final value,
    step reached): a cross at ``pruned_at`` for a stopped trial, a dot at its
    last step for one that runs to the end; the best trial is ringed. The
    title gives the share of steps saved and the regret.

    Parameters
    ----------
    result : hpo_insights.PruningAudit
        What :func:`hpo_insights.pruning_audit` returned.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (one study only).

    Returns
    -------
    matplotlib.axes.Axes or matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np, pandas as pd
    >>> import hpo_insights as hi
    >>> curves = pd.DataFrame({"study": "s", "number": np.repeat(range(4), 3),
    ...     "state": "COMPLETE", "step": np.tile(range(3), 4),
    ...     "value": [3, 2, 1, 3, 2.5, 2, 5, 4, 3, 1, 0.5, 0.2]})
    >>> audit = hi.pruning_audit(curves, rule=hi.pruning.Median(n_startup_trials=1),
    ...                          direction="minimize")
    >>> ax = hi.plot.pruning_audit(audit)
    >>> ax.collections[1].get_offsets().tolist()  # the stopped trials: (rank, step)
    [[3.0, 1.0], [4.0, 0.0]]
    """
    if not all(hasattr(result, a) for a in ("trials", "summary")):
        raise TypeError("hi.plot.pruning_audit draws the PruningAudit returned by "
                        f"hi.pruning_audit(curves, ...), got {type(result).__name__} instead.")
    trials = need_columns(result.trials, ["study", "number", "pruned_at", "last_step", "rank"],
                   "pruning_audit")
    summary = result.summary
    blocks = result_blocks(trials, ["study"])
    colors = palette_colors(3)

    def draw(i: int, a: Axes) -> None:
        key, rows = blocks[i]
        stopped = rows["pruned_at"].notna().to_numpy()
        rank = rows["rank"].to_numpy(dtype=float)
        last = rows["last_step"].to_numpy(dtype=float)
        at = rows["pruned_at"].astype("Float64").fillna(np.nan).to_numpy(dtype=float)
        a.scatter(rank[~stopped], last[~stopped], s=14, color=colors[0],
                  label="runs to the end", gid="kept")
        a.scatter(rank[stopped], at[stopped], s=22, marker="x", color=colors[1],
                  label="stopped by the rule", gid="stopped")
        best = rank == 1
        y_best = np.where(stopped, at, last)[best]
        a.scatter(rank[best], y_best, s=120, facecolors="none", edgecolors="0.1",
                  label="best final value", gid="best")
        a.set_xlabel("rank of the final value (1 = best)")
        a.set_ylabel("step reached")
        _steps_from_zero(a, np.concatenate([last, at[stopped]]))
        title = panel_title("Pruner audit", key)
        row = summary[summary["study"] == key[0]] if key else summary
        if len(row):
            r = row.iloc[0]
            title += (f": saves {r['share_saved']:.0%} of steps, "
                      f"{'stops' if r['best_stopped'] else 'keeps'} the best, "
                      f"regret {r['regret']:.3g}")
        a.set_title(label_text(title, 90))
        a.legend(loc="best", fontsize="small")

    return panel_grid(len(blocks), ax, draw)


def _steps_from_zero(ax: Axes, steps: np.ndarray) -> None:
    """A step axis from step 0 (or the lowest step) to the highest, in whole steps: every
    trial at the last step then reads as such, not as a row in a 4.9-5.1 window. The
    ranks on the x axis are whole numbers too."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))

    steps = steps[np.isfinite(steps)]
    if steps.size:
        low, high = min(0.0, float(steps.min())), float(steps.max())
        pad = max(high - low, 1.0) * 0.05
        ax.set_ylim(low - pad, high + pad)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


@drawing
def search_progress(result: Any, *, metric: str = "objective", series: str | None = None,
                    ax: Axes | None = None) -> Axes | Figure:
    """The expected best after k trials with its band, and the observed best so far.

    One panel per study, k on a log axis: the line and band are
    ``expected_best`` and ``band_low``–``band_high``; the step line is
    ``best_so_far`` (this search, in trial order).

    Parameters
    ----------
    result : hpo_insights.SearchProgress
        What :func:`hpo_insights.search_progress` returned.
    metric : str, default "objective"
        The y-axis label.
    series : str, optional
        ``"study"``: every study on one Axes, one colour each (the same
        line, band and step line), instead of a panel each; more than ten
        take a sequential colour map and the legend names the first and
        the last.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (one study only, or any number with *series*).

    Returns
    -------
    matplotlib.axes.Axes or matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import hpo_insights as hi
    >>> sp = hi.search_progress(hi.datasets.example(), studies="transformer-2M")
    >>> ax = hi.plot.search_progress(sp)
    >>> sorted(str(line.get_gid()) for line in ax.lines)
    ['best_so_far', 'expected_best']
    >>> every = hi.plot.search_progress(hi.search_progress(hi.datasets.example()),
    ...                                 series="study")
    >>> len([line for line in every.lines if line.get_gid() == "expected_best"])
    3
    """
    if not hasattr(result, "curve"):
        raise TypeError("hi.plot.search_progress draws the SearchProgress returned by "
                        f"hi.search_progress(trials), got {type(result).__name__} instead.")
    curve = need_columns(result.curve, ["study", "k", "expected_best", "band_low", "band_high",
                                 "best_so_far"], "search_progress")
    blocks = result_blocks(curve, ["study"])
    if not blocks or not len(curve):
        raise TrialsError("hi.plot.search_progress: the result holds no study.")
    if series is not None:
        return _progress_series(blocks, metric=metric, series=series, ax=ax)

    def draw(i: int, a: Axes) -> None:
        key, rows = blocks[i]
        k = rows["k"].to_numpy(dtype=float)
        a.fill_between(k, rows["band_low"].to_numpy(dtype=float),
                       rows["band_high"].to_numpy(dtype=float), alpha=0.25, lw=0,
                       label="95% band", gid="band")
        a.plot(k, rows["expected_best"].to_numpy(dtype=float), lw=1.6,
               label="expected best of k (i.i.d.)", gid="expected_best")
        a.step(k, rows["best_so_far"].to_numpy(dtype=float), where="post", lw=1.2,
               color="0.3", label="this search: best so far", gid="best_so_far")
        _progress_axes(a, metric, panel_title("Search progress", key))
        a.legend(loc="best", fontsize="small")

    return panel_grid(len(blocks), ax, draw, size=PANEL_SIZE)



def _progress_axes(a: Axes, metric: str, title: str) -> None:
    """Log-scale trial counts with readable ticks, the axis labels and the title."""
    a.set_xscale("log")
    a.minorticks_off()
    ticks = log_ticks(*a.get_xlim())
    a.set_xticks(ticks, [f"{t:.3g}" for t in ticks])
    a.set_xlabel("number of trials k")
    a.set_ylabel(label_text(metric))
    a.set_title(title)


def _progress_series(blocks: list, *, metric: str, series: str, ax: Axes | None) -> Axes:
    """Every study's search progress on one Axes, a colour each (see :func:`search_progress`)."""
    from matplotlib.lines import Line2D

    from hpo_insights.plot.trends import series_colors, series_label, series_title

    if series != "study":
        raise TrialsError(f"hi.plot.search_progress: series= takes 'study', got {series!r}.")
    colors = series_colors(len(blocks))

    def draw(_: int, a: Axes) -> None:
        for i, (key, rows) in enumerate(blocks):
            k = rows["k"].to_numpy(dtype=float)
            a.fill_between(k, rows["band_low"].to_numpy(dtype=float),
                           rows["band_high"].to_numpy(dtype=float), alpha=0.15, lw=0,
                           color=colors[i], gid="band")
            a.plot(k, rows["expected_best"].to_numpy(dtype=float), lw=1.4, color=colors[i],
                   label=series_label(i, len(blocks), key[0]), gid="expected_best")
            a.step(k, rows["best_so_far"].to_numpy(dtype=float), where="post", lw=1.0,
                   ls="--", color=colors[i], gid="best_so_far")
        _progress_axes(a, metric, "Search progress")
        encoding = [Line2D([], [], color="0.3", lw=1.4, label="expected best of k (i.i.d.), "
                           "95% band"),
                    Line2D([], [], color="0.3", lw=1.0, ls="--",
                           label="this search: best so far")]
        handles, _ = a.get_legend_handles_labels()
        a.legend(handles=encoding + handles, loc="best", fontsize="small",
                 title=series_title(len(blocks), series, "") or None, title_fontsize=7)

    return panel_grid(1, ax, draw, size=PANEL_SIZE)
