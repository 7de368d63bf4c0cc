"""The one rule that turns a parameter's values into table rows, and the shared preparation.

Value tables, eta squared, trend labels and coverage tables all group trials
by the *levels* of a parameter. This module decides those levels once, so the
four analyses always agree:

* Non-numeric values (strings, booleans, mixed objects) are categorical: one
  level per value, in natural (sorted) order when the values compare, else in
  order of appearance.
* Numeric values are one level per distinct value, sorted, unless the
  parameter is a *float* parameter (not an ``IntDistribution`` or
  ``CategoricalDistribution``, and not all whole numbers) with more distinct
  values in the group than ``bins``. Those are cut at quantiles into at most
  ``bins`` intervals ``[low, high)`` (the last one closed); duplicate edges
  collapse. ``bins=None`` means :func:`default_bins` of the group's number of
  values (about ten values per bin, 3 to 10 bins).
* A positive parameter is on a *log scale* (quantiles interpolated in log10
  space, smooth terms fitted in log10 space) when its recorded distribution
  says ``log``; without a recorded distribution, when its values span a
  factor of 5 or more and are closer to uniform in log10 space than in
  linear space (:func:`is_log_scale`).
* Without a recorded distribution a float taking at most 12 values, some of
  them repeated, is a grid or a categorical of numbers: one level per value
  (:func:`param_kind`), as its distribution would say.

Levels are decided per group (per study by default), from the trials given.
Everything is vectorized: one factorization (or one ``searchsorted``) per
parameter and group, then ``numpy.bincount`` for the statistics.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hpo_insights import _frame, _strings
from hpo_insights._errors import TrialsError, TrialsWarning
from hpo_insights._stats import pow2_scale

GROUP = "_group"  # internal name of the group-key column of a prepared frame


# --- preparation ------------------------------------------------------------
def group_codes(trials: pd.DataFrame, by: str | None) -> tuple[np.ndarray, pd.Index]:
    """Group position of every row of *trials*, and the group keys (order of appearance)."""
    src = _frame.group_column(trials, by)
    if src is None:
        return np.zeros(len(trials), dtype=np.intp), pd.Index(["all"])
    col = trials[src]
    first = col.iloc[0] if len(col) else None
    if isinstance(first, str):
        single = _strings.all_equal(col, first)
    else:
        single = len(col) > 0 and pd.notna(first) and bool((col == first).all())
    if single:
        return np.zeros(len(col), dtype=np.intp), pd.Index([col.iloc[0]])  # one group
    codes, uniques = pd.factorize(col, use_na_sentinel=False)
    return np.asarray(codes, dtype=np.intp), pd.Index(uniques)


def prepare(
    trials: pd.DataFrame,
    *,
    objective: str | None,
    by: str | None,
    columns: Sequence[str] = (),
    number: bool = False,
    exclude: np.ndarray | None = None,
) -> tuple[pd.DataFrame, str, np.ndarray, pd.Index]:
    """The trials that count, narrowed to *columns*, with integer group codes.

    Returns ``(done, objective_column, codes, groups)``: *done* holds
    *columns* (and ``number`` if asked) and the objective (float); ``codes[i]`` is the
    position of row *i*'s group in *groups* (the group keys, in order of first
    appearance in *trials*, including groups left with no completed trial).
    Raises a TrialsError when no trial counts at all. Rows flagged in
    *exclude* (a boolean array) are treated as absent from *trials*: a group
    of excluded rows only is not among *groups*.
    """
    _frame.check_frame(trials)
    _frame.check_by(by)
    all_codes, groups = group_codes(trials, by)
    if exclude is not None and exclude.any():
        present = np.bincount(all_codes[~exclude], minlength=len(groups)) > 0
        if not present.all():
            remap = np.where(present, np.cumsum(present) - 1, -1)
            all_codes, groups = remap[all_codes], groups[present]
    else:
        exclude = None
    need = [_frame.STUDY, _frame.NUMBER, _frame.STATE, *_frame.objective_columns(trials)]
    need = list(dict.fromkeys([*need, *columns]))
    narrow = trials[need]
    single = len(groups) == 1
    if not single:
        narrow[GROUP] = all_codes
    keep = [_frame.NUMBER, *columns] if number else [*columns]
    done, ycol = _frame.completed(narrow, objective, columns=keep if single else [*keep, GROUP],
                                  exclude=exclude)
    _frame.require_rows(done)
    codes = np.zeros(len(done), dtype=np.intp) if single else done[GROUP].to_numpy()
    return done, ycol, codes, groups


def warn_empty_groups(groups: pd.Index, counts: np.ndarray, by: str | None) -> None:
    """One TrialsWarning naming the groups left without a completed trial."""
    empty = [str(g) for g, c in zip(groups, counts, strict=True) if c == 0]
    if empty:
        warnings.warn(
            f"{len(empty)} of {len(groups)} {by or 'group'} value(s) have no COMPLETE trial with "
            f"a finite objective and are left out: {', '.join(empty)}.",
            TrialsWarning,
            stacklevel=3,
        )


def distributions(trials: pd.DataFrame, pcols: Sequence[str], by: str | None) -> dict:
    """:func:`group_distributions` of each of *pcols*, the rows' groups found once."""
    codes = group_codes(trials, by) if _frame.group_column(trials, by) is not None else None
    return {p: group_distributions(trials, p, by, codes=codes) for p in pcols}


