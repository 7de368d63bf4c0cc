"""Trials tables: csv/parquet/json/jsonl files, folders of them and DataFrames.

:func:`_from_table` recognises a table's shape (a trials frame or Optuna's
``trials_dataframe()``, optuna-dashboard's CSV, Ray Tune, MLflow, a plain table)
and renames it into the canonical columns.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hpo_insights import _frame as F
from hpo_insights._errors import TrialsError
from hpo_insights.io import sklearn, wandb
from hpo_insights.io.dashboard import _from_dashboard
from hpo_insights.io.exports import (
    _metric_label,
    _named_params,
    _numeric_candidates,
    _objectives,
    _rename_runs_table,
)
from hpo_insights.io.mlflow import _from_mlflow
from hpo_insights.io.ray import _from_ray
from hpo_insights.io.wandb import WANDB_META

TABLE_SUFFIXES = (".csv", ".parquet", ".pq", ".json", ".jsonl")


DEFAULT_STUDY = "trials"


def _read_table(path: Path) -> pd.DataFrame:
    """The table in *path*; an empty one (no rows) is an error naming the file."""
    table = _read_any_table(path)
    if len(table) == 0:
        raise TrialsError(
            f"The file {str(path)!r} is empty: it holds no trials (0 rows)."
        )
    return table


def _read_any_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return _read_csv(path)
        if suffix in (".parquet", ".pq"):
            try:
                import pyarrow  # noqa: F401
            except ImportError as err:
                raise TrialsError(
                    f"Reading {str(path)!r} needs pyarrow: pip install pyarrow "
                    "(or hpo-insights[dev])."
                ) from err
            return pd.read_parquet(path)
        if suffix == ".jsonl":
            if path.stat().st_size == 0 or not path.read_bytes().strip():
                return pd.DataFrame()
            return pd.read_json(path, lines=True)
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        if data is None or (isinstance(data, list | dict) and not data):
            return pd.DataFrame()
        if isinstance(data, dict) and "rows" in data and "header" in data:
            return pd.DataFrame(data["rows"], columns=data["header"])
        if isinstance(data, list):
            if not all(isinstance(r, dict) for r in data):
                kinds = sorted({type(r).__name__ for r in data if not isinstance(r, dict)})
                raise TrialsError(
                    f"Cannot read {str(path)!r} as a table: it holds a JSON list of "
                    f"{', '.join(kinds)} values, not of records. Expected records "
                    "([{\"number\": 0, ...}, ...]), columns ({\"number\": [...], ...}) or "
                    "TensorBoard's {\"header\": [...], \"rows\": [...]}."
                )
            return pd.DataFrame.from_records(data)
        if not isinstance(data, dict):
            raise TrialsError(
                f"Cannot read {str(path)!r} as a table: it holds a JSON "
                f"{type(data).__name__}, not records or columns."
            )
        return pd.DataFrame(data)
    except TrialsError:
        raise
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise TrialsError(
            f"Cannot read {str(path)!r} as a {suffix[1:]} table: {err}. Check that the file is "
            "a complete export in that format."
        ) from err


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        table = pd.read_csv(path)
    except pd.errors.EmptyDataError as err:
        raise TrialsError(f"The file {str(path)!r} is empty: expected a header and trial rows.") \
            from err
    # trials_dataframe(multi_index=True).to_csv(): two header rows, the second
    # starting with an empty cell under "number" and sub-keys under params etc.
    cols = list(table.columns)
    if (
        len(table)
        and any(re.fullmatch(r"(params|user_attrs|system_attrs|distributions)(\.\d+)?", str(c))
                for c in cols)
        and pd.isna(table.iloc[0, 0])
    ):
        table = pd.read_csv(path, header=[0, 1])
    return table


def _level_name(part: Any) -> str:
    """A MultiIndex level as text; empty for blanks and pandas' "Unnamed: ..." fillers."""
    if part is None or (isinstance(part, float) and np.isnan(part)):
        return ""
    text = str(part)
    return "" if text.startswith("Unnamed:") else text


