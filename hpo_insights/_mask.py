"""The collapse mask: the trials :func:`hpo_insights.detect_collapse` flags with its defaults.

Analyses that leave collapsed trials out by default (``exclude_collapsed=True``:
``variance_explained``, ``value_table``, ``classify_trend``, ``suggestions``,
``param_consistency``, ``sampling_association``, ``search_space_importance``,
``findings``) ask this module, so that every one of them leaves out the same trials.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hpo_insights import _frame

__all__ = ["MIN_RANGE", "MIN_STD", "PRED_COLUMNS", "collapsed", "collapsed_rows", "floats"]

#: The columns ``detect_collapse`` reads by default, by role.
PRED_COLUMNS = {
    "pred_min": "user_attrs_pred_min",
    "pred_max": "user_attrs_pred_max",
    "pred_std": "user_attrs_pred_std",
    "recall": "user_attrs_recall",
}
MIN_RANGE = 0.05  # collapsed when pred_max - pred_min < MIN_RANGE
MIN_STD = 0.01  # else (no range recorded) when pred_std < MIN_STD


def floats(frame: pd.DataFrame, col: str | None) -> np.ndarray:
    """Column *col* as a float array (non-numbers NaN); all NaN when *col* is ``None``."""
    if col is None:
        return np.full(len(frame), np.nan)
    values = frame[col]
    if isinstance(values.dtype, np.dtype) and values.dtype.kind == "f":
        return values.to_numpy(dtype=float)  # (numbers already: to_numeric would return them)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def collapsed(
    trials: pd.DataFrame,
    *,
    min_range: float = MIN_RANGE,
    min_std: float = MIN_STD,
) -> np.ndarray:
    """Rows of *trials* that :func:`hpo_insights.detect_collapse` flags with its default columns.

    A boolean array over the rows of *trials* (positional): True for a
    COMPLETE trial whose recorded prediction range (else std) is below the
    threshold; False everywhere else, including trials whose collapse is
    unknown (nothing recorded) and every trial of a frame without the
    prediction columns.
    """
    n = len(trials)
    cols = trials.columns
    pmin, pmax, pstd = PRED_COLUMNS["pred_min"], PRED_COLUMNS["pred_max"], PRED_COLUMNS["pred_std"]
    has_range = pmin in cols and pmax in cols
    if not (has_range or pstd in cols):
        return np.zeros(n, dtype=bool)
    lo = floats(trials, pmin if pmin in cols else None)
    hi_ = floats(trials, pmax if pmax in cols else None)
    sd = floats(trials, pstd if pstd in cols else None)
    rng = hi_ - lo
    with np.errstate(invalid="ignore"):
        flag = np.where(np.isfinite(rng), rng < min_range, np.isfinite(sd) & (sd < min_std))
    state = (trials[_frame.STATE] == "COMPLETE").to_numpy(dtype=bool)
    return flag & state


def collapsed_rows(
    trials: pd.DataFrame, exclude_collapsed: bool
) -> tuple[np.ndarray | None, pd.DataFrame | None]:
    """The rows an analysis leaves out as :func:`collapsed`, and those trials.

    ``(mask, excluded)``: a boolean array over the rows of *trials* and the
    collapsed trials themselves, or ``(None, None)`` when no trial collapsed or
    ``exclude_collapsed=False``. The trials kept are ``trials[~mask]``. A
    non-bool *exclude_collapsed* is a TypeError naming the argument.
    """
    if not isinstance(exclude_collapsed, bool | np.bool_):
        raise TypeError(
            f"exclude_collapsed must be True or False, got {exclude_collapsed!r} instead."
        )
    if not exclude_collapsed:
        return None, None
    _frame.check_frame(trials)
    mask = collapsed(trials)
    if not mask.any():
        return None, None
    return mask, trials[mask]
