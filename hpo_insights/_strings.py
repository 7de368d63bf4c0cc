"""Whether every row of a string column is one text, fast on Arrow-backed strings.

Every analysis call asks whether the trials hold a single study (``study ==
study[0]`` on every row). On a million Arrow strings pandas' comparison costs
a few milliseconds (a compute kernel, then a bit-packed result unpacked to
numpy). :func:`all_equal` reads the Arrow buffers instead: every string has the
text's length (from the offsets) and the data bytes are the text repeated
(one buffer comparison). Other dtypes, and Arrow data with missing values,
use pandas' ``==``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["all_equal"]


def all_equal(column: pd.Series, text: str) -> bool:
    """Whether every row of *column* equals *text* (False when a row is missing)."""
    dtype = column.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow" and len(column):
        import pyarrow as pa

        data = pa.array(column.array)  # zero-copy: the column's own Arrow data
        chunks = data.chunks if isinstance(data, pa.ChunkedArray) else [data]
        target = text.encode("utf-8")
        verdicts = [_chunk_all_equal(c, target) for c in chunks]
        if all(v is not None for v in verdicts):
            return all(verdicts)
    return bool((column == text).to_numpy(dtype=bool, na_value=False).all())


def _chunk_all_equal(chunk, target: bytes) -> bool | None:
    """Every row of one Arrow string chunk is *target* (None: not a chunk this reads)."""
    import pyarrow as pa

    if chunk.type == pa.large_string():
        odt = np.int64
    elif chunk.type == pa.string():
        odt = np.int32
    else:
        return None
    n = len(chunk)
    if n == 0:
        return True
    if chunk.null_count:
        return False
    offsets, data = chunk.buffers()[1:3]
    off = np.frombuffer(offsets, dtype=odt)[chunk.offset: chunk.offset + n + 1]
    size = len(target)
    if not bool(np.all(off[1:] - off[:-1] == size)):
        return False
    if size == 0:
        return True
    start, end = int(off[0]), int(off[-1])
    return bool(pa.py_buffer(target * n).equals(data.slice(start, end - start)))
