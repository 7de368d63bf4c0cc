"""The reader protocol: recognise a source, read it.

Every source :func:`hpo_insights.load` and :func:`hpo_insights.load_curves` read is
handled by a :class:`Reader` in an ordered list; the first reader whose
``accepts(source)`` is true reads it with ``read(source, request)``:

================================================  ==========================================
list                                              ``read`` returns
================================================  ==========================================
``hpo_insights.io.sources.READERS``               the trials frame, finished with
(what :func:`~hpo_insights.load` reads)           :func:`hpo_insights.io.canonical.finish`
``hpo_insights.io.tables.TABLE_READERS``          the table renamed to trials-frame columns
(the shapes of a DataFrame or table file)         (``study``, ``number``, ``state`` optional)
``hpo_insights.io.curves.CURVE_READERS``          columns ``study, number, state, step, value``
(what :func:`~hpo_insights.load_curves` reads)
================================================  ==========================================

A new tool is one reader appended (or inserted before a reader that would also
accept its sources): ``accepts`` decides cheaply (a suffix, a marker file, a few
column names; never a full read and never an exception), ``read`` does the work
and raises :class:`~hpo_insights.TrialsError` naming ``request.label`` when the
source cannot be read. See ``docs/sources.md`` ("Adding a source").
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import pandas as pd

__all__ = ["DEFAULT_TIMEOUT", "Reader", "Request", "as_path"]

DEFAULT_TIMEOUT = 10.0  # seconds: connecting, a lock, a statement


@dataclass(frozen=True)
class Request:
    """What the caller of :func:`hpo_insights.load` asked for, handed to every reader.

    Attributes
    ----------
    studies : str, list of str or None
        The studies to keep, in this order (``None``: all); for a source with no
        study names of its own, one name names it.
    objective : str, list of str or None
        The objective column(s) of a table (``None``: the only candidate).
    params : list of str or None
        The parameter columns of a table (``None``: all the tool marks as such).
    direction : str, list of str, mapping or None
        ``"maximize"``/``"minimize"`` where the source does not record it.
    metric_name : str or None
        Display name of the objective.
    timeout : float
        Seconds a storage read may wait.
    label : str
        How messages name the source (``"'studies.db'"``, ``"the DataFrame"``).
    space : object or None
        A hyperopt search space (``hi.load(trials, space=...)``), to decode
        ``hp.choice`` indices; only the hyperopt reader uses it.
    """

    studies: str | Sequence[str] | None = None
    objective: str | Sequence[str] | None = None
    params: Sequence[str] | None = None
    direction: str | Sequence[str] | Mapping[str, str] | None = None
    metric_name: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    label: str = "the source"
    space: Any = None


class Reader(NamedTuple):
    """One kind of source: a name for messages, how to recognise it, how to read it."""

    name: str
    accepts: Callable[[Any], bool]
    read: Callable[[Any, Request], pd.DataFrame]


def as_path(source: Any) -> str | None:
    """The text of a path or URL source; ``None`` for anything else (a DataFrame, an object)."""
    return os.fspath(source) if isinstance(source, (str, os.PathLike)) else None
