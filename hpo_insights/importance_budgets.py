"""Parameter importance per budget, and whether budgets agree on which parameters matter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hpo_insights import _frame
from hpo_insights._budget import budget_column, budget_order, parse_size
from hpo_insights._deprecation import renamed_values
from hpo_insights.importance import variance_explained

__all__ = ["BudgetImportance", "importance_by_budget"]


@dataclass(frozen=True)
class BudgetImportance:
    """Each parameter's share per budget, and the budgets' rank agreement.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per (budget, parameter): ``budget`` (label), ``size``
        (:func:`~hpo_insights.budgets.parse_size`, NaN when unreadable),
        ``param``, ``share`` (eta squared), ``ci_low``/``ci_high`` (its 95%
        interval), ``share_adjusted`` (all parameters fitted together),
        ``n_trials``, ``n_excluded`` (collapsed trials left out), all as
        :func:`hpo_insights.variance_explained` defines them. Budgets smallest
        first (:func:`~hpo_insights.budgets.budget_order`), ``share``
        descending within a budget.
    agreement : pandas.DataFrame
        One row per pair of budgets (smaller first, pairs in budget order):
        ``budget_a``, ``budget_b``, ``spearman`` (rank correlation of the two
        budgets' ``share`` over the parameters both have a finite share for;
        NaN with fewer than 2 such parameters or a constant vector),
        ``n_params``.
    """

    table: pd.DataFrame
    agreement: pd.DataFrame


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rho: Pearson correlation of average ranks (ties share their mean rank)."""
    ra = pd.Series(a).rank(method="average").to_numpy()
    rb = pd.Series(b).rank(method="average").to_numpy()
    ra, rb = ra - ra.mean(), rb - rb.mean()
    den = np.sqrt((ra * ra).sum() * (rb * rb).sum())
    return float((ra * rb).sum() / den) if den > 0 else float("nan")


@renamed_values(budget=(None, "auto"))
def importance_by_budget(
    trials: pd.DataFrame,
    *,
    params: str | Sequence[str] | None = None,
    studies: str | Sequence[str] | None = None,
    budget: str = "auto",
    objective: str | None = None,
    seed: int | None = 0,
) -> BudgetImportance:
    """Each parameter's share of objective variance per budget, smallest budget first.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    params : str, sequence of str or None, default None
        Parameter names, with or without ``params_``; ``None`` means all.
    studies : str or sequence of str, optional
        Only these studies (the ``study`` column); ``None`` means every study.
    budget : str, default "auto"
        The column of budget labels (``"budget"`` means
        ``study_user_attrs_budget``). ``"auto"``: ``study_user_attrs_budget``
        when present, else ``study`` (as :func:`hpo_insights.compare_budgets`).
        ``budget=None`` (the old spelling of ``"auto"``) still works until
        0.4.0 with a FutureWarning.
    objective : str, optional
        The objective column; ``None`` means the frame's single objective.
    seed : int or None, default 0
        Passed to :func:`~hpo_insights.variance_explained` (its intervals are
        reproducible for a given seed; ``None``: fresh entropy).

    Returns
    -------
    BudgetImportance
        ``table`` (shares per budget and parameter) and ``agreement``
        (Spearman correlation between each pair of budgets' shares); see
        :class:`BudgetImportance`.

    Raises
    ------
    TrialsError
        Unknown budget column, parameter or objective; no completed trial.
    TypeError
        *trials* is not a DataFrame.

    Notes
    -----
    The shares are :func:`hpo_insights.variance_explained` with
    ``by=<budget column>`` and ``ci=True``: studies sharing a budget label
    pool. Which trials count (collapsed trials are left out), the binning,
    the intervals and the warnings are those of ``variance_explained``.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> res = hi.importance_by_budget(hi.datasets.example(), params=["learning_rate", "dropout"])
    >>> res.table[["budget", "param"]].drop_duplicates("budget")["budget"].tolist()
    ['2M', '20M', '200M']
    >>> list(res.agreement.columns)
    ['budget_a', 'budget_b', 'spearman', 'n_params']
    """
    _frame.check_frame(trials)
    trials = _frame.select_studies(trials, studies)
    col = budget_column(trials, budget)
    ve = variance_explained(trials, params=params, objective=objective, by=col, ci=True, seed=seed)
    order = budget_order(ve[col].tolist())
    rank = {b: i for i, b in enumerate(order)}
    pos = np.array([rank[b] for b in ve[col]], dtype=np.intp)
    ve = ve.iloc[np.argsort(pos, kind="stable")].reset_index(drop=True)
    keep = ["param", "share", "ci_low", "ci_high", "share_adjusted", "n_trials", "n_excluded"]
    table = ve[keep].copy()
    table.insert(0, "size", np.array([parse_size(b) for b in ve[col]], dtype=float))
    table.insert(0, "budget", ve[col].to_numpy(dtype=object))
    wide = table.pivot_table(index="param", columns="budget", values="share", dropna=False,
                             sort=False)
    rows = []
    for i, a in enumerate(order):
        for b in order[i + 1 :]:
            x = wide[a].to_numpy(dtype=float) if a in wide else np.array([])
            y = wide[b].to_numpy(dtype=float) if b in wide else np.array([])
            ok = np.isfinite(x) & np.isfinite(y)
            rho = _spearman(x[ok], y[ok]) if ok.sum() >= 2 else float("nan")
            rows.append({"budget_a": a, "budget_b": b, "spearman": rho,
                         "n_params": int(ok.sum())})
    agreement = pd.DataFrame(rows, columns=["budget_a", "budget_b", "spearman", "n_params"])
    return BudgetImportance(table=table, agreement=agreement)
