"""Which trials an analysis uses: the studies named by ``studies=``, and the trials that count.

:func:`select_studies` applies ``studies=``; :func:`completed` keeps the trials
in the counted states (COMPLETE) whose objective is finite, with one warning for
those it drops.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from hpo_insights._columns import numeric_objective, objective_column, objective_columns
from hpo_insights._errors import TrialsError, TrialsWarning
from hpo_insights._schema import STATE, STUDY, check_frame

__all__ = [
    "completed",
    "require_rows",
    "select_studies",
    "study_names",
    "unknown_studies_message",
]


def completed(
    trials: pd.DataFrame,
    objective: str | None = None,
    *,
    columns: Sequence[str] | None = None,
    states: Sequence[str] = ("COMPLETE",),
    exclude: np.ndarray | None = None,
) -> tuple[pd.DataFrame, str]:
    """The trials that count: in *states* (COMPLETE) with a finite objective.

    Returns the filtered frame and the objective column's name. The frame
    holds *columns* (all columns when ``None``; pass the few you need, it is
    much faster on wide frames) plus the objective as float. It is a new
    frame: the caller may modify it without touching *trials*.

    PRUNED trials never count as completed, even though Optuna stores their
    last intermediate value in ``value``. COMPLETE trials whose objective is
    NaN or infinite are dropped with one :class:`TrialsWarning` saying how
    many. *exclude* (a boolean array over the rows) leaves those rows out as
    if they were not in *trials* at all (the collapsed trials), without
    copying the other rows first.
    """
    check_frame(trials)
    col = objective_column(trials, objective)
    y = numeric_objective(trials, col).to_numpy()
    states = list(states)
    state = trials[STATE]
    in_state = (
        (state == states[0]).to_numpy() if len(states) == 1 else state.isin(states).to_numpy()
    )
    if exclude is not None:
        in_state = in_state & ~np.asarray(exclude, dtype=bool)
    finite = np.isfinite(y)
    bad = in_state & ~finite
    if bad.any() and STUDY in trials.columns and len(objective_columns(trials)) > 1:
        # pooled studies with different objectives: a study that never has this
        # objective does not drop trials, it just is not about it
        seen = ~np.isnan(y) if exclude is None else ~np.isnan(y) & ~exclude
        has = pd.Series(seen).groupby(
            trials[STUDY].to_numpy(), sort=False).transform("any").to_numpy()
        bad &= has
    if bad.any():
        warnings.warn(
            f"{int(bad.sum())} of {int(in_state.sum())} {'/'.join(states)} trials dropped: "
            f"non-finite {col!r} (NaN or inf).",
            TrialsWarning,
            stacklevel=3,
        )
    keep = in_state & finite
    cols = (
        list(trials.columns) if columns is None else [c for c in dict.fromkeys(columns) if c != col]
    )
    if not trials.columns.is_unique:
        out = trials.loc[keep, cols] if not keep.all() else trials[cols].copy()
        out[col] = y[keep]
        return out, col
    # Column by column: a positional take per column is several times faster than
    # a boolean .loc over a frame with string (Arrow) columns.
    rows = None if keep.all() else np.flatnonzero(keep)
    data = {}
    for c in cols:
        arr = trials[c].array
        if isinstance(arr, pd.arrays.NumpyExtensionArray):
            arr = arr.to_numpy()
        data[c] = arr.copy() if rows is None else arr.take(rows)
    data[col] = y.copy() if rows is None else y[rows]
    index = trials.index if rows is None else trials.index[rows]
    return pd.DataFrame(data, index=index, columns=[*cols, col], copy=False), col


def require_rows(
    frame: pd.DataFrame, what: str = "completed trials with a finite objective"
) -> None:
    """Raise a clear error when *frame* is empty."""
    if len(frame) == 0:
        raise TrialsError(
            f"No {what}: the analysis needs at least one COMPLETE trial whose objective is "
            "finite. Check the 'state' column and the objective."
        )


def unknown_studies_message(unknown: Sequence[Any], present: Sequence[Any], where: str) -> str:
    """The one message for study names that are not there."""
    names = ", ".join(repr(s) for s in unknown)
    have = ", ".join(map(str, present)) if len(present) else "(none)"
    return (
        f"Unknown study {names} in {where}. Studies there: {have}. "
        "Pass names from this list."
    )


def study_names(studies: Any, argument: str = "studies") -> list[Any] | None:
    """Check a ``studies=`` argument: ``None``, one name, or a non-empty list of names."""
    if studies is None:
        return None
    if isinstance(studies, str):
        return [studies]
    if isinstance(studies, bytes | dict | set) or not isinstance(
        studies, Sequence | pd.Index | np.ndarray | pd.Series
    ):
        raise TypeError(
            f"{argument} must be a study name (str) or a list of names, got "
            f"{type(studies).__name__} ({studies!r}) instead."
        )
    names = list(studies)
    if not names:
        raise TrialsError(
            f"{argument}=[] selects no study: pass at least one name, or None for every study."
        )
    bad = [s for s in names if not isinstance(s, str | int | np.integer)]
    if bad:
        raise TypeError(
            f"{argument} must hold study names (str), got {bad[0]!r} "
            f"({type(bad[0]).__name__}) instead."
        )
    return list(dict.fromkeys(names))


def select_studies(trials: pd.DataFrame, studies: Any) -> pd.DataFrame:
    """The trials of the named studies, in the order named; *trials* itself when ``None``.

    The one place ``studies=`` is applied by the analyses: an unknown name is a
    TrialsError listing the studies present.
    """
    names = study_names(studies)
    if names is None:
        return trials
    check_frame(trials)
    col = trials[STUDY]
    present = list(pd.unique(col))
    have = set(present)
    unknown = [s for s in names if s not in have]
    if unknown:
        raise TrialsError(unknown_studies_message(unknown, present, "the trials frame"))
    if names == present:
        return trials
    codes = pd.Index(names).get_indexer(col)
    keep = np.flatnonzero(codes >= 0)
    order = keep[np.argsort(codes[keep], kind="stable")]
    return trials.iloc[order]

