"""The trials-frame schema: column names, states, directions, the required columns.

A *trials frame* is a :class:`pandas.DataFrame` with one row per trial, in
Optuna's ``Study.trials_dataframe()`` convention plus study-level columns
(``docs/trials-frame.md`` documents every column). This module holds the names
every other module uses and the check that a frame has the required columns.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from hpo_insights._errors import TrialsError

__all__ = [
    "BUDGET",
    "CONSTRAINTS",
    "DATETIME_COMPLETE",
    "DATETIME_START",
    "DIRECTION",
    "DIRECTIONS",
    "DISTRIBUTION_PREFIX",
    "DURATION",
    "FEASIBLE",
    "MAX_LEVELS",
    "NONE_LEVEL",
    "NUMBER",
    "PARAM_PREFIX",
    "REQUIRED",
    "STATE",
    "STATES",
    "STUDY",
    "STUDY_ATTR_PREFIX",
    "SYSTEM_ATTR_PREFIX",
    "USER_ATTR_PREFIX",
    "VALUE",
    "VALUES_PREFIX",
    "check_frame",
    "is_numeric_param",
]


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


def is_numeric_param(values: pd.Series) -> bool:
    """True when the parameter's values are numbers (not bool, not strings)."""
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


NONE_LEVEL = "None"  # the level of a categorical choice None (distinct from "not used")
FEASIBLE = "feasible"
CONSTRAINTS = SYSTEM_ATTR_PREFIX + "constraints"
MAX_LEVELS = 1000  # more distinct values than this in a group: no share, no plot

