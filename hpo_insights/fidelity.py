"""Fidelity correlation: from which step does a learning curve rank the trials as the end does?

:func:`fidelity_correlation` gives, per study and step, Spearman's rank
correlation between the value at that step and the final value, with a 95%
interval; :func:`budget_correlation` does the same across budgets (studies)
for configurations evaluated at several budgets. Definitions and the
coverage measured by simulation are in ``docs/curves.md``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from hpo_insights import _curves, _guard
from hpo_insights import _frame as F
from hpo_insights._errors import TrialsError, TrialsWarning

__all__ = ["budget_correlation", "fidelity_correlation", "rank_correlation"]

COLUMNS = ["study", "step", "n_trials", "rho", "ci_low", "ci_high", "settled"]


def rank_correlation(x: np.ndarray, y: np.ndarray, confidence: float = 0.95
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Spearman's rho of each column pair of *x*, *y* over the rows finite in both.

    Returns ``(n, rho, ci_low, ci_high)`` per column. The interval is Fisher's
    z with the Bonett–Wright standard error ``sqrt((1 + rho**2 / 2) / (n - 3))``;
    NaN below 4 rows or for a constant column.
    """
    from scipy import stats

    ok = np.isfinite(x) & np.isfinite(y)
    n = ok.sum(axis=0)
    rx = stats.rankdata(np.where(ok, x, np.nan), axis=0, nan_policy="omit")
    ry = stats.rankdata(np.where(ok, y, np.nan), axis=0, nan_policy="omit")
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = np.nanmean(np.where(ok, rx, np.nan), axis=0) if len(x) else np.full(x.shape[1],
                                                                                   np.nan)
        my = np.nanmean(np.where(ok, ry, np.nan), axis=0) if len(x) else mx
        dx = np.where(ok, rx - mx, 0.0)
        dy = np.where(ok, ry - my, 0.0)
        rho = (dx * dy).sum(axis=0) / np.sqrt((dx * dx).sum(axis=0) * (dy * dy).sum(axis=0))
        rho = np.clip(rho, -1.0, 1.0)
        rho = np.where(n >= 2, rho, np.nan)
        z = np.arctanh(rho)
        se = np.sqrt((1 + rho**2 / 2) / (n - 3))
        half = stats.norm.ppf(0.5 + confidence / 2) * se
        low = np.where(n >= 4, np.tanh(z - half), np.nan)
        high = np.where(n >= 4, np.tanh(z + half), np.nan)
    low = np.where(np.abs(rho) == 1, rho, low)
    high = np.where(np.abs(rho) == 1, rho, high)
    return n, rho, low, high


def _settled(low: np.ndarray, threshold: float) -> np.ndarray:
    """True from the first position after which every interval's low end is >= threshold."""
    good = np.where(np.isnan(low), True, low >= threshold)
    bad_after = np.flip(np.logical_or.accumulate(np.flip(~good)))
    return ~bad_after & ~np.isnan(low)


