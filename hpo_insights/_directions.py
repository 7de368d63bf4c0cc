"""Which way is better: the direction of each study (or group) and its sign.

Read from ``study_direction`` (one direction per objective, comma-joined for
multi-objective studies) unless ``direction=`` gives it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from hpo_insights._columns import group_labels, objective_column
from hpo_insights._errors import TrialsError
from hpo_insights._schema import DIRECTION, DIRECTIONS, STUDY, VALUES_PREFIX

__all__ = [
    "directions",
    "objective_part",
    "signs",
]


def directions(
    trials: pd.DataFrame,
    direction: str | Mapping[Any, str] | None = None,
    by: str | None = STUDY,
    objective: str | None = None,
) -> pd.Series:
    """Direction per group (index: the *by* values; ``None`` pools into one group ``"all"``).

    An explicit *direction* wins: one direction for every group, or a mapping
    group → direction (groups it leaves out fall back to the recorded one).
    Otherwise the ``study_direction`` column is read; for a multi-objective
    study (``"minimize,maximize"``) the part matching *objective* (the
    objective column, see :func:`objective_part`). A group with no recorded
    direction, or mixed ones when pooling, is an error asking for
    ``direction=``.
    """
    keys = group_labels(trials, by)
    index_name = by or "group"
    if direction is not None and not isinstance(direction, Mapping):
        d = _checked(direction, "direction")
        return pd.Series(d, index=pd.Index(keys.unique(), name=index_name), name=DIRECTION)
    given = {key: _checked(d, f"direction[{key!r}]") for key, d in (direction or {}).items()}
    uniq = list(pd.unique(keys))
    if given and all(k in given for k in uniq):
        return pd.Series([given[k] for k in uniq], index=pd.Index(uniq, name=index_name),
                         name=DIRECTION)
    if DIRECTION not in trials.columns:
        missing = [k for k in uniq if k not in given]
        raise TrialsError(
            "The trials frame has no 'study_direction' column"
            + (f" and direction= names no direction for {', '.join(map(repr, missing[:5]))}"
               if given else "")
            + ": pass direction='maximize' or direction='minimize' (or a mapping "
            "study -> direction)."
        )
    recorded = _recorded(trials, keys, objective)
    out: dict = {}
    for key, sub in recorded["pairs"].groupby("key", sort=False, dropna=False):
        out[key] = given[key] if key in given else _group_direction(
            sub, recorded["col"], trials, by, key)
    order = [k for k in uniq if k in out]
    return pd.Series([out[k] for k in order], index=pd.Index(order, name=index_name),
                     name=DIRECTION)


def _checked(direction: Any, what: str) -> str:
    """*direction* as ``"maximize"`` or ``"minimize"``, or a TrialsError naming *what*."""
    d = str(direction).strip().lower()
    if d not in DIRECTIONS:
        shown = d if what != "direction" else direction
        raise TrialsError(f"{what} must be 'maximize' or 'minimize', got {shown!r} instead.")
    return d


def _recorded(trials: pd.DataFrame, keys: pd.Series, objective: str | None) -> dict:
    """The distinct (group, recorded direction, metric names) and the objective column."""
    multi = trials[DIRECTION].astype("string").str.contains(",").any()
    col = objective_column(trials, objective) if multi else None
    text = trials[DIRECTION].astype("string").str.lower().str.replace(" ", "", regex=False)
    metric = trials["study_metric_name"] if "study_metric_name" in trials.columns else None
    pairs = pd.DataFrame({"key": keys.to_numpy(), "dir": text.to_numpy(dtype=object),
                          "metric": None if metric is None else metric.to_numpy(dtype=object)})
    return {"pairs": pairs.drop_duplicates(), "col": col}


def _group_direction(sub: pd.DataFrame, col: str | None, trials: pd.DataFrame,
                     by: str | None, key: Any) -> str:
    """The one direction a group's recorded directions give for objective *col*."""
    vals = set()
    for d, m in zip(sub["dir"], sub["metric"], strict=True):
        if isinstance(d, str):
            vals.add(objective_part(d, col, m, trials))
    vals = sorted(v for v in vals if v is not None) + [None] * (None in vals)
    if len(vals) != 1 or vals[0] not in DIRECTIONS:
        shown = sorted({d for d in sub["dir"] if isinstance(d, str)})
        raise TrialsError(
            f"Cannot tell the direction of {by or 'the pooled trials'} {key!r} "
            f"for objective {col!r} (study_direction holds {shown or 'nothing'}): pass "
            "direction='maximize' or direction='minimize' (or a mapping study -> "
            "direction)."
        )
    return vals[0]


def objective_part(direction: str, column: str | None, metric_names: Any,
                   trials: pd.DataFrame) -> str | None:
    """The direction of objective *column* in one study's ``study_direction`` text.

    A single direction applies to any objective. With several
    (``"minimize,maximize"``), ``values_<name>`` picks the part at the
    position of ``<name>`` in ``study_metric_name`` (comma-joined), else
    ``<name>`` read as a 0-based index, else the column's position among
    the frame's ``values_`` columns. ``None`` when it cannot be told.
    """
    parts = [p.strip() for p in direction.split(",")]
    if len(parts) == 1:
        return parts[0]
    if column is None or not column.startswith(VALUES_PREFIX):
        return None
    name = column[len(VALUES_PREFIX):]
    if isinstance(metric_names, str):
        names = [n.strip() for n in metric_names.split(",")]
        if name in names and len(names) == len(parts):
            return parts[names.index(name)]
    if name.isdigit() and int(name) < len(parts):
        return parts[int(name)]
    cols = [c for c in trials.columns if c.startswith(VALUES_PREFIX)]
    if len(cols) == len(parts):
        return parts[cols.index(column)]
    return None


def signs(
    trials: pd.DataFrame,
    direction: str | Mapping[Any, str] | None,
    by: str | None,
    groups: pd.Index,
    objective: str | None = None,
) -> tuple[np.ndarray, list[str]]:
    """+1 (maximize) or -1 (minimize) per group of *groups*, and the direction names.

    *objective* picks the matching part of a multi-objective ``study_direction``;
    *direction* may be a mapping group → direction (see :func:`directions`).
    """
    names = _fast_directions(trials, direction, groups)
    if names is None:  # the general path (and its error messages)
        dirs = directions(trials, direction, by, objective=objective)
        if by is None:
            names = [str(dirs.iloc[0])] * len(groups)
        else:
            known = dict(zip(dirs.index, dirs.to_numpy(), strict=True))
            missing = [g for g in groups if g not in known]
            if missing:  # a group whose direction cannot be told (e.g. a missing key)
                raise TrialsError(
                    f"Cannot tell the direction of {by} {missing[0]!r}: pass direction=."
                )
            names = [str(known[g]) for g in groups]
    return np.array([1.0 if d == "maximize" else -1.0 for d in names]), names


def _fast_directions(
    trials: pd.DataFrame, direction: str | None, groups: pd.Index
) -> list[str] | None:
    """Directions per group without a string groupby, or None to defer to :func:`directions`."""
    if direction is not None or DIRECTION not in trials.columns:
        return None
    col = trials[DIRECTION]
    first = col.iloc[0] if len(col) else None
    if isinstance(first, str) and first.lower() in DIRECTIONS:
        if bool((col == first).all()):
            return [first.lower()] * len(groups)
    return None

