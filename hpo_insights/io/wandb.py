"""Weights & Biases runs tables.

Three shapes (``docs/sources.md``):

- the runs table's "Export as CSV" (``wandb_export_<time>.csv``): ``Name``,
  ``State``, ``Notes``, ``User``, ``Tags``, ``Created``, ``Runtime``, ``Sweep``,
  then config and summary columns side by side (``params=`` names the config ones);
- the export W&B's docs show: a frame with ``summary`` and ``config`` columns
  holding dicts (or their text after a CSV round trip) and ``name``;
- the docs' flat variant: ``name``, config keys and summary keys side by side.

Rows are numbered oldest first: by ``Created`` when the table has it, else by the
run's start as the summary records it (``_timestamp - _runtime``). W&B's private
summary keys (``_step``, ``_runtime``, ``_timestamp``, ``_wandb``) are never
offered as objectives.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from hpo_insights import _frame as F
from hpo_insights._errors import TrialsError
from hpo_insights.io.exports import (
    metric_label,
    named_params,
    numeric_columns,
    objective_columns,
    rename_runs_table,
    select_params,
    value_columns,
)

# W&B runs-table columns that are run metadata, not params or metrics.
WANDB_META = ("Name", "State", "Notes", "User", "Tags", "Created", "Runtime", "Sweep", "ID")
# Summary keys W&B adds to every run (never an objective).
WANDB_PRIVATE = ("_step", "_runtime", "_timestamp", "_wandb")
# Columns the docs' export code may carry besides summary/config.
DOCS_META = ("name", "id", "state", "created_at", "url", "sweep", "tags", "group")


def is_private(column: str) -> bool:
    """Whether *column* is one of W&B's private summary keys (or nested under one).

    Examples
    --------
    >>> from hpo_insights.io.wandb import is_private
    >>> [is_private(c) for c in ["_step", "_wandb.runtime", "accuracy"]]
    [True, True, False]
    """
    return any(column == p or column.startswith(p + ".") for p in WANDB_PRIVATE)


def is_docs_export(columns: Sequence[str]) -> bool:
    """The docs' export: ``summary`` and ``config`` columns (dicts or their text)."""
    return {"summary", "config"} <= set(columns)


def is_runs_table(columns: Sequence[str]) -> bool:
    """The UI's CSV export (``Name``, ``State``, ``Created``) or the docs' flat export
    (``name`` and W&B's private summary columns)."""
    cols = set(columns)
    return {"Name", "State", "Created"} <= cols or (
        "name" in cols and any(is_private(c) for c in cols))


def _as_dict(value: Any, column: str, label: str) -> dict:
    """A dict cell, or its JSON / Python-literal text (``to_csv`` writes ``str(dict)``)."""
    if isinstance(value, dict):
        return value
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return {}
    if isinstance(value, str):
        for parse in (json.loads, ast.literal_eval):
            try:
                out = parse(value)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                continue
            if isinstance(out, dict):
                return out
    raise TrialsError(
        f"Column {column!r} of {label} must hold dicts (run.summary / run.config) or their "
        f"JSON text, got {str(value)[:60]!r}."
    )


def _flatten(d: dict, prefix: str = "") -> dict:
    """Nested dicts become dotted keys, as W&B's UI shows nested config and summary keys."""
    out: dict = {}
    for key, value in d.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and not (prefix == "" and key == "_wandb"):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = json.dumps(value) if isinstance(value, (dict, list)) else value
    return out


def _start_order(table: pd.DataFrame, created: str | None) -> np.ndarray:
    """Row positions oldest run first (``Created``, else summary ``_timestamp - _runtime``);
    the row order when neither is there."""
    n = len(table)
    if created is not None and created in table.columns:
        key = pd.to_datetime(table[created], utc=True, format="ISO8601", errors="coerce")
        key = key.astype("int64").where(key.notna(), np.nan).to_numpy(dtype=float)
    elif {"_timestamp", "_runtime"} <= set(table.columns):
        key = (pd.to_numeric(table["_timestamp"], errors="coerce")
               - pd.to_numeric(table["_runtime"], errors="coerce").fillna(0)).to_numpy(float)
    else:
        return np.arange(n)
    if np.isnan(key).all():
        return np.arange(n)
    return np.argsort(np.where(np.isnan(key), np.inf, key), kind="stable")


