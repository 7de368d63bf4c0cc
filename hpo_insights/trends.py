"""Per-value tables of the objective and the trend they show."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from hpo_insights import _binning, _frame
from hpo_insights._errors import TrialsError
from hpo_insights._levels import group_key_column, level_tables

__all__ = ["classify_trend", "value_table"]

METHODS = ("endpoints",)
TREND_LABELS = ("increasing", "decreasing", "flat", "unordered")


def value_table(
    trials: pd.DataFrame,
    *,
    params: str | Sequence[str] | None = None,
    studies: str | Sequence[str] | None = None,
    objective: str | None = None,
    by: str | None = "study",
    bins: int = 10,
    confidence: float = 0.95,
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
    bins : int, default 10
        Float parameters with more distinct values than *bins* are cut into at
        most *bins* quantile intervals.
    confidence : float, default 0.95
        Level of the t-interval of the mean.

    Returns
    -------
    pandas.DataFrame
        Columns ``study`` (named after *by*; absent when ``by=None``),
        ``param`` (bare name), ``value``, ``low``, ``high``, ``binned``,
        ``count``, ``mean``, ``std``, ``sem``, ``ci_low``, ``ci_high``; one
        row per value (or interval) seen, by group (order of appearance) then
        value order.

    Raises
    ------
    TrialsError
        Unknown parameter (the message lists the existing ones), no completed
        trial, unknown or non-numeric objective, bad *bins* or *confidence*.
    TypeError
        *trials* is not a DataFrame.

    Notes
    -----
    Only COMPLETE trials with a finite objective count, and only those that
    have a value for the parameter. ``std`` is the sample standard deviation
    (``ddof=1``), ``sem = std / sqrt(count)`` and the interval is
    ``mean ± t((1 + confidence) / 2, count - 1) * sem``; all three are NaN for
    a value tried once.

    Values: one row per distinct value, numbers in increasing order and other
    values in natural order when they compare (else order of appearance).
    Unbinned numeric rows have ``low == high == value``; non-numeric rows have
    NaN ``low``/``high``. A float parameter (not an integer or categorical
    distribution, not all whole numbers) with more distinct values than
    *bins* in a group is cut at quantiles (of log10 values when all are
    positive and span more than two decades, or the distribution is log);
    duplicate edges collapse. Then ``value`` is a label such as
    ``"[1e-05, 3.2e-05)"`` (the last interval closed), ``low``/``high`` the
    edges and ``binned`` True.

    Examples
    --------
    >>> import pandas as pd
    >>> import hpo_insights as hi
    >>> trials = pd.DataFrame({"study": "a", "number": range(5), "state": "COMPLETE",
    ...     "value": [0.5, 0.7, 0.8, 0.9, 0.6], "params_lr": [0.1, 0.1, 0.01, 0.01, 0.001],
    ...     "study_direction": "maximize"})
    >>> vt = hi.value_table(trials, params="lr")
    >>> vt[["value", "count", "mean", "std"]].round(3)
       value  count  mean    std
    0  0.001      1  0.60    NaN
    1  0.010      2  0.85  0.071
    2  0.100      2  0.60  0.141
    >>> list(hi.value_table(hi.datasets.example(), params="dropout").columns)
    ['study', 'param', 'value', 'low', 'high', 'binned', 'count', 'mean', 'std', 'sem',
     'ci_low', 'ci_high']
    """
    if isinstance(confidence, bool) or not isinstance(confidence, float | int) or not (
        0 < confidence < 1
    ):
        raise TrialsError(f"confidence must be a number in (0, 1), got {confidence!r} instead.")
    trials = _frame.select_studies(trials, studies)
    long, groups = level_tables(trials, params, objective=objective, by=by, bins=bins)
    count = long["count"].to_numpy().astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        std = np.sqrt(long["ss"].to_numpy() / (count - 1))
    std[count < 2] = np.nan
    sem = std / np.sqrt(count)
    half = _binning.t_quantile((1 + confidence) / 2, count - 1) * sem
    mean = long["mean"].to_numpy()
    out = group_key_column(long, groups, by)
    out.update(
        param=long["param"].to_numpy(dtype=object),
        value=long["value"],
        low=long["low"].to_numpy(),
        high=long["high"].to_numpy(),
        binned=long["binned"].to_numpy(dtype=bool),
        count=long["count"].to_numpy(),
        mean=mean,
        std=std,
        sem=sem,
        ci_low=mean - half,
        ci_high=mean + half,
    )
    return pd.DataFrame(out)


