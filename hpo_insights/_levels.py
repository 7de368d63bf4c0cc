"""Per-level statistics of every parameter: the tables value tables, trends and shares share.

:func:`level_tables` groups the trials that count by the levels
:mod:`hpo_insights._binning` decides (per group, per parameter) and returns
one row per (group, param, level) with count, mean and within-level sum of
squares; :func:`group_key_column` turns group codes back into the result's
``study`` (or *by*) column.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from hpo_insights import _binning, _frame
from hpo_insights._errors import TrialsError

__all__ = ["group_key_column", "level_tables"]


def level_tables(
    trials: pd.DataFrame,
    params: str | Sequence[str] | None,
    *,
    objective: str | None,
    by: str | None,
    bins: int,
    spread: bool = True,
    exclude: np.ndarray | None = None,
) -> tuple[pd.DataFrame, pd.Index]:
    """Levels and statistics of every parameter: one row per (group, param, level).

    Columns: ``group`` (group code), ``param`` (bare name), ``value``, ``low``,
    ``high``, ``binned``, ``numeric``, ``count``, ``mean``, ``ss`` (within-level
    sum of squared deviations), ``ss_scaled`` and ``unit`` (``ss / unit**2``
    and the power of two it is scaled by, see :func:`_binning.level_stats`).
    Shared by value tables, trends and eta squared.
    Rows flagged in *exclude* count as absent (see :func:`_binning.prepare`).
    """
    _frame.check_frame(trials)
    _binning.check_bins(bins)
    pcols = _frame.param_columns(trials, params)
    done, ycol, codes, groups = _binning.prepare(trials, objective=objective, by=by, columns=pcols,
                                                 exclude=exclude)
    y = done[ycol].to_numpy()
    parts = []
    for pcol in pcols:
        lv = _binning.levels(
            done[pcol], codes, len(groups), bins=bins, groups=groups,
            dists=_binning.group_distributions(trials, pcol, by),
        )
        stats = _binning.level_stats(lv.codes, y, len(lv.table), spread=spread)
        table = lv.table.assign(
            param=pcol[len(_frame.PARAM_PREFIX):],
            numeric=lv.numeric,
            count=stats["count"].astype(np.int64),
            mean=stats["mean"],
            ss=stats["ss"],
            ss_scaled=stats["ss_scaled"],
            unit=stats["unit"],
        )
        parts.append(table)
    _binning.warn_empty_groups(groups, np.bincount(codes, minlength=len(groups)), by)
    frames = [p for p in parts if len(p)]
    if not frames:
        names = ", ".join(p[len(_frame.PARAM_PREFIX):] for p in pcols)
        raise TrialsError(
            f"No completed trial has a value for {names}: the parameter column(s) are empty "
            "among COMPLETE trials with a finite objective."
        )
    long = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if len(frames) > 1 and len(groups) > 1:  # group (order of appearance), then param order
        long = long.sort_values("group", kind="stable", ignore_index=True)
    return long, groups


def group_key_column(long: pd.DataFrame, groups: pd.Index, by: str | None) -> dict:
    """The result's group column (named after *by*) for rows of *long*; empty when pooled."""
    if by is None:
        return {}
    return {by: groups.to_numpy(dtype=object)[long["group"].to_numpy()]}
