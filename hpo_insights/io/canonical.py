"""The canonical trials frame: dtypes, column order, state names, study selection.

Every reader in :mod:`hpo_insights.io` renames its source into the trials-frame
columns and hands the result to :func:`finish`, which normalises it the same way
for all sources (``docs/trials-frame.md``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from hpo_insights import _frame as F
from hpo_insights._errors import TrialsError

# Every state spelling we know, case-insensitive, mapped to Optuna's names.
STATE_MAP = {
    "complete": "COMPLETE",
    "pruned": "PRUNED",
    "fail": "FAIL",
    "running": "RUNNING",
    "waiting": "WAITING",
    # MLflow run status
    "finished": "COMPLETE",
    "failed": "FAIL",
    "killed": "FAIL",
    "scheduled": "WAITING",
    # W&B run state
    "crashed": "FAIL",
}


_GROUP_ORDER = (
    F.VALUE,
    F.VALUES_PREFIX,
    F.DATETIME_START,
    F.DATETIME_COMPLETE,
    F.DURATION,
    F.PARAM_PREFIX,
    F.DISTRIBUTION_PREFIX,
    F.USER_ATTR_PREFIX,
    F.SYSTEM_ATTR_PREFIX,
    F.DIRECTION,
    "study_metric_name",
    F.STUDY_ATTR_PREFIX,
)


def as_list(x: str | Sequence[str] | None) -> list[str] | None:
    if x is None:
        return None
    return [x] if isinstance(x, str) else list(x)


def json_text(value: Any) -> Any:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, default=str)
    return value


def selected_studies(names: list[str], study: str | Sequence[str] | None, label: str) -> list[str]:
    if study is None:
        return names
    wanted = [study] if isinstance(study, str) else list(study)
    unknown = [s for s in wanted if s not in names]
    if unknown:
        raise TrialsError(
            f"Unknown study {', '.join(repr(s) for s in unknown)} in {label}. Studies there: "
            f"{', '.join(repr(n) for n in names) if names else '(none)'}. "
            "Pass studies= with names from this list."
        )
    return list(dict.fromkeys(wanted))


def _column_rank(col: str) -> int:
    if col == F.STUDY:
        return 0
    if col == F.NUMBER:
        return 1
    if col == F.STATE:
        return 2
    for k, prefix in enumerate(_GROUP_ORDER):
        if col == prefix or (prefix.endswith("_") and col.startswith(prefix)):
            return 3 + k
    return 3 + len(_GROUP_ORDER)


def _to_numeric_if_all(values: pd.Series) -> pd.Series:
    """Numbers stored as text (CSV, MLflow) become numbers when every value parses."""
    if F.is_numeric_param(values) or pd.api.types.is_bool_dtype(values):
        return values
    present = values.dropna()
    if present.empty or not present.map(lambda v: isinstance(v, str)).all():
        return values
    if pd.to_numeric(present, errors="coerce").isna().any():
        return values
    return pd.to_numeric(values, errors="coerce")  # int64 when complete and integral


def _to_datetime(values: pd.Series, col: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values
    elif F.is_numeric_param(values):  # JSON exports store epoch milliseconds
        out = pd.to_datetime(values, unit="ms")
    else:
        try:
            out = pd.to_datetime(values, format="ISO8601")
        except (ValueError, TypeError) as err:
            try:
                out = pd.to_datetime(values, utc=True, format="ISO8601")
            except (ValueError, TypeError):
                raise TrialsError(
                    f"Column {col!r} must hold dates (ISO 8601 text or timestamps), got "
                    f"{values.dropna().iloc[0]!r}."
                ) from err
    return out.dt.as_unit("us")


def _to_timedelta(values: pd.Series) -> pd.Series:
    if pd.api.types.is_timedelta64_dtype(values):
        out = values
    elif F.is_numeric_param(values):  # JSON exports store milliseconds
        out = pd.to_timedelta(values, unit="ms")
    else:
        try:
            out = pd.to_timedelta(values)
        except (ValueError, TypeError) as err:
            raise TrialsError(
                f"Column 'duration' must hold durations such as '0 days 00:01:02', got "
                f"{values.dropna().iloc[0]!r}."
            ) from err
    return out.dt.as_unit("us")


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """Normalise dtypes and column order (idempotent)."""
    out = frame.copy()
    out[F.STUDY] = out[F.STUDY].astype("str")
    out[F.NUMBER] = _trial_numbers(out[F.NUMBER])
    out[F.STATE] = map_states(out[F.STATE])
    for col in out.columns:
        values = _column_values(out, col)
        if values is not None:
            out[col] = values
    if F.DURATION not in out.columns and {F.DATETIME_START, F.DATETIME_COMPLETE} <= set(out):
        out[F.DURATION] = out[F.DATETIME_COMPLETE] - out[F.DATETIME_START]
    order = sorted(range(len(out.columns)), key=lambda k: (_column_rank(out.columns[k]), k))
    out = out.iloc[:, order]
    # Trials by number within each study; studies keep their order of appearance.
    key = pd.factorize(out[F.STUDY])[0]
    idx = np.lexsort((out[F.NUMBER].to_numpy(), key))
    return out.iloc[idx].reset_index(drop=True)


def _trial_numbers(values: pd.Series) -> pd.Series:
    """The ``number`` column as int64, or an error naming the first value that is not one."""
    number = pd.to_numeric(values, errors="coerce")
    as_float = number.astype(float)
    wrong = number.isna() | (as_float % 1 != 0)
    if pd.api.types.is_bool_dtype(values):
        wrong[:] = True
    if wrong.any():
        bad = values.loc[wrong.to_numpy()].iloc[0]
        raise TrialsError(
            f"Column 'number' must hold integer trial numbers, got {bad!r}. "
            "Drop or fix that row."
        )
    if number.dtype != "int64":
        huge = ((number >= 2**63) | (number <= -(2**63))).to_numpy(bool)
        if huge.any():
            raise TrialsError(
                f"Column 'number' holds {values.loc[huge].iloc[0]}, too large for a "
                "64-bit integer trial number. Renumber the trials (e.g. 0, 1, 2, ...)."
            )
    return number.astype("int64")


def _column_values(out: pd.DataFrame, col: str) -> pd.Series | None:
    """Column *col* of *out* in its canonical dtype (objectives, times, params, text);
    None when it stays as it is."""
    s = out[col]
    if col == F.VALUE or col.startswith(F.VALUES_PREFIX):
        return F.numeric_objective(out, col)
    if col in (F.DATETIME_START, F.DATETIME_COMPLETE):
        return _to_datetime(s, col)
    if col == F.DURATION:
        return _to_timedelta(s)
    if col.startswith(F.PARAM_PREFIX):
        return _to_numeric_if_all(s)
    if col == F.DIRECTION:
        return s.astype("str").str.lower().where(s.notna())
    if s.dtype == object:
        return s.map(_distribution_text if col.startswith(F.DISTRIBUTION_PREFIX) else json_text)
    return None


def _distribution_text(value: Any) -> Any:
    if isinstance(value, dict):
        return json.dumps(value)
    if value is None or isinstance(value, (str, float)):
        return value
    try:
        from optuna.distributions import distribution_to_json

        return distribution_to_json(value)
    except (ImportError, AttributeError, TypeError):
        return value


def map_states(values: pd.Series) -> pd.Series:
    text = values.astype("str").str.strip()
    text = text.str.replace(r"^TrialState\.", "", regex=True).str.lower()
    mapped = text.map(STATE_MAP)
    bad = values[mapped.isna()]
    if len(bad):
        seen = sorted({str(v) for v in bad})
        raise TrialsError(
            f"Column 'state' holds values that map to no trial state: {', '.join(seen)}. "
            "Known: COMPLETE, PRUNED, FAIL, RUNNING, WAITING (any case), MLflow's FINISHED, "
            "FAILED, KILLED, SCHEDULED, W&B's finished, failed, crashed, killed, running. "
            "Fix or drop those rows."
        )
    return mapped.astype("str")


def _directions_by_study(out: pd.DataFrame, direction: Mapping, label: str) -> pd.DataFrame:
    """``direction={study: direction}``: fill each named study's direction (never contradict)."""
    present = set(out[F.STUDY])
    unknown = [s for s in direction if s not in present]
    if unknown:
        raise TrialsError(
            f"direction= names {', '.join(repr(s) for s in unknown)}, which {label} does not "
            f"hold. Studies: {', '.join(map(repr, dict.fromkeys(out[F.STUDY])))}."
        )
    recorded = out[F.DIRECTION] if F.DIRECTION in out.columns else pd.Series(
        np.nan, index=out.index, dtype=object)
    filled = recorded.astype(object).copy()
    for name, d in direction.items():
        parts = [str(x).strip().lower() for x in (d.split(",") if isinstance(d, str) else d)]
        if any(x not in F.DIRECTIONS for x in parts):
            raise TrialsError(
                f"direction[{name!r}] must be 'maximize' or 'minimize' (one per objective), got "
                f"{d!r} instead."
            )
        joined = ",".join(parts)
        rows = (out[F.STUDY] == name).to_numpy()
        clash = [r for r in recorded[rows].dropna().unique() if r != joined]
        if clash:
            raise TrialsError(
                f"direction[{name!r}]={joined!r} contradicts the direction recorded in {label} "
                f"({', '.join(clash)}). Leave that study out of direction=."
            )
        filled[rows] = joined
    out = out.copy()
    out[F.DIRECTION] = filled
    return out


