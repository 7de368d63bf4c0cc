"""Per-value tables of the objective and the trend they show."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from hpo_insights import _binning, _frame, _guard, _mask, _stats
from hpo_insights._deprecation import complement, renamed_arguments
from hpo_insights._errors import TrialsError
from hpo_insights._levels import group_key_column, level_tables

__all__ = ["classify_trend", "value_table"]

METHODS = ("shape", "endpoints")


def _excluded_counts(
    excluded: pd.DataFrame | None, long: pd.DataFrame, groups: pd.Index, by: str | None
) -> np.ndarray:
    """Per row of *long*: how many left-out trials of its group have a value for its param."""
    out = np.zeros(len(long), dtype=np.int64)
    if excluded is None or not len(long):
        return out
    src = _frame.group_column(excluded, by)
    keys = excluded[src].to_numpy(dtype=object) if src is not None else np.full(
        len(excluded), groups[0], dtype=object)
    gpos = pd.Index(groups).get_indexer(keys)
    rows_group = long["group"].to_numpy()
    rows_param = long["param"].to_numpy(dtype=object)
    for param in pd.unique(rows_param):
        has = excluded[_frame.PARAM_PREFIX + param].notna().to_numpy() & (gpos >= 0)
        per_group = np.bincount(gpos[has], minlength=len(groups))
        sel = rows_param == param
        out[sel] = per_group[rows_group[sel]]
    return out


@renamed_arguments(confidence=("alpha", complement))
def value_table(
    trials: pd.DataFrame,
    *,
    params: str | Sequence[str] | None = None,
    studies: str | Sequence[str] | None = None,
    objective: str | None = None,
    by: str | None = "study",
    bins: int | None = None,
    alpha: float = 0.05,
    exclude_collapsed: bool = True,
) -> pd.DataFrame:
    """The objective's count, mean, std and confidence interval for each value of a parameter.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    params : str, sequence of str or None, default None
        The parameter(s), with or without ``params_`` (several give their
        tables one after another); ``None`` means all.
    studies : str or sequence of str, optional
        Only these studies (the ``study`` column), in this order; ``None``
        means every study. An unknown name is an error listing the studies.
    objective : str, optional
        The objective column; ``None`` means the frame's single objective.
    by : str or None, default "study"
        One table per value of this column; ``None`` pools all trials.
    bins : int or None, default None
        Float parameters with more distinct values than *bins* are cut into at
        most *bins* quantile intervals. ``None``: ``n // 10`` bins for the
        group's ``n`` values, at least 3 and at most 10 (the rule
        :func:`~hpo_insights.variance_explained` uses, so all analyses agree).
    alpha : float, default 0.05
        Error rate of the t-interval of the mean: it covers the true value with probability
        ``1 - alpha`` (0.05: a 95% interval). ``confidence=`` (the old name,
        ``1 - alpha``) still works until 0.4.0 with a FutureWarning.
    exclude_collapsed : bool, default True
        Leave out the trials :func:`hpo_insights.detect_collapse` flags (with
        its default columns and thresholds); ``False`` keeps them.

    Returns
    -------
    pandas.DataFrame
        Columns ``study`` (named after *by*; absent when ``by=None``),
        ``param`` (bare name), ``value``, ``low``, ``high``, ``binned``,
        ``scale`` (the parameter's axis: ``"categorical"`` for non-numeric
        values or a categorical distribution, else ``"log"`` or ``"linear"``
        by the rule that decides log-space bins), ``scale_inferred`` (True when
        no distribution was recorded for the parameter in the group, so its
        kind and scale were inferred from the values, see
        ``docs/analyses.md``), ``n_trials``, ``mean``,
        ``std``, ``sem``, ``ci_low``, ``ci_high``,
        ``n_excluded`` (collapsed trials of the group with a value for the
        parameter that were left out; the same on every row of a table); one
        row per value (or interval) seen, by group (order of appearance) then
        value order.

    Raises
    ------
    TrialsError
        Unknown parameter (the message lists the existing ones), no completed
        trial, unknown or non-numeric objective, bad *bins* or *alpha*.
    TypeError
        *trials* is not a DataFrame.

    Notes
    -----
    Only COMPLETE trials with a finite objective count, and only those that
    have a value for the parameter. ``std`` is the sample standard deviation
    (``ddof=1``), ``sem = std / sqrt(n_trials)`` and the interval is
    ``mean ± t(1 - alpha / 2, n_trials - 1) * sem``; all three are NaN for
    a value tried once.

    Values: one row per distinct value, numbers in increasing order and other
    values in natural order when they compare (else order of appearance).
    Unbinned numeric rows have ``low == high == value``; non-numeric rows have
    NaN ``low``/``high``. A continuous float parameter (not an integer or
    categorical distribution, not a stepped grid of at most 12 values, not
    all whole numbers; without a recorded distribution, not at most 12
    values some of which repeat: ``_binning.param_kind``) with more distinct
    values than *bins* in a group is cut at quantiles (of log10 values on a
    log scale: the distribution says ``log``, or without one the rule of
    ``_binning.is_log_scale``);
    duplicate edges collapse. Then ``value`` is a label such as
    ``"[1e-05, 3.2e-05)"`` (the last interval closed), ``low``/``high`` the
    edges and ``binned`` True.

    Collapsed trials (a model predicting nearly the same probability for
    every input; see :func:`hpo_insights.detect_collapse`) are left out by
    default, before levels are decided; a group whose every trial collapsed
    is then absent.

    Examples
    --------
    >>> import pandas as pd
    >>> import hpo_insights as hi
    >>> trials = pd.DataFrame({"study": "a", "number": range(5), "state": "COMPLETE",
    ...     "value": [0.5, 0.7, 0.8, 0.9, 0.6], "params_lr": [0.1, 0.1, 0.01, 0.01, 0.001],
    ...     "study_direction": "maximize"})
    >>> vt = hi.value_table(trials, params="lr")
    >>> vt[["value", "n_trials", "mean", "std"]].round(3)
       value  n_trials  mean    std
    0  0.001         1  0.60    NaN
    1  0.010         2  0.85  0.071
    2  0.100         2  0.60  0.141
    >>> list(hi.value_table(hi.datasets.example(), params="dropout").columns)
    ['study', 'param', 'value', 'low', 'high', 'binned', 'scale', 'scale_inferred',
     'n_trials', 'mean', 'std', 'sem', 'ci_low', 'ci_high', 'n_excluded']
    """
    trials = _frame.select_studies(_guard.frame(trials), studies)
    _guard.names("params", params)
    _guard.text("objective", objective)
    _guard.real("alpha", alpha, low=0.0, high=1.0, low_open=True, high_open=True)
    confidence = 1 - alpha
    mask, excluded = _mask.collapsed_rows(trials, exclude_collapsed)
    long, groups = level_tables(trials, params, objective=objective, by=by, bins=bins,
                                exclude=mask)
    count = long["count"].to_numpy().astype(float)
    std = _binning.std_from_ss(long["ss_scaled"].to_numpy(), long["unit"].to_numpy(), count)
    sem = std / np.sqrt(count)
    half = _stats.t_quantile((1 + confidence) / 2, count - 1) * sem
    mean = long["mean"].to_numpy()
    out = group_key_column(long, groups, by)
    out.update(
        param=long["param"].to_numpy(dtype=object),
        value=long["value"],
        low=long["low"].to_numpy(),
        high=long["high"].to_numpy(),
        binned=long["binned"].to_numpy(dtype=bool),
        scale=long["scale"].to_numpy(dtype=object),
        scale_inferred=long["scale_inferred"].to_numpy(dtype=bool),
        n_trials=long["count"].to_numpy(),
        mean=mean,
        std=std,
        sem=sem,
        ci_low=mean - half,
        ci_high=mean + half,
        n_excluded=_excluded_counts(excluded, long, groups, by),
    )
    return pd.DataFrame(out)


@renamed_arguments(tol="tolerance")
def classify_trend(
    trials: pd.DataFrame,
    *,
    params: str | Sequence[str] | None = None,
    studies: str | Sequence[str] | None = None,
    method: Literal["endpoints", "shape"] = "shape",
    tolerance: float = 0.01,
    alpha: float = 0.05,
    objective: str | None = None,
    direction: str | None = None,
    by: str | None = "study",
    bins: int | None = None,
    exclude_collapsed: bool = True,
    min_effect: float | None = None,
) -> pd.DataFrame:
    """The shape of the objective along a parameter (with evidence), and its best and worst value.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    params : str, sequence of str or None, default None
        The parameter(s), with or without ``params_``; ``None`` means all.
    studies : str or sequence of str, optional
        Only these studies (the ``study`` column), in this order; ``None``
        means every study. An unknown name is an error listing the studies.
    method : {"endpoints", "shape"}, default "shape"
        How the trend is decided. ``"shape"`` tests a linear and a curvature
        contrast on every trial (see Notes) and labels the shape only when
        the data show it. ``"endpoints"`` compares the mean objective
        at the largest value with the mean at the smallest against *tolerance*
        (the reference report's rule, kept for its layout): it ignores the
        noise and the values in between.
    tolerance : float, default 0.01
        ``"endpoints"`` only, in objective units: ``delta > tolerance`` is
        increasing, ``delta < -tolerance`` decreasing, anything between flat.
    alpha : float, default 0.05
        ``"shape"`` only: the chance of calling a trend (any label but
        ``"flat"``) on a parameter without effect is at most *alpha*.
    objective : str, optional
        The objective column; ``None`` means the frame's single objective.
    direction : {"maximize", "minimize"}, optional
        Overrides ``study_direction`` (decides which mean is best).
    by : str or None, default "study"
        One answer per value of this column; ``None`` pools all trials.
    bins : int or None, default None
        Binning of float parameters, as in :func:`value_table`.
    exclude_collapsed : bool, default True
        Leave out the trials :func:`hpo_insights.detect_collapse` flags, as in
        :func:`value_table`.
    min_effect : float, optional
        ``"shape"`` only: the equivalence margin behind ``"flat"``, in
        objective units. ``None``: half the residual standard deviation of
        the per-value means model (an effect smaller than half the
        trial-to-trial noise).

    Returns
    -------
    pandas.DataFrame
        One row per (group, param): ``study`` (named after *by*; absent when
        ``by=None``), ``param``, ``trend``, ``method``, ``delta`` (mean at
        largest − mean at smallest value; NaN when unordered or
        single-valued), ``effect``, ``effect_low``, ``effect_high`` (its
        95% interval), ``p_value``, ``best_value``, ``best_mean``,
        ``worst_value``, ``worst_mean``, ``n_values``, ``n_excluded``
        (collapsed trials left out).

        ``trend`` with ``"shape"``: ``"increasing"`` or ``"decreasing"``
        (the objective rises or falls from the smallest to the largest
        value), ``"peaked"`` (highest objective inside the tried range) or
        ``"valley"`` (lowest inside), ``"no evidence"`` (no test found a
        trend: not a statement that there is none), ``"flat"`` (an
        equivalence statement: the fitted end-to-end change lies within
        ``±min_effect`` and the middle-versus-ends bulge within
        ``±min_effect / 2``, each by two one-sided t tests at *alpha*),
        ``"inconclusive"`` (fewer than 3 values, or no value tried twice) or
        ``"unordered"`` (non-numeric values). With ``"endpoints"``:
        ``"increasing"``, ``"decreasing"``, ``"flat"`` or ``"unordered"``.
        Labels are about the objective, not about quality: when minimizing,
        "increasing" means worse at large values and "peaked" worst inside.

        ``effect`` (objective units) with ``"shape"``: for ``"peaked"`` and
        ``"valley"`` how far the fitted curve's middle lies above the mean of
        its two ends (negative for a valley); otherwise the fitted line's
        change from the smallest to the largest value. ``p_value`` is the
        p-value of "no trend" (no trend claimed unless ``p_value <= alpha``). With
        ``"endpoints"``, ``effect`` equals ``delta`` and the interval and
        p-value are NaN.

    Raises
    ------
    TrialsError
        Unknown method (the message lists the methods), negative *tolerance*, bad
        *alpha*, unknown parameter, no completed trial, bad objective or
        direction.
    TypeError
        *trials* is not a DataFrame.

    Notes
    -----
    Built on :func:`value_table` (same trials, same values and bins). The best
    value has the highest mean when maximizing and the lowest when
    minimizing; ties go to the smaller value.

    ``"shape"``: values sit at their positions, rescaled to [-1, 1]: log10
    values on a log scale (the binning rule's ``_binning.is_log_scale`` of
    the values as tried, numeric categorical choices included; binned floats
    keep the scale they were cut on), ranks when zero was tried beside
    positive values spanning two decades or more (0, 1e-5, 1e-4, 1e-3), the
    values themselves otherwise; a binned interval sits at its midpoint. On every trial, a line
    and a parabola are fitted by least squares; the residual variance is the
    one of the per-value means model (``ddof`` = number of values). The
    slope's t test is run at ``0.8 * alpha`` and the curvature's (the
    parabola's ``x**2`` coefficient) at ``0.15 * alpha``; the two are
    orthogonal, so the chance of a false trend is at most about
    ``0.95 * alpha``. ``p_value = min(1, p_slope / 0.8, p_curvature / 0.15)``.
    A significant curvature whose fitted extremum lies inside the tried
    range is "peaked" or "valley"; otherwise a significant slope or
    curvature is "increasing"/"decreasing" by the sign of the fitted
    change. ``docs/statistics.md`` gives the error rates measured by
    simulation. A parameter with a single value is ``"flat"`` with NaN
    ``delta`` under ``"endpoints"`` and ``"inconclusive"`` under
    ``"shape"``.

    Examples
    --------
    >>> import pandas as pd
    >>> import hpo_insights as hi
    >>> trials = pd.DataFrame({"study": "a", "number": range(5), "state": "COMPLETE",
    ...     "value": [0.5, 0.7, 0.8, 0.9, 0.6], "params_lr": [0.1, 0.1, 0.01, 0.01, 0.001],
    ...     "study_direction": "maximize"})
    >>> ct = hi.classify_trend(trials, params="lr")
    >>> ct[["trend", "effect", "effect_low", "effect_high", "p_value"]].round(3)
             trend  effect  effect_low  effect_high  p_value
    0  no evidence  -0.071      -0.646        0.504    0.808
    >>> ends = hi.classify_trend(trials, params="lr", method="endpoints")
    >>> ends[["param", "trend", "delta", "best_value", "worst_value"]]
      param trend  delta  best_value  worst_value
    0    lr  flat    0.0        0.01        0.001
    >>> list(hi.classify_trend(hi.datasets.example()).columns)
    ['study', 'param', 'trend', 'method', 'delta', 'effect', 'effect_low', 'effect_high',
     'p_value', 'best_value', 'best_mean', 'worst_value', 'worst_mean', 'n_values', 'n_excluded']
    """
    if method not in METHODS:
        raise TrialsError(
            f"Unknown trend method {method!r}. Methods: {', '.join(METHODS)}. "
            "Pass method='shape' (tests) or method='endpoints' (the reference rule)."
        )
    _guard.real("tolerance", tolerance, low=0.0)
    _guard.real("alpha", alpha, low=0.0, high=1.0, low_open=True, high_open=True)
    trials = _frame.select_studies(_guard.frame(trials), studies)
    _guard.names("params", params)
    _guard.text("objective", objective)
    direction = _guard.direction(direction)
    mask, excluded = _mask.collapsed_rows(trials, exclude_collapsed)
    shape = method == "shape"
    long, groups = level_tables(
        trials, params, objective=objective, by=by, bins=bins, spread=shape, exclude=mask
    )
    signs, _ = _frame.signs(trials, direction, by, groups, objective)
    key = pd.factorize(pd.MultiIndex.from_arrays([long["group"], long["param"]]))[0]
    score = long["mean"].to_numpy() * signs[long["group"].to_numpy()]
    frame = pd.DataFrame({"block": key, "score": score})
    gb = frame.groupby("block", sort=False)
    best = gb["score"].idxmax().to_numpy()
    worst = gb["score"].idxmin().to_numpy()
    first = gb.head(1).index.to_numpy()
    last = gb.tail(1).index.to_numpy()
    n_values = gb.size().to_numpy()
    mean = long["mean"].to_numpy()
    numeric = long["numeric"].to_numpy()[first]
    delta = np.where(numeric & (n_values > 1), mean[last] - mean[first], np.nan)
    nan = np.full(len(first), np.nan)
    if min_effect is not None:
        _guard.real("min_effect", min_effect, low=0.0, low_open=True)
    if shape:
        res = _shape(trials, long, key, len(first), groups, by, alpha)
        res["trend"] = _flat(res, alpha, min_effect)
        trend = np.where(numeric, res["trend"], "unordered").astype(object)
        effect, low, high, p_value = (np.where(numeric, res[c], np.nan) for c in (
            "effect", "effect_low", "effect_high", "p_value"))
    else:
        trend = np.where(delta > tolerance, "increasing",
                         np.where(delta < -tolerance, "decreasing", "flat"))
        trend = np.where(numeric, trend, "unordered").astype(object)
        effect, low, high, p_value = delta, nan, nan, nan
    heads = long.iloc[first]
    out = group_key_column(heads, groups, by)
    values = long["value"]
    out.update(
        param=heads["param"].to_numpy(dtype=object),
        trend=trend,
        method=method,
        delta=delta,
        effect=effect,
        effect_low=low,
        effect_high=high,
        p_value=p_value,
        best_value=values.iloc[best].to_numpy(),
        best_mean=mean[best],
        worst_value=values.iloc[worst].to_numpy(),
        worst_mean=mean[worst],
        n_values=n_values,
        n_excluded=_excluded_counts(excluded, heads, groups, by),
    )
    return pd.DataFrame(out)


def _flat(res: dict, alpha: float, min_effect: float | None) -> np.ndarray:
    """"flat" where both contrasts are shown within the margin (TOST), else the trend as is."""
    trend = np.asarray(res["trend"], dtype=object).copy()
    with np.errstate(invalid="ignore"):
        margin = (np.full(len(trend), float(min_effect)) if min_effect is not None
                  else 0.5 * res.get("resid_sd", np.sqrt(res["s2"])))
        tq = _stats.t_quantile(1 - alpha, res["df"])
        lin = np.abs(res["linear"]) + tq * res["linear_se"]
        bulge = np.abs(res["bulge"]) + tq * res["bulge_se"]
        flat = (trend == "no evidence") & (lin < margin) & (bulge < margin / 2)
    trend[flat] = "flat"
    return trend


def _shape(
    trials: pd.DataFrame,
    long: pd.DataFrame,
    block: np.ndarray,
    nblocks: int,
    groups: pd.Index,
    by: str | None,
    alpha: float,
) -> dict[str, np.ndarray]:
    """The shape tests of every (group, param) block of a level table."""
    from hpo_insights import _trend_stats

    first = pd.Series(np.arange(len(long))).groupby(block, sort=True).first().to_numpy()
    block_param = long["param"].to_numpy(dtype=object)[first]
    block_group = long["group"].to_numpy()[first]
    keys = groups.to_numpy(dtype=object)
    low, high = long["low"].to_numpy(), long["high"].to_numpy()
    binned = long["binned"].to_numpy(dtype=bool)
    # binned floats: the scale their bins were cut on; values: the same rule on the values as
    # tried (also for numeric categorical choices such as 1e-5, 1e-4, 1e-3)
    log = (long["scale"].to_numpy(dtype=object) == "log")[first]
    counts = long["count"].to_numpy()
    bounds = np.r_[first, len(long)]
    for param in pd.unique(block_param):
        sel = np.flatnonzero((block_param == param) & ~binned[first])
        if not len(sel):
            continue
        dists = _binning.group_distributions(trials, _frame.PARAM_PREFIX + param, by)
        for j in sel:
            sl = slice(bounds[j], bounds[j + 1])
            if not np.isfinite(low[sl]).all():
                continue
            dist = dists.get(keys[block_group[j]] if by is not None else "all")
            log[j] = _binning.is_log_scale(low[sl], dist, counts=counts[sl])
    x, _ = _trend_stats.level_positions(low, high, binned, block, nblocks, log)
    # the tests on the objective divided by a power of two (exact), so that no square
    # overflows or underflows whatever its magnitude; effects back in objective units
    unit = long["unit"].to_numpy(dtype=float)
    res = _trend_stats.shape_tests(
        block, x, long["count"].to_numpy(dtype=float), long["mean"].to_numpy() / unit,
        long["ss_scaled"].to_numpy(), nblocks, alpha=alpha,
    )
    block_unit = unit[first]
    for key in ("linear", "linear_se", "bulge", "bulge_se", "effect", "effect_low",
                "effect_high"):
        res[key] = res[key] * block_unit
    res["resid_sd"] = np.sqrt(res["s2"]) * block_unit  # (finite where s2 * unit**2 is not)
    with np.errstate(over="ignore"):  # (inf past the float range, as a variance must be)
        res["s2"] = res["s2"] * block_unit * block_unit
    return res
