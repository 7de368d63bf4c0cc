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
from collections.abc import Mapping, Sequence
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


def directions(
    trials: pd.DataFrame,
    direction: str | Mapping[Any, str] | None = None,
    by: str | None = STUDY,
    objective: str | None = None,
) -> pd.Series:
    """Direction per group (index: the *by* values; ``None`` pools into one group ``"all"``).

    An explicit *direction* wins: one direction for every group, or a mapping
    group → direction (groups it leaves out fall back to the recorded one).
    Otherwise the ``study_direction`` column is read; for a multi-objective
    study (``"minimize,maximize"``) the part matching *objective* (the
    objective column, see :func:`objective_part`). A group with no recorded
    direction, or mixed ones when pooling, is an error asking for
    ``direction=``.
    """
    keys = group_labels(trials, by)
    index_name = by or "group"
    given: dict = {}
    if isinstance(direction, Mapping):
        for key, d in direction.items():
            d = str(d).strip().lower()
            if d not in DIRECTIONS:
                raise TrialsError(
                    f"direction[{key!r}] must be 'maximize' or 'minimize', got {d!r} instead."
                )
            given[key] = d
    elif direction is not None:
        d = str(direction).strip().lower()
        if d not in DIRECTIONS:
            raise TrialsError(
                f"direction must be 'maximize' or 'minimize', got {direction!r} instead."
            )
        return pd.Series(d, index=pd.Index(keys.unique(), name=index_name), name=DIRECTION)
    uniq = list(pd.unique(keys))
    if given and all(k in given for k in uniq):
        return pd.Series([given[k] for k in uniq], index=pd.Index(uniq, name=index_name),
                         name=DIRECTION)
    if DIRECTION not in trials.columns:
        missing = [k for k in uniq if k not in given]
        raise TrialsError(
            "The trials frame has no 'study_direction' column"
            + (f" and direction= names no direction for {', '.join(map(repr, missing[:5]))}"
               if given else "")
            + ": pass direction='maximize' or direction='minimize' (or a mapping "
            "study -> direction)."
        )
    multi = trials[DIRECTION].astype("string").str.contains(",").any()
    col = objective_column(trials, objective) if multi else None
    text = trials[DIRECTION].astype("string").str.lower().str.replace(" ", "", regex=False)
    metric = trials["study_metric_name"] if "study_metric_name" in trials.columns else None
    pairs = pd.DataFrame({"key": keys.to_numpy(), "dir": text.to_numpy(dtype=object),
                          "metric": None if metric is None else metric.to_numpy(dtype=object)})
    pairs = pairs.drop_duplicates()
    out: dict = {}
    for key, sub in pairs.groupby("key", sort=False, dropna=False):
        if key in given:
            out[key] = given[key]
            continue
        vals = set()
        for d, m in zip(sub["dir"], sub["metric"], strict=True):
            if isinstance(d, str):
                vals.add(objective_part(d, col, m, trials))
        vals = sorted(v for v in vals if v is not None) + [None] * (None in vals)
        if len(vals) != 1 or vals[0] not in DIRECTIONS:
            shown = sorted({d for d in sub["dir"] if isinstance(d, str)})
            raise TrialsError(
                f"Cannot tell the direction of {by or 'the pooled trials'} {key!r} "
                f"for objective {col!r} (study_direction holds {shown or 'nothing'}): pass "
                "direction='maximize' or direction='minimize' (or a mapping study -> "
                "direction)."
            )
        out[key] = vals[0]
    order = [k for k in uniq if k in out]
    return pd.Series([out[k] for k in order], index=pd.Index(order, name=index_name),
                     name=DIRECTION)


