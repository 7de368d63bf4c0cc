"""The guard at the door: the trials frame and the argument checkers every public function
calls first.

The argument checkers live in :mod:`hpo_insights._arguments` and are re-exported
here, so an analysis asks one module (``_guard.real(...)``, ``_guard.frame(...)``).
:func:`frame` is the door for the trials themselves: it accepts a trials
frame, Optuna's plain ``study.trials_dataframe()`` and any other table
:func:`hpo_insights.load` reads, and returns a trials frame without ever
modifying its input (see "Frames as users hold them" and "Odd inputs" in
``docs/trials-frame.md``).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from hpo_insights import _frame as F
from hpo_insights import _strings
from hpo_insights._arguments import boolean, choice, direction, integer, names, real, seed, text
from hpo_insights._errors import TrialsError, TrialsWarning

__all__ = [
    "boolean",
    "choice",
    "direction",
    "frame",
    "integer",
    "names",
    "real",
    "seed",
    "text",
]


# --- the trials frame ---------------------------------------------------------
def frame(trials: Any, *, name: str = "trials") -> pd.DataFrame:
    """The trials to analyse, as a trials frame, or a clear error.

    Accepts a trials frame (returned as is when nothing needs adapting),
    Optuna's plain ``study.trials_dataframe()`` (one study, named
    ``"trials"`` as :func:`hpo_insights.load` names it) and any other
    DataFrame :func:`hpo_insights.load` reads. Never modifies *trials*.

    Raises
    ------
    TypeError
        *trials* is not a DataFrame.
    TrialsError
        Duplicated column labels, an empty frame, a table :func:`load`
        cannot read.
    """
    if not isinstance(trials, pd.DataFrame):
        raise TypeError(
            f"{name} must be a pandas DataFrame (a trials frame), got {type(trials).__name__} "
            "instead. Build one with hi.load(...) or hi.from_optuna(...)."
        )
    cols = trials.columns
    if isinstance(cols, pd.MultiIndex) or not all(isinstance(c, str) for c in cols):
        return _via_load(trials, name, why="its column labels are not plain strings")
    if not cols.is_unique:
        dup = cols[cols.duplicated()].unique().tolist()
        raise TrialsError(
            f"{name} has duplicated column labels: {', '.join(repr(c) for c in dup)}. "
            "Each column must appear once: drop or rename the copies "
            "(e.g. trials.loc[:, ~trials.columns.duplicated()])."
        )
    if len(trials) == 0:
        raise TrialsError(
            f"{name} is empty (0 rows): there are no trials to analyse. Check the source it "
            "came from (an empty storage, file or filter)."
        )
    missing = [c for c in F.REQUIRED if c not in cols]
    if missing:
        optuna_shaped = any(c.startswith(F.PARAM_PREFIX) for c in cols) or bool(
            F.objective_columns(trials))
        if optuna_shaped and missing != [F.STUDY]:
            # A trials frame that lost 'number' or 'state': an error, not a guess that
            # every row is a COMPLETE trial (hi.load(frame) makes that guess on request).
            F.check_frame(trials)
        return _via_load(trials, name, why="it has no " + ", ".join(
            repr(c) for c in missing) + " column")
    _check_numbers(trials, name)
    return F.adapt(trials)


def _check_numbers(trials: pd.DataFrame, name: str) -> None:
    """Trial numbers are integers that fit int64; duplicates within a study warn."""
    num = trials[F.NUMBER]
    values = num.to_numpy()
    if values.dtype.kind not in "iu" or values.dtype == np.uint64:
        as_num = pd.to_numeric(num, errors="coerce")
        x = as_num.to_numpy(dtype=float, na_value=np.nan)
        bad = np.isnan(x) | (x != np.round(x)) | (np.abs(x) >= 2.0**63)
        if pd.api.types.is_bool_dtype(num):
            bad[:] = True
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise TrialsError(
                f"Column 'number' of {name} must hold integer trial numbers that fit int64, "
                f"got {num.iloc[k]!r} (row {k}) and {int(bad.sum()) - 1} more. Number the "
                "trials 0, 1, 2 ... within each study."
            )
        values = x.astype(np.int64)
    study = trials[F.STUDY]
    first = study.iloc[0]
    if isinstance(first, str) and _strings.all_equal(study, first):  # one study: no hashing
        if bool(np.all(values[1:] > values[:-1])):
            return  # increasing numbers in one study: no duplicate
        codes = np.zeros(len(study), dtype=np.intp)
    else:
        codes = pd.factorize(study, use_na_sentinel=False)[0]
    change = codes[1:] != codes[:-1]
    ordered = bool(np.all((np.diff(values) > 0) | change))
    if ordered and int(change.sum()) + 1 == int(codes.max(initial=0)) + 1:
        return  # each study's rows are together with increasing numbers: no duplicate
    dup = pd.DataFrame({"s": codes, "n": values}).duplicated(keep=False).to_numpy()
    if dup.any():
        k = int(np.flatnonzero(dup)[0])
        warnings.warn(
            f"Duplicate trial numbers: {int(dup.sum())} trials of {name} share their (study, "
            f"number) with another trial (e.g. study {trials[F.STUDY].iloc[k]!r}, number "
            f"{values[k]}): each row is "
            "analysed as its own trial. hi.validate lists them; give the trials of a study "
            "distinct numbers, or trials of different studies distinct study names.",
            TrialsWarning,
            stacklevel=3,
        )


def _via_load(trials: pd.DataFrame, name: str, *, why: str) -> pd.DataFrame:
    """Read a table that is not (yet) a trials frame the way hi.load reads a DataFrame."""
    from hpo_insights.io import load

    try:
        out = load(trials)
    except TrialsError as err:
        raise TrialsError(
            f"{name} is not a trials frame ({why}), and hi.load could not read it as another "
            f"tool's table either: {err}"
        ) from err
    return F.adapt(out)
