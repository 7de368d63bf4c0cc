"""Parameter values as analyses compare them ("Odd inputs" in ``docs/trials-frame.md``).

A categorical choice ``None`` becomes the level ``"None"``, dicts and lists their
JSON text, booleans mixed with numbers the levels ``"True"``/``"False"``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from hpo_insights._columns import parse_distribution
from hpo_insights._schema import DISTRIBUTION_PREFIX, NONE_LEVEL, PARAM_PREFIX, is_numeric_param

__all__ = [
    "adapt",
]


def adapt(trials: pd.DataFrame) -> pd.DataFrame:
    """Parameter values as analyses compare them; *trials* itself when nothing changes.

    * A categorical choice ``None`` (a trial whose ``distributions_<name>`` is
      set, so it did suggest the parameter, but whose value is missing, and
      whose choices hold ``None``) becomes the level ``"None"``; a trial that
      never suggested the parameter stays NaN ("not used").
    * Dicts and lists (Parquet keeps them) become their JSON text.
    * In a column mixing booleans and numbers, ``True``/``False`` become the
      levels ``"True"``/``"False"``, so they stay apart from ``1``/``0``.

    Returns a new frame (sharing the unchanged columns) or *trials* itself.
    """
    changed: dict[str, pd.Series] = {}
    for col in trials.columns:
        if not col.startswith(PARAM_PREFIX):
            continue
        s = trials[col]
        new = _none_choices(trials, col, s)
        if new.dtype == object:
            new = _object_levels(new)
        if new is not s:
            changed[col] = new
    if not changed:
        return trials
    out = trials.copy(deep=False)
    for col, s in changed.items():
        out[col] = s
    return out


def _none_choices(trials: pd.DataFrame, col: str, s: pd.Series) -> pd.Series:
    dcol = DISTRIBUTION_PREFIX + col[len(PARAM_PREFIX):]
    if dcol not in trials.columns:
        return s
    missing = _missing(s)
    if missing is None:
        return s
    dist = trials[dcol]
    chose = missing & dist.notna().to_numpy()
    if not chose.any():
        return s
    keys = dist[chose]
    if keys.dtype == object and keys.map(type).eq(dict).any():  # dicts (rare): as JSON text
        keys = keys.map(lambda t: json.dumps(t) if isinstance(t, dict) else t)
    codes, uniques = pd.factorize(keys)
    with_none = np.zeros(len(uniques) + 1, dtype=bool)  # one verdict per distinct text
    for k, text in enumerate(uniques):
        d = parse_distribution(text)
        choices = (d.get("attributes") or {}).get("choices") if d else None
        with_none[k] = bool(d and d.get("name") == "CategoricalDistribution"
                            and isinstance(choices, list) and any(c is None for c in choices))
    if not with_none.any():
        return s
    fill = np.zeros(len(s), dtype=bool)
    fill[np.flatnonzero(chose)] = with_none[codes]
    if not fill.any():
        return s
    values = s.astype(object).to_numpy(copy=True)
    if is_numeric_param(s):  # whole-number choices stored as float (NaN forced float)
        present = s.notna().to_numpy()
        nums = s.to_numpy()[present]
        if np.all(nums == np.round(nums)) and np.all(np.abs(nums) < 2.0**63):
            values[present] = nums.astype(np.int64).astype(object)  # Python ints
    values[fill] = NONE_LEVEL
    return pd.Series(values, index=s.index, name=s.name, dtype=object)


def _missing(s: pd.Series) -> np.ndarray | None:
    """Which values of *s* are missing (None when none is: a numpy column of integers or
    booleans, or one of floats without NaN, is answered without pandas' isna)."""
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "iub":
        return None
    if isinstance(s.dtype, np.dtype) and s.dtype.kind == "f":
        missing = np.isnan(s.to_numpy())
    else:
        missing = s.isna().to_numpy()
    return missing if missing.any() else None


def _object_levels(s: pd.Series) -> pd.Series:
    """Dicts/lists → JSON text; booleans mixed with numbers → "True"/"False"."""
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if kind not in ("mixed", "mixed-integer", "mixed-integer-float"):
        return s
    types = s.map(type)
    nested = types.isin([dict, list, tuple, np.ndarray]).to_numpy()
    bools = types.isin([bool, np.bool_]).to_numpy()
    numbers = types.isin([int, float, np.int64, np.float64, np.int32, np.float32]).to_numpy()
    if not nested.any() and not (bools.any() and numbers.any()):
        return s
    values = s.to_numpy(dtype=object, copy=True)
    if nested.any():
        values[nested] = [json.dumps(v, sort_keys=True, default=_plain) for v in values[nested]]
    if bools.any() and numbers.any():
        where = np.flatnonzero(bools)
        truth = values[where].astype(bool)
        values[where[truth]] = "True"
        values[where[~truth]] = "False"
    return pd.Series(values, index=s.index, name=s.name, dtype=object)


def _plain(value: Any) -> Any:
    """JSON fallback: numpy arrays and scalars (Parquet gives them back) as Python values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)