def objective_part(direction: str, column: str | None, metric_names: Any,
                   trials: pd.DataFrame) -> str | None:
    """The direction of objective *column* in one study's ``study_direction`` text.

    A single direction applies to any objective. With several
    (``"minimize,maximize"``), ``values_<name>`` picks the part at the
    position of ``<name>`` in ``study_metric_name`` (comma-joined), else
    ``<name>`` read as a 0-based index, else the column's position among
    the frame's ``values_`` columns. ``None`` when it cannot be told.
    """
    parts = [p.strip() for p in direction.split(",")]
    if len(parts) == 1:
        return parts[0]
    if column is None or not column.startswith(VALUES_PREFIX):
        return None
    name = column[len(VALUES_PREFIX):]
    if isinstance(metric_names, str):
        names = [n.strip() for n in metric_names.split(",")]
        if name in names and len(names) == len(parts):
            return parts[names.index(name)]
    if name.isdigit() and int(name) < len(parts):
        return parts[int(name)]
    cols = [c for c in trials.columns if c.startswith(VALUES_PREFIX)]
    if len(cols) == len(parts):
        return parts[cols.index(column)]
    return None


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
    trials: pd.DataFrame,
    direction: str | Mapping[Any, str] | None,
    by: str | None,
    groups: pd.Index,
    objective: str | None = None,
) -> tuple[np.ndarray, list[str]]:
    """+1 (maximize) or -1 (minimize) per group of *groups*, and the direction names.

    *objective* picks the matching part of a multi-objective ``study_direction``;
    *direction* may be a mapping group → direction (see :func:`directions`).
    """
    names = _fast_directions(trials, direction, groups)
    if names is None:  # the general path (and its error messages)
        dirs = directions(trials, direction, by, objective=objective)
        if by is None:
            names = [str(dirs.iloc[0])] * len(groups)
        else:
            known = dict(zip(dirs.index, dirs.to_numpy(), strict=True))
            missing = [g for g in groups if g not in known]
            if missing:  # a group whose direction cannot be told (e.g. a missing key)
                raise TrialsError(
                    f"Cannot tell the direction of {by} {missing[0]!r}: pass direction=."
                )
            names = [str(known[g]) for g in groups]
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
    parsed = _parse_distribution(first)
    if parsed is None or not isinstance(parsed.get("attributes", {}), dict):
        raise TrialsError(
            f"Column {col!r} must hold Optuna distribution JSON ({{\"name\": ..., "
            f"\"attributes\": {{...}}}}), got {first!r}."
        )
    return parsed


def is_numeric_param(values: pd.Series) -> bool:
    """True when the parameter's values are numbers (not bool, not strings)."""
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


# --- frames as users hold them ------------------------------------------------
NONE_LEVEL = "None"  # the level of a categorical choice None (distinct from "not used")
FEASIBLE = "feasible"
CONSTRAINTS = SYSTEM_ATTR_PREFIX + "constraints"
MAX_LEVELS = 1000  # more distinct values than this in a group: no share, no plot


def adapt(trials: pd.DataFrame) -> pd.DataFrame:
    """Parameter values as analyses compare them; *trials* itself when nothing changes.

    * A categorical choice ``None`` (a trial whose ``distributions_<name>`` is
      set, so it did suggest the parameter, but whose value is missing, and
      whose choices hold ``None``) becomes the level ``"None"``; a trial that
      never suggested the parameter stays NaN ("not used").
    * Dicts and lists (Parquet keeps them) become their JSON text.
    * In a column mixing booleans and numbers, ``True``/``False`` become the
      levels ``"True"``/``"False"``, so they stay apart from ``1``/``0``.

    Returns a new frame (sharing the unchanged columns) or *trials* itself.
    """
    changed: dict[str, pd.Series] = {}
    for col in trials.columns:
        if not col.startswith(PARAM_PREFIX):
            continue
        s = trials[col]
        new = _none_choices(trials, col, s)
        if new.dtype == object:
            new = _object_levels(new)
        if new is not s:
            changed[col] = new
    if not changed:
        return trials
    out = trials.copy(deep=False)
    for col, s in changed.items():
        out[col] = s
    return out


def _none_choices(trials: pd.DataFrame, col: str, s: pd.Series) -> pd.Series:
    dcol = DISTRIBUTION_PREFIX + col[len(PARAM_PREFIX):]
    if dcol not in trials.columns:
        return s
    dist = trials[dcol]
    chose = s.isna().to_numpy() & dist.notna().to_numpy()
    if not chose.any():
        return s
    keys = dist[chose]
    if keys.dtype == object and keys.map(type).eq(dict).any():  # dicts (rare): as JSON text
        keys = keys.map(lambda t: json.dumps(t) if isinstance(t, dict) else t)
    codes, uniques = pd.factorize(keys)
    with_none = np.zeros(len(uniques) + 1, dtype=bool)  # one verdict per distinct text
    for k, text in enumerate(uniques):
        d = _parse_distribution(text)
        choices = (d.get("attributes") or {}).get("choices") if d else None
        with_none[k] = bool(d and d.get("name") == "CategoricalDistribution"
                            and isinstance(choices, list) and any(c is None for c in choices))
    if not with_none.any():
        return s
    fill = np.zeros(len(s), dtype=bool)
    fill[np.flatnonzero(chose)] = with_none[codes]
    if not fill.any():
        return s
    values = s.astype(object).to_numpy(copy=True)
    if is_numeric_param(s):  # whole-number choices stored as float (NaN forced float)
        present = s.notna().to_numpy()
        nums = s.to_numpy()[present]
        if np.all(nums == np.round(nums)) and np.all(np.abs(nums) < 2.0**63):
            values[present] = nums.astype(np.int64).astype(object)  # Python ints
    values[fill] = NONE_LEVEL
    return pd.Series(values, index=s.index, name=s.name, dtype=object)


