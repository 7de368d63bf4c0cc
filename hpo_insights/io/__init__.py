"""Load trials from Optuna storages and journals, tools' exports and in-memory studies.

:func:`load` turns any supported source into the canonical *trials frame*
(``docs/trials-frame.md``); :func:`from_optuna` does the same for
``optuna.Study`` objects already in memory; :func:`load_curves` reads the
intermediate values. All are read-only: a storage is opened so that nothing can
be written to it and no file is created beside it.

One module per source family: ``optuna`` (storages, read with SQL), ``journal``
(Optuna journal files), ``tables`` (csv/parquet/json files, folders, DataFrames),
``ray``, ``mlflow``, ``wandb``, ``dashboard`` (tools' exports), ``curves``
(learning curves) and ``canonical`` (dtypes, column order, states).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hpo_insights import _frame as F
from hpo_insights import _guard
from hpo_insights._errors import TrialsError
from hpo_insights.io import sklearn
from hpo_insights.io.canonical import _finish
from hpo_insights.io.curves import load_curves
from hpo_insights.io.folds import load_folds
from hpo_insights.io.journal import is_journal, load_journal
from hpo_insights.io.optuna import (
    _OPTUNA_HINT,
    DEFAULT_TIMEOUT,
    SQLITE_SUFFIXES,
    _check_timeout,
    _load_storage,
    _studies_frame,
    _url_scheme,
    mask_url,
)
from hpo_insights.io.tables import TABLE_SUFFIXES, _flatten_columns, _from_table, _read_table

__all__ = ["from_optuna", "load", "load_curves", "load_folds"]


def load(
    source: str | os.PathLike | pd.DataFrame,
    *,
    studies: str | Sequence[str] | None = None,
    objective: str | Sequence[str] | None = None,
    params: Sequence[str] | None = None,
    direction: str | Sequence[str] | Mapping[str, str] | None = None,
    metric_name: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> pd.DataFrame:
    """Load trials from a storage, an exported table, a folder or a DataFrame.

    Parameters
    ----------
    source : str, path-like or pandas.DataFrame
        One of:

        - an Optuna storage URL (``sqlite:///studies.db``, ``postgresql://...``,
          ``mysql://...``) or the path of a ``.db``/``.sqlite``/``.sqlite3`` file:
          every study in it, opened read-only and read with SQL (Optuna 3.0-5.x
          schemas; others through Optuna's API with a ``TrialsWarning``);
        - an Optuna journal file (``journal.log``, written by ``JournalFileBackend``
          or ``JournalFileStorage``): every study in it, replayed read-only;
        - an MLflow tracking store: a ``mlflow.db`` file (or ``sqlite:///`` URL)
          holding MLflow's tables, read read-only without mlflow, or an ``mlruns/``
          folder (one study per experiment; see ``docs/sources.md``);
        - a Ray Tune experiment folder (trial folders with ``params.json``,
          ``result.json``, ``error.txt``) or a folder of them;
        - a ``.csv``/``.parquet``/``.json``/``.jsonl`` file (one study, named
          after the file stem unless it has a ``study`` column) or a folder of them;
        - a DataFrame: a trials frame, Optuna's ``trials_dataframe()`` (also with
          ``multi_index=True``), optuna-dashboard's CSV download, Ray Tune's
          ``ResultGrid.get_dataframe()``, MLflow's ``search_runs()``, W&B's
          exports (the docs' ``summary``/``config`` frame, the runs-table CSV) or
          a plain table;
        - a fitted scikit-learn search (``GridSearchCV``, ``RandomizedSearchCV``,
          ``HalvingGridSearchCV``, ``HalvingRandomSearchCV``), its ``cv_results_``
          dict, or ``pd.DataFrame(search.cv_results_)`` and its CSV (successive
          halving: one study per iteration).
    studies : str or sequence of str, optional
        Which studies to keep, in this order (storages, journals, or tables with a
        ``study`` column; an unknown name is an error listing those that exist).
        For a table with no ``study`` column a single name names the study.
    objective : str or sequence of str, optional
        The metric column(s) holding the objective in a Ray Tune, MLflow or plain
        table (``metrics.`` prefix optional). Required when there are several
        candidates; several names give ``values_<name>`` columns.
    params : sequence of str, optional
        The parameter columns of a plain table (required there), or the subset
        of ``config/``/``params.`` columns to keep as parameters.
    direction : str, sequence of str or mapping, optional
        ``"maximize"``/``"minimize"`` (one per objective) for sources that do not
        record it; fills ``study_direction``. A mapping gives each study its own
        (``{"a": "maximize", "b": "minimize"}``, e.g. for a folder of exports).
        Contradicting a recorded direction is an error.
    metric_name : str, optional
        Display name of the objective (``study_metric_name``, e.g. ``"AUC"``);
        replaces the recorded or column-derived name.
    timeout : float, default 10
        Seconds a storage read may wait: to connect to a server, for each SQL
        statement (PostgreSQL ``statement_timeout``, MySQL ``read_timeout``) and for
        a SQLite file locked by a writer. Then a ``TrialsError`` says what timed out.

    Returns
    -------
    pandas.DataFrame
        The trials frame: one row per trial, columns as documented in
        ``docs/trials-frame.md``, studies in storage (or file-name) order and
        trials by number within each study; RangeIndex.

    Raises
    ------
    TrialsError
        A missing, unreadable or non-Optuna source, an unknown study, an
        ambiguous table (several metric candidates, no params named) or state
        values that cannot be mapped. The message names the source and the fix.

    See Also
    --------
    from_optuna : the same frame from ``optuna.Study`` objects in memory.
    validate : check a frame built by hand.

    Examples
    --------
    >>> import pandas as pd
    >>> import hpo_insights as hi
    >>> ray = pd.DataFrame({"config/lr": [0.1, 0.01], "loss": [0.5, 0.3],
    ...                     "trial_id": ["a_1", "a_2"], "done": [True, True]})
    >>> trials = hi.load(ray, studies="ray", direction="minimize")
    >>> trials[["study", "number", "state", "value", "params_lr"]]
      study  number     state  value  params_lr
    0   ray       0  COMPLETE    0.5       0.10
    1   ray       1  COMPLETE    0.3       0.01
    >>> trials["study_direction"].tolist(), trials["study_metric_name"].tolist()
    (['minimize', 'minimize'], ['loss', 'loss'])
    """
    F.study_names(studies)  # TypeError / TrialsError for a malformed studies=
    study = studies
    timeout = _check_timeout(timeout)
    _guard.names("objective", objective)
    _guard.names("params", params)
    _guard.text("metric_name", metric_name)
    if sklearn.is_search(source) or sklearn.is_cv_results(source):
        return sklearn.load_sklearn(source, studies=studies, objective=objective,
                                    direction=direction, metric_name=metric_name)
    if isinstance(source, pd.DataFrame):
        if len(source) == 0:
            raise TrialsError(
                "The DataFrame is empty (0 rows): there are no trials to load."
            )
        frame = _from_table(source, study, objective, params, "the DataFrame")
        return _finish(frame, study, direction, metric_name, "the DataFrame")
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(
            "source must be a storage URL, a file or folder path, a DataFrame or a fitted "
            "scikit-learn search (or its cv_results_), got "
            f"{type(source).__name__} instead."
        )
    text = os.fspath(source)
    label = repr(mask_url(text))
    tool = _tool_source(text)
    if tool is not None:
        return tool(text, study, objective=objective, params=params, direction=direction,
                    metric_name=metric_name)
    scheme = _url_scheme(text)
    if scheme is not None:
        frame = _load_storage(text, scheme, study, timeout=timeout)
        return _finish(frame, None, direction, metric_name, label)
    path = Path(text)
    if path.suffix.lower() in SQLITE_SUFFIXES:
        frame = _load_storage(text, "sqlite-file", study, timeout=timeout)
        return _finish(frame, None, direction, metric_name, label)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in TABLE_SUFFIXES)
        if not files:
            raise TrialsError(
                f"The folder {text!r} holds no trials files: expected "
                f"{', '.join(TABLE_SUFFIXES)} files (one study each), found none."
            )
        frames = [
            _from_table(_read_table(p), None, objective, params, repr(str(p)),
                        default_study=p.stem)
            for p in files
        ]
        _one_file_per_study(frames, files)
        frame = pd.concat(frames, ignore_index=True)
        return _finish(frame, study, direction, metric_name, repr(text))
    if not path.exists():
        raise TrialsError(
            f"No such file or folder: {text!r}. Pass an Optuna storage URL "
            "(sqlite:///file.db, postgresql://...), a .db/.csv/.parquet/.json file or a folder."
        )
    if is_journal(path):
        frame = load_journal(path, study, repr(text))
        return _finish(frame, None, direction, metric_name, repr(text))
    if path.suffix.lower() not in TABLE_SUFFIXES:
        raise TrialsError(
            f"Cannot read {text!r}: unknown file type {path.suffix!r}. Expected an Optuna "
            f"storage ({', '.join(SQLITE_SUFFIXES)}) or a table ({', '.join(TABLE_SUFFIXES)})."
        )
    table = _flatten_columns(_read_table(path))
    has_study = F.STUDY in table.columns
    name = study if isinstance(study, str) and not has_study else path.stem
    frame = _from_table(table, None, objective, params, repr(text), default_study=name)
    return _finish(frame, study if has_study or not isinstance(study, str) else None,
                   direction, metric_name, repr(text))


def _one_file_per_study(frames: list[pd.DataFrame], files: list[Path]) -> None:
    """Two files of a folder naming one study would pool silently: an error naming them."""
    seen: dict = {}
    for frame, path in zip(frames, files, strict=True):
        for name in pd.unique(frame[F.STUDY]):
            if name in seen:
                raise TrialsError(
                    f"Two files name the study {name!r}: {seen[name].name!r} and "
                    f"{path.name!r}. A folder holds one study per file: rename the study in "
                    "one of them (its 'study' column), or load the files one by one."
                )
            seen[name] = path


def _tool_source(text: str) -> Any:
    """The loader of another tool's store or folder at *text* (MLflow, Ray Tune), if any."""
    from hpo_insights.io import mlflow, ray

    lower = text.lower()
    if lower.startswith("sqlite:///"):
        path = Path(text[len("sqlite:///"):].split("?", 1)[0])
    elif lower.startswith("file:"):  # MLflow's file-store URI, file:///path/mlruns
        path = Path(text[len("file://"):] if lower.startswith("file://") else text[len("file:"):])
    else:
        path = Path(text)
    # no wait on a writer's lock here: a locked Optuna storage then waits timeout= once
    if path.suffix.lower() in SQLITE_SUFFIXES and mlflow.is_mlflow_sqlite(path, timeout=0):
        return mlflow.load_mlflow
    if path.is_dir():
        if ray.is_ray_experiment(path):
            return ray.load_ray
        if mlflow.is_mlflow_store(path):
            return mlflow.load_mlflow
    return None


def from_optuna(studies: Any) -> pd.DataFrame:
    """The trials frame of one or several ``optuna.Study`` objects.

    Parameters
    ----------
    studies : optuna.Study or sequence of optuna.Study
        Studies in memory (or loaded from any storage); their order is kept.

    Returns
    -------
    pandas.DataFrame
        The same frame :func:`load` returns for a storage holding these
        studies: ``study`` (the study name), ``number``, ``state``, ``value``
        (or ``values_<name>``), datetimes, ``params_*``, ``distributions_*``
        (Optuna's ``distribution_to_json`` text), ``user_attrs_*``,
        ``system_attrs_*`` (dicts and lists as JSON text), ``study_direction``,
        ``study_metric_name`` (when metric names are set) and
        ``study_user_attrs_*``.

    Examples
    --------
    >>> import optuna
    >>> import hpo_insights as hi
    >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
    >>> study = optuna.create_study(study_name="demo", direction="maximize")
    >>> study.optimize(lambda t: t.suggest_int("n", 1, 3), n_trials=3)
    >>> trials = hi.from_optuna(study)
    >>> trials[["study", "number", "state", "study_direction"]].shape
    (3, 4)
    >>> trials["study_direction"].iloc[0], str(trials["params_n"].dtype)
    ('maximize', 'int64')
    """
    try:
        import optuna
    except ImportError as err:  # pragma: no cover - optuna is needed to hold a Study at all
        raise TrialsError(_OPTUNA_HINT) from err
    if isinstance(studies, optuna.Study):
        studies = [studies]
    if not isinstance(studies, Sequence) or isinstance(studies, str):
        raise TypeError(
            "studies must be an optuna.Study or a list of them, got "
            f"{type(studies).__name__} instead."
        )
    studies = list(studies)
    bad = [type(s).__name__ for s in studies if not isinstance(s, optuna.Study)]
    if bad:
        raise TypeError(f"from_optuna takes optuna.Study objects, got {', '.join(bad)} instead.")
    if not studies:
        raise TrialsError("from_optuna got no studies: pass one optuna.Study or a list of them.")
    return _finish(_studies_frame(studies), None, None, None, "the studies")
