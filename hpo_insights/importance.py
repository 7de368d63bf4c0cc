"""How much of the objective's variance each parameter explains (one-way eta squared)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from hpo_insights import _binning, _frame
from hpo_insights._errors import TrialsError, TrialsWarning
from hpo_insights._levels import group_key_column, level_tables

__all__ = ["variance_explained"]


def variance_explained(
    trials: pd.DataFrame,
    *,
    params: str | Sequence[str] | None = None,
    studies: str | Sequence[str] | None = None,
    objective: str | None = None,
    by: str | None = "study",
    bins: int = 10,
    space: str = "trials",
) -> pd.DataFrame:
    """Share of objective variance explained by each parameter (one-way eta squared).

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    params : str, sequence of str or None, default None
        Parameter names, with or without ``params_``; ``None`` means all.
    studies : str or sequence of str, optional
        Only these studies (the ``study`` column), in this order; ``None``
        means every study. An unknown name is an error listing the studies.
    objective : str, optional
        The objective column; ``None`` means the frame's single objective.
    by : str or None, default "study"
        One block per value of this column; ``None`` pools all trials.
    bins : int, default 10
        Binning of float parameters, as in :func:`~hpo_insights.value_table`.
    space : {"trials", "search"}, default "trials"
        ``"trials"``: variance among the trials tried (eta squared).
        ``"search"``: the design-space estimate of
        :func:`~hpo_insights.search_space_importance` (its columns; *bins* unused).

    Returns
    -------
    pandas.DataFrame
        One row per (``study``, ``param``): ``study`` (named after *by*;
        absent when ``by=None``), ``param``, ``share`` (in [0, 1]),
        ``n_trials`` (trials used), ``n_values`` (values or bins). Groups in
        order of appearance, ``share`` descending within a group (NaN last).

    Raises
    ------
    TrialsError
        Unknown parameter, no completed trial, unknown or non-numeric objective.
    TypeError
        *trials* is not a DataFrame.

    Notes
    -----
    ``share = SS_between / SS_total`` with ``SS_between = sum_v n_v (mean_v -
    mean)^2`` over the parameter's values *v* (bins for continuous floats,
    exactly as in :func:`~hpo_insights.value_table`) and ``SS_total = sum_i
    (y_i - mean)^2`` over the same trials: the COMPLETE trials with a finite
    objective that have a value for the parameter. It is exact eta squared,
    free of ddof choices. A parameter with a single value, or a constant
    objective, gives NaN and one :class:`~hpo_insights.TrialsWarning`.

    Shares of different parameters overlap (correlated parameters explain
    the same variance) and do not sum to 1. The reference report printed
    ``eta^2 * (n - 1) / n`` (between-variance with ``ddof=0`` over total
    variance with ``ddof=1``).

    Examples
    --------
    >>> import pandas as pd
    >>> import hpo_insights as hi
    >>> trials = pd.DataFrame({"study": "a", "number": range(5), "state": "COMPLETE",
    ...     "value": [0.5, 0.7, 0.8, 0.9, 0.6], "params_lr": [0.1, 0.1, 0.01, 0.01, 0.001],
    ...     "params_opt": ["adam", "sgd", "adam", "adam", "sgd"], "study_direction": "maximize"})
    >>> hi.variance_explained(trials).round(3)
      study param  share  n_trials  n_values
    0     a    lr  0.750         5         3
    1     a   opt  0.083         5         2
    >>> ve = hi.variance_explained(hi.datasets.example(), params=["dropout"])
    >>> list(ve.columns)
    ['study', 'param', 'share', 'n_trials', 'n_values']
    """
    if space == "search":
        from hpo_insights.importance_space import search_space_importance

        return search_space_importance(
            trials, params=params, objective=objective, by=by, studies=studies
        )
    if space != "trials":
        raise TrialsError(f"space must be 'trials' or 'search', got {space!r} instead.")
    trials = _frame.select_studies(trials, studies)
    long, groups = level_tables(trials, params, objective=objective, by=by, bins=bins)
    key = pd.factorize(pd.MultiIndex.from_arrays([long["group"], long["param"]]))[0]
    count = long["count"].to_numpy().astype(float)
    mean = long["mean"].to_numpy()
    nblocks = int(key.max()) + 1
    n = np.bincount(key, weights=count, minlength=nblocks)
    grand = np.bincount(key, weights=count * mean, minlength=nblocks) / n
    between = np.bincount(key, weights=count * (mean - grand[key]) ** 2, minlength=nblocks)
    within = np.bincount(key, weights=long["ss"].to_numpy(), minlength=nblocks)
    total = between + within
    n_values = np.bincount(key, minlength=nblocks)
    scale = np.zeros(nblocks)
    np.maximum.at(scale, key, np.abs(mean))
    zero = np.array([_binning.is_zero_ss(t, s, c) for t, s, c in zip(total, scale, n, strict=True)])
    degenerate = zero | (n_values < 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(degenerate, np.nan, np.clip(between / total, 0.0, 1.0))
    first = np.unique(key, return_index=True)[1]
    heads = long.iloc[first]
    out = group_key_column(heads, groups, by)
    out.update(
        param=heads["param"].to_numpy(dtype=object),
        share=share,
        n_trials=n.astype(np.int64),
        n_values=n_values,
    )
    result = pd.DataFrame(out)
    if degenerate.any():
        single = int((n_values < 2).sum())
        const = int((zero & (n_values >= 2)).sum())
        warnings.warn(
            f"share is NaN for {int(degenerate.sum())} of {nblocks} parameter blocks "
            f"({single} with a single value, {const} with a constant objective).",
            TrialsWarning,
            stacklevel=2,
        )
    order = np.lexsort((-np.nan_to_num(share, nan=-1.0), heads["group"].to_numpy()))
    return result.iloc[order].reset_index(drop=True)
