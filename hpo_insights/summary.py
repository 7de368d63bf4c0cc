"""Summary statistics per study and the best trial of each study."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from hpo_insights import _binning, _frame, _guard
from hpo_insights._errors import TrialsError

__all__ = ["best_trial", "optimization_history", "summarize"]

_STATE_COLUMNS = {
    "COMPLETE": "n_complete",
    "PRUNED": "n_pruned",
    "FAIL": "n_fail",
    "RUNNING": "n_running",
    "WAITING": "n_waiting",
}


def _door(trials, studies, objective, direction, by
          ) -> tuple[pd.DataFrame, str | Mapping | None]:
    """The guard of summarize and best_trial: the trials frame and the checked direction."""
    trials = _frame.select_studies(_guard.frame(trials), studies)
    _guard.text("objective", objective)
    direction = _guard.direction(direction)
    _frame.check_by(by)
    return trials, direction


def _feasible_rows(done: pd.DataFrame, fcols: list[str]) -> np.ndarray:
    """True for rows that satisfy their constraints (or recorded none)."""
    if not fcols:
        return np.ones(len(done), dtype=bool)
    return _frame.feasible(done).fillna(True).to_numpy(dtype=bool)


def summarize(
    trials: pd.DataFrame,
    *,
    studies: str | Sequence[str] | None = None,
    objective: str | None = None,
    direction: str | None = None,
    by: str | None = "study",
) -> pd.DataFrame:
    """Trial counts per state and the objective's best, mean and standard deviation.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    studies : str or sequence of str, optional
        Only these studies (the ``study`` column), in this order; ``None``
        means every study. An unknown name is an error listing the studies.
    objective : str, optional
        The objective column (``value``, ``values_<name>``); ``None`` means the
        frame's single objective.
    direction : {"maximize", "minimize"} or mapping, optional
        Overrides ``study_direction``; needed when the frame does not record it.
        A mapping gives one direction per group (study → direction). For a
        multi-objective study the recorded direction of *objective* is used.
    by : str or None, default "study"
        One row per value of this column (``study_user_attrs_<by>`` may be
        named ``<by>``); ``None`` pools all trials into one row.

    Returns
    -------
    pandas.DataFrame
        One row per group, in order of first appearance, with columns
        ``study`` (named after *by*; absent when ``by=None``), ``n_trials``,
        ``n_complete``, ``n_pruned``, ``n_fail``, ``n_running``, ``n_waiting``,
        ``n_used``, ``n_infeasible``, ``best``, ``mean``, ``std``,
        ``direction``.

    Raises
    ------
    TrialsError
        No COMPLETE trial with a finite objective, an unknown or non-numeric
        objective, an unknown *by* column, or an unknown direction.
    TypeError
        *trials* is not a DataFrame.

    Notes
    -----
    ``n_trials`` counts every row; ``n_<state>`` count rows per state. Only
    COMPLETE trials with a finite objective are *used* (``n_used``): PRUNED
    trials never count, even when they carry an intermediate ``value``.
    ``best`` is the maximum (``maximize``) or minimum (``minimize``) of the
    used values of *feasible* trials, as Optuna's ``study.best_trial``: with
    constraints (``system_attrs_constraints``, ``system_attrs_constraints:<key>``
    or a ``feasible`` column) a trial is feasible when every constraint value
    is ``<= 0``; trials without constraints are feasible. ``n_infeasible``
    counts the used trials that are not (NaN ``best`` when none is
    feasible). ``mean`` and ``std`` describe all used trials: their mean and
    sample standard deviation (``ddof=1``; NaN for a single trial). A group without used
    trials gets NaN statistics and one :class:`~hpo_insights.TrialsWarning`.

    Examples
    --------
    >>> import pandas as pd
    >>> import hpo_insights as hi
    >>> trials = pd.DataFrame({"study": ["a"] * 4, "number": range(4),
    ...     "state": ["COMPLETE", "COMPLETE", "COMPLETE", "PRUNED"],
    ...     "value": [0.5, 0.7, 0.9, 0.99], "study_direction": "maximize"})
    >>> hi.summarize(trials)[["study", "n_trials", "n_used", "best", "mean", "std"]]
      study  n_trials  n_used  best  mean  std
    0     a         4       3   0.9   0.7  0.2

    With the bundled example (three budgets of one search):

    >>> hi.summarize(hi.datasets.example()).study.tolist()
    ['transformer-2M', 'transformer-20M', 'transformer-200M']
    """
    trials, direction = _door(trials, studies, objective, direction, by)
    fcols = _frame.constraint_columns(trials)
    done, ycol, codes, groups = _binning.prepare(trials, objective=objective, by=by,
                                                 columns=fcols)
    ngroups = len(groups)
    all_codes, _ = _binning.group_codes(trials, by)
    out = {} if by is None else {by: groups.to_numpy(dtype=object)}
    out["n_trials"] = np.bincount(all_codes, minlength=ngroups)
    state = trials[_frame.STATE]
    for name, column in _STATE_COLUMNS.items():
        out[column] = np.bincount(all_codes[(state == name).to_numpy()], minlength=ngroups)
    y = done[ycol].to_numpy()
    signs, names = _frame.signs(trials, direction, by, groups, objective)
    stats = _binning.level_stats(codes, y, ngroups)
    count = stats["count"]
    ok = _feasible_rows(done, fcols)
    best = np.full(ngroups, -np.inf)
    np.maximum.at(best, codes[ok], y[ok] * signs[codes[ok]])
    n_ok = np.bincount(codes[ok], minlength=ngroups)
    best = np.where(n_ok > 0, best * signs, np.nan)
    std = _binning.std_from_ss(stats["ss_scaled"], stats["unit"], count)
    out["n_used"] = count.astype(np.int64)
    out["n_infeasible"] = (count - n_ok).astype(np.int64)
    out["best"] = best
    out["mean"] = np.where(count > 0, stats["mean"], np.nan)
    out["std"] = std
    out["direction"] = names
    _binning.warn_empty_groups(groups, count, by)
    return pd.DataFrame(out)


def best_trial(
    trials: pd.DataFrame,
    *,
    studies: str | Sequence[str] | None = None,
    objective: str | None = None,
    direction: str | None = None,
    by: str | None = "study",
) -> pd.DataFrame:
    """The best COMPLETE trial of each study, with its parameters.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    studies : str or sequence of str, optional
        Only these studies (the ``study`` column), in this order; ``None``
        means every study. An unknown name is an error listing the studies.
    objective : str, optional
        The objective column; ``None`` means the frame's single objective.
    direction : {"maximize", "minimize"} or mapping, optional
        Overrides ``study_direction`` (a mapping: one per study). For a
        multi-objective study the recorded direction of *objective* is used.
    by : str or None, default "study"
        One row per value of this column; ``None`` pools all trials.

    Returns
    -------
    pandas.DataFrame
        One row per group that has a used trial, in order of first appearance:
        ``study`` (named after *by*; absent when ``by=None``), ``number``,
        ``value`` (the objective), ``direction``, then every ``params_<name>``
        column of that trial (NaN for a parameter it did not use).

    Raises
    ------
    TrialsError
        No COMPLETE trial with a finite objective, an unknown objective or
        direction.
    TypeError
        *trials* is not a DataFrame.

    Notes
    -----
    Only COMPLETE trials with a finite objective that are feasible (every
    constraint value ``<= 0``, as Optuna's ``study.best_trial``; see
    :func:`summarize`) are candidates. The best has
    the highest (``maximize``) or lowest (``minimize``) objective; ties go to
    the lower trial ``number``. Groups without candidates are left out with
    one :class:`~hpo_insights.TrialsWarning`.

    Examples
    --------
    >>> import pandas as pd
    >>> import hpo_insights as hi
    >>> trials = pd.DataFrame({"study": ["a"] * 3, "number": [0, 1, 2],
    ...     "state": "COMPLETE", "value": [0.7, 0.9, 0.9],
    ...     "params_lr": [0.1, 0.01, 0.001], "study_direction": "maximize"})
    >>> hi.best_trial(trials)
      study  number  value direction  params_lr
    0     a       1    0.9  maximize       0.01
    >>> list(hi.best_trial(hi.datasets.example()).columns[:5])
    ['study', 'number', 'value', 'direction', 'params_d_model']
    """
    trials, direction = _door(trials, studies, objective, direction, by)
    pcols = [c for c in trials.columns if c.startswith(_frame.PARAM_PREFIX)]
    fcols = _frame.constraint_columns(trials)
    done, ycol, codes, groups = _binning.prepare(
        trials, objective=objective, by=by, columns=[*pcols, *fcols], number=True
    )
    signs, names = _frame.signs(trials, direction, by, groups, objective)
    ngroups = len(groups)
    ok = _feasible_rows(done, fcols)
    if not ok.all():
        if not ok.any():
            raise TrialsError(
                f"No feasible trial: all {len(ok)} COMPLETE trials with a finite objective "
                "violate a constraint (a constraint value > 0), so there is no best trial "
                "(Optuna's study.best_trial raises too)."
            )
        done, codes = done.iloc[np.flatnonzero(ok)], codes[ok]
    score = done[ycol].to_numpy() * signs[codes]  # higher is better
    number = done[_frame.NUMBER].to_numpy()
    top = np.full(ngroups, -np.inf)
    np.maximum.at(top, codes, score)
    cand = np.flatnonzero(score == top[codes])  # the best rows of each group (ties included)
    lowest = np.full(ngroups, np.iinfo(np.int64).max)
    np.minimum.at(lowest, codes[cand], number[cand].astype(np.int64))
    cand = cand[number[cand] == lowest[codes[cand]]]  # ties: the lower trial number
    chosen, first = np.unique(codes[cand], return_index=True)  # groups in appearance order
    rows = cand[first]
    picked = done.iloc[rows]
    out = {} if by is None else {by: groups.to_numpy(dtype=object)[chosen]}
    out[_frame.NUMBER] = picked[_frame.NUMBER].to_numpy()
    out[_frame.VALUE] = picked[ycol].to_numpy()
    out["direction"] = [names[g] for g in chosen]
    result = pd.DataFrame(out)
    for col in pcols:
        result[col] = picked[col].to_numpy()
    _binning.warn_empty_groups(groups, np.bincount(codes, minlength=ngroups), by)
    return result


def optimization_history(
    trials: pd.DataFrame,
    *,
    studies: str | Sequence[str] | None = None,
    objective: str | None = None,
    direction: str | None = None,
) -> pd.DataFrame:
    """Every trial in order, with the best objective reached so far in its study.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    studies : str or sequence of str, optional
        Only these studies (default: all).
    objective : str, optional
        The objective column; ``None`` means the frame's single objective.
    direction : {"maximize", "minimize"}, optional
        Overrides ``study_direction``.

    Returns
    -------
    pandas.DataFrame
        One row per trial, by study (order of appearance) then ``number``:
        ``study``, ``budget`` (``study_user_attrs_budget`` when the frame has
        it, else the study name), ``number``, ``state``, ``counted`` (COMPLETE
        with a finite objective), ``value`` (the objective; NaN when not
        counted) and ``best_so_far`` (the best counted value of the study up
        to and including this trial, by the study's direction; NaN before the
        first counted trial).

    Raises
    ------
    TrialsError
        No COMPLETE trial with a finite objective, an unknown objective or
        direction.
    TypeError
        *trials* is not a DataFrame.

    Examples
    --------
    >>> import pandas as pd
    >>> import hpo_insights as hi
    >>> trials = pd.DataFrame({"study": "a", "number": range(4),
    ...     "state": ["COMPLETE", "PRUNED", "COMPLETE", "COMPLETE"],
    ...     "value": [0.5, 0.99, 0.4, 0.7], "study_direction": "maximize"})
    >>> hi.optimization_history(trials)[["number", "counted", "value", "best_so_far"]]
       number  counted  value  best_so_far
    0       0     True    0.5          0.5
    1       1    False    NaN          0.5
    2       2     True    0.4          0.5
    3       3     True    0.7          0.7
    """
    trials = _frame.select_studies(_frame.check_frame(trials), studies)
    col = _frame.objective_column(trials, objective)
    raw = _frame.numeric_objective(trials, col).to_numpy(dtype=float)
    counted = (trials[_frame.STATE] == "COMPLETE").to_numpy() & np.isfinite(raw)
    _frame.require_rows(trials[counted])
    codes, groups = _binning.group_codes(trials, _frame.STUDY)
    signs, _ = _frame.signs(trials, direction, _frame.STUDY, groups)
    y = np.where(counted, raw, np.nan)
    number = trials[_frame.NUMBER].to_numpy()
    order = np.lexsort((number, codes))
    codes, y, counted = codes[order], y[order], counted[order]
    score = pd.Series(np.where(counted, y * signs[codes], -np.inf))
    best = score.groupby(codes).cummax().to_numpy()
    best = np.where(np.isfinite(best), best * signs[codes], np.nan)
    budget = (trials[_frame.BUDGET] if _frame.BUDGET in trials.columns
              else trials[_frame.STUDY]).to_numpy(dtype=object)[order]
    return pd.DataFrame({
        "study": groups.to_numpy(dtype=object)[codes],
        "budget": budget,
        "number": number[order],
        "state": trials[_frame.STATE].to_numpy(dtype=object)[order],
        "counted": counted,
        "value": y,
        "best_so_far": best,
    })
