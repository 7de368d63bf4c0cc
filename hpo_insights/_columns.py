"""Which column holds what: parameters, objectives, groups and distributions.

The resolvers every analysis uses to turn ``params=``, ``objective=`` and ``by=``
into column names, so that each argument means the same everywhere.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pandas as pd

from hpo_insights._errors import TrialsError
from hpo_insights._schema import (
    DISTRIBUTION_PREFIX,
    PARAM_PREFIX,
    STUDY,
    STUDY_ATTR_PREFIX,
    VALUE,
    VALUES_PREFIX,
)

__all__ = [
    "check_by",
    "distribution",
    "group_column",
    "group_labels",
    "numeric_objective",
    "objective_column",
    "objective_columns",
    "param_column",
    "param_columns",
    "param_names",
    "parse_distribution",
]


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
    parsed = parse_distribution(first)
    if parsed is None or not isinstance(parsed.get("attributes", {}), dict):
        raise TrialsError(
            f"Column {col!r} must hold Optuna distribution JSON ({{\"name\": ..., "
            f"\"attributes\": {{...}}}}), got {first!r}."
        )
    return parsed


def parse_distribution(text: Any) -> dict | None:
    if isinstance(text, dict):
        return text
    try:
        d = json.loads(text)
    except (TypeError, ValueError):
        return None
    return d if isinstance(d, dict) else None

