"""Load trials from Optuna storages and journals, tools' exports and in-memory studies.

:func:`load` turns any supported source into the canonical *trials frame*
(``docs/trials-frame.md``); :func:`from_optuna` does the same for
``optuna.Study`` objects already in memory; :func:`load_curves` reads the
intermediate values. All are read-only: a storage is opened so that nothing can
be written to it and no file is created beside it.

:func:`load` is a loop over :data:`hpo_insights.io.sources.READERS`: the first
reader that accepts the source reads it (the protocol is in
:mod:`hpo_insights.io.readers`; a DataFrame's shape is recognised by
:data:`hpo_insights.io.tables.TABLE_READERS`). One module per source family:
``optuna`` (storages, read with SQL), ``journal`` (Optuna journal files),
``files`` (csv/parquet/json files), ``tables`` (whose table a DataFrame is),
``ray``, ``mlflow``, ``wandb``, ``dashboard`` (tools' exports), ``curves``
(learning curves) and ``canonical`` (dtypes, column order, states).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hpo_insights import _arguments
from hpo_insights import _frame as F
from hpo_insights._errors import TrialsError
from hpo_insights.io import hyperopt, sources
from hpo_insights.io.canonical import finish
from hpo_insights.io.curves import load_curves
from hpo_insights.io.files import TABLE_SUFFIXES
from hpo_insights.io.folds import load_folds
from hpo_insights.io.optuna import (
    OPTUNA_HINT,
    SQLITE_SUFFIXES,
    check_timeout,
    mask_url,
    studies_frame,
)
from hpo_insights.io.readers import DEFAULT_TIMEOUT, Request, as_path

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
    space: Any = None,
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
        - a KerasTuner project folder (``oracle.json``, ``trial_*/trial.json``)
          or a folder of projects (Hyperband: one study per epoch budget);
        - a Ray Tune experiment folder (trial folders with ``params.json``,
          ``result.json``, ``error.txt``) or a folder of them;
        - a ``.csv``/``.parquet``/``.json``/``.jsonl`` file (one study, named
          after the file stem unless it has a ``study`` column) or a folder of them;
        - a DataFrame: a trials frame, Optuna's ``trials_dataframe()`` (also with
          ``multi_index=True``), optuna-dashboard's CSV download, Ray Tune's
          ``ResultGrid.get_dataframe()``, MLflow's ``search_runs()``, W&B's
          exports (the docs' ``summary``/``config`` frame, the runs-table CSV) or
          a plain table;
        - a hyperopt ``Trials`` object (``fmin(..., trials=trials)``; a pickle of
          one only through ``hi.io.hyperopt.load_hyperopt(path, allow_pickle=True)``);
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
    space : hyperopt search space, optional
        For a hyperopt ``Trials``: the space given to ``fmin``, to decode
        ``hp.choice`` indices into the options chosen (without it the indices are
        kept, with a ``TrialsWarning``).

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
    timeout = check_timeout(timeout)
    _arguments.names("objective", objective)
    _arguments.names("params", params)
    _arguments.text("metric_name", metric_name)
    text = as_path(source)
    request = Request(
        studies=studies, objective=objective, params=params, direction=direction,
        metric_name=metric_name, timeout=timeout,
        label=repr(mask_url(text)) if text is not None else "the DataFrame", space=space,
    )
    if space is not None and not hyperopt.is_trials(source):
        raise TrialsError("space= applies to a hyperopt Trials object only; drop it for "
                          f"{type(source).__name__} sources.")
    for reader in sources.READERS:
        if reader.accepts(source):
            return reader.read(source, request)
    if text is None:
        raise TypeError(
            "source must be a storage URL, a file or folder path, a DataFrame or a fitted "
            "scikit-learn search (or its cv_results_), got "
            f"{type(source).__name__} instead."
        )
    if not Path(text).exists():
        raise TrialsError(
            f"No such file or folder: {text!r}. Pass an Optuna storage URL "
            "(sqlite:///file.db, postgresql://...), a .db/.csv/.parquet/.json file or a folder."
        )
    raise TrialsError(
        f"Cannot read {text!r}: unknown file type {Path(text).suffix!r}. Expected an Optuna "
        f"storage ({', '.join(SQLITE_SUFFIXES)}) or a table ({', '.join(TABLE_SUFFIXES)})."
    )


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
        raise TrialsError(OPTUNA_HINT) from err
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
    return finish(studies_frame(studies), None, None, None, "the studies")
