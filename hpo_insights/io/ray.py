"""Ray Tune results tables (``ResultGrid.get_dataframe()``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hpo_insights import _frame as F
from hpo_insights.io.exports import (
    _metric_label,
    _numeric_candidates,
    _objectives,
    _select_params,
    _value_columns,
)

# Columns Ray Tune adds to every result row (not metrics chosen by the user).
RAY_AUTO = (
    "trial_id",
    "training_iteration",
    "time_total_s",
    "time_this_iter_s",
    "timestamp",
    "date",
    "done",
    "pid",
    "hostname",
    "node_ip",
    "time_since_restore",
    "iterations_since_restore",
    "timesteps_total",
    "episodes_total",
    "timesteps_since_restore",
    "experiment_id",
    "experiment_tag",
    "logdir",
    "should_checkpoint",
    "checkpoint_dir_name",
)


def _from_ray(table, objective, params, label) -> pd.DataFrame:
    cols = list(table.columns)
    config = [c for c in cols if c.startswith("config/")]
    config_params = _select_params(params, config, "config/", f"the Ray Tune table {label}")
    metrics = [c for c in cols if not c.startswith("config/") and c not in RAY_AUTO]
    objs = _objectives(_numeric_candidates(table, metrics), objective, "", label, metrics)
    rename = {c: F.PARAM_PREFIX + c[len("config/"):] for c in config_params}
    rename.update(_value_columns(objs, ""))
    rest = [c for c in cols if c not in rename]
    rename.update({c: F.USER_ATTR_PREFIX + c for c in rest})
    out = table.rename(columns=rename)
    if "done" in table.columns:
        done = table["done"].astype("boolean")
        out[F.STATE] = np.where(done.fillna(False).to_numpy(), "COMPLETE", "RUNNING")
    if "timestamp" in table.columns and F.is_numeric_param(table["timestamp"]):
        out[F.DATETIME_COMPLETE] = pd.to_datetime(table["timestamp"], unit="s")
        if "time_total_s" in table.columns:
            out[F.DURATION] = pd.to_timedelta(table["time_total_s"], unit="s")
            out[F.DATETIME_START] = out[F.DATETIME_COMPLETE] - out[F.DURATION]
    out["study_metric_name"] = _metric_label(objs, "")
    return out
