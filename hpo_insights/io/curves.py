"""Learning curves: the intermediate values of every trial, one row per reported step.

:func:`load_curves` finds a reader for its source in :data:`CURVE_READERS`, an
ordered list of :class:`~hpo_insights.io.readers.Reader` (the protocol every io
reader shares). A reader for another tool's history is added by appending one:
``accepts(source)`` recognises the source (cheaply, without reading it all) and
``read(source, request)`` returns a DataFrame with columns ``study, number, state,
step, value`` (any dtypes, studies in their order of appearance) for the studies
``request.studies`` names (``request.label`` names the source in messages);
:func:`load_curves` fixes the dtypes, maps the states and sorts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hpo_insights import _frame as F
from hpo_insights._errors import TrialsError
from hpo_insights.io import mlflow, ray, sklearn
from hpo_insights.io.canonical import map_states, selected_studies
from hpo_insights.io.journal import is_journal, journal_studies
from hpo_insights.io.optuna import (
    CURVE_COLUMNS,
    SQLITE_SUFFIXES,
    check_timeout,
    load_storage,
    mask_url,
    studies_curves,
    url_scheme,
)
from hpo_insights.io.readers import DEFAULT_TIMEOUT, Reader, Request, as_path

__all__ = ["CURVE_READERS", "CurveReader", "load_curves"]

#: The reader protocol of :mod:`hpo_insights.io.readers` (its older name here).
CurveReader = Reader


def _is_study(obj: Any) -> bool:
    return type(obj).__name__ == "Study" and type(obj).__module__.startswith("optuna")


def _accepts_studies(source: Any) -> bool:
    if _is_study(source):
        return True
    return isinstance(source, (list, tuple)) and len(source) > 0 and all(map(_is_study, source))


def _read_studies(source: Any, request: Request) -> pd.DataFrame:
    objs = [source] if _is_study(source) else list(source)
    if request.studies is not None:
        by_name = {s.study_name: s for s in objs}
        objs = [by_name[n] for n in selected_studies(list(by_name), request.studies,
                                                     request.label)]
    return studies_curves(objs)


def _accepts_storage(source: Any) -> bool:
    text = as_path(source)
    if text is None:
        return False
    return url_scheme(text) is not None or Path(text).suffix.lower() in SQLITE_SUFFIXES


def _read_storage(source: Any, request: Request) -> pd.DataFrame:
    text = as_path(source)
    scheme = url_scheme(text) or "sqlite-file"
    return load_storage(text, scheme, request.studies, curves=True, timeout=request.timeout)


def _accepts_journal(source: Any) -> bool:
    text = as_path(source)
    return text is not None and url_scheme(text) is None and Path(text).is_file() \
        and is_journal(Path(text))


def _read_journal(source: Any, request: Request) -> pd.DataFrame:
    return studies_curves(journal_studies(Path(as_path(source)), request.studies, request.label))


#: The readers :func:`load_curves` tries, in order; the first that accepts the source reads it.
CURVE_READERS: list[Reader] = [
    Reader("optuna.Study objects", _accepts_studies, _read_studies),
    # Before Optuna storages: an mlflow.db is a .db file too.
    Reader("MLflow tracking store (mlflow.db, mlruns/)", mlflow.accepts_curves,
           mlflow.read_curves),
    Reader("Optuna storage (URL or SQLite file)", _accepts_storage, _read_storage),
    Reader("Optuna journal file", _accepts_journal, _read_journal),
    Reader("Ray Tune experiment folder", ray.accepts_curves, ray.read_curves),
    Reader("scikit-learn successive-halving search (step = n_resources)",
           sklearn.accepts_curves, sklearn.read_curves),
]


def load_curves(
    source: Any, *, studies: str | Sequence[str] | None = None, timeout: float = DEFAULT_TIMEOUT
) -> pd.DataFrame:
    """The learning curves (intermediate values) of every trial in *source*.

    Parameters
    ----------
    source : str, path-like, optuna.Study or list of optuna.Study
        An Optuna storage URL (``sqlite:///studies.db``, ``postgresql://...``,
        ``mysql://...``) or ``.db``/``.sqlite``/``.sqlite3`` file (read with SQL,
        read-only), an Optuna journal file (``journal.log``, written by
        ``JournalFileBackend``), or studies in memory. Also an MLflow tracking
        store (``mlflow.db`` or ``mlruns/``: the objective's metric history,
        ``step`` as logged) or a Ray Tune experiment folder (every reported
        result, ``step`` = ``training_iteration``); see ``docs/sources.md``.
    studies : str or sequence of str, optional
        Which studies to keep, in this order (an unknown name is an error listing
        those that exist). Default: all, in storage order.
    timeout : float, default 10
        Seconds a storage read may wait (connecting, each statement, a SQLite
        lock), as for :func:`hpo_insights.load`.

    Returns
    -------
    pandas.DataFrame
        One row per (study, trial, step) that has an intermediate value
        (``trial.report(value, step)``), columns ``study`` (str), ``number``
        (int64), ``state`` (str, the trial's state now), ``step`` (int64) and
        ``value`` (float64; NaN and ±inf as reported). Sorted by study, number,
        step; RangeIndex. Trials that reported nothing have no rows.

    Raises
    ------
    TrialsError
        No reader accepts the source, or the source cannot be read (the message
        names it).

    See Also
    --------
    load : one row per trial.

    Examples
    --------
    >>> import optuna
    >>> import hpo_insights as hi
    >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
    >>> study = optuna.create_study(study_name="demo")
    >>> def objective(trial):
    ...     for step in range(3):
    ...         trial.report(1.0 / (step + 1), step)
    ...     return 0.25
    >>> study.optimize(objective, n_trials=2)
    >>> hi.load_curves(study).head(4)
      study  number     state  step     value
    0  demo       0  COMPLETE     0  1.000000
    1  demo       0  COMPLETE     1  0.500000
    2  demo       0  COMPLETE     2  0.333333
    3  demo       1  COMPLETE     0  1.000000
    """
    F.study_names(studies)  # TypeError / TrialsError for a malformed studies=
    if studies is not None and not isinstance(studies, str):
        studies = list(studies)
    timeout = check_timeout(timeout)
    text = as_path(source)
    label = repr(mask_url(text)) if text is not None else "the studies"
    request = Request(studies=studies, timeout=timeout, label=label)
    for reader in CURVE_READERS:
        if reader.accepts(source):
            return _curves_frame(reader.read(source, request))
    if text is not None and not Path(text).exists() and url_scheme(text) is None:
        raise TrialsError(f"No such file: {text!r}. Pass an Optuna storage URL, a .db file or "
                          "a journal file.")
    raise TrialsError(
        f"load_curves cannot read {label if text else type(source).__name__}: supported sources "
        f"are {'; '.join(r.name for r in CURVE_READERS)}."
    )


def _curves_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Canonical curve dtypes and order: studies by appearance, then number, step."""
    missing = [c for c in CURVE_COLUMNS if c not in frame.columns]
    if missing:
        raise TrialsError(f"A curve reader returned no {', '.join(missing)} column.")
    out = frame.loc[:, list(CURVE_COLUMNS)]
    out = pd.DataFrame({
        F.STUDY: out[F.STUDY].astype("str"),
        F.NUMBER: out[F.NUMBER].astype("int64"),
        F.STATE: map_states(out[F.STATE]) if len(out) else out[F.STATE].astype("str"),
        "step": out["step"].astype("int64"),
        F.VALUE: out[F.VALUE].astype("float64"),
    })
    key = pd.factorize(out[F.STUDY])[0]
    idx = np.lexsort((out["step"].to_numpy(), out[F.NUMBER].to_numpy(), key))
    return out.iloc[idx].reset_index(drop=True)
