"""Learning curves as matrices: the shared door of the curve analyses.

A *curves frame* is what :func:`hpo_insights.load_curves` returns: one row per
(study, trial, step) with columns ``study, number, state, step, value``. The
curve analyses (:mod:`hpo_insights.fidelity`, :mod:`hpo_insights.pruning`)
check it here and turn each study into a trials × steps matrix.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hpo_insights import _frame as F
from hpo_insights import _guard
from hpo_insights._errors import TrialsError

COLUMNS = (F.STUDY, F.NUMBER, F.STATE, "step", F.VALUE)


@dataclass(frozen=True)
class Block:
    """One study's curves: ``values[i, j]`` is trial ``numbers[i]`` at ``steps[j]``.

    ``reported[i, j]`` says whether that trial reported that step (a reported
    value may be NaN); ``values`` is NaN where nothing was reported. Rows are
    in trial-number order, columns in step order.
    """

    study: Any
    numbers: np.ndarray
    states: np.ndarray
    steps: np.ndarray
    values: np.ndarray
    reported: np.ndarray

    def last_index(self) -> np.ndarray:
        """Column of each trial's last reported step (-1 for none)."""
        s = self.reported.shape[1]
        rev = self.reported[:, ::-1]
        return np.where(rev.any(axis=1), s - 1 - rev.argmax(axis=1), -1)

    def final(self) -> np.ndarray:
        """Each trial's value at its last reported step."""
        last = self.last_index()
        out = self.values[np.arange(len(last)), np.maximum(last, 0)]
        return np.where(last >= 0, out, np.nan)


def check(curves: Any, name: str = "curves") -> pd.DataFrame:
    """Return *curves* if it is a curves frame, else raise a clear error."""
    if not isinstance(curves, pd.DataFrame):
        raise TypeError(
            f"{name} must be a pandas DataFrame of learning curves (hi.load_curves(...)), got "
            f"{type(curves).__name__} instead."
        )
    missing = [c for c in COLUMNS if c not in curves.columns]
    if missing:
        raise TrialsError(
            f"The {name} frame has no {', '.join(repr(c) for c in missing)} column"
            f"{'s' if len(missing) > 1 else ''}. Learning curves need the columns "
            f"{', '.join(COLUMNS)}: read them with hi.load_curves(source)."
        )
    if len(curves) == 0:
        raise TrialsError(
            f"The {name} frame is empty: no trial reported an intermediate value "
            "(trial.report(value, step))."
        )
    step = curves["step"]
    if not pd.api.types.is_numeric_dtype(step) or pd.api.types.is_bool_dtype(step) \
            or step.isna().any() or not np.all(np.asarray(step, dtype=float) % 1 == 0):
        raise TrialsError(
            f"The 'step' column of {name} must hold whole numbers (the step given to "
            "trial.report); it holds missing or non-integer values."
        )
    value = curves[F.VALUE]
    if pd.api.types.is_bool_dtype(value) or not pd.api.types.is_numeric_dtype(value):
        raise TrialsError(
            f"The 'value' column of {name} must be numeric (the reported intermediate "
            f"values), got dtype {value.dtype}."
        )
    return curves


def blocks(curves: pd.DataFrame, studies: Any = None) -> Iterator[Block]:
    """One :class:`Block` per study, in order of first appearance."""
    curves = F.select_studies(curves, studies)
    study = curves[F.STUDY]
    first = study.iloc[0]
    if bool((study == first).all()):  # one study: no factorizing of the names
        codes, names = np.zeros(len(study), dtype=np.intp), [first]
    else:
        codes, names = pd.factorize(study, sort=False)
    number = curves[F.NUMBER].to_numpy(dtype=np.int64)
    step = curves["step"].to_numpy(dtype=np.int64)
    value = curves[F.VALUE].to_numpy(dtype=float)
    order = np.lexsort((step, number, codes))
    if len(order) > 1 and not (np.diff(order) > 0).all():
        codes, number, step, value = (a[order] for a in (codes, number, step, value))
    else:
        order = None
    same = (np.diff(codes) == 0) & (np.diff(number) == 0) & (np.diff(step) == 0)
    if same.any():
        raise TrialsError(
            "The curves hold two values for one (study, number, step): a curve has one value "
            "per step. Drop the duplicates (curves.drop_duplicates(['study', 'number', "
            "'step'], keep='last'))."
        )
    states = curves[F.STATE]
    bounds = np.flatnonzero(np.diff(codes)) + 1
    for sl in np.split(np.arange(len(codes)), bounds):
        if not len(sl):
            continue
        nums, ti = np.unique(number[sl], return_inverse=True)
        steps, si = np.unique(step[sl], return_inverse=True)
        vals = np.full((len(nums), len(steps)), np.nan)
        rep = np.zeros((len(nums), len(steps)), dtype=bool)
        vals[ti, si] = value[sl]
        rep[ti, si] = True
        firsts = sl[np.r_[0, np.flatnonzero(np.diff(number[sl])) + 1]]
        rows = firsts if order is None else order[firsts]
        state = states.iloc[rows].astype(str).to_numpy(dtype=object)
        yield Block(names[codes[sl[0]]], nums, state, steps, vals, rep)

def direction(direction: Any, study: Any) -> str:
    """The direction of *study* from ``direction=`` (a string or a mapping study → direction)."""
    d = _guard.direction(direction)
    if isinstance(d, Mapping):
        d = d.get(study)
    if d is None:
        raise TrialsError(
            f"No direction for study {study!r}: learning curves do not record whether the "
            "objective is maximized. Pass direction='maximize' or 'minimize' (or a mapping "
            "study -> direction)."
        )
    return d