def group_distributions(trials: pd.DataFrame, pcol: str, by: str | None, *,
                        codes: tuple[np.ndarray, pd.Index] | None = None) -> dict:
    """The recorded distribution of *pcol* per group key (first non-null per group).

    *codes* is :func:`group_codes` of *trials* when the caller has it already.
    """
    dcol = _frame.DISTRIBUTION_PREFIX + pcol[len(_frame.PARAM_PREFIX):]
    if dcol not in trials.columns:
        return {}
    out = {}
    for key, text in _first_per_group(trials, trials[dcol], by, codes).items():
        if isinstance(text, dict):
            text = json.dumps(text)
        try:
            parsed = json.loads(text)
        except (TypeError, ValueError) as err:
            raise TrialsError(
                f"Column {dcol!r} must hold Optuna distribution JSON, got {text!r}."
            ) from err
        if not isinstance(parsed, dict) or not isinstance(parsed.get("attributes", {}), dict):
            raise TrialsError(
                f"Column {dcol!r} must hold Optuna distribution JSON ({{\"name\": ..., "
                f"\"attributes\": {{...}}}}), got {text!r}."
            )
        out[key] = parsed
    return out


def _first_per_group(trials: pd.DataFrame, col: pd.Series, by: str | None,
                     codes: tuple[np.ndarray, pd.Index] | None = None) -> dict:
    """The first non-null value of *col* per group key (keys in order of appearance; a
    group without one, or a missing key, is left out), as ``groupby(...).first()`` gives."""
    has = col.notna().to_numpy()
    if not has.any():
        return {}
    if codes is None and _frame.group_column(trials, by) is None:
        return {"all": col.iloc[int(np.argmax(has))]}
    codes, groups = group_codes(trials, by) if codes is None else codes
    known = np.flatnonzero(has & ~np.asarray(pd.isna(groups))[codes])
    seen, first = np.unique(codes[known], return_index=True)
    rows = known[first]
    # (a few groups: one element each, cheaper than a take of Arrow strings)
    values = [col.iloc[i] for i in rows.tolist()] if len(rows) <= 64 else col.iloc[rows].tolist()
    return {groups[g]: v for g, v in zip(seen, values, strict=True)}


# --- levels -----------------------------------------------------------------
@dataclass(frozen=True)
class Levels:
    """The levels of one parameter, over all groups.

    ``codes[i]`` is the level of row *i* (``-1`` when the parameter is missing);
    ``table`` has one row per level, ordered by group then level order, with
    columns ``group`` (group code), ``value``, ``low``, ``high``, ``binned``.
    ``numeric`` tells whether the levels are ordered numbers.
    """

    codes: np.ndarray
    table: pd.DataFrame
    numeric: bool


