"""Column helpers shared by the readers of tools' exports (Ray Tune, MLflow, plain tables)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from hpo_insights import _frame as F
from hpo_insights._errors import TrialsError
from hpo_insights.io.canonical import _as_list


def _objectives(
    candidates: list[str], objective: str | Sequence[str] | None, prefix: str, label: str,
    columns: list[str],
) -> list[str]:
    """Resolve the objective column(s) among *candidates* (names with or without *prefix*)."""
    wanted = _as_list(objective)
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


def _value_columns(objs: list[str], prefix: str) -> dict[str, str]:
    if len(objs) == 1:
        return {objs[0]: F.VALUE}
    return {c: F.VALUES_PREFIX + c[len(prefix):] if c.startswith(prefix) else F.VALUES_PREFIX + c
            for c in objs}


def _metric_label(objs: list[str], prefix: str) -> str:
    return ",".join(c[len(prefix):] if prefix and c.startswith(prefix) else c for c in objs)


def _numeric_candidates(table: pd.DataFrame, cols: list[str]) -> list[str]:
    return [c for c in cols if F.is_numeric_param(table[c])]


def _select_params(params, available: list[str], prefix: str, where: str) -> list[str]:
    """The parameter columns of an export: all of *available*, or those *params* names
    (each given with or without the tool's *prefix*)."""
    wanted = _as_list(params)
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
