"""Cross-budget analyses: the same search run at several model sizes (budgets).

A *budget* is a label such as ``"2M"`` or ``"1.5B"``, read by default from
``study_user_attrs_budget`` (else the study name). :func:`compare_budgets`
gives the best trial per budget, :func:`scaling_check` asks whether bigger
budgets keep doing better, :func:`param_consistency` whether the best
parameter values agree across budgets, and :func:`collapse_by_budget`
summarizes probability collapse per budget.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hpo_insights import _frame
from hpo_insights._errors import TrialsError, TrialsWarning
from hpo_insights.collapse import collapse_summary

__all__ = [
    "ScalingCheck",
    "budget_order",
    "collapse_by_budget",
    "compare_budgets",
    "param_consistency",
    "parse_size",
    "scaling_check",
]

_SUFFIX = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12}
_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([kmbgt]?)\s*$", re.IGNORECASE)


def parse_size(label: object) -> float:
    """The size a budget label stands for: ``"1.5B"`` → 1.5e9, NaN when unparseable.

    Suffixes (case-insensitive): K = 1e3, M = 1e6, B or G = 1e9, T = 1e12;
    plain numbers are read as they are.

    Examples
    --------
    >>> from hpo_insights.budgets import parse_size
    >>> parse_size("1.5B"), parse_size("20m"), parse_size("500K"), parse_size(64)
    (1500000000.0, 20000000.0, 500000.0, 64.0)
    >>> parse_size("large")
    nan
    """
    if isinstance(label, bool):
        return float("nan")
    if isinstance(label, (int, float, np.integer, np.floating)):
        return float(label)
    if not isinstance(label, str):
        return float("nan")
    m = _SIZE.match(label)
    if m is None:
        return float("nan")
    return float(m.group(1)) * _SUFFIX[m.group(2).lower()]


def budget_order(labels: Iterable[object]) -> list[object]:
    """Distinct budget labels, smallest size first.

    Labels that :func:`parse_size` can read are sorted by size (ties keep
    order of appearance); unparseable ones follow, in order of appearance.

    Examples
    --------
    >>> from hpo_insights.budgets import budget_order
    >>> budget_order(["200M", "2M", "1.5B", "large", "20M", "2M"])
    ['2M', '20M', '200M', '1.5B', 'large']
    """
    uniq = list(dict.fromkeys(labels))
    sizes = np.array([parse_size(x) for x in uniq], dtype=float)
    ok = np.isfinite(sizes)
    idx = np.arange(len(uniq))
    first = idx[ok][np.argsort(sizes[ok], kind="stable")]
    return [uniq[i] for i in [*first, *idx[~ok]]]


def _budget_column(trials: pd.DataFrame, budget: str | None) -> str:
    """The column holding budget labels: *budget*, else the budget attribute, else ``study``."""
    if budget is None:
        return _frame.BUDGET if _frame.BUDGET in trials.columns else _frame.STUDY
    if not isinstance(budget, str):
        raise TypeError(
            f"budget must be a column name (str) or None, got {type(budget).__name__} instead."
        )
    return _frame.group_column(trials, budget)


def compare_budgets(
    trials: pd.DataFrame,
    *,
    studies: str | Sequence[str] | None = None,
    budget: str | None = None,
    objective: str | None = None,
    direction: str | None = None,
) -> pd.DataFrame:
    """The best trial of each budget, smallest budget first.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    studies : str or sequence of str, optional
        Only these studies (the ``study`` column); ``None`` means every study.
        An unknown name is an error listing the studies.
    budget : str or None, default None
        The column of budget labels (``"budget"`` means
        ``study_user_attrs_budget``). ``None``: ``study_user_attrs_budget``
        when present, else ``study``.
    objective : str, optional
        The objective column; ``None`` means the frame's single objective.
    direction : {"maximize", "minimize"}, optional
        Overrides ``study_direction``.

    Returns
    -------
    pandas.DataFrame
        One row per budget with a COMPLETE trial: ``budget`` (the label),
        ``study`` (the study of the best trial), ``size`` (:func:`parse_size`
        of the label, NaN when unparseable), ``best`` (its objective),
        ``number``, then every ``params_<name>`` column of that trial. Rows in
        :func:`budget_order`: by size, unparseable labels after, in order of
        appearance.

    Raises
    ------
    TrialsError
        No COMPLETE trial with a finite objective, unknown *budget*, objective or
        direction.

    Notes
    -----
    Best per :func:`hpo_insights.best_trial` (COMPLETE trials with a finite
    objective; ties to the lower trial number). Studies that share a budget
    label are pooled: the budget's best is the best over all of them.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> cb = hi.compare_budgets(hi.datasets.example())
    >>> list(cb.columns[:5])
    ['budget', 'study', 'size', 'best', 'number']
    >>> cb[["budget", "size"]].to_numpy().tolist()
    [['2M', 2000000.0], ['20M', 20000000.0], ['200M', 200000000.0]]
    """
    from hpo_insights.summary import best_trial

    _frame.check_frame(trials)
    trials = _frame.select_studies(trials, studies)
    col = _budget_column(trials, budget)
    best = best_trial(trials, objective=objective, direction=direction, by=col)
    labels = best.iloc[:, 0]
    order = budget_order(labels.tolist())
    best = best.set_index(labels.to_numpy()).loc[order].reset_index(drop=True)
    # The study of each best trial: match budget, number and value among the trials.
    ycol = _frame.objective_column(trials, objective)
    keyed = pd.DataFrame(
        {
            "_budget": trials[col].to_numpy(),
            "_number": trials[_frame.NUMBER].to_numpy(),
            "_value": _frame.numeric_objective(trials, ycol).to_numpy(),
            "_study": trials[_frame.STUDY].to_numpy(),
        }
    )[(trials[_frame.STATE] == "COMPLETE").to_numpy()]
    keyed = keyed.drop_duplicates(["_budget", "_number", "_value"])
    first_col = best.columns[0]
    wanted = pd.DataFrame(
        {
            "_budget": best[first_col].to_numpy(),
            "_number": best["number"].to_numpy(),
            "_value": best["value"].to_numpy(dtype=float),
        }
    )
    found = wanted.merge(keyed, on=["_budget", "_number", "_value"], how="left")
    pcols = [c for c in best.columns if c.startswith(_frame.PARAM_PREFIX)]
    out = pd.DataFrame(
        {
            "budget": best[first_col].to_numpy(),
            "study": found["_study"].to_numpy(),
            "size": np.array([parse_size(x) for x in best[first_col]], dtype=float),
            "best": best["value"].to_numpy(dtype=float),
            "number": best["number"].to_numpy(),
        }
    )
    for c in pcols:
        out[c] = best[c].to_numpy()
    return out


@dataclass(frozen=True)
class ScalingCheck:
    """Does the best objective improve with every step up in budget?

    Attributes
    ----------
    holds : bool
        True when each budget's best strictly beats the next smaller budget's.
    ranking : tuple of str
        Budgets from best to worst best objective.
    table : pandas.DataFrame
        ``budget, size, best, improved`` (smallest budget first; ``improved``
        is pandas ``"boolean"``, <NA> for the smallest budget).
    statement : str
        The ranking joined by ``" > "``, e.g. ``"20M > 2M > 200M"``.
    """

    holds: bool
    ranking: tuple[str, ...]
    table: pd.DataFrame
    statement: str


def _direction(trials: pd.DataFrame, col: str, direction: str | None) -> str:
    dirs = _frame.directions(trials, direction, by=col)
    uniq = sorted(set(dirs))
    if len(uniq) != 1:
        raise TrialsError(
            f"The budgets in {col!r} have different directions ({', '.join(uniq)}): "
            "pass direction='maximize' or direction='minimize' to compare them."
        )
    return uniq[0]


def scaling_check(
    trials: pd.DataFrame,
    *,
    studies: str | Sequence[str] | None = None,
    budget: str | None = None,
    objective: str | None = None,
    direction: str | None = None,
) -> ScalingCheck:
    """Check that bigger budgets reach a better best objective (a scaling law).

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    studies, budget, objective, direction
        As in :func:`compare_budgets`.

    Returns
    -------
    ScalingCheck
        ``holds``, ``ranking`` (best first), ``table`` (``budget, size, best,
        improved``) and ``statement`` (``"20M > 2M > 200M"``).

    Raises
    ------
    TrialsError
        As :func:`compare_budgets`; budgets with different directions and no
        *direction*.

    Notes
    -----
    Budgets are ordered by :func:`compare_budgets`; ``improved`` is True when
    a budget's best is strictly better (higher when maximizing, lower when
    minimizing) than that of the budget just below it. ``holds`` is True when
    every step improved (vacuously with a single budget). When some labels
    have no readable size, their order of appearance stands for size and one
    :class:`~hpo_insights.TrialsWarning` says so. Ties in the ranking keep the
    smaller budget first.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> sc = hi.scaling_check(hi.datasets.example())
    >>> sc.holds, sc.statement
    (False, '20M > 2M > 200M')
    >>> list(sc.table.columns)
    ['budget', 'size', 'best', 'improved']
    """
    trials = _frame.select_studies(_frame.check_frame(trials), studies)
    cb = compare_budgets(trials, budget=budget, objective=objective, direction=direction)
    col = _budget_column(trials, budget)
    sign = 1.0 if _direction(trials, col, direction) == "maximize" else -1.0
    if cb["size"].isna().any():
        bad = cb.loc[cb["size"].isna(), "budget"].astype(str).tolist()
        warnings.warn(
            f"{len(bad)} of {len(cb)} budget labels have no readable size ({', '.join(bad)}); "
            "their order of appearance is taken as their size order.",
            TrialsWarning,
            stacklevel=2,
        )
    score = cb["best"].to_numpy(dtype=float) * sign
    improved = pd.array([pd.NA, *(score[1:] > score[:-1])], dtype="boolean")[: len(cb)]
    table = pd.DataFrame(
        {
            "budget": cb["budget"].to_numpy(),
            "size": cb["size"].to_numpy(dtype=float),
            "best": cb["best"].to_numpy(dtype=float),
            "improved": improved,
        }
    )
    rank = np.argsort(-score, kind="stable")
    ranking = tuple(str(cb["budget"].iloc[i]) for i in rank)
    holds = bool(improved[1:].all()) if len(cb) > 1 else True
    return ScalingCheck(holds=holds, ranking=ranking, table=table, statement=" > ".join(ranking))


def _grid(sub: pd.DataFrame, pcol: str) -> object:
    """What was searched for a parameter in one budget: its distribution, else the values seen."""
    dist = _frame.distribution(sub, pcol)
    if dist is not None:
        return (
            "distribution",
            repr(dist.get("name")),
            repr(sorted(dist.get("attributes", {}).items())),
        )
    return ("values", frozenset(sub[pcol].dropna().tolist()))


def _is_missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def _n_distinct(values: list[object]) -> int:
    present = [v for v in values if not _is_missing(v)]
    if not present:
        return 0
    try:
        arr = np.sort(np.asarray(present, dtype=float))
    except (TypeError, ValueError):
        return len(set(present))
    return 1 + int((~np.isclose(arr[1:], arr[:-1])).sum())


def param_consistency(
    trials: pd.DataFrame,
    *,
    params: str | Sequence[str] | None = None,
    studies: str | Sequence[str] | None = None,
    budget: str | None = None,
    objective: str | None = None,
    direction: str | None = None,
) -> pd.DataFrame:
    """Do the best trials of every budget agree on a parameter's value?

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    params : str or list of str, optional
        Parameters to check (with or without ``params_``). ``None``: those
        searched over the same grid in every budget (see Notes).
    studies, budget, objective, direction
        As in :func:`compare_budgets`.

    Returns
    -------
    pandas.DataFrame
        One row per parameter, in column order: ``param`` (bare name),
        ``consistent`` (bool: the best trial of every budget has the same
        value, floats compared with ``np.isclose``; False when a best trial
        lacks the parameter), ``n_distinct`` (distinct values among the best
        trials) and ``values`` (dict budget → value, budgets smallest first).

    Raises
    ------
    TrialsError
        Unknown parameter; as :func:`compare_budgets`.

    Notes
    -----
    A parameter's grid in a budget is its recorded distribution
    (``distributions_<name>``) when every budget recorded one, else the set
    of values seen in that budget's trials (any state). Parameters whose grid
    differs between budgets (model sizes, say) are left out by default,
    since their best values cannot be expected to agree.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> pc = hi.param_consistency(hi.datasets.example())
    >>> pc[["param", "consistent", "n_distinct"]]
               param  consistent  n_distinct
    0     d_ff_ratio       False           2
    1  learning_rate       False           3
    2        dropout       False           3
    3   weight_decay       False           2
    >>> pc.loc[3, "values"]
    {'2M': 1e-05, '20M': 0.0001, '200M': 0.0001}
    """
    _frame.check_frame(trials)
    trials = _frame.select_studies(trials, studies)
    col = _budget_column(trials, budget)
    cb = compare_budgets(trials, budget=budget, objective=objective, direction=direction)
    if params is None:
        labels = trials[col]
        pcols = []
        masks = [(labels == b).to_numpy() for b in cb["budget"]]
        for pcol in _frame.param_columns(trials):
            grids = [_grid(trials.loc[m], pcol) for m in masks]
            if {g[0] for g in grids} != {"distribution"}:
                grids = [_grid_values(trials.loc[m], pcol) for m in masks]
            if all(g == grids[0] for g in grids):
                pcols.append(pcol)
    else:
        pcols = _frame.param_columns(trials, params)
    rows = []
    budgets = cb["budget"].tolist()
    for pcol in pcols:
        vals = cb[pcol].tolist() if pcol in cb.columns else [np.nan] * len(budgets)
        vals = [v.item() if isinstance(v, np.generic) else v for v in vals]
        n = _n_distinct(vals)
        missing = any(_is_missing(v) for v in vals)
        rows.append(
            {
                "param": pcol[len(_frame.PARAM_PREFIX) :],
                "consistent": bool(n == 1 and not missing),
                "n_distinct": n,
                "values": dict(zip(budgets, vals, strict=True)),
            }
        )
    return pd.DataFrame(rows, columns=["param", "consistent", "n_distinct", "values"])


def _grid_values(sub: pd.DataFrame, pcol: str) -> frozenset:
    return frozenset(sub[pcol].dropna().tolist())


def collapse_by_budget(
    trials: pd.DataFrame,
    *,
    studies: str | Sequence[str] | None = None,
    budget: str | None = None,
    objective: str | None = None,
    pred_min: str | None = "user_attrs_pred_min",
    pred_max: str | None = "user_attrs_pred_max",
    pred_std: str | None = "user_attrs_pred_std",
    recall: str | None = "user_attrs_recall",
    min_range: float = 0.05,
    min_std: float = 0.01,
) -> pd.DataFrame:
    """:func:`hpo_insights.collapse_summary` per budget, smallest budget first.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    studies, budget, objective
        As in :func:`compare_budgets`.
    pred_min, pred_max, pred_std, recall, min_range, min_std
        As in :func:`hpo_insights.detect_collapse`.

    Returns
    -------
    pandas.DataFrame
        ``budget, collapse, n_collapsed, n_measured, pred_low, pred_high,
        mean_recall``, one row per budget in :func:`budget_order`. Studies
        sharing a budget label pool.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> hi.collapse_by_budget(hi.datasets.example())[["budget", "collapse"]]
      budget collapse
    0     2M       No
    1    20M       No
    2   200M      Yes
    """
    _frame.check_frame(trials)
    trials = _frame.select_studies(trials, studies)
    col = _budget_column(trials, budget)
    cs = collapse_summary(
        trials,
        pred_min=pred_min,
        pred_max=pred_max,
        pred_std=pred_std,
        recall=recall,
        min_range=min_range,
        min_std=min_std,
        objective=objective,
        by=col,
    )
    order = budget_order(cs[col].tolist())
    cs = cs.set_index(cs[col].to_numpy()).loc[order].reset_index(drop=True)
    return cs.rename(columns={col: "budget"})
