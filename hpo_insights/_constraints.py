"""Constraints and feasibility, by Optuna's rule (every constraint value ``<= 0``)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from hpo_insights._errors import TrialsError
from hpo_insights._schema import CONSTRAINTS, FEASIBLE

__all__ = [
    "constraint_columns",
    "feasible",
]


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

