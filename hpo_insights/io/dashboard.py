"""optuna-dashboard's CSV download."""

from __future__ import annotations

import pandas as pd

from hpo_insights import _frame as F


def from_dashboard(table: pd.DataFrame) -> pd.DataFrame:
    """optuna-dashboard's CSV download: Number, State, objectives, Param <name>, UserAttribute."""
    cols = list(table.columns)
    rename = {"Number": F.NUMBER, "State": F.STATE}
    rename.update({c: F.PARAM_PREFIX + c[len("Param "):] for c in cols if c.startswith("Param ")})
    rename.update({c: F.USER_ATTR_PREFIX + c[len("UserAttribute "):] for c in cols
                   if c.startswith("UserAttribute ")})
    objs = [c for c in cols if c not in rename]
    if len(objs) == 1:
        rename[objs[0]] = F.VALUE
    else:
        rename.update({c: F.VALUES_PREFIX + c.removeprefix("Objective ") for c in objs})
    out = table.rename(columns=rename)
    if objs and objs != ["Value"] and not all(c.startswith("Objective ") for c in objs):
        out["study_metric_name"] = ",".join(objs)
    return out
