"""Tables: whose export a DataFrame (or a table file) is, and its trials-frame columns.

:func:`from_table` finds the first reader of :data:`TABLE_READERS` that accepts the
table (a trials frame or Optuna's ``trials_dataframe()``, optuna-dashboard's CSV,
Ray Tune, MLflow, W&B, a plain table) and renames it into the canonical columns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pandas as pd

from hpo_insights import _frame as F
from hpo_insights._errors import TrialsError
from hpo_insights.io import ax, sklearn, wandb
from hpo_insights.io.dashboard import from_dashboard
from hpo_insights.io.exports import (
    metric_label,
    named_params,
    numeric_columns,
    objective_columns,
    rename_runs_table,
)
from hpo_insights.io.files import flatten_columns
from hpo_insights.io.mlflow import from_mlflow_table
from hpo_insights.io.ray import from_ray_table
from hpo_insights.io.readers import Reader, Request
from hpo_insights.io.wandb import WANDB_META

DEFAULT_STUDY = "trials"


def _unique_labels(table: pd.DataFrame, label: str) -> None:
    """Each column once: duplicated labels (also after renaming) are an error naming them."""
    if not table.columns.is_unique:
        dup = table.columns[table.columns.duplicated()].unique().tolist()
        raise TrialsError(
            f"{label} has duplicated column labels (as read, or after naming its columns the "
            f"trials-frame way): {', '.join(repr(c) for c in dup)}. Keep one column per name."
        )


def _from_dashboard(table: pd.DataFrame, request: Request) -> pd.DataFrame:
    return from_dashboard(table)


def _from_cv_results(table: pd.DataFrame, request: Request) -> pd.DataFrame:
    return sklearn.from_cv_results(table, request.objective, request.label,
                                   study=request.studies)


def _from_ray(table: pd.DataFrame, request: Request) -> pd.DataFrame:
    return from_ray_table(table, request.objective, request.params, request.label)


def _from_mlflow(table: pd.DataFrame, request: Request) -> pd.DataFrame:
    return from_mlflow_table(table, request.objective, request.params, request.label)


def _from_wandb_docs(table: pd.DataFrame, request: Request) -> pd.DataFrame:
    return wandb.from_docs_export(table, request.objective, request.params, request.label)


def _from_wandb_runs(table: pd.DataFrame, request: Request) -> pd.DataFrame:
    return wandb.from_runs_table(table, request.objective, request.params, request.label)


def _is_dashboard(table: pd.DataFrame) -> bool:
    cols = list(table.columns)
    return "Number" in cols and "State" in cols and any(c.startswith("Param ") for c in cols)


def _has_prefix(*prefixes: str) -> Callable[[pd.DataFrame], bool]:
    return lambda table: any(c.startswith(prefixes) for c in table.columns)


def _is_optuna_table(table: pd.DataFrame) -> bool:
    return any(c.startswith(F.PARAM_PREFIX) or c == F.VALUE or c.startswith(F.VALUES_PREFIX)
               for c in table.columns)


def _from_optuna_table(table: pd.DataFrame, request: Request) -> pd.DataFrame:
    """A trials frame or ``trials_dataframe()``; with ``value`` but no ``params_*`` column
    and ``params=`` given, a plain table that has a column named ``value``."""
    if request.params is not None and not any(c.startswith(F.PARAM_PREFIX) for c in table.columns):
        return _from_plain(table, request)
    out = table.copy()
    single = [c for c in out.columns if c.startswith("value_")]
    if F.VALUE not in out.columns and len(single) == 1 and not any(
        c.startswith(F.VALUES_PREFIX) for c in out.columns
    ):
        out = out.rename(columns={single[0]: F.VALUE})
        if "study_metric_name" not in out.columns:
            out["study_metric_name"] = single[0][len("value_"):]
    return out


def _from_plain(table: pd.DataFrame, request: Request) -> pd.DataFrame:
    objective, params, label = request.objective, request.params, request.label
    cols = list(table.columns)
    meta = {"State", "state", "status", "Status", F.STUDY, F.NUMBER, *WANDB_META}
    wanted = named_params(
        params, cols, label,
        f"Cannot tell the parameters of {label}: it has no params_/config/ /params. columns. "
        f"Pass params=[...] naming them among: {', '.join(c for c in cols if c not in meta)}.",
    )
    others = [c for c in cols if c not in wanted and c not in meta]
    objs = objective_columns(numeric_columns(table, others), objective, "", label, cols)
    out = rename_runs_table(table, wanted, objs, ("State", "state", "status", "Status"),
                             WANDB_META)
    out["study_metric_name"] = metric_label(objs, "")
    return out


#: The shapes of a table :func:`from_table` recognises, in order; the first whose
#: ``accepts(table)`` is true renames it (``read(table, request)``). Readers see the
#: table with flat string column labels, and ``request.studies`` is the name of the
#: study the table is when it has no ``study`` column (``None``: not given); they may
#: leave out ``study``, ``number`` and ``state`` (then: that name or ``"trials"``, row
#: order, ``COMPLETE``). The last reader accepts every table.
def _from_ax_summary(table: pd.DataFrame, request: Request) -> pd.DataFrame:
    return ax.from_summary(table, request.objective, request.params, request.label)


TABLE_READERS: list[Reader] = [
    Reader("optuna-dashboard CSV", _is_dashboard, _from_dashboard),
    Reader("scikit-learn cv_results_ table",
           lambda t: sklearn.is_cv_results_table(list(t.columns)), _from_cv_results),
    Reader("Ax summarize() / exp_to_df table",
           lambda t: ax.is_summary_table(list(t.columns)), _from_ax_summary),
    Reader("Ray Tune results table", _has_prefix("config/"), _from_ray),
    Reader("MLflow search_runs() table", _has_prefix("params.", "metrics."), _from_mlflow),
    Reader("W&B export (summary, config)", lambda t: wandb.is_docs_export(list(t.columns)),
           _from_wandb_docs),
    Reader("W&B runs table", lambda t: wandb.is_runs_table(list(t.columns)), _from_wandb_runs),
    Reader("trials frame / Optuna trials_dataframe()", _is_optuna_table, _from_optuna_table),
    Reader("plain table (params= names its parameters)", lambda table: True, _from_plain),
]


def from_table(table: pd.DataFrame, request: Request, *, name: str | None) -> pd.DataFrame:
    """Recognise the table's shape (:data:`TABLE_READERS`) and rename it into the trials
    frame's columns; a table without a ``study`` column is the study *name* (``None``:
    the reader's default, else ``"trials"``)."""
    table = flatten_columns(table)
    table = table.rename(columns=str)
    _unique_labels(table, request.label)
    reader = next(r for r in TABLE_READERS if r.accepts(table))
    out = reader.read(table, replace(request, studies=name))
    _unique_labels(out, request.label)
    if F.STUDY not in out.columns:
        out.insert(0, F.STUDY, name or DEFAULT_STUDY)
    if F.NUMBER not in out.columns:
        out[F.NUMBER] = out.groupby(F.STUDY, sort=False).cumcount()
    if F.STATE not in out.columns:
        out[F.STATE] = "COMPLETE"
    return out
