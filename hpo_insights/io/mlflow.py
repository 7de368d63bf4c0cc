"""MLflow runs tables (``mlflow.search_runs()``)."""

from __future__ import annotations

import pandas as pd

from hpo_insights import _frame as F
from hpo_insights.io.exports import _metric_label, _objectives, _select_params, _value_columns


def _from_mlflow(table, objective, params, label) -> pd.DataFrame:
    cols = list(table.columns)
    pcols = [c for c in cols if c.startswith("params.")]
    pcols = _select_params(params, pcols, "params.", f"the MLflow table {label}")
    metrics = [c for c in cols if c.startswith("metrics.")]
    objs = _objectives(metrics, objective, "metrics.", label, cols)
    rename = {c: F.PARAM_PREFIX + c[len("params."):] for c in pcols}
    rename.update(_value_columns(objs, "metrics."))
    rename.update({"status": F.STATE, "start_time": F.DATETIME_START,
                   "end_time": F.DATETIME_COMPLETE})
    rest = [c for c in cols if c not in rename]
    rename.update({c: F.USER_ATTR_PREFIX + c for c in rest})
    out = table.rename(columns=rename)
    for col in (F.DATETIME_START, F.DATETIME_COMPLETE):
        if col in out.columns and F.is_numeric_param(out[col]):
            out[col] = pd.to_datetime(out[col], unit="ms", utc=True)
    if F.DATETIME_START in out.columns:
        # search_runs lists the newest run first: number runs in start order.
        start = pd.to_datetime(out[F.DATETIME_START], format="ISO8601", utc=True)
        order = start.reset_index(drop=True).sort_values(kind="stable", na_position="last")
        out = out.iloc[order.index.to_numpy()].reset_index(drop=True)
    out["study_metric_name"] = _metric_label(objs, "metrics.")
    return out
