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
from hpo_insights._deprecation import complement, renamed_arguments, renamed_values
from hpo_insights._errors import TrialsError, TrialsWarning

__all__ = ["budget_correlation", "fidelity_correlation", "rank_correlation"]

COLUMNS = ["study", "step", "n_trials", "rho", "ci_low", "ci_high", "settled"]


def rank_correlation(x: np.ndarray, y: np.ndarray, confidence: float = 0.95
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Spearman's rho of each column pair of *x*, *y* over the rows finite in both.

    Returns ``(n, rho, ci_low, ci_high)`` per column. The interval is Fisher's
    z with a nonparametric standard error: the influence function of
    Spearman's rho (see ``docs/curves.md``), so that heavy tails and
    correlations near 1 keep their coverage; NaN below 4 rows.
    """
    from scipy import stats

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    n_rows, n_cols = x.shape
    n = ok.sum(axis=0)
    rx = stats.rankdata(np.where(ok, x, np.nan), axis=0, nan_policy="omit")
    ry = stats.rankdata(np.where(ok, y, np.nan), axis=0, nan_policy="omit")
    rx, ry = np.where(ok, rx, 0.0), np.where(ok, ry, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.maximum(n, 1)
        u, v = rx / m, ry / m
        mu, mv = u.sum(axis=0) / m, v.sum(axis=0) / m
        dx, dy = np.where(ok, u - mu, 0.0), np.where(ok, v - mv, 0.0)
        rho = (dx * dy).sum(axis=0) / np.sqrt((dx * dx).sum(axis=0) * (dy * dy).sum(axis=0))
        rho = np.where(n >= 2, np.clip(rho, -1.0, 1.0), np.nan)
        rho = np.where(1 - np.abs(rho) < 1e-12, np.sign(rho), rho)  # a perfect match, rounded
        # influence function of rho_S = 12 T - 3, T = E[F(X) G(Y)]:
        # IF = 12 (F(x) G(y) + S1(x) + S2(y) - 3 T), S1(x) = E[1{X >= x} G(Y)]
        s1 = _upper_sums(rx, v, n_rows) / m
        s2 = _upper_sums(ry, u, n_rows) / m
        theta = (u * v).sum(axis=0) / m
        inf = np.where(ok, 12 * (u * v + s1 + s2 - 3 * theta), 0.0)
        var = ((inf - inf.sum(axis=0) / m) ** 2 * ok).sum(axis=0) / (n - 1)
        se_z = np.sqrt(var / (n - 3)) / (1 - rho**2)
        half = stats.norm.ppf(0.5 + confidence / 2) * se_z
        z = np.arctanh(rho)
        low = np.where(n >= 4, np.tanh(z - half), np.nan)
        high = np.where(n >= 4, np.tanh(z + half), np.nan)
    exact = (np.abs(rho) == 1) & (n >= 4)
    low = np.where(exact, rho, low)
    high = np.where(exact, rho, high)
    return n, rho, low, high


def _upper_sums(ranks: np.ndarray, w: np.ndarray, n_rows: int) -> np.ndarray:
    """Per column, ``sum_j w_j [rank_j >= rank_i]`` for every row i (0 for rank 0 rows).

    Average ranks are multiples of 1/2, so twice the rank is an exact bin.
    """
    n_cols = ranks.shape[1]
    b = np.rint(2 * ranks).astype(np.int64)
    size = 2 * n_rows + 2
    flat = (b * n_cols + np.arange(n_cols)[None, :]).ravel()
    hist = np.bincount(flat, weights=np.where(b > 0, w, 0.0).ravel(),
                       minlength=size * n_cols).reshape(size, n_cols)
    upper = np.cumsum(hist[::-1], axis=0)[::-1]
    return np.take_along_axis(upper, b, axis=0)


def _settled(low: np.ndarray, threshold: float) -> np.ndarray:
    """True from the first position after which every interval's low end is >= threshold."""
    good = np.where(np.isnan(low), True, low >= threshold)
    bad_after = np.flip(np.logical_or.accumulate(np.flip(~good)))
    return ~bad_after & ~np.isnan(low)


@renamed_arguments(confidence=("alpha", complement))
def fidelity_correlation(
    curves: pd.DataFrame,
    *,
    studies: str | Sequence[str] | None = None,
    threshold: float = 0.9,
    alpha: float = 0.05,
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
    alpha : float, default 0.05
        Error rate of the interval (coverage ``1 - alpha``); ``confidence=``
        (the old name, ``1 - alpha``) still works until 0.4.0 with a FutureWarning.

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
    the trials finite at both. The interval is ``tanh(atanh(rho) ± z se_z)``
    with ``se_z = sqrt(var(IF) / (n - 3)) / (1 - rho**2)``: ``IF_i = 12 (u_i v_i
    + S1_i + S2_i - 3 mean(u v))`` is the influence function of Spearman's
    rho, ``u = rank(x) / n``, ``v = rank(y) / n``, ``S1_i = mean_j v_j
    [u_j >= u_i]``, ``S2_i = mean_j u_j [v_j >= v_i]``, ``var`` with
    ``ddof=1`` (NaN below 4 trials; a correlation of exactly ±1 has a
    zero-width interval).
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
    0     0        50  0.52    0.29    False
    1     1        50  0.39    0.16    False
    2     2        50  0.73    0.56    False
    3     3        50  0.86    0.73    False
    4     4        50  1.00    1.00     True
    """
    curves = _curves.check(curves)
    threshold = _guard.real("threshold", threshold, low=-1, high=1)
    confidence = 1 - _guard.real("alpha", alpha, low=0, high=1, low_open=True, high_open=True)
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


@renamed_values(budget=(None, "auto"))
@renamed_arguments(confidence=("alpha", complement))
def budget_correlation(
    trials: pd.DataFrame,
    *,
    budget: str = "auto",
    params: str | Sequence[str] | None = None,
    objective: str | None = None,
    order: Sequence[Any] | None = None,
    threshold: float = 0.9,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Rank correlation of each budget's objective with the largest budget's, per configuration.

    DeepCAVE's "budget correlation" with intervals: a *configuration* is one
    combination of parameter values; those evaluated at a budget and at the
    largest budget are compared.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame holding several budgets of one search.
    budget : str, default "auto"
        The budget column (``study_user_attrs_budget`` may be named ``budget``);
        ``"auto"`` uses ``study_user_attrs_budget`` when present, else ``study``.
        ``budget=None`` (the old spelling of ``"auto"``) still works until
        0.4.0 with a FutureWarning.
    params : str or sequence of str, optional
        The parameters that identify a configuration (default: all).
    objective : str, optional
        The objective column; ``None`` means the frame's single objective.
    order : sequence, optional
        The budgets from smallest to largest. Default: numeric budgets in
        increasing order, others in order of first appearance.
    threshold, alpha : float
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
    _guard.text("budget", budget, optional=False)
    col = budget if budget != "auto" else (F.BUDGET if F.BUDGET in trials.columns else F.STUDY)
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
    confidence = 1 - _guard.real("alpha", alpha, low=0, high=1, low_open=True, high_open=True)
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
