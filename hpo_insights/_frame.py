"""The trials frame, in one namespace: re-exports of the modules named after each part.

Kept so that ``from hpo_insights import _frame`` (50 modules use ``_frame.X``) works
while the code moves to the modules named after what they hold; new code imports
those directly:

- :mod:`hpo_insights._schema`: column names, states, directions, ``check_frame``;
- :mod:`hpo_insights._columns`: parameter, objective, group and distribution resolvers;
- :mod:`hpo_insights._selection`: ``studies=`` and the trials that count;
- :mod:`hpo_insights._directions`: directions and their signs;
- :mod:`hpo_insights._adapt`: parameter values as analyses compare them;
- :mod:`hpo_insights._constraints`: feasibility.
"""

from __future__ import annotations

from hpo_insights._adapt import (
    adapt,
)
from hpo_insights._columns import (
    check_by,
    distribution,
    group_column,
    group_labels,
    numeric_objective,
    objective_column,
    objective_columns,
    param_column,
    param_columns,
    param_names,
    parse_distribution,
)
from hpo_insights._constraints import (
    constraint_columns,
    feasible,
)
from hpo_insights._directions import (
    directions,
    objective_part,
    signs,
)
from hpo_insights._schema import (
    BUDGET,
    CONSTRAINTS,
    DATETIME_COMPLETE,
    DATETIME_START,
    DIRECTION,
    DIRECTIONS,
    DISTRIBUTION_PREFIX,
    DURATION,
    FEASIBLE,
    MAX_LEVELS,
    NONE_LEVEL,
    NUMBER,
    PARAM_PREFIX,
    REQUIRED,
    STATE,
    STATES,
    STUDY,
    STUDY_ATTR_PREFIX,
    SYSTEM_ATTR_PREFIX,
    USER_ATTR_PREFIX,
    VALUE,
    VALUES_PREFIX,
    check_frame,
    is_numeric_param,
)
from hpo_insights._selection import (
    completed,
    require_rows,
    select_studies,
    study_names,
    unknown_studies_message,
)

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
    "adapt",
    "check_by",
    "check_frame",
    "completed",
    "constraint_columns",
    "directions",
    "distribution",
    "feasible",
    "group_column",
    "group_labels",
    "is_numeric_param",
    "numeric_objective",
    "objective_column",
    "objective_columns",
    "objective_part",
    "param_column",
    "param_columns",
    "param_names",
    "parse_distribution",
    "require_rows",
    "select_studies",
    "signs",
    "study_names",
    "unknown_studies_message",
]
