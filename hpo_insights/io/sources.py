"""The sources :func:`hpo_insights.load` reads: :data:`READERS`, tried in order.

Each entry is a :class:`~hpo_insights.io.readers.Reader`: ``accepts(source)``
recognises the source cheaply, ``read(source, request)`` returns the finished
trials frame (through :func:`hpo_insights.io.canonical.finish`). Order matters
where two readers would accept one source: an MLflow ``mlflow.db`` is a ``.db``
file too, so the MLflow reader comes before the Optuna storage reader; a Ray Tune
or MLflow folder is a folder too, so both come before the folder of tables (and a
folder that is both a Ray Tune experiment and an MLflow store is read as Ray Tune).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from hpo_insights import _frame as F
from hpo_insights._errors import TrialsError
from hpo_insights.io import ax, hyperopt, keras_tuner, mlflow, ray, sklearn, smac
from hpo_insights.io.canonical import finish
from hpo_insights.io.files import TABLE_SUFFIXES, flatten_columns, read_table
from hpo_insights.io.journal import is_journal, load_journal
from hpo_insights.io.optuna import SQLITE_SUFFIXES, load_storage, url_scheme
from hpo_insights.io.readers import Reader, Request, as_path
from hpo_insights.io.tables import from_table

__all__ = ["READERS"]


def _path_accepts(check: Callable[[Path], bool]) -> Callable[[Any], bool]:
    """``accepts`` of a tool written as files: *source* is a path and *check* says it is one."""
    def accepts(source: Any) -> bool:
        text = as_path(source)
        return text is not None and check(Path(text))
    return accepts


def _path_read(load: Callable[..., pd.DataFrame]) -> Callable[[Any, Request], pd.DataFrame]:
    """``read`` of a tool written as files: *load* with the path and the request's options."""
    def read(source: Any, request: Request) -> pd.DataFrame:
        return load(as_path(source), request.studies, objective=request.objective,
                    params=request.params, direction=request.direction,
                    metric_name=request.metric_name)
    return read


# --------------------------------------------------------------------------- objects
def _is_sklearn(source: Any) -> bool:
    return sklearn.is_search(source) or sklearn.is_cv_results(source)


def _read_sklearn(source: Any, request: Request) -> pd.DataFrame:
    return sklearn.load_sklearn(source, studies=request.studies, objective=request.objective,
                                direction=request.direction, metric_name=request.metric_name)


def _is_hyperopt(source: Any) -> bool:
    return hyperopt.is_trials(source)


def _read_hyperopt(source: Any, request: Request) -> pd.DataFrame:
    return hyperopt.load_hyperopt(source, space=request.space, studies=request.studies,
                                  direction=request.direction, metric_name=request.metric_name)


def _is_pickle(source: Any) -> bool:
    text = as_path(source)
    return text is not None and Path(text).suffix.lower() in (".pkl", ".pickle")


def _refuse_pickle(source: Any, request: Request) -> pd.DataFrame:
    raise TrialsError(f"{as_path(source)!r} is a pickle. {hyperopt.PICKLE_HINT}")


# --------------------------------------------------------------------------- DataFrames
def _is_frame(source: Any) -> bool:
    return isinstance(source, pd.DataFrame)


def _read_frame(source: pd.DataFrame, request: Request) -> pd.DataFrame:
    if len(source) == 0:
        raise TrialsError("The DataFrame is empty (0 rows): there are no trials to load.")
    studies = request.studies
    frame = from_table(source, request, name=studies if isinstance(studies, str) else None)
    return finish(frame, studies, request.direction, request.metric_name, request.label)


# --------------------------------------------------------------------------- other tools' stores
def _store_path(text: str) -> Path:
    """The file or folder behind a ``sqlite:///`` or MLflow ``file:`` URI, else *text*."""
    lower = text.lower()
    if lower.startswith("sqlite:///"):
        return Path(text[len("sqlite:///"):].split("?", 1)[0])
    if lower.startswith("file:"):  # MLflow's file-store URI, file:///path/mlruns
        return Path(text[len("file://"):] if lower.startswith("file://") else text[len("file:"):])
    return Path(text)


def _is_mlflow(source: Any) -> bool:
    text = as_path(source)
    if text is None:
        return False
    path = _store_path(text)
    # no wait on a writer's lock here: a locked Optuna storage then waits timeout= once
    if path.suffix.lower() in SQLITE_SUFFIXES and mlflow.is_mlflow_sqlite(path, timeout=0):
        return True
    return path.is_dir() and mlflow.is_mlflow_store(path)







