"""Column helpers shared by the readers of tools' exports (Ray Tune, MLflow, plain tables)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from hpo_insights import _frame as F
from hpo_insights._errors import TrialsError
from hpo_insights.io.canonical import as_list


def objective_columns(
    candidates: list[str], objective: str | Sequence[str] | None, prefix: str, label: str,
    columns: list[str],
) -> list[str]:
    """Resolve the objective column(s) among *candidates* (names with or without *prefix*)."""
    wanted = as_list(objective)
    if wanted is None:
        if len(candidates) == 1:
            return candidates
        raise TrialsError(
            f"Cannot tell which column of {label} is the objective: "
            + (f"candidates are {', '.join(candidates)}. " if candidates else
               "no numeric metric column found. ")
            + "Pass objective='<column>'."
        )
    out = []
    for name in wanted:
        for col in (name, prefix + name):
            if col in columns:
                out.append(col)
                break
        else:
            raise TrialsError(
                f"Unknown objective {name!r} in {label}. Metric columns: "
                f"{', '.join(candidates) if candidates else '(none)'}. Pass objective= with one "
                "of them."
            )
    return out


def value_columns(objs: list[str], prefix: str) -> dict[str, str]:
    if len(objs) == 1:
        return {objs[0]: F.VALUE}
    return {c: F.VALUES_PREFIX + c[len(prefix):] if c.startswith(prefix) else F.VALUES_PREFIX + c
            for c in objs}


def metric_label(objs: list[str], prefix: str) -> str:
    return ",".join(c[len(prefix):] if prefix and c.startswith(prefix) else c for c in objs)


def numeric_columns(table: pd.DataFrame, cols: list[str]) -> list[str]:
    return [c for c in cols if F.is_numeric_param(table[c])]


def select_params(params, available: list[str], prefix: str, where: str) -> list[str]:
    """The parameter columns of an export: all of *available*, or those *params* names
    (each given with or without the tool's *prefix*)."""
    wanted = as_list(params)
    if wanted is None:
        return available
    keep = []
    for p in wanted:
        col = p if p in available else prefix + p
        if col not in available:
            raise TrialsError(
                f"Unknown parameter {p!r} in {where}. Parameter columns: "
                f"{', '.join(available) or '(none)'}."
            )
        keep.append(col)
    return keep


def named_params(params, cols: list[str], label: str, hint: str) -> list[str]:
    """The parameter columns a plain table names with ``params=`` (all must exist)."""
    if params is None:
        raise TrialsError(hint)
    wanted = as_list(params)
    missing = [p for p in wanted if p not in cols]
    if missing:
        raise TrialsError(
            f"Unknown parameter column {', '.join(repr(m) for m in missing)} in {label}. "
            f"Columns: {', '.join(cols)}."
        )
    return wanted


def rename_runs_table(
    table: pd.DataFrame, wanted: list[str], objs: list[str], states: Sequence[str],
    meta_columns: Sequence[str],
) -> pd.DataFrame:
    """A runs table (W&B layout) renamed to the trials frame's columns.

    Parameters become ``params_<name>``, objectives ``value``/``values_<name>``, the first
    of *states* present ``state``, ``Created`` ``datetime_start``, the rest
    ``user_attrs_<name>`` (lower-cased for *meta_columns*); a numeric ``Runtime`` (seconds)
    becomes ``duration``.
    """
    cols = list(table.columns)
    rename = {c: F.PARAM_PREFIX + c for c in wanted}
    rename.update(value_columns(objs, ""))
    for cand in states:
        if cand in cols:
            rename[cand] = F.STATE
            break
    if "Created" in cols:
        rename["Created"] = F.DATETIME_START
    rest = [c for c in cols if c not in rename and c not in (F.STUDY, F.NUMBER)]
    rename.update({c: F.USER_ATTR_PREFIX + c.lower() if c in meta_columns else
                   F.USER_ATTR_PREFIX + c for c in rest})
    out = table.rename(columns=rename)
    if "Runtime" in cols and F.is_numeric_param(table["Runtime"]):
        out[F.DURATION] = pd.to_timedelta(table["Runtime"], unit="s")
    return out

