"""Figures of the trend analyses: ``value_table``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from hpo_insights._errors import TrialsError
from hpo_insights._frame import MAX_LEVELS
from hpo_insights.plot._common import (
    LABEL_WIDTH,
    PANEL_SIZE,
    SMALL_PANEL,
    TITLE_WIDTH,
    drawing,
    format_value,
    label_text,
    need_columns,
    palette_colors,
    panel_grid,
    result_blocks,
    text_width,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _scale(rows: pd.DataFrame) -> str:
    """The x-axis of one parameter: the ``scale`` column when the result has it."""
    if "scale" in rows.columns and len(rows):
        return str(rows["scale"].iloc[0])
    low = rows["low"].to_numpy(dtype=float) if len(rows) else np.array([])
    if len(low) == 0 or not np.isfinite(low).all():
        return "categorical"
    return "linear"


def _positions(rows: pd.DataFrame, scale: str) -> tuple[np.ndarray, bool]:
    """x of each value of one parameter (bin centres, geometric on a log axis), and
    whether the axis is numeric (else one evenly spaced position per value)."""
    numeric = scale != "categorical" and len(rows) > 1
    if not numeric:
        return np.arange(len(rows), dtype=float), False
    return _centres(rows, scale), True


def _centres(rows: pd.DataFrame, scale: str) -> np.ndarray:
    low = rows["low"].to_numpy(dtype=float)
    high = rows["high"].to_numpy(dtype=float)
    return np.sqrt(low * high) if scale == "log" else (low + high) / 2


def _means(ax: Axes, x: np.ndarray, rows: pd.DataFrame, color: object, *, numeric: bool,
           label: str | None, dot_scale: float) -> np.ndarray:
    """Means as dots sized by the trials, intervals as error bars; a line joins ordered values."""
    mean = rows["mean"].to_numpy(dtype=float)
    lo = mean - rows["ci_low"].to_numpy(dtype=float)
    hi = rows["ci_high"].to_numpy(dtype=float) - mean
    yerr = np.vstack([np.where(np.isfinite(lo), lo, 0.0), np.where(np.isfinite(hi), hi, 0.0)])
    ax.errorbar(x, mean, yerr=yerr, fmt="", linestyle="-" if numeric else "none",
                color=color, ecolor=color, capsize=3, lw=1.2, zorder=2, label=label)
    count = rows["n_trials"].to_numpy(dtype=float)
    ax.scatter(x, mean, s=12 + 60 * count / max(dot_scale, 1.0), color=color, zorder=3,
               gid="means")
    return mean


def _star_best(ax: Axes, x: np.ndarray, mean: np.ndarray, rows: pd.DataFrame,
               trend: pd.Series | None, color: object) -> None:
    if trend is None or not len(rows):
        return
    labels = rows["label"] if "label" in rows.columns else rows["value"]
    hit = np.flatnonzero(rows["value"].astype(object).to_numpy() == trend["best_value"])
    if len(hit):
        i = hit[0]
        ax.scatter([x[i]], [mean[i]], marker="*", s=200, color=color, edgecolor="black",
                   linewidths=0.6, zorder=4, gid="best",
                   label=f"best: {format_value(labels.iloc[i])}")


def _readable_ylim(ax: Axes, mean: np.ndarray) -> None:
    """Keep the means readable: an interval from two trials can be far wider than the means."""
    finite = mean[np.isfinite(mean)]
    if len(finite):
        pad = 0.6 * (np.ptp(finite) or abs(finite[0]) * 0.05 or 1.0)
        cur = ax.get_ylim()
        ax.set_ylim(max(cur[0], finite.min() - pad), min(cur[1], finite.max() + pad))


def _x_axis(ax: Axes, rows: pd.DataFrame, x: np.ndarray, scale: str, numeric: bool,
            title_width: int) -> None:
    """Ticks and label of a parameter's axis: values, categories, or round log ticks."""
    binned = bool(rows["binned"].any()) if "binned" in rows.columns else False
    if not numeric:
        labels = [format_value(v, LABEL_WIDTH // 2)
                  for v in (rows["label"] if "label" in rows.columns else rows["value"])]
        long = any(text_width(t) > 6 for t in labels)
        ax.set_xticks(x, labels, rotation=30 if long else 0, ha="right" if long else "center")
    elif scale == "log":
        ax.set_xscale("log")
        ax.minorticks_off()
        ticks = log_ticks(*ax.get_xlim())
        ax.set_xticks(ticks, [f"{t:.3g}" for t in ticks])
    elif not binned and len(rows) <= 8:
        ax.set_xticks(x, [format_value(v) for v in rows["value"]])
        ax.minorticks_off()
    name = str(rows["param"].iloc[0]) if len(rows) else ""
    suffix = " (bins at their centres)" if numeric and binned else ""
    ax.set_xlabel(label_text(name, title_width - len(suffix)) + suffix)


def _draw_levels(rows: pd.DataFrame, ax: Axes, *, trend: pd.Series | None, metric: str,
                 title: str, title_width: int = TITLE_WIDTH, legend: bool = True) -> None:
    colors = palette_colors()
    scale = _scale(rows)
    x, numeric = _positions(rows, scale)
    mean = _means(ax, x, rows, colors[0], numeric=numeric, label="mean, CI (dot size: trials)",
                  dot_scale=float(rows["n_trials"].max()) if len(rows) else 1.0)
    _star_best(ax, x, mean, rows, trend, colors[3])
    _readable_ylim(ax, mean)
    _x_axis(ax, rows, x, scale, numeric, title_width)
    ax.set_ylabel(label_text(metric))
    shape = None if trend is None else trend.get("trend")
    ax.set_title(label_text(f"{title}: {shape}" if shape else title, title_width))
    if legend:
        ax.legend(loc="best")


#: More series than this in one panel: a sequential colour map instead of the palette, and
#: only the first and last series named in the legend.
MAX_NAMED_SERIES = 10


def series_colors(n: int) -> list:
    """*n* colours for series: the ``colorblind`` palette, or a sequential map for many."""
    if n <= MAX_NAMED_SERIES:
        return palette_colors(n)
    import matplotlib as mpl

    return [mpl.colormaps["viridis"](v) for v in np.linspace(0.0, 0.9, n)]


def series_label(i: int, n: int, name: object) -> str | None:
    """The legend entry of series *i* of *n*: every one when few, else the first and last."""
    if n <= MAX_NAMED_SERIES or i in (0, n - 1):
        return label_text(name)
    return None


def series_title(n: int, series: str, encoding: str) -> str:
    """The legend title of a panel of *n* series: the encoding, and how many when unnamed."""
    if n <= MAX_NAMED_SERIES:
        return encoding
    return f"{encoding}; " * bool(encoding) + f"{n} series ({series}), first to last"


def _draw_param_series(rows: pd.DataFrame, ax: Axes, *, series: str, trends: dict,
                       metric: str, legend: bool) -> None:
    """One parameter, one series per value of *series* (e.g. per study) on shared axes.

    Categorical values take the union of every series' values as positions (sorted when
    they are numbers), each series shifted a little so the intervals do not overlap.
    Every series' intervals are one collection, its means one scatter, its joining
    lines one collection: the cost of the panel barely grows with the series.
    """
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    scale = _scale(rows)
    parts = result_blocks(rows, [series])
    numeric = scale != "categorical" and rows.groupby(series, sort=False).size().max() > 1
    union = list(pd.unique(rows["value"].astype(object)))
    if not numeric and all(isinstance(v, int | float | np.number) for v in union):
        union = sorted(union)
    where = {v: i for i, v in enumerate(union)}
    colors = series_colors(len(parts))
    step = min(0.5 / len(parts), 0.12)
    xs = [_centres(part, scale) if numeric else
          part["value"].astype(object).map(where).to_numpy(dtype=float)
          + (i - (len(parts) - 1) / 2) * step for i, (_, part) in enumerate(parts)]
    x = np.concatenate(xs)
    mean = rows_of(parts, "mean")
    color = [colors[i] for i, xi in enumerate(xs) for _ in xi]
    lo, hi = rows_of(parts, "ci_low"), rows_of(parts, "ci_high")
    ok = np.isfinite(lo) & np.isfinite(hi)
    ax.vlines(x[ok], lo[ok], hi[ok], colors=[c for c, k in zip(color, ok, strict=True) if k],
              lw=1.2, zorder=2, gid="intervals")
    count = rows_of(parts, "n_trials")
    ax.scatter(x, mean, s=12 + 60 * count / max(float(count.max()), 1.0), c=color, zorder=3,
               gid="means")
    if numeric:
        ax.add_collection(LineCollection(
            [np.column_stack([xi, part["mean"].to_numpy(dtype=float)])
             for xi, (_, part) in zip(xs, parts, strict=True)],
            colors=colors, lw=1.2, zorder=2, gid="lines"))
    for i, (key, part) in enumerate(parts):
        _star_best(ax, xs[i], part["mean"].to_numpy(dtype=float), part,
                   trends.get((key[0], part["param"].iloc[0])), colors[i])
    _readable_ylim(ax, mean)
    if numeric:
        values = rows.drop_duplicates("value")
        _x_axis(ax, values, _centres(values, scale), scale, True, TITLE_WIDTH // 2)
    else:
        axis_rows = pd.DataFrame({"param": rows["param"].iloc[0], "value": union})
        _x_axis(ax, axis_rows, np.arange(len(union), dtype=float), scale, False,
                TITLE_WIDTH // 2)
    ax.set_ylabel(label_text(metric))
    ax.set_title(label_text(str(rows["param"].iloc[0]), TITLE_WIDTH // 2))
    if legend:
        handles = [Line2D([], [], color=colors[i], marker="o", ms=5, lw=1.2, label=name)
                   for i, (key, _) in enumerate(parts)
                   if (name := series_label(i, len(parts), key[0])) is not None]
        ax.legend(handles=handles + [h for h in ax.get_legend_handles_labels()[0]
                                     if h.get_gid() == "best"],
                  loc="best", title=series_title(len(parts), series,
                                                 "mean, CI (dot size: trials)"),
                  title_fontsize=7)


def rows_of(parts: list[tuple[tuple, pd.DataFrame]], column: str) -> np.ndarray:
    """*column* of every part, one after the other, as floats."""
    return np.concatenate([part[column].to_numpy(dtype=float) for _, part in parts])


def _select_pairs(result: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """Rows of *result* for the (study, param) rows of *pairs*, in the order of *pairs*."""
    if "param" not in pairs.columns:
        raise TrialsError(
            "params= as a DataFrame needs a 'param' column (and 'study' to pick per study), "
            f"e.g. rows of hi.findings; got columns {', '.join(map(str, pairs.columns))}."
        )
    keys = ["study", "param"] if "study" in pairs.columns and "study" in result.columns \
        else ["param"]
    want = pairs[keys].astype({"param": str}).drop_duplicates()
    want["param"] = want["param"].str.removeprefix("params_")
    have = pd.MultiIndex.from_frame(result[keys].astype({"param": str}))
    wanted = pd.MultiIndex.from_frame(want)
    missing = wanted[~wanted.isin(have)]
    if len(missing):
        raise TrialsError(
            f"params= names {' | '.join(map(str, missing[0]))!r}, which the result does not "
            f"hold: its {' and '.join(keys)} pairs are "
            f"{', '.join(' | '.join(map(str, k)) for k in have.unique()[:20])}."
        )
    rank = wanted.get_indexer(have)
    keep = np.flatnonzero(rank >= 0)
    return result.iloc[keep[np.argsort(rank[keep], kind="stable")]]


def _nothing_selected(ax: Axes | None) -> Axes:
    """One empty Axes saying that no parameter was selected (e.g. none matters)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(PANEL_SIZE[0], 1.0))
    ax.set_axis_off()
    ax.text(0.5, 0.5, "No parameter selected (params= is empty).", ha="center", va="center",
            transform=ax.transAxes, gid="nothing")
    return ax


def log_ticks(lo: float, hi: float, most: int = 8) -> np.ndarray:
    """At least three round ticks between *lo* and *hi* (> 0) on a log axis, at most *most*.

    Decades when three or more fit (every second, third ... when more than *most* do),
    else 1-3, 1-2-5, 1-2-3-5-7 or 1..9 times the powers of ten, whichever first gives
    three; a range narrower than that gets three evenly spaced ticks of three digits.
    """
    lo, hi = min(lo, hi), max(lo, hi)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo > 0 and hi > lo):
        return np.array([])
    powers = 10.0 ** np.arange(np.floor(np.log10(lo)), np.ceil(np.log10(hi)) + 1)
    inside = (powers >= lo * (1 - 1e-9)) & (powers <= hi * (1 + 1e-9))
    decades = powers[inside]
    if len(decades) >= 3:
        return decades[:: math.ceil(len(decades) / most)]
    for mult in ((1, 3), (1, 2, 5), (1, 2, 3, 5, 7), tuple(range(1, 10))):
        ticks = (powers[:, None] * np.array(mult, dtype=float)).ravel()
        ticks = ticks[(ticks >= lo * (1 - 1e-9)) & (ticks <= hi * (1 + 1e-9))]
        if len(ticks) >= 3:
            return ticks[:: math.ceil(len(ticks) / most)]
    ticks = np.geomspace(lo, hi, 5)[1:-1]
    digits = 2 - np.floor(np.log10(ticks))
    return np.unique([round(t, int(d)) for t, d in zip(ticks, digits, strict=True)])


@drawing
def value_table(
    result: pd.DataFrame,
    *,
    params: str | Sequence[str] | pd.DataFrame | None = None,
    trend: pd.DataFrame | None = None,
    metric: str = "mean objective",
    series: str | None = None,
    ax: Axes | None = None,
) -> Axes | Figure:
    """The mean objective per value of a parameter, with its confidence interval.

    Per value (or bin) of each parameter in *result*: the mean as a point
    whose size grows with the number of trials, its interval as an error
    bar; numeric values are joined by a line, categorical ones are points
    only. The x-axis follows the result's ``scale``
    (``"log"``, ``"linear"`` or ``"categorical"``); binned parameters are
    drawn at their bin centres (geometric on a log axis). With *trend*, the
    best value is starred and the trend named in the title. One panel per
    (study, parameter), two per row; the legend (the encoding, the best value
    of that panel) is drawn in the first panel only.

    Parameters
    ----------
    result : pandas.DataFrame
        What :func:`hpo_insights.value_table` returned.
    params : str, sequence of str or pandas.DataFrame, optional
        Draw only these parameters, in this order (default: every parameter
        of the result, in its order), for every study. A DataFrame with
        ``study`` and ``param`` columns (e.g. the rows of
        :func:`hpo_insights.findings` that claim a parameter matters) draws
        exactly its (study, parameter) rows, in its row order, so each study
        shows its own parameters in one figure. An empty selection gives one
        Axes that says so.
    trend : pandas.DataFrame, optional
        What :func:`hpo_insights.classify_trend` returned for the same trials.
    metric : str, default "mean objective"
        The y-axis label.
    series : str, optional
        A column of the result (``"study"``) whose values are drawn as series
        of one panel per parameter instead of a panel each: the studies
        compared on one axis, one colour each (categorical values shifted a
        little apart; more than ten series take a sequential colour map and
        the legend names the first and the last). The cost of a figure is per
        panel, so this is also how many studies stay quick to draw. The
        series' legend is drawn once, where it covers no point: in the empty
        slot of the grid, else in a band above the panels (a figure legend;
        on an ``ax=`` of yours, inside the Axes).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (a result of one study and one parameter only; with
        *series*, of one parameter).

    Returns
    -------
    matplotlib.axes.Axes or matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import hpo_insights as hi
    >>> every = hi.value_table(hi.datasets.example(), params="dropout")
    >>> ax = hi.plot.value_table(every, series="study")
    >>> [t.get_text() for t in ax.figure.legends[0].get_texts()]
    ['transformer-2M', 'transformer-20M', 'transformer-200M']
    >>> t = hi.datasets.example()
    >>> t = t[t["study"] == "transformer-2M"]
    >>> ax = hi.plot.value_table(hi.value_table(t, params="n_heads"), metric="AUC")
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('n_heads', 'AUC')
    >>> import pandas as pd
    >>> pick = pd.DataFrame({"study": ["transformer-2M", "transformer-2M"],
    ...                      "param": ["dropout", "d_model"]})
    >>> fig = hi.plot.value_table(hi.value_table(t), params=pick)
    >>> [a.get_title() for a in fig.axes]
    ['transformer-2M | dropout', 'transformer-2M | d_model']
    """
    need_columns(result, ["param", "value", "mean", "ci_low", "ci_high", "n_trials",
                          *([series] if series is not None else [])], "value_table",
                 numeric=["mean", "ci_low", "ci_high", "n_trials", "low", "high"])
    result = _selected(result, params)
    if result.empty:
        return _nothing_selected(ax)
    blocks = result_blocks(result, ["param"] if series is not None else ["study", "param"])
    _check_crowded(blocks, series)
    trends = _trends_by_key(result, trend)
    if series is not None:
        def draw_param(i: int, a: Axes) -> None:
            _draw_param_series(blocks[i][1], a, series=series, trends=trends, metric=metric,
                               legend=i == 0)

        if len(blocks) == 1:
            return panel_grid(1, ax, draw_param, size=PANEL_SIZE, legend_slot=True)
        return panel_grid(len(blocks), ax, draw_param, size=SMALL_PANEL, ncols=2,
                          what="parameters", legend_slot=True)

    def draw(i: int, a: Axes) -> None:
        key, rows = blocks[i]
        study = (key[0],) if "study" in result.columns else ()
        tkey = tuple(rows[k].iloc[0] for k in ("study", "param")
                     if trend is not None and k in result.columns and k in trend.columns)
        _draw_levels(rows, a, trend=trends.get(tkey), metric=metric,
                     title=" | ".join(map(str, (*study, rows["param"].iloc[0]))),
                     title_width=TITLE_WIDTH if len(blocks) == 1 else TITLE_WIDTH // 2,
                     legend=i == 0)  # one encoding: a grid explains it once

    if len(blocks) == 1:
        return panel_grid(1, ax, draw, size=PANEL_SIZE)
    return panel_grid(len(blocks), ax, draw, size=SMALL_PANEL, ncols=2, what="panels")


def _selected(result: pd.DataFrame,
              params: str | Sequence[str] | pd.DataFrame | None) -> pd.DataFrame:
    """The rows of the parameters (or (study, parameter) rows) *params* picks, in its order."""
    if isinstance(params, pd.DataFrame):
        result = _select_pairs(result, params)
    elif params is not None:
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
    return result


def _check_crowded(blocks: list[tuple[tuple, pd.DataFrame]], series: str | None) -> None:
    counts = [(key, rows.groupby(series, sort=False).size().max() if series else len(rows))
              for key, rows in blocks]
    crowded = [(key, n) for key, n in counts if n > MAX_LEVELS]
    if crowded:
        raise TrialsError(
            f"{crowded[0][0]!r} has {crowded[0][1]} distinct values: too many to draw (at most "
            f"{MAX_LEVELS} per panel). Group the values into fewer levels, or read the value "
            "table as a table."
        )


def _trends_by_key(result: pd.DataFrame, trend: pd.DataFrame | None) -> dict[tuple, pd.Series]:
    """The rows of a classify_trend result by (study, param) (the keys both frames have)."""
    trends: dict[tuple, pd.Series] = {}
    if trend is not None:
        need_columns(trend, ["param", "best_value"], "classify_trend")
        keys = [k for k in ("study", "param") if k in result.columns and k in trend.columns]
        for _, row in trend.iterrows():
            trends[tuple(row[k] for k in keys)] = row
    return trends
