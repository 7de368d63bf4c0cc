"""How many trials tried each combination of two parameters' values."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from hpo_insights import _binning, _frame, _guard
from hpo_insights._errors import TrialsError

__all__ = ["coverage_crosstab"]


def _choices(dists: dict) -> dict:
    """Categorical choices recorded in ``distributions_<name>``, per group key (*dists*:
    :func:`hpo_insights._binning.group_distributions`)."""
    return {  # a choice None is the level "None" (see _frame.adapt)
        key: [_frame.NONE_LEVEL if c is None else c
              for c in (d.get("attributes") or {}).get("choices") or ()]
        for key, d in dists.items()
        if d.get("name") == "CategoricalDistribution"
    }


def coverage_crosstab(
    trials: pd.DataFrame,
    *,
    params: Sequence[str],
    studies: str | Sequence[str] | None = None,
    by: str | None = "study",
    states: Sequence[str] = ("COMPLETE",),
    bins: int | None = None,
) -> pd.DataFrame:
    """Count the trials of every combination of two parameters' values, zeros included.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    params : sequence of two str
        The row parameter and the column parameter, with or without
        ``params_``, e.g. ``params=("d_model", "n_layers")``.
    studies : str or sequence of str, optional
        Only these studies (the ``study`` column), in this order; ``None``
        means every study. An unknown name is an error listing the studies.
    by : str or None, default "study"
        One table per value of this column; ``None`` pools all trials.
    states : sequence of str, default ("COMPLETE",)
        The trial states counted (``("COMPLETE", "PRUNED")`` shows where the
        sampler went, pruned or not).
    bins : int or None, default None
        Binning of float parameters, as in :func:`~hpo_insights.value_table`.

    Returns
    -------
    pandas.DataFrame
        Long and tidy: ``study`` (named after *by*; absent when ``by=None``),
        ``row_param``, ``row_value``, ``col_param``, ``col_value``,
        ``n_trials``; every combination of the group's row values and column
        values, by group (order of appearance), then row value, then column
        value (orders and bins as in :func:`~hpo_insights.value_table`).
        ``pivot(index="row_value", columns="col_value", values="n_trials")``
        gives the matrix of one group.

    Raises
    ------
    TrialsError
        Unknown parameter or state, or no trial in *states* with both
        parameters set.
    TypeError
        *trials* is not a DataFrame.

    Notes
    -----
    Counts trials in *states* that have a value for both parameters; the
    objective is not needed (a COMPLETE trial with a NaN objective still
    counts). The values of a group are those its counted trials have, plus,
    for a categorical parameter whose ``distributions_<name>`` records its
    choices, every choice: a choice never tried shows as a row or column of
    zeros. Float parameters with more distinct values than *bins* are
    binned at quantiles exactly as in :func:`~hpo_insights.value_table`.

    Examples
    --------
    >>> import pandas as pd
    >>> import hpo_insights as hi
    >>> trials = pd.DataFrame({"study": "a", "number": range(4), "state": "COMPLETE",
    ...     "value": 0.5, "params_layers": [2, 2, 4, 4], "params_heads": [8, 8, 8, 16]})
    >>> ct = hi.coverage_crosstab(trials, params=("layers", "heads"))
    >>> ct.pivot(index="row_value", columns="col_value", values="n_trials")
    col_value  8   16
    row_value
    2           2   0
    4           1   1
    >>> ct = hi.coverage_crosstab(hi.datasets.example(), params=("d_model", "n_layers"))
    >>> list(ct.columns)
    ['study', 'row_param', 'row_value', 'col_param', 'col_value', 'n_trials']
    """
    trials = _guard.frame(trials)
    _frame.check_by(by)
    if isinstance(params, str) or not isinstance(params, Sequence) or len(params) != 2:
        raise TypeError(
            "params must be a pair of parameter names (row, column), e.g. "
            f"params=('d_model', 'n_layers'); got {params!r} instead."
        )
    trials = _frame.select_studies(trials, studies)
    rcol = _frame.param_column(trials, params[0])
    ccol = _frame.param_column(trials, params[1])
    if isinstance(states, str):
        states = [states]
    states = list(states)
    unknown = [s for s in states if s not in _frame.STATES]
    if unknown or not states:
        raise TrialsError(
            f"Unknown state(s) {unknown or states!r} in states=. "
            f"States: {', '.join(_frame.STATES)}."
        )
    mask = trials[_frame.STATE].isin(states).to_numpy()
    mask = mask & trials[rcol].notna().to_numpy() & trials[ccol].notna().to_numpy()
    if not mask.any():
        raise TrialsError(
            f"No trial in states {', '.join(states)} has values for both {rcol!r} and {ccol!r}; "
            "check the 'state' column, or pass states=(...) to count other states."
        )
    all_codes, all_groups = _binning.group_codes(trials, by)
    gcodes_all = all_codes[mask]
    present = np.flatnonzero(np.bincount(gcodes_all, minlength=len(all_groups)))
    groups = all_groups[present]
    if len(present) == len(all_groups):
        gcodes = gcodes_all
    else:
        remap = np.full(len(all_groups), -1, dtype=np.intp)
        remap[present] = np.arange(len(present))
        gcodes = remap[gcodes_all]
    ng = len(groups)
    sides = []
    dists = _binning.distributions(trials, (rcol, ccol), by)
    for pcol in (rcol, ccol):
        values = trials[pcol]
        values = values[mask] if not mask.all() else values
        sides.append(
            _binning.levels(
                values, gcodes, ng, bins=bins, groups=groups,
                dists=dists[pcol], extra=_choices(dists[pcol]),
            )
        )
    rows, cols = sides
    nr, nc = len(rows.table), len(cols.table)
    key = rows.codes.astype(np.int64) * nc + cols.codes
    if nr * nc <= 50_000_000:
        counts = np.bincount(key, minlength=nr * nc)
        lookup = counts.__getitem__
    else:
        uniq, cnt = np.unique(key, return_counts=True)

        def lookup(k: np.ndarray) -> np.ndarray:
            pos = np.clip(np.searchsorted(uniq, k), 0, max(len(uniq) - 1, 0))
            return np.where(uniq[pos] == k, cnt[pos], 0)

    rg = rows.table["group"].to_numpy()
    cg = cols.table["group"].to_numpy()
    r_idx, c_idx = [], []
    for g in range(ng):  # a product of the group's row and column levels
        rr, cc = np.flatnonzero(rg == g), np.flatnonzero(cg == g)
        r_idx.append(np.repeat(rr, len(cc)))
        c_idx.append(np.tile(cc, len(rr)))
    r_idx = np.concatenate(r_idx)
    c_idx = np.concatenate(c_idx)
    out = {} if by is None else {by: groups.to_numpy(dtype=object)[rg[r_idx]]}
    out.update(
        row_param=rcol[len(_frame.PARAM_PREFIX):],
        row_value=rows.table["value"].iloc[r_idx].to_numpy(),
        col_param=ccol[len(_frame.PARAM_PREFIX):],
        col_value=cols.table["value"].iloc[c_idx].to_numpy(),
        n_trials=np.asarray(lookup(r_idx.astype(np.int64) * nc + c_idx), dtype=np.int64),
    )
    return pd.DataFrame(out)
