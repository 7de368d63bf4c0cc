"""Forced extremes: the trials a search was told to run at a parameter's minimum or maximum.

Searches often enqueue a few trials that pin one parameter at an end of its
range (Optuna ``study.enqueue_trial``) to check the edges of the search space.
:func:`forced_extremes` finds them and says which parameter sits at which end.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pandas as pd

from hpo_insights import _frame, _guard

__all__ = ["forced_extremes"]

EXTREME_TYPE = _frame.USER_ATTR_PREFIX + "extreme_type"
FIXED_PARAMS = _frame.SYSTEM_ATTR_PREFIX + "fixed_params"


def _as_dict(marker: object) -> dict | None:
    if isinstance(marker, dict):
        return marker
    if isinstance(marker, str) and marker.strip():
        try:
            parsed = json.loads(marker)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


def _bounds(trials: pd.DataFrame, sub: pd.DataFrame, param: str) -> tuple[object, object] | None:
    """(min, max) of a parameter: its recorded distribution, else the values seen in *sub*."""
    try:
        col = _frame.param_column(trials, param)
    except _frame.TrialsError:
        return None
    dist = _frame.distribution(sub, col) if len(sub) else None
    if dist is not None:
        attrs = dist.get("attributes", {})
        if "choices" in attrs and attrs["choices"]:
            return attrs["choices"][0], attrs["choices"][-1]
        if "low" in attrs and "high" in attrs:
            return attrs["low"], attrs["high"]
    seen = sub[col].dropna()
    if seen.empty or not _frame.is_numeric_param(seen):
        return None
    return seen.min(), seen.max()


def _same(a: object, b: object) -> bool:
    try:
        return bool(np.isclose(float(a), float(b)))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return a == b


def _from_marker(trials: pd.DataFrame, keys: np.ndarray, rows: np.ndarray) -> pd.DataFrame:
    """Label enqueued trials by the first fixed parameter found at an end of its range."""
    labels = []
    bounds_cache: dict[tuple[object, str], tuple[object, object] | None] = {}
    wanted = set(pd.unique(keys[rows]))
    columns = [
        c for c in trials.columns if c.startswith((_frame.PARAM_PREFIX, _frame.DISTRIBUTION_PREFIX))
    ]
    subs = {
        key: sub
        for key, sub in trials[columns].groupby(keys, sort=False, dropna=False)
        if key in wanted
    }
    # One pass over the few enqueued trials (not over all trials).
    markers = trials[FIXED_PARAMS].to_numpy(dtype=object)
    for row in rows:
        fixed = _as_dict(markers[row]) or {}
        key = keys[row]
        side = param = None
        for name, val in fixed.items():
            if (key, name) not in bounds_cache:
                sub = subs.get(key)
                bounds_cache[(key, name)] = None if sub is None else _bounds(trials, sub, name)
            b = bounds_cache[(key, name)]
            if b is None:
                continue
            if _same(val, b[0]):
                side, param = "min", name
            elif _same(val, b[1]):
                side, param = "max", name
            if side is not None:
                break
        labels.append((row, side, param))
    frame = pd.DataFrame(labels, columns=["row", "extreme_side", "extreme_param"])
    frame = frame.dropna(subset=["extreme_side"]).set_index("row")
    frame["extreme_type"] = frame["extreme_side"] + "_" + frame["extreme_param"]
    return frame


def forced_extremes(
    trials: pd.DataFrame,
    *,
    studies: str | Sequence[str] | None = None,
    by: str | None = "study",
) -> pd.DataFrame:
    """The trials forced to a parameter's minimum or maximum, and which one.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    studies : str or sequence of str, optional
        Only these studies (the ``study`` column), in this order; ``None``
        means every study. An unknown name is an error listing the studies.
    by : str or None, default "study"
        Group column put first in the result (bounds observed per group);
        ``None`` pools all trials and leaves it out.

    Returns
    -------
    pandas.DataFrame
        One row per forced-extreme trial, in frame order: ``study`` (named
        after *by*; absent when ``by=None``), ``number``, ``extreme_type``
        (e.g. ``"min_d_model"``), ``extreme_param`` (``"d_model"``),
        ``extreme_side`` (``"min"`` or ``"max"``), ``value`` (the objective,
        NaN when the trial has none), ``state``, then every ``params_<name>``
        column. Empty, with these columns, when no trial is marked.

    Raises
    ------
    TrialsError
        The frame lacks ``study``, ``number`` or ``state``.
    TypeError
        *trials* is not a DataFrame.

    Notes
    -----
    Trials of every state are listed (a forced extreme that failed is worth
    seeing). Two sources, per trial:

    1. ``user_attrs_extreme_type`` when set: ``"<min|max>_<param>"`` is split
       into side and parameter (a label without that shape keeps NaN side and
       parameter).
    2. Otherwise Optuna's enqueued-trial marker ``system_attrs_fixed_params``
       (a dict, or its JSON text): a fixed parameter is at an extreme when it
       equals (``np.isclose`` for numbers) the low/high of its recorded
       distribution (first/last choice for a categorical), else the
       lowest/highest value seen in its group. When several fixed parameters
       sit at an extreme, the **first in the marker's order** names the trial
       (enqueued extremes usually list the forced parameter first). Enqueued
       trials with no fixed parameter at an extreme are not forced extremes
       and are left out.

    A group with neither source gives no rows; that is not an error.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> fe = hi.forced_extremes(hi.datasets.example())
    >>> list(fe.columns[:7])
    ['study', 'number', 'extreme_type', 'extreme_param', 'extreme_side', 'value', 'state']
    >>> fe.loc[fe.study == "transformer-2M", "extreme_type"].tolist()
    ['min_d_model', 'max_d_model', 'min_n_layers', 'max_n_layers', 'min_n_heads', 'max_n_heads']
    """
    trials = _frame.select_studies(_guard.frame(trials), studies)
    keys = _frame.group_labels(trials, by)
    pcols = [c for c in trials.columns if c.startswith(_frame.PARAM_PREFIX)]
    ycols = _frame.objective_columns(trials)
    ycol = _frame.VALUE if _frame.VALUE in ycols else (ycols[0] if len(ycols) == 1 else None)

    n = len(trials)
    etype = np.full(n, pd.NA, dtype=object)
    side = np.full(n, pd.NA, dtype=object)
    param = np.full(n, pd.NA, dtype=object)
    has_attr = np.zeros(n, dtype=bool)
    if EXTREME_TYPE in trials.columns:
        raw = trials[EXTREME_TYPE]
        has_attr = (raw.notna() & (raw.astype("string").str.strip() != "")).to_numpy(
            dtype=bool, na_value=False
        )
        text = raw.astype("string")
        parts = text.str.extract(r"^\s*(min|max)_(.+?)\s*$", flags=0)
        etype[has_attr] = text.to_numpy(dtype=object)[has_attr]
        side[has_attr] = parts[0].to_numpy(dtype=object, na_value=pd.NA)[has_attr]
        param[has_attr] = parts[1].to_numpy(dtype=object, na_value=pd.NA)[has_attr]
    if FIXED_PARAMS in trials.columns:
        marked = trials[FIXED_PARAMS].notna().to_numpy() & ~has_attr
        if marked.any():
            lab = _from_marker(trials, keys.to_numpy(), np.flatnonzero(marked))
            at = lab.index.to_numpy(dtype=int)
            etype[at] = lab["extreme_type"].to_numpy(dtype=object)
            side[at] = lab["extreme_side"].to_numpy(dtype=object)
            param[at] = lab["extreme_param"].to_numpy(dtype=object)
            has_attr = has_attr.copy()
            has_attr[at] = True
    rows = np.flatnonzero(has_attr)

    out = {}
    if by is not None:
        out[by] = keys.to_numpy()[rows]
    out["number"] = trials[_frame.NUMBER].to_numpy()[rows]
    out["extreme_type"] = etype[rows]
    out["extreme_param"] = param[rows]
    out["extreme_side"] = side[rows]
    out["value"] = (
        _frame.numeric_objective(trials, ycol).to_numpy()[rows]
        if ycol is not None
        else np.full(len(rows), np.nan)
    )
    out["state"] = trials[_frame.STATE].to_numpy()[rows]
    result = pd.DataFrame(out)
    for c in ("extreme_type", "extreme_param", "extreme_side"):
        result[c] = result[c].astype("str") if len(result) == 0 else result[c]
    for c in pcols:
        result[c] = trials[c].take(rows).to_numpy() if len(rows) else trials[c].iloc[:0].to_numpy()
    return result
