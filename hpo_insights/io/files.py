"""Table files: csv, parquet, json and jsonl files read into DataFrames.

:func:`read_table` reads one file (an empty one is an error naming it);
:func:`flatten_columns` turns the two header rows of Optuna's
``trials_dataframe(multi_index=True)`` into ``params_lr``-style labels. What the
table holds (whose export it is) is decided by :mod:`hpo_insights.io.tables`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hpo_insights._errors import TrialsError

__all__ = ["TABLE_SUFFIXES", "flatten_columns", "read_table"]

TABLE_SUFFIXES = (".csv", ".parquet", ".pq", ".json", ".jsonl")


def read_table(path: Path) -> pd.DataFrame:
    """The table in *path*; an empty one (no rows) is an error naming the file."""
    table = _read_any_table(path)
    if len(table) == 0:
        raise TrialsError(
            f"The file {str(path)!r} is empty: it holds no trials (0 rows)."
        )
    return table


def _read_any_table(path: Path) -> pd.DataFrame:
    """The table in a CSV, Parquet, JSON Lines or JSON file, by its suffix."""
    suffix = path.suffix.lower()
    reader = {".csv": _read_csv, ".parquet": _read_parquet, ".pq": _read_parquet,
              ".jsonl": _read_jsonl}.get(suffix, _read_json_table)
    try:
        return reader(path)
    except TrialsError:
        raise
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise TrialsError(
            f"Cannot read {str(path)!r} as a {suffix[1:]} table: {err}. Check that the file is "
            "a complete export in that format."
        ) from err


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        import pyarrow  # noqa: F401
    except ImportError as err:
        raise TrialsError(
            f"Reading {str(path)!r} needs pyarrow: pip install pyarrow "
            "(or hpo-insights[dev])."
        ) from err
    return pd.read_parquet(path)


def _read_jsonl(path: Path) -> pd.DataFrame:
    if path.stat().st_size == 0 or not path.read_bytes().strip():
        return pd.DataFrame()
    return pd.read_json(path, lines=True)


def _read_json_table(path: Path) -> pd.DataFrame:
    """A JSON file of records, of columns, or TensorBoard's ``{"header", "rows"}``."""
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


def flatten_columns(table: pd.DataFrame) -> pd.DataFrame:
    """(attr, key) columns -> "attr_key", as Optuna's trials_dataframe flattens them."""
    if not isinstance(table.columns, pd.MultiIndex):
        return table
    table = table.copy()
    table.columns = [
        "_".join(x for x in map(_level_name, parts) if x).lstrip("_") for parts in table.columns
    ]
    return table