def _flatten_columns(table: pd.DataFrame) -> pd.DataFrame:
    """(attr, key) columns -> "attr_key", as Optuna's trials_dataframe flattens them."""
    if not isinstance(table.columns, pd.MultiIndex):
        return table
    table = table.copy()
    table.columns = [
        "_".join(x for x in map(_level_name, parts) if x).lstrip("_") for parts in table.columns
    ]
    return table


def _unique_labels(table: pd.DataFrame, label: str) -> None:
    """Each column once: duplicated labels (also after renaming) are an error naming them."""
    if not table.columns.is_unique:
        dup = table.columns[table.columns.duplicated()].unique().tolist()
        raise TrialsError(
            f"{label} has duplicated column labels (as read, or after naming its columns the "
            f"trials-frame way): {', '.join(repr(c) for c in dup)}. Keep one column per name."
        )


def _from_table(
    table: pd.DataFrame,
    study: str | Sequence[str] | None,
    objective: str | Sequence[str] | None,
    params: Sequence[str] | None,
    label: str,
    *,
    default_study: str | None = None,
) -> pd.DataFrame:
    """Recognise the table's shape and rename it into the canonical columns."""
    table = _flatten_columns(table)
    table = table.rename(columns=str)
    _unique_labels(table, label)
    cols = list(table.columns)
    if "Number" in cols and "State" in cols and any(c.startswith("Param ") for c in cols):
        out = _from_dashboard(table)
    elif sklearn.is_cv_results_table(cols):
        name = study if isinstance(study, str) else default_study
        out = sklearn._from_cv_results(table, objective, label, study=name)
    elif any(c.startswith("config/") for c in cols):
        out = _from_ray(table, objective, params, label)
    elif any(c.startswith(("params.", "metrics.")) for c in cols):
        out = _from_mlflow(table, objective, params, label)
    elif wandb.is_docs_export(cols):
        out = wandb._from_docs_export(table, objective, params, label)
    elif wandb.is_runs_table(cols):
        out = wandb._from_runs_table(table, objective, params, label)
    elif any(c.startswith(F.PARAM_PREFIX) for c in cols) or (
        params is None and any(c == F.VALUE or c.startswith(F.VALUES_PREFIX) for c in cols)
    ):
        out = _from_optuna_table(table)
    else:
        out = _from_plain(table, objective, params, label)
    _unique_labels(out, label)
    if F.STUDY not in out.columns:
        name = study if isinstance(study, str) else default_study or DEFAULT_STUDY
        out.insert(0, F.STUDY, name)
    if F.NUMBER not in out.columns:
        out[F.NUMBER] = out.groupby(F.STUDY, sort=False).cumcount()
    if F.STATE not in out.columns:
        out[F.STATE] = "COMPLETE"
    return out


def _from_optuna_table(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    single = [c for c in out.columns if c.startswith("value_")]
    if F.VALUE not in out.columns and len(single) == 1 and not any(
        c.startswith(F.VALUES_PREFIX) for c in out.columns
    ):
        out = out.rename(columns={single[0]: F.VALUE})
        if "study_metric_name" not in out.columns:
            out["study_metric_name"] = single[0][len("value_"):]
    return out


def _from_plain(table, objective, params, label) -> pd.DataFrame:
    cols = list(table.columns)
    meta = {"State", "state", "status", "Status", F.STUDY, F.NUMBER, *WANDB_META}
    wanted = _named_params(
        params, cols, label,
        f"Cannot tell the parameters of {label}: it has no params_/config/ /params. columns. "
        f"Pass params=[...] naming them among: {', '.join(c for c in cols if c not in meta)}.",
    )
    others = [c for c in cols if c not in wanted and c not in meta]
    objs = _objectives(_numeric_candidates(table, others), objective, "", label, cols)
    out = _rename_runs_table(table, wanted, objs, ("State", "state", "status", "Status"),
                             WANDB_META)
    out["study_metric_name"] = _metric_label(objs, "")
    return out