def fidelity_correlation(
    curves: pd.DataFrame,
    *,
    studies: str | Sequence[str] | None = None,
    threshold: float = 0.9,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Rank correlation between each step's value and the final value, per study.

    Parameters
    ----------
    curves : pandas.DataFrame
        Learning curves, as :func:`hpo_insights.load_curves` returns them.
    studies : str or sequence of str, optional
        Only these studies, in this order.
    threshold : float, default 0.9
        The correlation the ranking must keep for a step to count as settled.
    confidence : float, default 0.95
        Level of the interval.

    Returns
    -------
    pandas.DataFrame
        One row per (``study``, ``step``), steps increasing: ``n_trials``
        (trials with a finite value at the step and a finite final value),
        ``rho`` (Spearman), ``ci_low``, ``ci_high`` and ``settled`` (True
        when ``ci_low >= threshold`` at this step and at every later step
        with an interval: the ranking is settled from the first such step).

    Raises
    ------
    TrialsError
        A malformed curves frame, or a study without COMPLETE trials.

    Notes
    -----
    The *final value* of a trial is its value at its last reported step; only
    COMPLETE trials count (a PRUNED trial's last value is not final). Spearman's
    rho is Pearson's correlation of the average ranks (ties share a rank) over
    the trials finite at both; the interval is Fisher's z-transform with the
    Bonett–Wright variance ``(1 + rho**2 / 2) / (n - 3)`` (NaN below 4 trials).
    Direction does not matter: rho is symmetric in it.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import hpo_insights as hi
    >>> rng = np.random.default_rng(0)
    >>> final = rng.normal(size=50)
    >>> steps = np.arange(5)
    >>> values = final[:, None] + rng.normal(size=(50, 5)) * (4 - steps) / 2
    >>> curves = pd.DataFrame({"study": "s", "number": np.repeat(range(50), 5),
    ...     "state": "COMPLETE", "step": np.tile(steps, 50), "value": values.ravel()})
    >>> fc = hi.fidelity_correlation(curves)
    >>> fc[["step", "n_trials", "rho", "ci_low", "settled"]].round(2)
       step  n_trials   rho  ci_low  settled
    0     0        50  0.52    0.27    False
    1     1        50  0.39    0.11    False
    2     2        50  0.73    0.54    False
    3     3        50  0.86    0.75    False
    4     4        50  1.00    1.00     True
    """
    curves = _curves.check(curves)
    threshold = _guard.real("threshold", threshold, low=-1, high=1)
    confidence = _guard.real("confidence", confidence, low=0, high=1, low_open=True,
                             high_open=True)
    parts = []
    for block in _curves.blocks(curves, studies):
        done = block.states == "COMPLETE"
        if not done.any():
            raise TrialsError(
                f"Study {block.study!r} has no COMPLETE trial with a curve: the fidelity "
                "correlation compares each step with the final values of finished trials."
            )
        vals = np.where(block.reported[done], block.values[done], np.nan)
        final = block.final()[done]
        n, rho, low, high = rank_correlation(vals, np.repeat(final[:, None], vals.shape[1],
                                                             axis=1), confidence)
        parts.append(pd.DataFrame({
            "study": np.full(len(block.steps), block.study, dtype=object),
            "step": block.steps,
            "n_trials": n.astype(np.int64),
            "rho": rho, "ci_low": low, "ci_high": high,
            "settled": _settled(low, threshold),
        }))
    return pd.concat(parts, ignore_index=True)[COLUMNS]


def settled_step(result: pd.DataFrame) -> pd.Series:
    """The first settled step of each study of a :func:`fidelity_correlation` result (NaN: none)."""
    first = result[result["settled"]].groupby("study", sort=False)["step"].min()
    return first.reindex(pd.unique(result["study"])).astype(float)


def budget_correlation(
    trials: pd.DataFrame,
    *,
    budget: str | None = None,
    params: str | Sequence[str] | None = None,
    objective: str | None = None,
    order: Sequence[Any] | None = None,
    threshold: float = 0.9,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Rank correlation of each budget's objective with the largest budget's, per configuration.

    DeepCAVE's "budget correlation" with intervals: a *configuration* is one
    combination of parameter values; those evaluated at a budget and at the
    largest budget are compared.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame holding several budgets of one search.
    budget : str, optional
        The budget column (``study_user_attrs_budget`` may be named ``budget``);
        ``None`` uses ``study_user_attrs_budget`` when present, else ``study``.
    params : str or sequence of str, optional
        The parameters that identify a configuration (default: all).
    objective : str, optional
        The objective column; ``None`` means the frame's single objective.
    order : sequence, optional
        The budgets from smallest to largest. Default: numeric budgets in
        increasing order, others in order of first appearance.
    threshold, confidence : float
        As in :func:`fidelity_correlation`.

    Returns
    -------
    pandas.DataFrame
        One row per budget with the columns of :func:`fidelity_correlation`:
        ``study`` is ``"all"``, ``step`` the budget's position (0 = smallest),
        plus ``budget`` (the label). A configuration evaluated several times at
        one budget counts with its mean.

    Examples
    --------
    >>> import pandas as pd
    >>> import hpo_insights as hi
    >>> trials = pd.DataFrame({"study": ["small"] * 5 + ["large"] * 5,
    ...     "number": list(range(5)) * 2, "state": "COMPLETE",
    ...     "params_lr": [1, 2, 3, 4, 5] * 2,
    ...     "value": [0.1, 0.3, 0.2, 0.4, 0.5, 0.2, 0.4, 0.3, 0.5, 0.6]})
    >>> hi.budget_correlation(trials)[["budget", "n_trials", "rho"]]
      budget  n_trials  rho
    0  small         5  1.0
    1  large         5  1.0
    """
    trials = _guard.frame(trials)
    col = budget or (F.BUDGET if F.BUDGET in trials.columns else F.STUDY)
    if col not in trials.columns and F.STUDY_ATTR_PREFIX + col in trials.columns:
        col = F.STUDY_ATTR_PREFIX + col
    if col not in trials.columns:
        raise TrialsError(f"Unknown budget column {budget!r}: the trials frame has no such "
                          "column (nor study_user_attrs_<name>).")
    pcols = F.param_columns(trials, params)
    done, ycol = F.completed(trials, objective, columns=[col, *pcols])
    F.require_rows(done)
    labels = pd.unique(done[col])
    if order is not None:
        order = list(order)
        unknown = [b for b in order if b not in set(labels)]
        if unknown or len(order) != len(labels):
            raise TrialsError(f"order must list every budget once: budgets present are "
                              f"{', '.join(map(str, labels))}; got {order!r}.")
        labels = np.asarray(order, dtype=object)
    elif pd.api.types.is_numeric_dtype(done[col]):
        labels = np.sort(labels)
    config = done[pcols].astype(str).agg("\x1f".join, axis=1)
    cid = pd.factorize(config)[0]
    bid = pd.Index(list(labels)).get_indexer(done[col])
    table = pd.DataFrame({"c": cid, "b": bid, "y": done[ycol].to_numpy()}) \
        .groupby(["c", "b"])["y"].mean().unstack("b").reindex(columns=range(len(labels)))
    mat = table.to_numpy(dtype=float)
    final = np.repeat(mat[:, -1:], mat.shape[1], axis=1)
    n, rho, low, high = rank_correlation(mat, final, confidence)
    if (n[:-1] < 4).all() and len(labels) > 1:
        warnings.warn(
            f"Fewer than 4 configurations were evaluated at a budget and at the largest budget "
            f"({labels[-1]!r}): no rank correlation between budgets. Budgets of one search "
            "share configurations when the search re-evaluates them (successive halving).",
            TrialsWarning, stacklevel=2)
    out = pd.DataFrame({
        "study": "all", "step": np.arange(len(labels)), "n_trials": n.astype(np.int64),
        "rho": rho, "ci_low": low, "ci_high": high,
        "settled": _settled(low, _guard.real("threshold", threshold, low=-1, high=1)),
    })
    out.insert(2, "budget", np.asarray(labels, dtype=object))
    return out