def classify_trend(
    trials: pd.DataFrame,
    *,
    params: str | Sequence[str] | None = None,
    studies: str | Sequence[str] | None = None,
    method: Literal["endpoints"] = "endpoints",
    tol: float = 0.01,
    objective: str | None = None,
    direction: str | None = None,
    by: str | None = "study",
    bins: int = 10,
) -> pd.DataFrame:
    """Whether the objective rises or falls along a parameter, and its best and worst value.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    params : str, sequence of str or None, default None
        The parameter(s), with or without ``params_``; ``None`` means all.
    studies : str or sequence of str, optional
        Only these studies (the ``study`` column), in this order; ``None``
        means every study. An unknown name is an error listing the studies.
    method : {"endpoints"}, default "endpoints"
        How the trend is decided. ``"endpoints"`` compares the mean objective
        at the largest value with the mean at the smallest (the reference
        report's rule). Other methods may be added; results name theirs in
        the ``method`` column.
    tol : float, default 0.01
        In objective units: ``delta > tol`` is increasing, ``delta < -tol``
        decreasing, anything between flat.
    objective : str, optional
        The objective column; ``None`` means the frame's single objective.
    direction : {"maximize", "minimize"}, optional
        Overrides ``study_direction`` (decides which mean is best).
    by : str or None, default "study"
        One answer per value of this column; ``None`` pools all trials.
    bins : int, default 10
        Binning of float parameters, as in :func:`value_table`.

    Returns
    -------
    pandas.DataFrame
        One row per (group, param): ``study`` (named after *by*; absent when
        ``by=None``), ``param``, ``trend`` (``"increasing"``,
        ``"decreasing"``, ``"flat"`` or ``"unordered"`` for non-numeric
        values), ``method``, ``delta`` (mean at largest − mean at smallest
        value; NaN when unordered or single-valued), ``best_value``,
        ``best_mean``, ``worst_value``, ``worst_mean``, ``n_values``.

    Raises
    ------
    TrialsError
        Unknown method (the message lists the methods), negative *tol*,
        unknown parameter, no completed trial, bad objective or direction.
    TypeError
        *trials* is not a DataFrame.

    Notes
    -----
    Built on :func:`value_table` (same trials, same values and bins). The best
    value has the highest mean when maximizing and the lowest when
    minimizing; ties go to the smaller value. A parameter with a single value
    in a group is ``"flat"`` with NaN ``delta``. The endpoints rule ignores
    the values in between and the noise of each mean: read it together with
    the value table's confidence intervals.

    Examples
    --------
    >>> import pandas as pd
    >>> import hpo_insights as hi
    >>> trials = pd.DataFrame({"study": "a", "number": range(5), "state": "COMPLETE",
    ...     "value": [0.5, 0.7, 0.8, 0.9, 0.6], "params_lr": [0.1, 0.1, 0.01, 0.01, 0.001],
    ...     "study_direction": "maximize"})
    >>> hi.classify_trend(trials, params="lr")[["param", "trend", "best_value", "worst_value"]]
      param trend  best_value  worst_value
    0    lr  flat        0.01        0.001
    >>> list(hi.classify_trend(hi.datasets.example()).columns)
    ['study', 'param', 'trend', 'method', 'delta', 'best_value', 'best_mean', 'worst_value',
     'worst_mean', 'n_values']
    """
    if method not in METHODS:
        raise TrialsError(
            f"Unknown trend method {method!r}. Methods: {', '.join(METHODS)}. "
            "Pass method='endpoints'."
        )
    if isinstance(tol, bool) or not isinstance(tol, float | int) or not tol >= 0:
        raise TrialsError(f"tol must be a number >= 0 (objective units), got {tol!r} instead.")
    trials = _frame.select_studies(trials, studies)
    long, groups = level_tables(
        trials, params, objective=objective, by=by, bins=bins, spread=False
    )
    signs, _ = _frame.signs(trials, direction, by, groups)
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
    trend = np.where(delta > tol, "increasing", np.where(delta < -tol, "decreasing", "flat"))
    trend = np.where(numeric, trend, "unordered").astype(object)
    heads = long.iloc[first]
    out = group_key_column(heads, groups, by)
    values = long["value"]
    out.update(
        param=heads["param"].to_numpy(dtype=object),
        trend=trend,
        method=method,
        delta=delta,
        best_value=values.iloc[best].to_numpy(),
        best_mean=mean[best],
        worst_value=values.iloc[worst].to_numpy(),
        worst_mean=mean[worst],
        n_values=n_values,
    )
    return pd.DataFrame(out)
