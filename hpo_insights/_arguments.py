"""Argument checkers: small functions every public function calls first.

Each checker either returns the (possibly normalised) argument or raises
before any work is done:

* :class:`TypeError` when the argument has the wrong type, naming the
  argument, the type it got and what it accepts;
* :class:`~hpo_insights.TrialsError` when the type is right but the value is
  not (a NaN threshold, an unknown choice, an empty list of names).

The trials themselves go through :func:`hpo_insights._guard.frame`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from hpo_insights import _frame as F
from hpo_insights._errors import TrialsError

__all__ = ["boolean", "choice", "direction", "integer", "names", "real", "seed", "text"]


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


def seed(value: Any) -> int:
    """A resampling seed: an integer >= 0, or ``None`` for fresh entropy (numpy's convention).

    Returns an integer either way, so a function can derive seeds from it
    (``SeedSequence([seed, j])``); ``None`` gives a new one on every call.
    """
    if value is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise TrialsError(f"seed must be an integer or None, got {_got(value)} instead.")
    if value < 0:
        raise TrialsError(f"seed must be an integer >= 0 or None, got {value!r} instead.")
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