def _parse_distribution(text: Any) -> dict | None:
    if isinstance(text, dict):
        return text
    try:
        d = json.loads(text)
    except (TypeError, ValueError):
        return None
    return d if isinstance(d, dict) else None


def _object_levels(s: pd.Series) -> pd.Series:
    """Dicts/lists → JSON text; booleans mixed with numbers → "True"/"False"."""
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if kind not in ("mixed", "mixed-integer", "mixed-integer-float"):
        return s
    types = s.map(type)
    nested = types.isin([dict, list, tuple, np.ndarray]).to_numpy()
    bools = types.isin([bool, np.bool_]).to_numpy()
    numbers = types.isin([int, float, np.int64, np.float64, np.int32, np.float32]).to_numpy()
    if not nested.any() and not (bools.any() and numbers.any()):
        return s
    values = s.to_numpy(dtype=object, copy=True)
    if nested.any():
        values[nested] = [json.dumps(v, sort_keys=True, default=_plain) for v in values[nested]]
    if bools.any() and numbers.any():
        where = np.flatnonzero(bools)
        truth = values[where].astype(bool)
        values[where[truth]] = "True"
        values[where[~truth]] = "False"
    return pd.Series(values, index=s.index, name=s.name, dtype=object)


def _plain(value: Any) -> Any:
    """JSON fallback: numpy arrays and scalars (Parquet gives them back) as Python values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def feasible(trials: pd.DataFrame) -> pd.Series:
    """Whether each trial satisfies its constraints (pandas ``"boolean"``).

    Read from the ``feasible`` column when present, else computed from
    Optuna's constraint values: ``system_attrs_constraints`` (the list a
    sampler's ``constraints_func`` returned, as JSON text or a list) and
    ``system_attrs_constraints:<key>`` (``trial.set_constraint``). A trial is
    feasible when every constraint value is ``<= 0`` (Optuna's rule);
    <NA> when it recorded no constraint.
    """
    if FEASIBLE in trials.columns:
        return trials[FEASIBLE].astype("boolean")
    cols = [c for c in trials.columns
            if c == CONSTRAINTS or c.startswith(CONSTRAINTS + ":")]
    n = len(trials)
    if not cols:
        return pd.Series(pd.array([pd.NA] * n, dtype="boolean"), index=trials.index,
                         name=FEASIBLE)
    worst = np.full(n, -np.inf)
    seen = np.zeros(n, dtype=bool)
    for col in cols:
        s = trials[col]
        if col == CONSTRAINTS:
            vals = s.map(_constraint_max).to_numpy(dtype=float)
        else:
            vals = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
        has = ~np.isnan(vals)
        seen |= has
        worst = np.where(has, np.maximum(worst, vals), worst)
    flag = pd.array(worst <= 0, dtype="boolean")
    flag[~seen] = pd.NA
    return pd.Series(flag, index=trials.index, name=FEASIBLE)


def _constraint_max(value: Any) -> float:
    """The largest constraint value of one ``system_attrs_constraints`` cell (NaN if none)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as err:
            raise TrialsError(
                f"Column {CONSTRAINTS!r} must hold the list of constraint values as JSON "
                f"(e.g. '[0.5, -1.0]'), got {value!r}."
            ) from err
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        vals = [float(v) for v in value]
    except (TypeError, ValueError) as err:
        raise TrialsError(
            f"Column {CONSTRAINTS!r} must hold lists of numbers (constraint values), got "
            f"{value!r}."
        ) from err
    return max(vals) if vals else -np.inf


def constraint_columns(trials: pd.DataFrame) -> list[str]:
    """The columns :func:`feasible` reads (``feasible``, else the constraint values)."""
    if FEASIBLE in trials.columns:
        return [FEASIBLE]
    return [c for c in trials.columns if c == CONSTRAINTS or c.startswith(CONSTRAINTS + ":")]