def as_numeric(values: pd.Series) -> tuple[pd.Series, bool]:
    """The values as numbers when they all are numbers (object columns of ints too)."""
    if _frame.is_numeric_param(values):
        return values, True
    if values.dtype == object:
        kind = pd.api.types.infer_dtype(values, skipna=True)
        if kind in ("integer", "floating", "mixed-integer-float", "decimal"):
            return pd.to_numeric(values), True
    return values, False


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_)


def ordered_levels(uniques: list) -> list:
    """Natural order when the values compare, else order of appearance."""
    try:
        return sorted(uniques)
    except TypeError:
        return list(uniques)


def fmt_edge(value: float, digits: int) -> str:
    """A short readable number: ``1e-05``, ``3.2e-05``, ``0.25``, ``120``."""
    if value == 0 or 1e-4 <= abs(value) < 1e6:
        return np.format_float_positional(
            value, precision=digits, unique=True, fractional=False, trim="-"
        )
    return f"{value:.{digits}g}"


def interval_labels(edges: np.ndarray) -> list[str]:
    """Labels ``[a, b)`` for consecutive *edges*, the last interval closed ``[a, b]``.

    Uses the fewest significant digits (at least 2) that keep every edge distinct.
    """
    for digits in range(2, 18):
        text = [fmt_edge(float(e), digits) for e in edges]
        if len(set(text)) == len(text):
            break
    n = len(edges) - 1
    return [f"[{text[i]}, {text[i + 1]}{']' if i == n - 1 else ')'}" for i in range(n)]


GRID_MAX_LEVELS = 12
"""A float parameter taking at most this many values is a grid: one level per value."""


def param_kind(x: np.ndarray, dist: dict | None = None) -> str:
    """``"levels"`` (one level per value) or ``"continuous"`` (quantile bins when many values).

    The recorded distribution decides when there is one: a categorical and an
    integer are levels, a float with a ``step`` whose grid has at most
    :data:`GRID_MAX_LEVELS` values too, any other float is continuous.
    Without one (a ``trials_dataframe()`` CSV) the values decide, so that the
    same search gives the same levels from its storage and from its CSV:
    whole numbers are levels, and so are floats that take at most
    ``GRID_MAX_LEVELS`` distinct values some of them more than once (a
    continuous distribution never repeats a value; a categorical of numbers
    such as a weight decay in [0, 1e-5, 1e-4, 1e-3], or a stepped float, does).
    ``bench/scale_rule.py`` measures the agreement.
    """
    if dist is not None:
        name = dist.get("name")
        if name in ("IntDistribution", "CategoricalDistribution", "IntUniformDistribution",
                    "IntLogUniformDistribution"):
            return "levels"
        attrs = dist.get("attributes") or {}
        step = attrs.get("step", attrs.get("q"))
        try:
            grid = (float(attrs["high"]) - float(attrs["low"])) / float(step) + 1
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            grid = np.inf
        return "levels" if grid <= GRID_MAX_LEVELS + 1e-9 else "continuous"
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        return "levels"
    head = x[:1000]
    if np.all(head == np.round(head)) and bool(np.all(x == np.round(x))):
        return "levels"
    distinct = _distinct_upto(x, GRID_MAX_LEVELS)
    if distinct is not None and distinct < len(x):
        return "levels"
    return "continuous"


