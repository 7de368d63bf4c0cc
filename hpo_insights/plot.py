"""Figures: one drawing function per analysis.

Each public function takes a trials frame (see ``docs/trials-frame.md``)
and the options of its analysis, gets its numbers from the public compute
function of the same name (:func:`hpo_insights.value_table`,
:func:`hpo_insights.variance_explained` ...) and draws them. The drawing
itself lives in a private ``_draw_<name>(result, ax, ...)`` that only reads
the documented result frame, so it can be tested on a hand-built frame.

Functions that draw one axes accept ``ax=`` and return it. When the frame
holds several studies and no ``study=`` is given, they return a
:class:`matplotlib.figure.Figure` with one panel per study. Nothing here
calls ``plt.show()`` or changes matplotlib's global settings: the theme
(seaborn ``whitegrid``, the colour-blind-safe ``colorblind`` palette) is
applied inside a context manager around each drawing.

This module imports matplotlib and seaborn; ``import hpo_insights`` does
not import it (``hi.plot`` loads lazily).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

import hpo_insights as hi
from hpo_insights import _frame
from hpo_insights._errors import TrialsError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "compare_budgets",
    "coverage_crosstab",
    "detect_collapse",
    "importance_by_budget",
    "optimization_history",
    "value_table",
    "variance_explained",
]

#: Size of one panel in inches (report size).
PANEL_SIZE = (7.0, 4.0)
#: Resolution of figures made here.
DPI = 110

_RC = {
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "savefig.bbox": "tight",
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 8,
}


# --------------------------------------------------------------------------- helpers


@contextlib.contextmanager
def _theme() -> Iterator[None]:
    """The report theme, applied locally (global rcParams are restored on exit)."""
    with plt.rc_context(_RC), sns.axes_style("whitegrid"), sns.color_palette("colorblind"):
        yield


def _palette(n: int = 10) -> list:
    return sns.color_palette("colorblind", max(n, 1))


def _metric_label(trials: pd.DataFrame, objective: str | None = None) -> str:
    """``study_metric_name`` when recorded (single objective), else the objective column."""
    col = _frame.objective_column(trials, objective)
    name_col = "study_metric_name"
    if col == _frame.VALUE and name_col in trials.columns:
        names = trials[name_col].dropna().astype(str).unique()
        if len(names) == 1 and names[0].strip():
            return names[0]
    return col.removeprefix(_frame.VALUES_PREFIX) if col != _frame.VALUE else col


def _studies(trials: pd.DataFrame, study: str | None) -> list:
    """The studies to draw: *study* alone (checked) or every study in order of appearance."""
    names = list(pd.unique(trials[_frame.STUDY]))
    if study is None:
        return names
    if study not in names:
        raise TrialsError(
            f"Unknown study {study!r}. Studies in trials: {', '.join(map(str, names))}. "
            "Pass study= with one of these names."
        )
    return [study]


def _one_study(trials: pd.DataFrame, study) -> pd.DataFrame:
    return trials[trials[_frame.STUDY] == study]


def _panels(
    names: Sequence,
    ax: Axes | None,
    draw: Callable[[object, Axes], None],
    *,
    size: tuple[float, float] = PANEL_SIZE,
    ncols: int = 1,
) -> Axes | Figure:
    """Draw one panel per name: the given/new Axes for one name, a Figure for several."""
    if len(names) == 1:
        if ax is None:
            _, ax = plt.subplots(figsize=size)
        draw(names[0], ax)
        return ax
    if ax is not None:
        raise TrialsError(
            f"ax= takes one panel, but the trials hold {len(names)} studies "
            f"({', '.join(map(str, names))}). Pass study='<name>' to draw one study on ax."
        )
    ncols = min(ncols, len(names))
    nrows = math.ceil(len(names) / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows), squeeze=False
    )
    flat = axes.ravel()
    for name, a in zip(names, flat, strict=False):
        draw(name, a)
    for a in flat[len(names) :]:
        a.set_visible(False)
    fig.tight_layout()
    return fig


def _fmt(v) -> str:
    """Tick label of a parameter value: compact numbers, text as is."""
    if isinstance(v, (bool, np.bool_)):
        return str(v)
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        if np.isfinite(v) and float(v).is_integer() and abs(v) < 1e6:
            return str(int(v))
        return f"{v:.3g}"
    return str(v)


def _bare(param: str) -> str:
    return param.removeprefix(_frame.PARAM_PREFIX)


# --------------------------------------------------------------------------- variance_explained


def _draw_variance_explained(result: pd.DataFrame, ax: Axes, *, title: str | None = None) -> Axes:
    """Horizontal bars of ``share`` per ``param``, largest on top, labelled with the share.

    *result* holds the rows of one study of :func:`hpo_insights.variance_explained`
    (columns ``param``, ``share``).
    """
    rows = result.sort_values("share", ascending=False, kind="stable")
    y = np.arange(len(rows))
    bars = ax.barh(y, rows["share"].to_numpy(dtype=float), color=_palette()[0], height=0.7)
    ax.set_yticks(y, [str(p) for p in rows["param"]])
    ax.invert_yaxis()  # largest share on top
    labels = [f"{s:.2f}" if np.isfinite(s) else "n/a" for s in rows["share"].to_numpy(dtype=float)]
    ax.bar_label(bars, labels=labels, padding=3, fontsize=8)
    ax.set_xlim(0, 1.08)
    ax.set_xlabel("share of objective variance (eta squared)")
    ax.set_ylabel("")
    ax.grid(axis="y", visible=False)
    if title:
        ax.set_title(title)
    return ax


def variance_explained(
    trials: pd.DataFrame,
    *,
    study: str | None = None,
    params: Sequence[str] | None = None,
    objective: str | None = None,
    bins: int = 10,
    ax: Axes | None = None,
) -> Axes | Figure:
    """Bar chart of the share of objective variance explained by each parameter.

    One horizontal bar per parameter, the largest share on top, each bar
    labelled with its share (:func:`hpo_insights.variance_explained`,
    one-way eta squared).

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    study : str, optional
        Draw this study only. By default every study is drawn, one panel each.
    params, objective, bins
        Passed to :func:`hpo_insights.variance_explained`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (one study only). A new figure is made when ``None``.

    Returns
    -------
    matplotlib.axes.Axes or matplotlib.figure.Figure
        The Axes for one study; a Figure with one panel per study otherwise.

    Raises
    ------
    hpo_insights.TrialsError
        Unknown study, or ``ax=`` given for several studies.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import hpo_insights as hi
    >>> trials = hi.datasets.example()
    >>> ax = hi.plot.variance_explained(trials, study="transformer-2M")
    >>> [t.get_text() for t in ax.get_yticklabels()][:2]
    ['dropout', 'n_layers']
    """
    names = _studies(trials, study)
    sub = trials if study is None else _one_study(trials, study)
    result = hi.variance_explained(sub, params=params, objective=objective, by="study", bins=bins)

    def draw(name, a):
        _draw_variance_explained(
            result[result["study"] == name], a, title=f"Parameter importance: {name}"
        )

    with _theme():
        return _panels(
            names, ax, draw, size=(PANEL_SIZE[0], max(2.5, 0.45 * result["param"].nunique() + 1))
        )


# --------------------------------------------------------------------------- value_table


def _value_positions(table: pd.DataFrame, *, numeric: bool, log: bool) -> np.ndarray:
    """x of each row: bin centre (geometric on a log axis), the value, or 0..n-1 for categories."""
    if not numeric:
        return np.arange(len(table), dtype=float)
    low = table["low"].to_numpy(dtype=float)
    high = table["high"].to_numpy(dtype=float)
    return np.sqrt(low * high) if log else (low + high) / 2


def _draw_value_table(
    table: pd.DataFrame,
    ax: Axes,
    *,
    points: pd.DataFrame | None = None,
    best_value=None,
    numeric: bool = True,
    log: bool = False,
    trend: str | None = None,
    param: str | None = None,
    metric: str = "value",
    seed: int | None = 0,
) -> Axes:
    """Mean with CI error bars per value, jittered trials behind, the best value marked.

    *table* holds the rows of one study and one parameter of
    :func:`hpo_insights.value_table`. *points* (columns ``x`` and ``y``)
    holds the completed trials: ``x`` the raw parameter value when
    *numeric*, else the row position. *best_value* is the ``value`` of the
    row to mark (e.g. :func:`hpo_insights.classify_trend` ``best_value``).
    """
    colors = _palette()
    x = _value_positions(table, numeric=numeric, log=log)
    mean = table["mean"].to_numpy(dtype=float)
    lo = mean - table["ci_low"].to_numpy(dtype=float)
    hi_ = table["ci_high"].to_numpy(dtype=float) - mean
    yerr = np.vstack([np.where(np.isfinite(lo), lo, 0.0), np.where(np.isfinite(hi_), hi_, 0.0)])
    if points is not None and len(points):
        px = points["x"].to_numpy(dtype=float)
        rng = np.random.default_rng(seed)
        if numeric:
            jitter = rng.uniform(-0.02, 0.02, len(px))
            px = px * np.exp(jitter) if log else px + jitter * (np.ptp(x) if len(x) > 1 else 1.0)
        else:
            px = px + rng.uniform(-0.15, 0.15, len(px))
        ax.scatter(
            px,
            points["y"],
            s=14,
            color="0.6",
            alpha=0.6,
            linewidths=0,
            zorder=1,
            label="completed trials",
            gid="trials",
        )
    ax.errorbar(
        x,
        mean,
        yerr=yerr,
        fmt="o-",
        color=colors[0],
        ecolor=colors[0],
        capsize=3,
        markersize=5,
        lw=1.2,
        zorder=3,
        label="mean, 95% CI",
    )
    if best_value is not None:
        hit = np.flatnonzero(table["value"].astype(object).to_numpy() == best_value)
        if len(hit):
            i = hit[0]
            ax.scatter(
                [x[i]],
                [mean[i]],
                marker="*",
                s=220,
                color=colors[3],
                edgecolor="black",
                linewidths=0.6,
                zorder=4,
                label=f"best: {_fmt(table['value'].iloc[i])}",
                gid="best",
            )
    # Keep the trials readable: a CI from two trials can be far wider than the data;
    # such bars run off the axes rather than squashing every point into a line.
    seen = np.concatenate([mean, points["y"].to_numpy(dtype=float) if points is not None else []])
    seen = seen[np.isfinite(seen)]
    if len(seen):
        pad = 0.15 * (np.ptp(seen) or abs(seen[0]) or 1.0)
        lo_lim, hi_lim = seen.min() - pad, seen.max() + pad
        cur = ax.get_ylim()
        ax.set_ylim(max(cur[0], lo_lim), min(cur[1], hi_lim))
    if not numeric:
        labels = [_fmt(v) for v in table["value"]]
        long = any(len(t) > 8 for t in labels)
        ax.set_xticks(x, labels, rotation=30 if long else 0, ha="right" if long else "center")
    elif log:
        ax.set_xscale("log")
        if not table["binned"].any():
            ax.set_xticks(x, [_fmt(v) for v in table["value"]])
            ax.minorticks_off()
    elif not table["binned"].any():
        ax.set_xticks(x, [_fmt(v) for v in table["value"]])
    name = param if param is not None else str(table["param"].iloc[0]) if len(table) else ""
    xlabel = name + (
        " (binned; points at bin centres)" if numeric and table["binned"].any() else ""
    )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(metric)
    study = str(table["study"].iloc[0]) if "study" in table.columns and len(table) else None
    title = f"{name}: {trend}" if trend else name
    ax.set_title(f"{study} | {title}" if study else title)
    ax.legend(loc="best")
    return ax


def _axis_kind(trials: pd.DataFrame, pcol: str, table: pd.DataFrame) -> tuple[bool, bool]:
    """(numeric x-axis, log x-axis) for a parameter."""
    dist = _frame.distribution(trials, pcol)
    values = trials[pcol]
    if len(table) == 0 or not _frame.is_numeric_param(values):
        return False, False
    if dist is not None and dist.get("name") == "CategoricalDistribution":
        return False, False
    binned = bool(table["binned"].any())
    low = table["low"].to_numpy(dtype=float)
    high = table["high"].to_numpy(dtype=float)
    positive = len(low) > 0 and np.nanmin(low) > 0
    is_log = bool(dist and dist.get("attributes", {}).get("log"))
    spans = positive and np.nanmax(high) / np.nanmin(low) > 100
    if not binned and len(table) <= 1:
        return False, False
    return True, bool(positive and (is_log or spans))


def value_table(
    trials: pd.DataFrame,
    *,
    params: str,
    study: str | None = None,
    objective: str | None = None,
    direction: str | None = None,
    bins: int = 10,
    confidence: float = 0.95,
    method: str = "endpoints",
    tol: float = 0.01,
    ax: Axes | None = None,
) -> Axes | Figure:
    """Trend plot of one parameter: mean objective per value with its confidence interval.

    Per value (or quantile bin) of *param*: the mean objective with its
    t-interval as error bars (:func:`hpo_insights.value_table`), the
    completed trials as jittered grey points behind, the best value (by the
    study's direction) marked with a star, and the trend
    (:func:`hpo_insights.classify_trend`) in the title. Log-scale and
    log-binned parameters get a log x-axis; categorical parameters one
    position per choice.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    params : str
        Parameter name, with or without ``params_``.
    study : str, optional
        Draw this study only. By default every study is drawn, one panel each.
    objective, direction, bins, confidence
        Passed to :func:`hpo_insights.value_table` (and ``classify_trend``).
    method, tol
        Passed to :func:`hpo_insights.classify_trend`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (one study only).

    Returns
    -------
    matplotlib.axes.Axes or matplotlib.figure.Figure
        The Axes for one study; a Figure with one panel per study otherwise.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import hpo_insights as hi
    >>> ax = hi.plot.value_table(hi.datasets.example(), params="n_heads", study="transformer-2M")
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('n_heads', 'AUC')
    """
    names = _studies(trials, study)
    sub = trials if study is None else _one_study(trials, study)
    pcol = _frame.param_column(sub, params)
    name = _bare(pcol)
    table = hi.value_table(
        sub, params=pcol, objective=objective, by="study", bins=bins, confidence=confidence
    )
    trend = hi.classify_trend(
        sub,
        params=pcol,
        method=method,
        tol=tol,
        objective=objective,
        direction=direction,
        by="study",
        bins=bins,
    )
    done, ycol = _frame.completed(sub, objective, columns=[_frame.STUDY, pcol])
    metric = _metric_label(sub, objective)

    def draw(s, a):
        t = table[table["study"] == s].reset_index(drop=True)
        tr = trend[trend["study"] == s]
        pts = done[done[_frame.STUDY] == s]
        numeric, log = _axis_kind(_one_study(sub, s), pcol, t)
        if numeric:
            x = pts[pcol].to_numpy(dtype=float)
        else:
            codes = {v: i for i, v in enumerate(t["value"].astype(object))}
            x = pts[pcol].astype(object).map(codes).to_numpy(dtype=float)
        points = pd.DataFrame({"x": x, "y": pts[ycol].to_numpy(dtype=float)})
        _draw_value_table(
            t,
            a,
            points=points,
            best_value=tr["best_value"].iloc[0] if len(tr) else None,
            numeric=numeric,
            log=log,
            trend=tr["trend"].iloc[0] if len(tr) else None,
            param=name,
            metric=metric,
        )

    with _theme():
        return _panels(names, ax, draw)


# --------------------------------------------------------------------------- coverage_crosstab


def _draw_coverage_crosstab(result: pd.DataFrame, ax: Axes, *, title: str | None = None) -> Axes:
    """Annotated heatmap of ``n_trials`` (rows: ``row_value``, columns: ``col_value``).

    *result* holds the rows of one study of :func:`hpo_insights.coverage_crosstab`.
    Zero cells are annotated "0" on a white background, so gaps stand out.
    """
    rows = list(pd.unique(result["row_value"]))
    cols = list(pd.unique(result["col_value"]))
    r = pd.Index(rows).get_indexer(result["row_value"])
    c = pd.Index(cols).get_indexer(result["col_value"])
    grid = np.zeros((len(rows), len(cols)))
    grid[r, c] = result["n_trials"].to_numpy(dtype=float)
    vmax = max(float(grid.max()) if grid.size else 1.0, 1.0)
    mesh = ax.pcolormesh(grid, cmap="Blues", vmin=0, vmax=vmax, edgecolors="0.85", linewidth=0.5)
    for (i, j), v in np.ndenumerate(grid):
        ax.text(
            j + 0.5,
            i + 0.5,
            str(int(v)),
            ha="center",
            va="center",
            fontsize=8,
            color="white" if v > 0.6 * vmax else ("0.45" if v == 0 else "black"),
        )
    ax.set_xticks(
        np.arange(len(cols)) + 0.5,
        [_fmt(v) for v in cols],
        rotation=30 if any(len(_fmt(v)) > 6 for v in cols) else 0,
        ha="right" if any(len(_fmt(v)) > 6 for v in cols) else "center",
    )
    ax.set_yticks(np.arange(len(rows)) + 0.5, [_fmt(v) for v in rows])
    ax.set_xlim(0, len(cols))
    ax.set_ylim(len(rows), 0)
    ax.grid(False)
    ax.set_xlabel(str(result["col_param"].iloc[0]) if len(result) else "")
    ax.set_ylabel(str(result["row_param"].iloc[0]) if len(result) else "")
    ax.figure.colorbar(mesh, ax=ax, label="trials", fraction=0.05, pad=0.02)
    if title:
        ax.set_title(title)
    return ax


def coverage_crosstab(
    trials: pd.DataFrame,
    *,
    params: Sequence[str],
    study: str | None = None,
    states: Sequence[str] = ("COMPLETE",),
    ax: Axes | None = None,
) -> Axes | Figure:
    """Heatmap of how many trials tried each combination of two parameters.

    Counts from :func:`hpo_insights.coverage_crosstab`, every cell
    annotated; combinations never tried show "0" on white.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    params : pair of str
        Parameter names (rows, columns), with or without ``params_``.
    study : str, optional
        Draw this study only. By default every study is drawn, one panel each.
    states : sequence of str
        Trial states counted (passed to :func:`hpo_insights.coverage_crosstab`).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (one study only).

    Returns
    -------
    matplotlib.axes.Axes or matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import hpo_insights as hi
    >>> ax = hi.plot.coverage_crosstab(hi.datasets.example(), params=("d_model", "n_heads"),
    ...                                study="transformer-2M")
    >>> ax.get_ylabel(), ax.get_xlabel()
    ('d_model', 'n_heads')
    """
    names = _studies(trials, study)
    sub = trials if study is None else _one_study(trials, study)
    result = hi.coverage_crosstab(sub, params=params, by="study", states=states)

    def draw(s, a):
        _draw_coverage_crosstab(result[result["study"] == s], a, title=f"Coverage: {s}")

    with _theme():
        return _panels(names, ax, draw, size=(6.0, 4.0))


# --------------------------------------------------------------------------- compare_budgets


def _draw_compare_budgets(
    best: pd.DataFrame,
    points: pd.DataFrame,
    ax: Axes,
    *,
    metric: str = "value",
    seed: int | None = 0,
) -> Axes:
    """Box + jittered points of the objective per budget, the best trial of each starred.

    *best* is :func:`hpo_insights.compare_budgets` (``budget``, ``best`` in
    size order); *points* has columns ``budget`` and ``y`` (completed trials).
    """
    colors = _palette()
    order = [str(b) for b in best["budget"]]
    pos = {b: i for i, b in enumerate(order)}
    pb = points["budget"].astype(str)
    x = pb.map(pos).to_numpy(dtype=float)
    y = points["y"].to_numpy(dtype=float)
    data = [y[x == i] for i in range(len(order))]
    ax.boxplot(
        data,
        positions=np.arange(len(order)),
        widths=0.5,
        showfliers=False,
        patch_artist=True,
        boxprops={"facecolor": "0.93", "edgecolor": "0.5"},
        medianprops={"color": "0.3"},
        whiskerprops={"color": "0.5"},
        capprops={"color": "0.5"},
    )
    rng = np.random.default_rng(seed)
    ax.scatter(
        x + rng.uniform(-0.15, 0.15, len(x)),
        y,
        s=14,
        color=colors[0],
        alpha=0.6,
        linewidths=0,
        zorder=2,
        label="completed trials",
        gid="trials",
    )
    ax.scatter(
        np.arange(len(order)),
        best["best"].to_numpy(dtype=float),
        marker="*",
        s=250,
        color=colors[3],
        edgecolor="black",
        linewidths=0.6,
        zorder=4,
        label="best per budget",
        gid="best",
    )
    ax.set_xticks(np.arange(len(order)), order)
    ax.set_xlim(-0.6, len(order) - 0.4)
    ax.set_xlabel("budget")
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} per budget")
    ax.legend(loc="best")
    return ax


def compare_budgets(
    trials: pd.DataFrame,
    *,
    budget: str | None = None,
    objective: str | None = None,
    direction: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Distribution of the objective per budget, the best trial of each marked.

    One box (quartiles, whiskers) plus jittered points of the completed
    trials per budget, budgets in size order ("2M" < "20M" < "200M"), the
    best trial of each budget (:func:`hpo_insights.compare_budgets`) starred.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    budget, objective, direction
        Passed to :func:`hpo_insights.compare_budgets` (``budget=None``: the
        ``study_user_attrs_budget`` column if present, else ``study``).
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
    >>> ax = hi.plot.compare_budgets(hi.datasets.example())
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['2M', '20M', '200M']
    """
    best = hi.compare_budgets(trials, budget=budget, objective=objective, direction=direction)
    key = (
        budget
        if budget is not None
        else (_frame.BUDGET if _frame.BUDGET in trials.columns else _frame.STUDY)
    )
    labels = _frame.group_labels(trials, key)
    done, ycol = _frame.completed(trials.assign(_budget=labels), objective, columns=["_budget"])
    points = pd.DataFrame(
        {"budget": done["_budget"].to_numpy(), "y": done[ycol].to_numpy(dtype=float)}
    )
    with _theme():
        if ax is None:
            _, ax = plt.subplots(figsize=PANEL_SIZE)
        return _draw_compare_budgets(best, points, ax, metric=_metric_label(trials, objective))


# --------------------------------------------------------------------------- detect_collapse


def _draw_detect_collapse(
    result: pd.DataFrame,
    ax: Axes,
    *,
    min_range: float | None = None,
    metric: str = "value",
    title: str | None = None,
) -> Axes:
    """Scatter of ``pred_range`` vs ``value``, collapsed trials highlighted, threshold line.

    *result* holds the rows of one study of :func:`hpo_insights.detect_collapse`.
    Trials with nothing measured (``collapsed`` is <NA>) are not drawn; the
    legend counts them.
    """
    colors = _palette()
    flag = result["collapsed"].astype("boolean")
    x = result["pred_range"].to_numpy(dtype=float)
    y = result["value"].to_numpy(dtype=float)
    yes = flag.fillna(False).to_numpy(dtype=bool)
    no = (~flag).fillna(False).to_numpy(dtype=bool)
    known_x = np.isfinite(x)
    ax.scatter(
        x[no & known_x],
        y[no & known_x],
        s=22,
        color=colors[0],
        alpha=0.75,
        linewidths=0,
        label=f"not collapsed ({int(no.sum())})",
        gid="ok",
    )
    ax.scatter(
        x[yes & known_x],
        y[yes & known_x],
        s=40,
        marker="X",
        color=colors[3],
        edgecolor="black",
        linewidths=0.4,
        label=f"collapsed ({int(yes.sum())})",
        gid="collapsed",
    )
    unknown = int(flag.isna().sum())
    if min_range is not None:
        ax.axvline(min_range, color="0.3", ls="--", lw=1, label=f"min_range = {min_range:g}")
    if unknown:
        ax.plot([], [], " ", label=f"not measured: {unknown}")
    ax.set_xlim(left=0)
    ax.set_xlabel("prediction range (pred_max - pred_min)")
    ax.set_ylabel(metric)
    if title:
        ax.set_title(title)
    ax.legend(loc="best")
    return ax


def detect_collapse(
    trials: pd.DataFrame,
    *,
    study: str | None = None,
    min_range: float = 0.05,
    min_std: float = 0.01,
    ax: Axes | None = None,
    **columns: str,
) -> Axes | Figure:
    """Prediction range against the objective, collapsed trials highlighted.

    One point per COMPLETE trial (:func:`hpo_insights.detect_collapse`):
    x is ``pred_max - pred_min``, y the objective; collapsed trials are
    orange crosses, a dashed line marks ``min_range``.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    study : str, optional
        Draw this study only. By default every study is drawn, one panel each.
    min_range, min_std : float
        Collapse thresholds, passed to :func:`hpo_insights.detect_collapse`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (one study only).
    **columns : str
        ``pred_min=``, ``pred_max=``, ``pred_std=``, ``recall=`` column names,
        passed to :func:`hpo_insights.detect_collapse`.

    Returns
    -------
    matplotlib.axes.Axes or matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import hpo_insights as hi
    >>> ax = hi.plot.detect_collapse(hi.datasets.example(), study="transformer-200M")
    >>> ax.get_xlabel()
    'prediction range (pred_max - pred_min)'
    """
    names = _studies(trials, study)
    sub = trials if study is None else _one_study(trials, study)
    result = hi.detect_collapse(sub, min_range=min_range, min_std=min_std, by="study", **columns)
    metric = _metric_label(sub)

    def draw(s, a):
        _draw_detect_collapse(
            result[result["study"] == s],
            a,
            min_range=min_range,
            metric=metric,
            title=f"Prediction collapse: {s}",
        )

    with _theme():
        return _panels(names, ax, draw)


# --------------------------------------------------------------------------- optimization_history


def _history(
    trials: pd.DataFrame, objective: str | None, direction: str | None
) -> tuple[pd.DataFrame, int]:
    """Completed trials by study and number with the running best; and how many were excluded."""
    dirs = _frame.directions(trials, direction, by=_frame.STUDY)
    done, ycol = _frame.completed(trials, objective, columns=[_frame.STUDY, _frame.NUMBER])
    order = pd.Categorical(done[_frame.STUDY], categories=pd.unique(trials[_frame.STUDY]))
    done = done.assign(_order=order).sort_values(["_order", _frame.NUMBER], kind="stable")
    sign = (
        done[_frame.STUDY].map(dirs).map({"maximize": 1.0, "minimize": -1.0}).to_numpy(dtype=float)
    )
    signed = pd.Series(done[ycol].to_numpy(dtype=float) * sign, index=done.index)
    running = signed.groupby(done[_frame.STUDY].to_numpy(), sort=False).cummax().to_numpy() * sign
    out = pd.DataFrame(
        {
            "study": done[_frame.STUDY].to_numpy(),
            "number": done[_frame.NUMBER].to_numpy(),
            "value": done[ycol].to_numpy(dtype=float),
            "best_so_far": running,
        }
    )
    return out, len(trials) - len(done)


def _draw_optimization_history(
    history: pd.DataFrame, ax: Axes, *, excluded: int = 0, metric: str = "value"
) -> Axes:
    """Objective per trial number (points) and the running best (step line), one colour per study.

    *history* has columns ``study``, ``number``, ``value``, ``best_so_far``.
    """
    colors = _palette(history["study"].nunique())
    for color, (s, h) in zip(colors, history.groupby("study", sort=False), strict=False):
        ax.scatter(
            h["number"], h["value"], s=14, color=color, alpha=0.45, linewidths=0, gid=f"trials:{s}"
        )
        ax.step(
            h["number"],
            h["best_so_far"],
            where="post",
            color=color,
            lw=1.8,
            label=f"{s} (best so far)",
            gid=f"best:{s}",
        )
    ax.plot([], [], "o", color="0.5", alpha=0.5, ms=4, label="completed trials")
    if excluded:
        ax.plot([], [], " ", label=f"{excluded} pruned/failed/unfinished trials excluded")
    ax.set_xlabel("trial number")
    ax.set_ylabel(metric)
    ax.set_title("Optimization history")
    ax.legend(loc="best")
    return ax


def optimization_history(
    trials: pd.DataFrame,
    *,
    study: str | None = None,
    objective: str | None = None,
    direction: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Objective of each completed trial by trial number, with the running best.

    Points are the completed trials; the step line is the best value so far
    (by each study's direction). PRUNED, FAIL and unfinished trials are left
    out and the legend says how many. Several studies share one axes, one
    colour each.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    study : str, optional
        Draw this study only (default: every study).
    objective, direction : str, optional
        Objective column and direction (default: the frame's single
        objective and ``study_direction``).
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
    >>> ax = hi.plot.optimization_history(hi.datasets.example())
    >>> len(ax.lines)  # one running-best line per study, plus two legend entries
    5
    """
    _frame.check_frame(trials)
    names = _studies(trials, study)
    sub = trials if study is None else _one_study(trials, study)
    history, excluded = _history(sub, objective, direction)
    with _theme():
        if ax is None:
            _, ax = plt.subplots(figsize=PANEL_SIZE)
        _draw_optimization_history(
            history, ax, excluded=excluded, metric=_metric_label(sub, objective)
        )
        if len(names) == 1:
            ax.set_title(f"Optimization history: {names[0]}")
        return ax


# --------------------------------------------------------------------------- importance_by_budget


def importance_by_budget(result: hi.BudgetImportance, *, ax: Axes | None = None) -> Axes:
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
