"""Figures: one drawing function per analysis, drawing what the analysis returned.

Each public function takes the result of the compute function of the same
name and draws it; nothing here computes an analysis::

    ve = hi.variance_explained(trials)
    hi.plot.variance_explained(ve)

    vt = hi.value_table(trials, params="dropout")
    hi.plot.value_table(vt, trend=hi.classify_trend(trials, params="dropout"))

Every function accepts ``ax=`` and returns it when the result holds one
panel's worth of data (one study, one parameter). A result holding several
studies (or parameters, for :func:`value_table`) gives a
:class:`matplotlib.figure.Figure` with one panel each; passing ``ax=`` then is
a :class:`~hpo_insights.TrialsError`. Nothing calls ``plt.show()`` or changes
matplotlib's global settings: the theme (seaborn ``whitegrid``, the
colour-blind-safe ``colorblind`` palette) is applied inside a context manager
around each drawing.

This module imports matplotlib and seaborn; ``import hpo_insights`` does
not import it (``hi.plot`` loads lazily).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from hpo_insights._errors import TrialsError
from hpo_insights._frame import MAX_LEVELS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from hpo_insights.importance_budgets import BudgetImportance

__all__ = [
    "compare_budgets",
    "coverage_crosstab",
    "detect_collapse",
    "importance_by_budget",
    "optimization_history",
    "value_table",
    "variance_explained",
]

#: Size of one panel in inches (report size: the report page is about 7 inches wide).
PANEL_SIZE = (7.0, 3.6)
#: Size of one panel of a grid (two per row).
SMALL_PANEL = (3.5, 2.8)
#: Resolution of figures made here.
DPI = 100

_RC = {
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "savefig.bbox": "tight",
    "axes.titlesize": 10,
    # the title sits at the top edge: matplotlib's automatic placement measures every y tick
    # label of every panel again at each draw (about a tenth of the report's drawing time)
    "axes.titley": 1.0,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 7,
}


# --------------------------------------------------------------------------- helpers


@contextlib.contextmanager
def _theme() -> Iterator[None]:
    """The report theme, applied locally (global rcParams are restored on exit)."""
    with plt.rc_context(_RC), sns.axes_style("whitegrid"), sns.color_palette("colorblind"):
        yield
        if plt.get_fignums():
            _title_above_offset(plt.gcf())


def _title_above_offset(fig: Figure) -> None:
    """Automatic title placement again on panels whose y axis shows an offset ("1e-3", "+0.9").

    The theme fixes titles at the top edge (``axes.titley``); matplotlib's automatic
    placement, which lifts the title above such an offset text, is kept where one is shown.
    """
    from matplotlib.ticker import ScalarFormatter

    for a in fig.axes:
        fmt = a.yaxis.get_major_formatter()
        if a.get_title() and isinstance(fmt, ScalarFormatter):
            fmt.set_locs(a.yaxis.get_majorticklocs())
            if fmt.get_offset() and hasattr(a, "_autotitlepos"):
                a._autotitlepos = True  # what an Axes made with axes.titley None holds


def _palette(n: int = 10) -> list:
    return sns.color_palette("colorblind", max(n, 1))


def _need(result: Any, columns: Sequence[str], what: str) -> pd.DataFrame:
    """*result* if it is a DataFrame with *columns*, else a TrialsError naming the analysis."""
    if not isinstance(result, pd.DataFrame):
        raise TypeError(
            f"hi.plot.{what} draws the DataFrame returned by hi.{what}(trials), "
            f"got {type(result).__name__} instead."
        )
    missing = [c for c in columns if c not in result.columns]
    if missing:
        raise TrialsError(
            f"hi.plot.{what} needs the result of hi.{what}(trials): columns "
            f"{', '.join(map(repr, missing))} are missing "
            f"(got {', '.join(map(str, result.columns))})."
        )
    return result


def _blocks(result: pd.DataFrame, keys: Sequence[str]) -> list[tuple[tuple, pd.DataFrame]]:
    """Rows of *result* split by the *keys* present (order of appearance)."""
    keys = [k for k in keys if k in result.columns]
    if not keys or result.empty:
        return [((), result)]
    codes = pd.MultiIndex.from_frame(result[keys]).factorize()[0] if len(keys) > 1 else (
        pd.factorize(result[keys[0]])[0]
    )
    out = []
    for i in range(codes.max() + 1 if len(codes) else 0):
        part = result[codes == i]
        out.append((tuple(part[k].iloc[0] for k in keys), part.reset_index(drop=True)))
    return out


def _margins(fig: Figure, *, left: float = 0.8, right: float = 0.3, top: float = 0.45,
             bottom: float = 0.65, hspace: float = 0.9, wspace: float = 0.8) -> None:
    """Fixed margins, in inches, room for tick labels, axis labels and the title.

    Our figures look the same saved with or without ``bbox_inches="tight"``; without
    it (the report notebook), each figure is drawn once instead of twice.
    """
    w, h = fig.get_size_inches()
    rows, cols = fig.axes[0].get_subplotspec().get_gridspec().get_geometry() if fig.axes \
        else (1, 1)
    cell_w = (w - left - right - wspace * (cols - 1)) / cols
    cell_h = (h - top - bottom - hspace * (rows - 1)) / rows
    fig.subplots_adjust(left=left / w, right=1 - right / w, top=1 - top / h,
                        bottom=bottom / h, wspace=wspace / max(cell_w, 0.1),
                        hspace=hspace / max(cell_h, 0.1))


def _panels(
    n: int,
    ax: Axes | None,
    draw: Callable[[int, Axes], None],
    *,
    size: tuple[float, float] = PANEL_SIZE,
    ncols: int = 1,
    what: str = "studies",
    left: float = 0.8,
) -> Axes | Figure:
    """Draw *n* panels: on *ax* (or a new Axes) when n is 1, else a Figure with a grid."""
    if n == 1:
        if ax is None:
            fig, ax = plt.subplots(figsize=size)
            _margins(fig, left=left)
        draw(0, ax)
        return ax
    if ax is not None:
        raise TrialsError(
            f"ax= takes one panel, but the result holds {n} {what}. Select one first "
            "(e.g. result[result['study'] == name]) or leave ax= out for one panel each."
        )
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows),
                             squeeze=False)
    flat = axes.ravel()
    for i in range(n):
        draw(i, flat[i])
    for a in flat[n:]:
        a.set_visible(False)
    # fixed margins: a layout engine measures every text once more (slow, same result here)
    _margins(fig, left=left)
    return fig


def _fmt(v: Any) -> str:
    """Tick label of a parameter value: compact numbers, text as is."""
    if isinstance(v, bool | np.bool_):
        return str(v)
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        if np.isfinite(v) and float(v).is_integer() and abs(v) < 1e6:
            return str(int(v))
        return f"{v:.3g}"
    return str(v)


def _title(prefix: str, key: tuple) -> str:
    return f"{prefix}: {' | '.join(map(str, key))}" if key else prefix


# --------------------------------------------------------------------------- variance_explained


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


# --------------------------------------------------------------------------- value_table


def _scale(rows: pd.DataFrame) -> str:
    """The x-axis of one parameter: the ``scale`` column when the result has it."""
    if "scale" in rows.columns and len(rows):
        return str(rows["scale"].iloc[0])
    low = rows["low"].to_numpy(dtype=float) if len(rows) else np.array([])
    if len(low) == 0 or not np.isfinite(low).all():
        return "categorical"
    return "linear"


def _draw_levels(rows: pd.DataFrame, ax: Axes, *, trend: pd.Series | None, metric: str,
                 title: str) -> None:
    colors = _palette()
    scale = _scale(rows)
    numeric = scale != "categorical" and len(rows) > 1
    if numeric:
        low = rows["low"].to_numpy(dtype=float)
        high = rows["high"].to_numpy(dtype=float)
        x = np.sqrt(low * high) if scale == "log" else (low + high) / 2
    else:
        x = np.arange(len(rows), dtype=float)
    mean = rows["mean"].to_numpy(dtype=float)
    lo = mean - rows["ci_low"].to_numpy(dtype=float)
    hi = rows["ci_high"].to_numpy(dtype=float) - mean
    yerr = np.vstack([np.where(np.isfinite(lo), lo, 0.0), np.where(np.isfinite(hi), hi, 0.0)])
    ax.errorbar(x, mean, yerr=yerr, fmt="-", color=colors[0], ecolor=colors[0], capsize=3,
                lw=1.2, zorder=2, label="mean, CI (dot size: trials)")
    count = rows["count"].to_numpy(dtype=float)
    size = 12 + 60 * count / max(count.max(), 1.0)
    ax.scatter(x, mean, s=size, color=colors[0], zorder=3, gid="means")
    if trend is not None and len(rows):
        labels = rows["label"] if "label" in rows.columns else rows["value"]
        hit = np.flatnonzero(rows["value"].astype(object).to_numpy() == trend["best_value"])
        if len(hit):
            i = hit[0]
            ax.scatter([x[i]], [mean[i]], marker="*", s=200, color=colors[3], edgecolor="black",
                       linewidths=0.6, zorder=4, gid="best", label=f"best: {_fmt(labels.iloc[i])}")
    # keep the means readable: an interval from two trials can be far wider than the means
    finite = mean[np.isfinite(mean)]
    if len(finite):
        pad = 0.6 * (np.ptp(finite) or abs(finite[0]) * 0.05 or 1.0)
        cur = ax.get_ylim()
        ax.set_ylim(max(cur[0], finite.min() - pad), min(cur[1], finite.max() + pad))
    binned = bool(rows["binned"].any()) if "binned" in rows.columns else False
    if not numeric:
        labels = [_fmt(v) for v in (rows["label"] if "label" in rows.columns else rows["value"])]
        long = any(len(t) > 6 for t in labels)
        ax.set_xticks(x, labels, rotation=30 if long else 0, ha="right" if long else "center")
    else:
        if scale == "log":
            ax.set_xscale("log")
            ax.minorticks_off()
        if not binned:
            ax.set_xticks(x, [_fmt(v) for v in rows["value"]])
            ax.minorticks_off()
    name = str(rows["param"].iloc[0]) if len(rows) else ""
    ax.set_xlabel(name + (" (bins at their centres)" if numeric and binned else ""))
    ax.set_ylabel(metric)
    shape = None if trend is None else trend.get("trend")
    ax.set_title(f"{title}: {shape}" if shape else title)
    ax.legend(loc="best")


def value_table(
    result: pd.DataFrame,
    *,
    params: str | Sequence[str] | None = None,
    trend: pd.DataFrame | None = None,
    metric: str = "mean objective",
    ax: Axes | None = None,
) -> Axes | Figure:
    """The mean objective per value of a parameter, with its confidence interval.

    Per value (or bin) of each parameter in *result*: the mean as a point
    whose size grows with the number of trials, its interval as an error
    bar, joined by a line. The x-axis follows the result's ``scale``
    (``"log"``, ``"linear"`` or ``"categorical"``); binned parameters are
    drawn at their bin centres (geometric on a log axis). With *trend*, the
    best value is starred and the trend named in the title. One panel per
    (study, parameter), two per row.

    Parameters
    ----------
    result : pandas.DataFrame
        What :func:`hpo_insights.value_table` returned.
    params : str or sequence of str, optional
        Draw only these parameters, in this order (default: every parameter
        of the result, in its order).
    trend : pandas.DataFrame, optional
        What :func:`hpo_insights.classify_trend` returned for the same trials.
    metric : str, default "mean objective"
        The y-axis label.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (a result of one study and one parameter only).

    Returns
    -------
    matplotlib.axes.Axes or matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import hpo_insights as hi
    >>> t = hi.datasets.example()
    >>> t = t[t["study"] == "transformer-2M"]
    >>> ax = hi.plot.value_table(hi.value_table(t, params="n_heads"), metric="AUC")
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('n_heads', 'AUC')
    """
    _need(result, ["param", "value", "mean", "ci_low", "ci_high", "count"], "value_table")
    if params is not None:
        wanted = [params] if isinstance(params, str) else [str(p) for p in params]
        wanted = [p.removeprefix("params_") for p in wanted]
        missing = [p for p in wanted if p not in set(result["param"])]
        if missing:
            raise TrialsError(
                f"Unknown parameter {missing[0]!r} in params=: the result holds "
                f"{', '.join(map(str, pd.unique(result['param'])))}."
            )
        rank = {p: i for i, p in enumerate(wanted)}
        result = result[result["param"].isin(wanted)]
        result = result.iloc[np.argsort(result["param"].map(rank).to_numpy(), kind="stable")]
        if "study" in result.columns:
            order = pd.factorize(result["study"])[0]
            result = result.iloc[np.argsort(order, kind="stable")]
    blocks = _blocks(result, ["study", "param"])
    crowded = [(key, len(rows)) for key, rows in blocks if len(rows) > MAX_LEVELS]
    if crowded:
        raise TrialsError(
            f"{crowded[0][0]!r} has {crowded[0][1]} distinct values: too many to draw (at most "
            f"{MAX_LEVELS} per panel). Group the values into fewer levels, or read the value "
            "table as a table."
        )
    trends: dict[tuple, pd.Series] = {}
    if trend is not None:
        _need(trend, ["param", "best_value"], "classify_trend")
        keys = [k for k in ("study", "param") if k in result.columns and k in trend.columns]
        for _, row in trend.iterrows():
            trends[tuple(row[k] for k in keys)] = row

    def draw(i: int, a: Axes) -> None:
        key, rows = blocks[i]
        study = (key[0],) if "study" in result.columns else ()
        tkey = tuple(rows[k].iloc[0] for k in ("study", "param")
                     if trend is not None and k in result.columns and k in trend.columns)
        _draw_levels(rows, a, trend=trends.get(tkey), metric=metric,
                     title=" | ".join(map(str, (*study, rows["param"].iloc[0]))))

    with _theme():
        if len(blocks) == 1:
            return _panels(1, ax, draw, size=PANEL_SIZE)
        return _panels(len(blocks), ax, draw, size=SMALL_PANEL, ncols=2, what="panels")


# --------------------------------------------------------------------------- coverage_crosstab


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
    long = any(len(_fmt(v)) > 6 for v in cols)
    ax.set_xticks(np.arange(len(cols)) + 0.5, [_fmt(v) for v in cols],
                  rotation=30 if long else 0, ha="right" if long else "center")
    ax.set_yticks(np.arange(len(rows)) + 0.5, [_fmt(v) for v in rows])
    ax.set_xlim(0, len(cols))
    ax.set_ylim(len(rows), 0)
    ax.grid(False)
    ax.set_xlabel(str(result["col_param"].iloc[0]) if len(result) else "")
    ax.set_ylabel(str(result["row_param"].iloc[0]) if len(result) else "")
    ax.figure.colorbar(mesh, ax=ax, label="trials", fraction=0.05, pad=0.02)
    ax.set_title(title)


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
    _need(result, ["row_param", "row_value", "col_param", "col_value", "n_trials"],
          "coverage_crosstab")
    blocks = _blocks(result, ["study"])

    def draw(i: int, a: Axes) -> None:
        key, rows = blocks[i]
        _draw_counts(rows, a, _title("Coverage", key))

    with _theme():
        return _panels(len(blocks), ax, draw, size=(6.0, 3.6))


# --------------------------------------------------------------------------- compare_budgets


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
    1.5 IQR) and its completed trials as jittered points.

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
    _need(result, ["budget", "best"], "compare_budgets")
    colors = _palette()
    order = [str(b) for b in result["budget"]]
    with _theme():
        if ax is None:
            fig, ax = plt.subplots(figsize=PANEL_SIZE)
            _margins(fig)
        if history is not None:
            _need(history, ["budget", "value"], "optimization_history")
            if "counted" in history.columns:
                history = history[history["counted"].to_numpy(dtype=bool)]
            pos = {b: i for i, b in enumerate(order)}
            x = history["budget"].astype(str).map(pos).to_numpy(dtype=float)
            y = history["value"].to_numpy(dtype=float)
            keep = np.isfinite(x)
            x, y = x[keep], y[keep]
            ax.boxplot([y[x == i] for i in range(len(order))], positions=np.arange(len(order)),
                       widths=0.5, showfliers=False, patch_artist=True,
                       boxprops={"facecolor": "0.93", "edgecolor": "0.5"},
                       medianprops={"color": "0.3"}, whiskerprops={"color": "0.5"},
                       capprops={"color": "0.5"})
            rng = np.random.default_rng(seed)
            ax.scatter(x + rng.uniform(-0.15, 0.15, len(x)), y, s=12, color=colors[0], alpha=0.6,
                       linewidths=0, zorder=2, label="completed trials", gid="trials")
        ax.scatter(np.arange(len(order)), result["best"].to_numpy(dtype=float), marker="*", s=220,
                   color=colors[3], edgecolor="black", linewidths=0.6, zorder=4,
                   label="best per budget", gid="best")
        ax.set_xticks(np.arange(len(order)), order)
        ax.set_xlim(-0.6, len(order) - 0.4)
        ax.set_xlabel("budget")
        ax.set_ylabel(metric)
        ax.set_title(f"{metric} per budget")
        ax.legend(loc="best")
        return ax


# --------------------------------------------------------------------------- detect_collapse


def _draw_collapse(result: pd.DataFrame, ax: Axes, *, min_range: float | None, metric: str,
                   title: str) -> None:
    colors = _palette()
    flag = result["collapsed"].astype("boolean")
    x = result["pred_range"].to_numpy(dtype=float)
    y = result["value"].to_numpy(dtype=float)
    yes = flag.fillna(False).to_numpy(dtype=bool)
    no = (~flag).fillna(False).to_numpy(dtype=bool)
    known = np.isfinite(x)
    ax.scatter(x[no & known], y[no & known], s=20, color=colors[0], alpha=0.75, linewidths=0,
               label=f"not collapsed ({int(no.sum())})", gid="ok")
    ax.scatter(x[yes & known], y[yes & known], s=36, marker="X", color=colors[3],
               edgecolor="black", linewidths=0.4, label=f"collapsed ({int(yes.sum())})",
               gid="collapsed")
    if min_range is not None:
        ax.axvline(min_range, color="0.3", ls="--", lw=1, label=f"min_range = {min_range:g}")
    unknown = int(flag.isna().sum())
    if unknown:
        ax.plot([], [], " ", label=f"not measured: {unknown}")
    ax.set_xlim(left=0)
    ax.set_xlabel("prediction range (pred_max - pred_min)")
    ax.set_ylabel(metric)
    ax.set_title(title)
    ax.legend(loc="best")


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
    One panel per study.

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
    _need(result, ["collapsed", "pred_range", "value"], "detect_collapse")
    blocks = _blocks(result, ["study"])

    def draw(i: int, a: Axes) -> None:
        key, rows = blocks[i]
        _draw_collapse(rows, a, min_range=min_range, metric=metric,
                       title=_title("Prediction collapse", key))

    with _theme():
        return _panels(len(blocks), ax, draw)


# --------------------------------------------------------------------------- optimization_history


def optimization_history(
    result: pd.DataFrame, *, metric: str = "objective", ax: Axes | None = None
) -> Axes:
    """The objective of each completed trial by trial number, with the best so far.

    Points are the counted trials, the step line ``best_so_far``; several
    studies share the axes, one colour each. Trials that do not count
    (``counted`` False: pruned, failed, unfinished, non-finite) are not drawn;
    the legend says how many.

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
    _need(result, ["study", "number", "value", "best_so_far"], "optimization_history")
    colors = _palette(result["study"].nunique())
    with _theme():
        if ax is None:
            fig, ax = plt.subplots(figsize=PANEL_SIZE)
            _margins(fig)
        counted = (result["counted"].to_numpy(dtype=bool) if "counted" in result.columns
                   else np.isfinite(result["value"].to_numpy(dtype=float)))
        for color, (s, h) in zip(colors, result[counted].groupby("study", sort=False),
                                 strict=False):
            ax.scatter(h["number"], h["value"], s=10, color=color, alpha=0.45, linewidths=0,
                       gid=f"trials:{s}")
            ax.step(h["number"], h["best_so_far"], where="post", color=color, lw=1.6,
                    label=f"{s} (best so far)", gid=f"best:{s}")
        ax.plot([], [], "o", color="0.5", alpha=0.5, ms=4, label="completed trials")
        excluded = int((~counted).sum())
        if excluded:
            ax.plot([], [], " ", label=f"{excluded} pruned/failed/unfinished trials excluded")
        ax.set_xlabel("trial number")
        ax.set_ylabel(metric)
        names = list(pd.unique(result["study"]))
        ax.set_title("Optimization history" + (f": {names[0]}" if len(names) == 1 else ""))
        ax.legend(loc="best")
        return ax


# --------------------------------------------------------------------------- importance_by_budget


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