def _is_binnable(x: np.ndarray, dist: dict | None) -> bool:
    """A continuous float parameter (see :func:`param_kind`) whose values are not all whole."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        return False
    head = x[:1000]
    if np.all(head == np.round(head)) and bool(np.all(x == np.round(x))):
        return False
    return param_kind(x, dist) == "continuous"


MIN_BINS = 3
MAX_BINS = 10
VALUES_PER_BIN = 10


def default_bins(n: int) -> int:
    """The number of bins for *n* values: ``n // 10``, at least 3 and at most 10.

    About ten values per bin keeps the chance part of a one-way share,
    ``(bins - 1) / (n - 1)``, small (0.08 at n=50 instead of 0.18 with 10
    bins) and the F-test powerful, and three bins are the fewest that can show
    a peak (``bench/importance_sim.py --part bins`` measures the choice).
    """
    return int(min(MAX_BINS, max(MIN_BINS, n // VALUES_PER_BIN)))


LOG_MIN_RATIO = 5.0
"""Without a recorded distribution, values with ``max / min`` below this are linear."""


KS_EXACT_MAX = 4096
"""Up to this many values the Kolmogorov distance is exact; above, it is read at this many
equally spaced points of the observed range (one ``bincount``, no sort of a million values)."""


def _ks_uniform(v: np.ndarray, w: np.ndarray | None, lo: float, hi: float) -> float:
    """Kolmogorov distance between the (weighted) sample *v* and the uniform on [lo, hi]
    (its minimum and maximum)."""
    if hi <= lo:
        return 1.0
    if len(v) > KS_EXACT_MAX:
        u = v - lo
        u *= KS_EXACT_MAX / (hi - lo)
        cells = u.astype(np.intp)
        np.minimum(cells, KS_EXACT_MAX - 1, out=cells)
        counts = np.bincount(cells, weights=w, minlength=KS_EXACT_MAX)
        cdf = np.cumsum(counts) / counts.sum()
        return float(np.max(np.abs(cdf - np.arange(1, KS_EXACT_MAX + 1) / KS_EXACT_MAX)))
    u = (v - lo) / (hi - lo)
    w = np.ones(len(v)) if w is None else np.asarray(w, dtype=float)
    order = np.argsort(u, kind="stable")
    u, w = u[order], w[order]
    cdf = np.cumsum(w) / w.sum()
    before = np.r_[0.0, cdf[:-1]]
    return float(max(np.max(cdf - u), np.max(u - before)))


def is_log_scale(x: np.ndarray, dist: dict | None = None, *,
                 counts: np.ndarray | None = None) -> bool:
    """Whether positive values *x* are on a log scale.

    The recorded distribution decides when it says (``attributes.log``).
    Otherwise (a ``trials_dataframe()`` CSV) a test of uniformity on each
    scale: the values are on a log scale when all are positive, span a factor
    ``max / min >= LOG_MIN_RATIO`` (5), and their log10 is closer to uniform
    over its observed range than the values are over theirs (smaller
    Kolmogorov distance). Optuna's samplers draw a log parameter uniformly in
    log space (``RandomSampler``, and TPE's first trials and prior), a linear
    one uniformly in linear space. ``bench/scale_rule.py`` measures the
    agreement with the distribution on Optuna studies of 20 to 200 trials:
    99-100% under random sampling, about 78-85% under TPE (whose trials pile
    up near the optimum on either scale); ``docs/analyses.md`` has the table.
    *counts*: *x* holds distinct values, each tried ``counts`` times (the same
    answer as the repeated values, from k numbers instead of n).
    """
    x = np.asarray(x, dtype=float)
    if counts is not None:
        keep = np.asarray(counts) > 0
        x, counts = x[keep], np.asarray(counts, dtype=float)[keep]
    if len(x) == 0:
        return False
    lo, hi = float(x.min()), float(x.max())
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo <= 0:  # (NaN or inf: min/max say so)
        return False
    if dist is not None:
        attrs = dist.get("attributes") or {}
        if "log" in attrs:
            return bool(attrs["log"])
    if hi < LOG_MIN_RATIO * lo:
        return False
    logs = np.log10(x)
    return (_ks_uniform(logs, counts, float(np.log10(lo)), float(np.log10(hi)))
            < _ks_uniform(x, counts, lo, hi))


def _use_log(x: np.ndarray, dist: dict | None) -> bool:
    return is_log_scale(x, dist)


def quantile_bins(x: np.ndarray, bins: int, log: bool) -> tuple[np.ndarray, np.ndarray]:
    """Bin index per value and the edges (in the values' own units).

    Edges are the linear-interpolated quantiles at ``0, 1/bins, ..., 1``, of
    log10(x) when *log* (the order statistics are the same in both spaces, so
    only the interpolation between neighbours differs). Values in
    ``[edge_i, edge_i+1)`` fall in bin *i*; the maximum falls in the last bin.
    """
    n = len(x)
    pos = np.linspace(0.0, 1.0, bins + 1) * (n - 1)
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, n - 1)
    ranks = np.unique(np.concatenate([lo, hi]))
    picked = order_statistics(x, ranks)
    a, b = picked[np.searchsorted(ranks, lo)], picked[np.searchsorted(ranks, hi)]
    frac = pos - lo
    if log:
        la, lb = np.log10(a), np.log10(b)
        edges = 10.0 ** (la + frac * (lb - la))
        edges = np.where(frac == 0, a, edges)  # exact where no interpolation is needed
    else:
        edges = a + frac * (b - a)
    edges = np.maximum.accumulate(edges)
    edges[0], edges[-1] = a[0], b[-1]
    edges = np.unique(edges)
    if len(edges) == 1:
        return np.zeros(n, dtype=np.intp), np.array([edges[0], edges[0]])
    return _count_at_or_above(x, edges[1:-1]), edges


SELECT_MIN = 1 << 16
"""From this many values on, :func:`order_statistics` selects through a histogram."""
SELECT_CELLS = 4096


def order_statistics(x: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """``np.sort(x)[ranks]`` for a few sorted *ranks*, exactly, without sorting *x*.

    Large arrays go through a histogram: each value's cell of ``SELECT_CELLS``
    equal-width cells of ``[min, max]`` is a non-decreasing function of the
    value, so the cells' cumulative counts say which cell holds each wanted
    rank, and only the values of those cells are sorted. Small arrays, and
    ones whose cells would not be finite, use ``np.partition``.
    """
    n = len(x)
    ranks = np.asarray(ranks, dtype=np.intp)
    if n >= SELECT_MIN:
        lo, hi = float(x.min()), float(x.max())
        scale = SELECT_CELLS / (hi - lo) if hi > lo else 0.0
        if math.isfinite(lo) and math.isfinite(hi) and math.isfinite(scale) and scale > 0:
            cell = x - lo
            cell *= scale
            cell = cell.astype(np.intp)
            np.minimum(cell, SELECT_CELLS - 1, out=cell)
            count = np.bincount(cell, minlength=SELECT_CELLS)
            end = np.cumsum(count)
            where = np.searchsorted(end, ranks, side="right")  # the cell of each rank
            need = np.zeros(SELECT_CELLS, dtype=bool)
            need[where] = True
            if count[need].sum() <= n // 4:
                sub = np.sort(x[need[cell]])  # the wanted cells' values, cell by cell
                before = np.cumsum(np.where(need, count, 0)) - count  # in sub, per cell
                return sub[before[where] + ranks - (end[where] - count[where])]
    part = np.partition(x, ranks)
    return part[ranks]


def _count_at_or_above(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """For each value, how many of the (sorted, few) *edges* it reaches.

    A handful of vectorized comparisons into a small integer type is several
    times faster than a binary search per value.
    """
    dtype = np.int8 if len(edges) < 127 else np.intp
    idx = np.zeros(len(x), dtype=dtype)
    for e in edges:
        idx += x >= e
    return idx


def _group_slices(gcodes: np.ndarray, ngroups: int, n: int) -> list:
    """Row positions of each group (``[None]`` when one group holds every row)."""
    if ngroups == 1 and (n == 0 or (gcodes == 0).all()):
        return [None]
    order = np.argsort(gcodes, kind="stable")
    bounds = np.searchsorted(gcodes[order], np.arange(ngroups + 1))
    return [order[bounds[g]:bounds[g + 1]] for g in range(ngroups)]


def _more_distinct(x: np.ndarray, bins: int) -> bool:
    """Whether *x* has more than *bins* distinct values (a cheap look at a prefix first)."""
    return _distinct_upto(x, bins) is None


def _distinct_upto(x: np.ndarray, limit: int) -> int | None:
    """The number of distinct values of *x* when at most *limit*, else None.

    A prefix with more distinct values answers at once; otherwise, for floats,
    when every value is among the prefix's (checked by a few comparisons, no
    hashing of a million values) the prefix's count is the answer.
    """
    head = np.unique(x[: 64 * (limit + 1)])
    if len(head) > limit:
        return None
    if (isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.floating) and len(head)
            and not np.isnan(head).any()):
        local = _count_at_or_above(x, head[1:])
        if np.array_equal(head[local], x):
            return len(head)
    distinct = len(pd.unique(x))
    return distinct if distinct <= limit else None


def _factorize(xs) -> tuple[np.ndarray, list]:
    """Codes and uniques (order of appearance, or sorted for numbers with few values)."""
    if isinstance(xs, np.ndarray) and np.issubdtype(xs.dtype, np.floating) and len(xs) > 4096:
        head = np.unique(xs[:4096])
        if len(head) <= 32 and not np.isnan(head).any():
            local = _count_at_or_above(xs, head[1:])
            if np.array_equal(head[local], xs):  # every value was among the head's values
                return local, head.tolist()
    if isinstance(xs, np.ndarray) and xs.dtype.kind == "i" and len(xs):  # (uint64 may overflow)
        lo, hi = int(xs.min()), int(xs.max())
        if hi - lo < 1 << 20:
            offset = xs - lo
            seen = np.bincount(offset, minlength=hi - lo + 1) > 0
            rank = np.cumsum(seen) - 1
            uniq = (np.flatnonzero(seen) + lo).astype(xs.dtype)
            return rank[offset], uniq.tolist()
    local, uniq = pd.factorize(xs, sort=False)
    return np.asarray(local), list(uniq)


def levels(
    values: pd.Series,
    gcodes: np.ndarray,
    ngroups: int,
    *,
    bins: int | None = 10,
    dists: dict | None = None,
    groups: pd.Index | None = None,
    extra: dict | None = None,
) -> Levels:
    """Decide the levels of one parameter per group (see the module docstring).

    *values* are the parameter's values (aligned with *gcodes*); *dists* maps a
    group key to its recorded distribution; *extra* maps a group key to values
    to add as levels even if no row has them (a categorical's choices).
    ``bins=None`` uses :func:`default_bins` of the group's number of values.
    """
    check_bins(bins)
    dists = dists or {}
    extra = extra or {}
    values, numeric = as_numeric(values)
    if numeric and any(not _is_number(v) for vs in extra.values() for v in vs):
        values, numeric = values.astype(object), False  # choices of mixed types
    n = len(values)
    codes = None  # allocated at the first group that leaves rows out
    present = values.notna().to_numpy()
    arr = values.to_numpy() if numeric else None
    parts: list[_Part] = []
    start = 0
    for g, idx in enumerate(_group_slices(gcodes, ngroups, n)):
        key = groups[g] if groups is not None else "all"
        if idx is None:  # one group holding every row
            pos = None if present.all() else np.flatnonzero(present)
        else:
            pos = idx[present[idx]]
        dist = dists.get(key)
        more = list(extra.get(key, ()))
        xs = _group_values(values, arr, pos)
        if len(xs) == 0 and not more:
            continue
        nb = default_bins(len(xs)) if bins is None else bins
        if numeric and len(xs) and _is_binnable(xs, dist) and _more_distinct(xs, nb):
            local, part = _binned(xs, nb, dist, g)
        else:
            local, part = _distinct(xs, numeric, dist, more, g, values.dtype)
        if start:  # (small integer codes would overflow)
            local = local.astype(np.intp) + start
        if pos is None:  # one group holding every row, each with a value: its codes
            codes = np.asarray(local, dtype=np.intp)
        else:
            if codes is None:
                codes = np.full(n, -1, dtype=np.intp)
            codes[pos] = local
        start += len(part.value)
        parts.append(part)
    if codes is None:
        codes = np.full(n, -1, dtype=np.intp)
    return Levels(codes=codes, table=_level_table(parts, numeric, values.dtype), numeric=numeric)


def _group_values(values: pd.Series, arr: np.ndarray | None, pos: np.ndarray | None):
    """One group's values with a value: an array of numbers, else a Series."""
    if arr is None:
        return values if pos is None else values.iloc[pos]
    xs = arr if pos is None else arr[pos]
    return xs.astype(float) if xs.dtype == object else xs


@dataclass(frozen=True)
class _Part:
    """One group's levels, the columns of its rows of the levels' table."""

    group: int
    value: list  # the levels' values (bin labels for a binned group)
    low: np.ndarray
    high: np.ndarray
    binned: bool
    scale: str
    inferred: bool


def _binned(xs: np.ndarray, nb: int, dist: dict | None, g: int) -> tuple[np.ndarray, _Part]:
    """Quantile bins of a continuous float parameter: codes and the group's levels."""
    log = _use_log(xs, dist)
    idx_b, edges = quantile_bins(xs, nb, log)
    used = np.flatnonzero(np.bincount(idx_b, minlength=len(edges) - 1))
    remap = np.full(len(edges) - 1, -1, dtype=np.intp)
    remap[used] = np.arange(len(used))
    labels = interval_labels(edges)
    part = _Part(g, [labels[i] for i in used], edges[used], edges[used + 1], True,
                 "log" if log else "linear", dist is None)
    return remap[idx_b], part


def _distinct(xs, numeric: bool, dist: dict | None, more: list, g: int,
              dtype) -> tuple[np.ndarray, _Part]:
    """One level per distinct value (and per choice in *more*): codes and the group's
    levels (*dtype*: the parameter's values')."""
    categorical = not numeric or (dist or {}).get("name") == "CategoricalDistribution"
    local, uniq = _factorize(xs)
    log = False
    if numeric and len(xs):  # the scale rule on the distinct values and their counts
        tried = np.bincount(np.asarray(local), minlength=len(uniq))
        log = is_log_scale(np.asarray(uniq, dtype=float), dist, counts=tried)
    scale = "categorical" if categorical else ("log" if log else "linear")
    if more:
        if numeric:
            try:
                more = pd.Series(more).astype(dtype).tolist()
            except (TypeError, ValueError):
                pass
        seen = set(uniq)
        uniq += [v for v in dict.fromkeys(more) if v not in seen]
    ordered = ordered_levels(uniq)
    if ordered != uniq:
        rank = {v: i for i, v in enumerate(ordered)}
        perm = np.array([rank[v] for v in uniq], dtype=np.intp)
        local = perm[local] if len(local) else local.astype(np.intp)
    if numeric:
        low = high = np.asarray(ordered, dtype=float)
    else:
        low = high = np.full(len(ordered), np.nan)
    return local, _Part(g, ordered, low, high, False, scale, dist is None)


def _level_values(parts: list[_Part], numeric: bool, dtype) -> pd.Series:
    """The ``value`` column: the parameter's dtype when no group is binned, else object
    (the values of each group as its own column of the parameter's dtype would give)."""
    binned = [p.binned for p in parts]
    if numeric and any(binned) and not all(binned):  # labels beside numbers
        return pd.concat([pd.Series(p.value, dtype=object if p.binned else dtype)
                          for p in parts], ignore_index=True).astype(object)
    every = [v for p in parts for v in p.value]
    return pd.Series(every, dtype=dtype if numeric and not any(binned) else object)


def _level_table(parts: list[_Part], numeric: bool, dtype) -> pd.DataFrame:
    """The groups' levels as one table, built once (an empty, typed table when there is
    none)."""
    if parts:
        k = [len(p.value) for p in parts]
        return pd.DataFrame({
            "group": np.repeat(np.array([p.group for p in parts], dtype=np.int64), k),
            "value": _level_values(parts, numeric, dtype),
            "low": np.concatenate([p.low for p in parts]),
            "high": np.concatenate([p.high for p in parts]),
            "binned": np.repeat(np.array([p.binned for p in parts]), k),
            "scale": np.repeat(np.array([p.scale for p in parts], dtype=object), k),
            "scale_inferred": np.repeat(np.array([p.inferred for p in parts]), k),
        })
    return pd.DataFrame(
        {"group": pd.Series(dtype=np.intp), "value": pd.Series(dtype=object),
         "low": pd.Series(dtype=float), "high": pd.Series(dtype=float),
         "binned": pd.Series(dtype=bool), "scale": pd.Series(dtype=object),
         "scale_inferred": pd.Series(dtype=bool)}
    )


def check_bins(bins: int | None) -> None:
    """Raise when *bins* is not a positive integer or None (the default rule)."""
    if bins is None:
        return
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer):
        raise TypeError(f"bins must be an integer or None, got {bins!r} ({type(bins).__name__}) "
                        "instead.")
    if bins < 1:
        raise TrialsError(
            f"bins must be a positive integer, or None for the default rule, got {bins!r} instead."
        )


# --- statistics -------------------------------------------------------------
def level_stats(
    codes: np.ndarray, y: np.ndarray, nlevels: int, *, spread: bool = True
) -> dict[str, np.ndarray]:
    """Count, mean and within-level sum of squared deviations; rows with code -1 skipped.

    The sum of squares is a second pass over the deviations from each level's
    mean (exact for constant levels); ``spread=False`` skips it (``ss`` NaN).
    The sums run on ``y / unit`` (``unit``: :func:`pow2_scale` of *y*, an
    exact division), so no sum overflows or underflows at any magnitude of
    the objective: ``ss_scaled = ss / unit**2`` and ``unit`` are returned too
    (``ss`` itself is ``inf`` past the float range, ``ss_scaled`` never);
    :func:`std_from_ss` turns them into standard deviations.
    """
    keep = codes >= 0
    if not keep.all():
        codes, y = codes[keep], y[keep]
    unit = pow2_scale(y)
    ys = y / unit if unit != 1.0 else y
    count = np.bincount(codes, minlength=nlevels).astype(float)
    total = np.bincount(codes, weights=ys, minlength=nlevels)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_s = total / count
    mean = mean_s * unit
    if not spread:
        nan = np.full(nlevels, np.nan)
        return {"count": count, "mean": mean, "ss": nan, "ss_scaled": nan, "unit": unit}
    dev = ys - mean_s[codes]
    ss_s = np.bincount(codes, weights=dev * dev, minlength=nlevels)
    with np.errstate(over="ignore"):
        ss = ss_s * unit * unit
    return {"count": count, "mean": mean, "ss": ss, "ss_scaled": ss_s, "unit": unit}


def std_from_ss(ss_scaled: np.ndarray, unit: float | np.ndarray, count: np.ndarray) -> np.ndarray:
    """Sample standard deviation (``ddof=1``) from scaled sums of squares; NaN below 2 trials."""
    count = np.asarray(count, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        std = np.sqrt(np.asarray(ss_scaled, dtype=float) / (count - 1)) * unit
    return np.where(count >= 2, std, np.nan)


def is_zero_ss(ss: float, scale: float, n: float) -> bool:
    """True when a sum of squares is zero up to rounding of values of size *scale*."""
    # relative to the values' own size only (no absolute floor: an objective of size 1e-30
    # that varies is not constant); the smallest normal float guards an all-zero objective
    return ss <= n * (64 * np.finfo(float).eps * max(abs(scale), np.finfo(float).tiny)) ** 2
