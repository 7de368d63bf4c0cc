"""How strongly the sampler tied parameters together: Cramér's V between parameters."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from hpo_insights import _binning, _frame, _mask, _stats
from hpo_insights._errors import TrialsWarning

__all__ = ["sampling_association"]


def sampling_association(
    trials: pd.DataFrame,
    *,
    params: str | Sequence[str] | None = None,
    studies: str | Sequence[str] | None = None,
    by: str | None = "study",
    objective: str | None = None,
    bins: int | None = None,
    exclude_collapsed: bool = True,
) -> pd.DataFrame:
    """Association between every two parameters in the trials (Cramér's V).

    A uniform sampler draws parameters independently, so any association
    between two parameters is chance; an adaptive sampler (TPE) ties them
    together by trying good values of both at once. Then a parameter without
    effect can look important because the trials that have its favoured
    values also have good values of an important parameter. This table is the
    evidence behind ``confounded_with`` in
    :func:`~hpo_insights.variance_explained`.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    params : str, sequence of str or None, default None
        Parameter names, with or without ``params_``; ``None`` means all.
    studies : str or sequence of str, optional
        Only these studies (the ``study`` column), in this order; ``None``
        means every study. An unknown name is an error listing the studies.
    by : str or None, default "study"
        One block per value of this column; ``None`` pools all trials.
    objective : str, optional
        The objective whose COMPLETE, finite trials count; ``None`` means the
        frame's single objective.
    bins : int or None, default None
        Binning of float parameters, as in
        :func:`~hpo_insights.variance_explained` (``None``: the default rule).
    exclude_collapsed : bool, default True
        Leave out the trials that :func:`~hpo_insights.detect_collapse` flags,
        as :func:`~hpo_insights.variance_explained` does.

    Returns
    -------
    pandas.DataFrame
        One row per group and pair of parameters (in parameter order):
        ``study`` (named after *by*; absent when ``by=None``), ``param_a``,
        ``param_b``, ``cramers_v`` (in [0, 1]), ``n_trials`` (trials with a
        value for both) and ``p_value`` (chi-square test of independence,
        without continuity correction).

    Raises
    ------
    TrialsError
        Unknown parameter, no completed trial, unknown objective, bad *bins*.
    TypeError
        *trials* is not a DataFrame.

    Notes
    -----
    Both parameters are tabulated by their levels (values, or bins of
    continuous floats as in :func:`~hpo_insights.value_table`) over the trials
    that have a value for both. With the contingency table ``O`` of ``r``
    rows and ``c`` columns (levels that occur), expected counts ``E =
    row_total * column_total / n``, ``chi2 = sum (O - E)^2 / E``, ``V =
    sqrt(chi2 / (n * (min(r, c) - 1)))`` and the p-value is the upper tail of
    the chi-square distribution with ``(r - 1)(c - 1)`` degrees of freedom.
    A pair where either parameter has a single level gives NaN (one
    :class:`~hpo_insights.TrialsWarning`). V is biased upward in small
    samples: under independence its square averages about
    ``1 / (n - 1)`` per degree of freedom over ``min(r, c) - 1``.

    Examples
    --------
    >>> import pandas as pd
    >>> import hpo_insights as hi
    >>> trials = pd.DataFrame({"study": "a", "number": range(6), "state": "COMPLETE",
    ...     "value": [0.5, 0.7, 0.8, 0.9, 0.6, 0.4], "params_x": [1, 1, 1, 2, 2, 2],
    ...     "params_y": ["u", "u", "v", "v", "v", "v"], "params_z": [1, 2, 1, 2, 1, 2]})
    >>> hi.sampling_association(trials).round(3)
      study param_a param_b  cramers_v  n_trials  p_value
    0     a       x       y      0.707         6    0.083
    1     a       x       z      0.333         6    0.414
    2     a       y       z      0.000         6    1.000
    """
    trials = _frame.select_studies(trials, studies)
    _frame.check_frame(trials)
    _binning.check_bins(bins)
    pcols = _frame.param_columns(trials, params)
    if exclude_collapsed:
        mask = _mask.collapsed(trials)
        kept = trials[~mask] if mask.any() else trials
    else:
        kept = trials
    done, _, gcodes, groups = _binning.prepare(kept, objective=objective, by=by, columns=pcols)
    ngroups = len(groups)
    _binning.warn_empty_groups(groups, np.bincount(gcodes, minlength=ngroups), by)
    lvs = []
    dists = _binning.distributions(kept, pcols, by)
    for pcol in pcols:
        lv = _binning.levels(done[pcol], gcodes, ngroups, bins=bins, groups=groups,
                             dists=dists[pcol])
        lgroup = lv.table["group"].to_numpy(dtype=np.intp)
        lvs.append((lv.codes, lgroup, np.searchsorted(lgroup, np.arange(ngroups))))
    names = [c[len(_frame.PARAM_PREFIX):] for c in pcols]
    pairs = [(a, b) for a in range(len(pcols)) for b in range(a + 1, len(pcols))]
    cols = ["param_a", "param_b", "cramers_v", "n_trials", "p_value"]
    if not pairs:
        out = pd.DataFrame({c: pd.Series(dtype=float if c in ("cramers_v", "p_value") else object)
                            for c in cols})
        out["n_trials"] = out["n_trials"].astype(np.int64)
        return out if by is None else out.assign(**{by: pd.Series(dtype=object)})[[by, *cols]]
    res = [_stats.cramers_v(lvs[a][0], lvs[a][1], lvs[b][0], lvs[b][1], lvs[b][2], ngroups)
           for a, b in pairs]
    # the pairs' rows of every group, pair after pair; then the groups' rows with trials, in
    # group order (stable: pairs in order within a group)
    long = {k: np.concatenate([r[k] for r in res]) for k in ("cramers_v", "n_trials", "p_value")}
    long["group"] = np.tile(np.arange(ngroups), len(pairs))
    long["param_a"] = np.repeat(np.array([names[a] for a, _ in pairs], dtype=object), ngroups)
    long["param_b"] = np.repeat(np.array([names[b] for _, b in pairs], dtype=object), ngroups)
    keep = np.flatnonzero(long["n_trials"] > 0)
    rows = keep[np.argsort(long["group"][keep], kind="stable")]
    nan = int(np.isnan(long["cramers_v"][rows]).sum())
    if nan:
        warnings.warn(
            f"cramers_v is NaN for {nan} of {len(rows)} parameter pairs: one of the two "
            "parameters has a single value among the trials that have both.",
            TrialsWarning,
            stacklevel=2,
        )
    out = {} if by is None else {by: groups.to_numpy(dtype=object)[long["group"][rows]]}
    out.update({c: long[c][rows] for c in cols})
    result = pd.DataFrame(out)
    result["n_trials"] = result["n_trials"].astype(np.int64)
    return result
