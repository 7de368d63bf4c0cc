"""The guard at the door: small argument checkers every public function calls first.

Each checker either returns the (possibly normalised) argument or raises
before any work is done:

* :class:`TypeError` when the argument has the wrong type, naming the
  argument, the type it got and what it accepts;
* :class:`~hpo_insights.TrialsError` when the type is right but the value is
  not (a NaN threshold, an unknown choice, an empty trials frame).

:func:`frame` is the door for the trials themselves: it accepts a trials
frame, Optuna's plain ``study.trials_dataframe()`` and any other table
:func:`hpo_insights.load` reads, and returns a trials frame without ever
modifying its input (see "Frames as users hold them" and "Odd inputs" in
``docs/trials-frame.md``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from hpo_insights import _frame as F
from hpo_insights._errors import TrialsError, TrialsWarning

__all__ = [
    "boolean",
    "choice",
    "direction",
    "frame",
    "integer",
    "names",
    "real",
    "text",
]


def _got(value: Any) -> str:
    """``'abc' (str)``: the value and its type, shortened for long values."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


# --- scalars ----------------------------------------------------------------
def text(name: str, value: Any, *, optional: bool = True) -> str | None:
    """A string argument (``None`` allowed when *optional*)."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        accepts = "a string or None" if optional else "a string"
        raise TypeError(f"{name} must be {accepts}, got {_got(value)} instead.")
    return value


def names(name: str, value: Any, *, optional: bool = True) -> list[str] | None:
    """One name or a list of names (``None`` allowed when *optional*); never empty."""
    if value is None and optional:
        return None
    if isinstance(value, str):
        return [value]
    accepts = "a name (str) or a list of names" + (", or None" if optional else "")
    if isinstance(value, Mapping) or not isinstance(value, Sequence | pd.Index | np.ndarray):
        raise TypeError(f"{name} must be {accepts}, got {_got(value)} instead.")
    items = list(value)
    bad = [v for v in items if not isinstance(v, str)]
    if bad:
        raise TypeError(
            f"{name} must be {accepts}; it holds {_got(bad[0])}, which is not a name."
        )
    if not items:
        raise TrialsError(
            f"{name} is empty: pass at least one name"
            + (", or None for all." if optional else ".")
        )
    return items


def boolean(name: str, value: Any) -> bool:
    """A bool argument (numpy bools too)."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {_got(value)} instead.")
    return bool(value)


def real(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite real number, optionally within ``[low, high]`` (ends open when asked)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number, got {_got(value)} instead.")
    x = float(value)
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    left = "(" if low_open or low is None else "["
    right = ")" if high_open or high is None else "]"
    span = f"{left}{lo}, {hi}{right}"
    ok = math.isfinite(x)
    if ok and low is not None:
        ok = x > low if low_open else x >= low
    if ok and high is not None:
        ok = x < high if high_open else x <= high
    if not ok:
        raise TrialsError(f"{name} must be a finite number in {span}, got {value!r} instead.")
    return x


def integer(name: str, value: Any, *, low: int | None = None) -> int:
    """An integer (not a bool), at least *low* when given."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {_got(value)} instead.")
    if low is not None and value < low:
        raise TrialsError(f"{name} must be an integer >= {low}, got {value!r} instead.")
    return int(value)


def choice(name: str, value: Any, options: Sequence[Any]) -> Any:
    """One of *options* (compared by equality and type)."""
    for option in options:
        if type(value) is type(option) and value == option:
            return value
    raise TrialsError(
        f"{name} must be one of {', '.join(repr(o) for o in options)}, got {_got(value)} instead."
    )


def direction(value: Any) -> str | Mapping | None:
    """``None``, ``"maximize"``/``"minimize"`` (any case) or a mapping group → direction."""
    if value is None:
        return None
    if isinstance(value, str):
        d = value.strip().lower()
        if d not in F.DIRECTIONS:
            raise TrialsError(
                f"direction must be 'maximize' or 'minimize', got {value!r} instead."
            )
        return d
    if isinstance(value, Mapping):
        out = {}
        for key, d in value.items():
            if not isinstance(d, str) or d.strip().lower() not in F.DIRECTIONS:
                raise TrialsError(
                    f"direction[{key!r}] must be 'maximize' or 'minimize', got {_got(d)} instead."
                )
            out[key] = d.strip().lower()
        if not out:
            raise TrialsError("direction is an empty mapping: give a direction for each study.")
        return out
    raise TypeError(
        "direction must be 'maximize', 'minimize', a mapping study -> direction or None, got "
        f"{_got(value)} instead."
    )


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
    if isinstance(first, str) and bool((study == first).all()):  # one study: no hashing
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
