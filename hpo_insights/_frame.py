"""The trials-frame schema and the helpers every analysis shares.

A *trials frame* is a :class:`pandas.DataFrame` with one row per trial, in
Optuna's ``Study.trials_dataframe()`` convention plus study-level columns.
``docs/trials-frame.md`` documents every column; this module holds the names
and the small resolvers (parameter names, objective column, direction, the
trials that count) so that every analysis answers the same way.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from hpo_insights._errors import TrialsError, TrialsWarning

# --- column names -----------------------------------------------------------
STUDY = "study"
NUMBER = "number"
STATE = "state"
VALUE = "value"
VALUES_PREFIX = "values_"
PARAM_PREFIX = "params_"
USER_ATTR_PREFIX = "user_attrs_"
SYSTEM_ATTR_PREFIX = "system_attrs_"
DISTRIBUTION_PREFIX = "distributions_"
DATETIME_START = "datetime_start"
DATETIME_COMPLETE = "datetime_complete"
DURATION = "duration"
DIRECTION = "study_direction"
STUDY_ATTR_PREFIX = "study_user_attrs_"
BUDGET = STUDY_ATTR_PREFIX + "budget"

STATES = ("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")
DIRECTIONS = ("maximize", "minimize")
REQUIRED = (STUDY, NUMBER, STATE)


def check_frame(trials: Any) -> pd.DataFrame:
    """Return *trials* if it is a DataFrame holding the required columns, else raise."""
    if not isinstance(trials, pd.DataFrame):
        raise TypeError(
            f"trials must be a pandas DataFrame (a trials frame), got {type(trials).__name__} "
            "instead. Build one with hi.load(...) or hi.from_optuna(...)."
        )
    missing = [c for c in REQUIRED if c not in trials.columns]
    if missing:
        raise TrialsError(
            f"The trials frame has no {', '.join(repr(c) for c in missing)} column"
            f"{'s' if len(missing) > 1 else ''}. A trials frame needs {', '.join(REQUIRED)} "
            "(see docs/trials-frame.md); load it with hi.load(...) or hi.from_optuna(...)."
        )
    return trials


def param_names(trials: pd.DataFrame) -> list[str]:
    """Bare parameter names (``params_`` stripped), in column order."""
    return [c[len(PARAM_PREFIX) :] for c in trials.columns if c.startswith(PARAM_PREFIX)]


def param_column(trials: pd.DataFrame, param: str) -> str:
    """Resolve one parameter name, given with or without ``params_``, to its column."""
    if not isinstance(param, str):
        raise TypeError(f"A parameter name must be a string, got {type(param).__name__} instead.")
    for col in (param, PARAM_PREFIX + param):
        if col.startswith(PARAM_PREFIX) and col in trials.columns:
            return col
    names = param_names(trials)
    raise TrialsError(
        f"Unknown parameter {param!r}. Parameters in trials: "
        f"{', '.join(names) if names else '(none: no params_<name> column)'}. "
        "Pass names from this list, with or without the 'params_' prefix."
    )


def param_columns(trials: pd.DataFrame, params: str | Sequence[str] | None = None) -> list[str]:
    """Resolve parameter names to ``params_<name>`` columns; ``None`` means all of them."""
    if params is None:
        cols = [c for c in trials.columns if c.startswith(PARAM_PREFIX)]
        if not cols:
            raise TrialsError(
                "The trials frame has no parameter columns (params_<name>). "
                "Load it with hi.load(..., params=[...]) to name them."
            )
        return cols
    if isinstance(params, str):
        params = [params]
    cols = [param_column(trials, p) for p in params]
    if not cols:
        raise TrialsError("params is empty: pass at least one parameter name, or None for all.")
    return list(dict.fromkeys(cols))


def objective_columns(trials: pd.DataFrame) -> list[str]:
    """All objective columns: ``value`` or ``values_<k>``."""
    return [c for c in trials.columns if c == VALUE or c.startswith(VALUES_PREFIX)]


def objective_column(trials: pd.DataFrame, objective: str | None = None) -> str:
    """Resolve the objective column.

    ``None`` means the frame's single objective; with several (``values_0``,
    ``values_1`` ...) the caller must name one. A name may be given with or
    without the ``values_`` prefix, or as a 0-based index string.
    """
    cols = objective_columns(trials)
    if objective is None:
        if len(cols) == 1:
            return cols[0]
        if not cols:
            raise TrialsError(
                "The trials frame has no objective column ('value' or 'values_<name>'). "
                "Load it with hi.load(..., objective='<metric column>') to name it."
            )
        raise TrialsError(
            f"The trials frame has {len(cols)} objectives ({', '.join(cols)}); "
            "pass objective='<one of them>' to choose."
        )
    for col in (objective, VALUES_PREFIX + str(objective)):
        if col in cols:
            return col
    raise TrialsError(
        f"Unknown objective {objective!r}. Objective columns in trials: "
        f"{', '.join(cols) if cols else '(none)'}."
    )


def numeric_objective(trials: pd.DataFrame, column: str) -> pd.Series:
    """The objective as float; raise if it is not numeric."""
    values = trials[column]
    if pd.api.types.is_bool_dtype(values) or not (
        pd.api.types.is_numeric_dtype(values) or values.isna().all()
    ):
        converted = pd.to_numeric(values, errors="coerce")
        bad = values[converted.isna() & values.notna()]
        if len(bad):
            raise TrialsError(
                f"The objective column {column!r} must be numeric, but holds "
                f"{bad.iloc[0]!r} (trial row {bad.index[0]}) and {len(bad) - 1} more non-numeric "
                "value(s)."
            )
        return converted.astype(float)
    return values.astype(float)


def completed(
    trials: pd.DataFrame,
    objective: str | None = None,
    *,
    columns: Sequence[str] | None = None,
    states: Sequence[str] = ("COMPLETE",),
) -> tuple[pd.DataFrame, str]:
    """The trials that count: in *states* (COMPLETE) with a finite objective.

    Returns the filtered frame and the objective column's name. The frame
    holds *columns* (all columns when ``None``; pass the few you need, it is
    much faster on wide frames) plus the objective as float. It is a new
    frame: the caller may modify it without touching *trials*.

    PRUNED trials never count as completed, even though Optuna stores their
    last intermediate value in ``value``. COMPLETE trials whose objective is
    NaN or infinite are dropped with one :class:`TrialsWarning` saying how
    many.
    """
    check_frame(trials)
    col = objective_column(trials, objective)
    y = numeric_objective(trials, col).to_numpy()
    states = list(states)
    state = trials[STATE]
    in_state = (
        (state == states[0]).to_numpy() if len(states) == 1 else state.isin(states).to_numpy()
    )
    finite = np.isfinite(y)
    bad = in_state & ~finite
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


def directions(
    trials: pd.DataFrame, direction: str | None = None, by: str | None = STUDY
) -> pd.Series:
    """Direction per group (index: the *by* values; ``None`` pools into one group ``"all"``).

    An explicit *direction* wins; otherwise the ``study_direction`` column is
    read. A group with no recorded direction, or mixed ones when pooling, is
    an error asking for ``direction=``.
    """
    keys = group_labels(trials, by)
    if direction is not None:
        d = str(direction).lower()
        if d not in DIRECTIONS:
            raise TrialsError(
                f"direction must be 'maximize' or 'minimize', got {direction!r} instead."
            )
        return pd.Series(d, index=pd.Index(keys.unique(), name=by or "group"))
    if DIRECTION not in trials.columns:
        raise TrialsError(
            "The trials frame has no 'study_direction' column: pass direction='maximize' or "
            "direction='minimize'."
        )
    dirs = trials[DIRECTION].astype("string").str.lower().groupby(keys, sort=False).unique()
    out = {}
    for key, vals in dirs.items():
        vals = [v for v in vals if isinstance(v, str)]
        if len(vals) != 1 or vals[0] not in DIRECTIONS:
            raise TrialsError(
                f"Cannot tell the direction of {by or 'the pooled trials'} {key!r} "
                f"(study_direction holds {vals or 'nothing'}): pass direction='maximize' or "
                "direction='minimize'."
            )
        out[key] = vals[0]
    return pd.Series(out, name=DIRECTION).rename_axis(by or "group")


def check_by(by: Any) -> None:
    """Raise a TypeError when *by* is not a column name or None."""
    if by is not None and not isinstance(by, str):
        raise TypeError(f"by must be a column name (str) or None, got {type(by).__name__} instead.")


def group_column(trials: pd.DataFrame, by: str | None) -> str | None:
    """The column holding the group key for *by*, or ``None`` when ``by=None`` (pooled).

    *by* names a column, or a study attribute without its prefix (``"budget"``
    means ``study_user_attrs_budget``). An unknown name is a TrialsError
    listing the columns that can group trials. The one place *by* is resolved.
    """
    check_by(by)
    if by is None:
        return None
    group_labels(trials, by)  # raises the shared "cannot group by" error
    return by if by in trials.columns else STUDY_ATTR_PREFIX + by


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


def signs(
    trials: pd.DataFrame, direction: str | None, by: str | None, groups: pd.Index
) -> tuple[np.ndarray, list[str]]:
    """+1 (maximize) or -1 (minimize) per group of *groups*, and the direction names."""
    names = _fast_directions(trials, direction, groups)
    if names is None:  # the general path (and its error messages)
        dirs = directions(trials, direction, by)
        names = [str(dirs.loc[g]) if by is not None else str(dirs.iloc[0]) for g in groups]
    return np.array([1.0 if d == "maximize" else -1.0 for d in names]), names


def _fast_directions(
    trials: pd.DataFrame, direction: str | None, groups: pd.Index
) -> list[str] | None:
    """Directions per group without a string groupby, or None to defer to :func:`directions`."""
    if direction is not None or DIRECTION not in trials.columns:
        return None
    col = trials[DIRECTION]
    first = col.iloc[0] if len(col) else None
    if isinstance(first, str) and first.lower() in DIRECTIONS:
        if bool((col == first).all()):
            return [first.lower()] * len(groups)
    return None


def group_labels(trials: pd.DataFrame, by: str | None = STUDY) -> pd.Series:
    """The grouping key per row: the *by* column, or ``"all"`` everywhere when ``by=None``."""
    if by is None:
        return pd.Series("all", index=trials.index, name="group")
    if by not in trials.columns:
        alt = STUDY_ATTR_PREFIX + by
        if alt in trials.columns:
            return trials[alt].rename(by)
        groupable = [c for c in trials.columns if c == STUDY or c.startswith(STUDY_ATTR_PREFIX)]
        raise TrialsError(
            f"Cannot group by {by!r}: no such column. Columns that can group trials: "
            f"{', '.join(groupable) or '(none)'}."
        )
    return trials[by]


def distribution(trials: pd.DataFrame, param: str) -> dict | None:
    """What the source recorded of a parameter's distribution, or ``None``.

    Reads ``distributions_<name>`` (Optuna's ``distribution_to_json`` text:
    ``{"name": "FloatDistribution", "attributes": {"low": ..., "high": ...,
    "log": ..., "step": ...}}``) from the first row where it is set.
    """
    col = DISTRIBUTION_PREFIX + param_column(trials, param)[len(PARAM_PREFIX) :]
    if col not in trials.columns:
        return None
    vals = trials[col].dropna()
    if vals.empty:
        return None
    first = vals.iloc[0]
    if isinstance(first, dict):
        return first
    try:
        return json.loads(first)
    except (TypeError, ValueError) as err:
        raise TrialsError(
            f"Column {col!r} must hold Optuna distribution JSON, got {first!r}."
        ) from err


def is_numeric_param(values: pd.Series) -> bool:
    """True when the parameter's values are numbers (not bool, not strings)."""
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