def _is_ray(source: Any) -> bool:
    text = as_path(source)
    if text is None:
        return False
    path = _store_path(text)
    return path.is_dir() and ray.is_ray_experiment(path)



# --------------------------------------------------------------------------- Optuna
def _is_storage(source: Any) -> bool:
    text = as_path(source)
    return text is not None and (
        url_scheme(text) is not None or Path(text).suffix.lower() in SQLITE_SUFFIXES)


def _read_storage(source: Any, request: Request) -> pd.DataFrame:
    text = as_path(source)
    scheme = url_scheme(text) or "sqlite-file"
    frame = load_storage(text, scheme, request.studies, timeout=request.timeout)
    return finish(frame, None, request.direction, request.metric_name, request.label)


def _is_journal(source: Any) -> bool:
    text = as_path(source)
    return text is not None and Path(text).is_file() and is_journal(Path(text))


def _read_journal(source: Any, request: Request) -> pd.DataFrame:
    text = as_path(source)
    frame = load_journal(Path(text), request.studies, repr(text))
    return finish(frame, None, request.direction, request.metric_name, repr(text))


# --------------------------------------------------------------------------- files and folders
def _is_folder(source: Any) -> bool:
    text = as_path(source)
    return text is not None and Path(text).is_dir()


def _read_folder(source: Any, request: Request) -> pd.DataFrame:
    text = as_path(source)
    path = Path(text)
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in TABLE_SUFFIXES)
    if not files:
        raise TrialsError(
            f"The folder {text!r} holds no trials files: expected "
            f"{', '.join(TABLE_SUFFIXES)} files (one study each), found none."
        )
    frames = []
    for p in files:
        one = Request(objective=request.objective, params=request.params, label=repr(str(p)))
        frames.append(from_table(read_table(p), one, name=p.stem))
    _one_file_per_study(frames, files)
    frame = pd.concat(frames, ignore_index=True)
    return finish(frame, request.studies, request.direction, request.metric_name, repr(text))


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




def _is_table_file(source: Any) -> bool:
    text = as_path(source)
    return text is not None and Path(text).is_file() \
        and Path(text).suffix.lower() in TABLE_SUFFIXES


def _read_table_file(source: Any, request: Request) -> pd.DataFrame:
    text = as_path(source)
    path = Path(text)
    table = flatten_columns(read_table(path))
    studies = request.studies
    has_study = F.STUDY in table.columns
    name = studies if isinstance(studies, str) and not has_study else path.stem
    frame = from_table(table, Request(objective=request.objective, params=request.params,
                                      label=repr(text)), name=name)
    return finish(frame, studies if has_study or not isinstance(studies, str) else None,
                  request.direction, request.metric_name, repr(text))


#: The sources :func:`hpo_insights.load` reads, tried in order; the first reader whose
#: ``accepts(source)`` is true reads it.
READERS: list[Reader] = [
    Reader("a fitted scikit-learn search or its cv_results_ dict", _is_sklearn, _read_sklearn),
    Reader("a hyperopt Trials object", _is_hyperopt, _read_hyperopt),
    Reader("a DataFrame (a trials frame or a tool's table)", _is_frame, _read_frame),
    Reader("a pickle (refused: hi.io.hyperopt.load_hyperopt(path, allow_pickle=True))",
           _is_pickle, _refuse_pickle),
    Reader("a KerasTuner project folder (or a folder of projects)",
           _path_accepts(keras_tuner.is_keras_tuner), _path_read(keras_tuner.load_keras_tuner)),
    Reader("a SMAC3 output folder (runhistory.json, configspace.json)",
           _path_accepts(smac.is_smac), _path_read(smac.load_smac)),
    Reader("a Ray Tune experiment folder", _is_ray, _path_read(ray.load_ray)),
    Reader("an MLflow tracking store (mlflow.db, mlruns/)", _is_mlflow,
           _path_read(mlflow.load_mlflow)),
    Reader("an Optuna storage (URL, .db/.sqlite/.sqlite3 file)", _is_storage, _read_storage),
    Reader("a folder of table files", _is_folder, _read_folder),
    Reader("an Optuna journal file", _is_journal, _read_journal),
    Reader("an Ax JSON snapshot (Client.save_to_json_file)", _path_accepts(ax.is_snapshot),
           _path_read(ax.load_ax_snapshot)),
    Reader(f"a table file ({', '.join(TABLE_SUFFIXES)})", _is_table_file, _read_table_file),
]