def from_docs_export(table, objective, params, label) -> pd.DataFrame:
    """W&B's docs' export: ``summary``/``config`` dict columns and ``name``."""
    table = table.drop(columns=[c for c in table.columns if str(c).startswith("Unnamed:")])
    table = table.reset_index(drop=True)
    config = pd.DataFrame.from_records(
        [_flatten({k: v for k, v in _as_dict(c, "config", label).items()
                   if not str(k).startswith("_")}) for c in table["config"]],
        index=table.index)
    summary = pd.DataFrame.from_records(
        [_flatten(_as_dict(s, "summary", label)) for s in table["summary"]], index=table.index)
    summary = summary.drop(columns=[c for c in summary.columns if c in config.columns])
    # Dict key order differs between runs: name order keeps the columns independent of rows.
    config = config[sorted(config.columns)]
    summary = summary[sorted(summary.columns)]
    wanted = select_params(params, list(config.columns), "", f"the W&B export {label}")
    metrics = [c for c in summary.columns if not is_private(c)]
    objs = objective_columns(numeric_columns(summary, metrics), objective, "", label,
                       metrics)
    out = pd.DataFrame(index=table.index)
    for col in [c for c in table.columns if c not in ("summary", "config")]:
        if col == "state":
            out[F.STATE] = table[col]
        else:
            out[F.USER_ATTR_PREFIX + col] = table[col]
    for col, new in value_columns(objs, "").items():
        out[new] = pd.to_numeric(summary[col], errors="coerce")
    for col in wanted:
        out[F.PARAM_PREFIX + col] = config[col]
    for col in summary.columns:
        if col not in objs:
            out[F.USER_ATTR_PREFIX + col] = summary[col]
    if "state" in table.columns:
        out = _mask_failed(out, objs)
    if "created_at" in table.columns:
        order = _start_order(table, "created_at")
    else:
        order = _start_order(summary, None)
    out = out.iloc[order].reset_index(drop=True)
    out["study_metric_name"] = metric_label(objs, "")
    return out


def _mask_failed(out: pd.DataFrame, objs: list[str]) -> pd.DataFrame:
    failed = out[F.STATE].astype("str").str.lower().isin(
        ["failed", "crashed", "killed"]).to_numpy()
    for col in value_columns(objs, "").values():
        out[col] = out[col].mask(failed)  # a FAIL trial holds no value, as in Optuna
    return out


def from_runs_table(table, objective, params, label) -> pd.DataFrame:
    """The runs table's CSV export, or the docs' flat export (``params=`` required)."""
    table = table.drop(columns=[c for c in table.columns if str(c).startswith("Unnamed:")])
    cols = list(table.columns)
    meta = {"State", "state", F.STUDY, F.NUMBER, *WANDB_META, *DOCS_META}
    wanted = named_params(
        params, cols, label,
        f"Cannot tell the parameters of the W&B runs table {label}: config and summary "
        "columns stand side by side. Pass params=[...] naming the config columns among: "
        f"{', '.join(c for c in cols if c not in meta and not is_private(c))}.",
    )
    others = [c for c in cols if c not in wanted and c not in meta and not is_private(c)]
    objs = objective_columns(numeric_columns(table, others), objective, "", label, others)
    out = rename_runs_table(table, wanted, objs, ("State", "state"), WANDB_META)
    if F.STATE in out.columns:
        out = _mask_failed(out, objs)
    out = out.iloc[_start_order(table, "Created" if "Created" in cols else None)]
    out = out.reset_index(drop=True)
    out["study_metric_name"] = metric_label(objs, "")
    return out