def finish(
    frame: pd.DataFrame,
    study: str | Sequence[str] | None,
    direction: str | Sequence[str] | None,
    metric_name: str | None,
    label: str,
) -> pd.DataFrame:
    out = _canonical(frame)
    if study is not None:
        names = list(dict.fromkeys(out[F.STUDY]))
        wanted = selected_studies(names, study, label)
        out = out[out[F.STUDY].isin(wanted)].reset_index(drop=True)
    if isinstance(direction, Mapping):
        out = _directions_by_study(out, direction, label)
    elif direction is not None:
        dirs = [str(d).strip().lower() for d in
                (direction.split(",") if isinstance(direction, str) else direction)]
        bad = [d for d in dirs if d not in F.DIRECTIONS]
        if bad:
            raise TrialsError(
                f"direction must be 'maximize' or 'minimize' (one per objective), got "
                f"{direction!r} instead."
            )
        joined = ",".join(dirs)
        if F.DIRECTION in out.columns:
            recorded = out[F.DIRECTION].dropna().unique()
            clash = [d for d in recorded if d != joined]
            if clash:
                raise TrialsError(
                    f"direction={joined!r} contradicts the direction recorded in {label} "
                    f"({', '.join(clash)}). Drop direction= to use the recorded one."
                )
            out[F.DIRECTION] = out[F.DIRECTION].fillna(joined)
        else:
            out[F.DIRECTION] = joined
    if metric_name is not None:
        out["study_metric_name"] = str(metric_name)
    constrained = F.FEASIBLE not in out.columns and bool(F.constraint_columns(out))
    if constrained:  # Optuna's rule: feasible when every constraint value is <= 0
        out[F.FEASIBLE] = F.feasible(out)
    if direction is not None or metric_name is not None or constrained:
        order = sorted(range(len(out.columns)), key=lambda k: (_column_rank(out.columns[k]), k))
        out = out.iloc[:, order]
    return out
