"""Load trials from Optuna storages, exported tables and in-memory studies.

:func:`load` turns any supported source into the canonical *trials frame*
(``docs/trials-frame.md``); :func:`from_optuna` does the same for
``optuna.Study`` objects already in memory. Both are read-only: a storage is
opened so that nothing can be written to it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd

from hpo_insights import _frame as F
from hpo_insights._errors import TrialsError

__all__ = ["from_optuna", "load"]

TABLE_SUFFIXES = (".csv", ".parquet", ".pq", ".json", ".jsonl")
SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
URL_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql")
DEFAULT_STUDY = "trials"

# Every state spelling we know, case-insensitive, mapped to Optuna's names.
STATE_MAP = {
    "complete": "COMPLETE",
    "pruned": "PRUNED",
    "fail": "FAIL",
    "running": "RUNNING",
    "waiting": "WAITING",
    # MLflow run status
    "finished": "COMPLETE",
    "failed": "FAIL",
    "killed": "FAIL",
    "scheduled": "WAITING",
    # W&B run state
    "crashed": "FAIL",
}
# Columns Ray Tune adds to every result row (not metrics chosen by the user).
RAY_AUTO = (
    "trial_id",
    "training_iteration",
    "time_total_s",
    "time_this_iter_s",
    "timestamp",
    "date",
    "done",
    "pid",
    "hostname",
    "node_ip",
    "time_since_restore",
    "iterations_since_restore",
    "timesteps_total",
    "episodes_total",
    "timesteps_since_restore",
    "experiment_id",
    "experiment_tag",
    "logdir",
    "should_checkpoint",
    "checkpoint_dir_name",
)
# W&B runs-table columns that are run metadata, not params or metrics.
WANDB_META = ("Name", "State", "Notes", "User", "Tags", "Created", "Runtime", "Sweep", "ID")

_GROUP_ORDER = (
    F.VALUE,
    F.VALUES_PREFIX,
    F.DATETIME_START,
    F.DATETIME_COMPLETE,
    F.DURATION,
    F.PARAM_PREFIX,
    F.DISTRIBUTION_PREFIX,
    F.USER_ATTR_PREFIX,
    F.SYSTEM_ATTR_PREFIX,
    F.DIRECTION,
    "study_metric_name",
    F.STUDY_ATTR_PREFIX,
)


# --------------------------------------------------------------------------- public API
def load(
    source: str | os.PathLike | pd.DataFrame,
    study: str | Sequence[str] | None = None,
    *,
    objective: str | Sequence[str] | None = None,
    params: Sequence[str] | None = None,
    direction: str | Sequence[str] | None = None,
    metric_name: str | None = None,
) -> pd.DataFrame:
    """Load trials from a storage, an exported table, a folder or a DataFrame.

    Parameters
    ----------
    source : str, path-like or pandas.DataFrame
        One of:

        - an Optuna storage URL (``sqlite:///studies.db``, ``postgresql://...``,
          ``mysql://...``) or the path of a ``.db``/``.sqlite``/``.sqlite3`` file:
          every study in it, opened read-only;
        - a ``.csv``/``.parquet``/``.json``/``.jsonl`` file (one study, named
          after the file stem unless it has a ``study`` column) or a folder of them;
        - a DataFrame: a trials frame, Optuna's ``trials_dataframe()`` (also with
          ``multi_index=True``), optuna-dashboard's CSV download, Ray Tune's
          ``ResultGrid.get_dataframe()``, MLflow's ``search_runs()`` or a plain
          table such as a W&B runs export.
    study : str or sequence of str, optional
        Which studies to keep (storages, or tables with a ``study`` column;
        an unknown name is an error listing those that exist). For a table with
        no ``study`` column it names the study.
    objective : str or sequence of str, optional
        The metric column(s) holding the objective in a Ray Tune, MLflow or plain
        table (``metrics.`` prefix optional). Required when there are several
        candidates; several names give ``values_<name>`` columns.
    params : sequence of str, optional
        The parameter columns of a plain table (required there), or the subset
        of ``config/``/``params.`` columns to keep as parameters.
    direction : str or sequence of str, optional
        ``"maximize"``/``"minimize"`` (one per objective) for sources that do not
        record it; fills ``study_direction``. Contradicting a recorded direction
        is an error.
    metric_name : str, optional
        Display name of the objective (``study_metric_name``, e.g. ``"AUC"``);
        replaces the recorded or column-derived name.

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
    >>> trials = hi.load(ray, "ray", direction="minimize")
    >>> trials[["study", "number", "state", "value", "params_lr"]]
      study  number     state  value  params_lr
    0   ray       0  COMPLETE    0.5       0.10
    1   ray       1  COMPLETE    0.3       0.01
    >>> trials["study_direction"].tolist(), trials["study_metric_name"].tolist()
    (['minimize', 'minimize'], ['loss', 'loss'])
    """
    if isinstance(source, pd.DataFrame):
        frame = _from_table(source, study, objective, params, "the DataFrame")
        return _finish(frame, study, direction, metric_name, "the DataFrame")
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(
            "source must be a storage URL, a file or folder path, or a DataFrame, got "
            f"{type(source).__name__} instead."
        )
    text = os.fspath(source)
    scheme = _url_scheme(text)
    if scheme is not None:
        frame = _load_storage(text, scheme, study)
        return _finish(frame, None, direction, metric_name, repr(text))
    path = Path(text)
    if path.suffix.lower() in SQLITE_SUFFIXES:
        frame = _load_storage(text, "sqlite-file", study)
        return _finish(frame, None, direction, metric_name, repr(text))
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
        frame = pd.concat(frames, ignore_index=True)
        return _finish(frame, study, direction, metric_name, repr(text))
    if not path.exists():
        raise TrialsError(
            f"No such file or folder: {text!r}. Pass an Optuna storage URL "
            "(sqlite:///file.db, postgresql://...), a .db/.csv/.parquet/.json file or a folder."
        )
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
    studies = list(studies)
    bad = [type(s).__name__ for s in studies if not isinstance(s, optuna.Study)]
    if bad:
        raise TypeError(f"from_optuna takes optuna.Study objects, got {', '.join(bad)} instead.")
    if not studies:
        raise TrialsError("from_optuna got no studies: pass one optuna.Study or a list of them.")
    return _finish(_studies_frame(studies), None, None, None, "the studies")


# --------------------------------------------------------------------------- Optuna
_OPTUNA_HINT = (
    "Reading an Optuna storage needs optuna: pip install hpo-insights[optuna] "
    "(PostgreSQL also needs psycopg2-binary, MySQL a MySQL driver)."
)


def _url_scheme(text: str) -> str | None:
    match = re.match(r"^([A-Za-z][A-Za-z0-9]*)(\+[A-Za-z0-9_]+)?://", text)
    if match is None:
        return None
    scheme = match.group(1).lower()
    if scheme not in URL_SCHEMES:
        raise TrialsError(
            f"Unsupported storage URL {text!r}: scheme {scheme!r}. Supported: sqlite:///file.db, "
            "postgresql://user@host/db, mysql://user@host/db, or a file/folder path."
        )
    return scheme


def _readonly_url(text: str, scheme: str) -> tuple[str, dict, str]:
    """The SQLAlchemy URL and engine kwargs that open *text* read-only, and a label."""
    if scheme in ("sqlite", "sqlite-file"):
        if scheme == "sqlite":
            rest = text.split("://", 1)[1]
            if not rest.startswith("/"):
                raise TrialsError(f"Malformed SQLite URL {text!r}: expected sqlite:///path/to.db.")
            rest = rest[1:]
            if rest.startswith("file:") or rest in ("", ":memory:"):
                raise TrialsError(
                    f"Cannot read {text!r} read-only: pass a plain sqlite:///path/to.db URL "
                    "or the file's path."
                )
            path = Path(rest.split("?", 1)[0])
        else:
            path = Path(text)
        if not path.is_file():
            raise TrialsError(
                f"No such SQLite file: {str(path)!r} (from {text!r}). Check the path; "
                "hpo_insights never creates a storage."
            )
        # Connect through sqlite3's own URI parser (SQLAlchemy would unquote the path):
        # mode=ro opens read-only and never creates the file.
        uri = f"file:{quote(str(path.resolve()), safe='/')}?mode=ro"

        def connect() -> Any:
            import sqlite3

            return sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)

        return "sqlite://", {"creator": connect}, str(path)
    kwargs: dict = {}
    driver = text.split("://", 1)[0].lower()
    if scheme in ("postgresql", "postgres"):
        if driver in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"):
            kwargs = {"connect_args": {"options": "-c default_transaction_read_only=on"}}
        if scheme == "postgres":
            text = "postgresql" + text[len("postgres"):]
        if driver in ("postgresql", "postgres"):
            text = _default_pg_driver() + text[len(driver):]
    elif scheme == "mysql" and driver in ("mysql", "mysql+pymysql", "mysql+mysqldb"):
        kwargs = {"connect_args": {"init_command": "SET SESSION TRANSACTION READ ONLY"}}
    return text, kwargs, re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", text)


def _default_pg_driver() -> str:
    """SQLAlchemy 2.1 defaults postgresql:// to psycopg 3; use psycopg2 when only it exists."""
    import importlib.util

    if importlib.util.find_spec("psycopg") is None and importlib.util.find_spec("psycopg2"):
        return "postgresql+psycopg2"
    return "postgresql"


def _load_storage(text: str, scheme: str, study: str | Sequence[str] | None) -> pd.DataFrame:
    try:
        import optuna
        import sqlalchemy.exc
    except ImportError as err:
        raise TrialsError(_OPTUNA_HINT) from err
    url, engine_kwargs, label = _readonly_url(text, scheme)
    storage = None
    try:
        try:
            storage = optuna.storages.RDBStorage(
                url, engine_kwargs=engine_kwargs, skip_table_creation=True
            )
            summaries = storage.get_all_studies()
            names = [s.study_name for s in summaries]
            wanted = _select(names, study, repr(label))
            studies = [optuna.load_study(study_name=n, storage=storage) for n in wanted]
            return _studies_frame(studies)
        except (sqlalchemy.exc.SQLAlchemyError, optuna.exceptions.StorageInternalError) as err:
            cause = err.__cause__ if isinstance(err.__cause__, Exception) else err
            detail = str(getattr(cause, "orig", None) or cause).strip().splitlines()[0]
            if re.search(r"no such table|does not exist|doesn't exist|UndefinedTable", detail):
                why = "it holds no Optuna tables (is it an Optuna storage?)"
            elif re.search(r"read-only|readonly", detail):
                why = ("reading it would need a write (a missing Optuna version stamp, or an "
                       "interrupted transaction to roll back), and hpo_insights opens storages "
                       "read-only")
            elif re.search(r"not a database|file is encrypted|malformed", detail):
                why = "it is not a readable SQLite database"
            else:
                why = "the database could not be read"
            raise TrialsError(
                f"Cannot load trials from {label!r}: {why}. Database said: {detail}. "
                "Pass the URL or path of an Optuna storage that exists."
            ) from err
        except ImportError as err:
            raise TrialsError(
                f"Cannot open {label!r}: the database driver is missing ({err}). {_OPTUNA_HINT}"
            ) from err
        except RuntimeError as err:
            if "compatible" not in str(err):
                raise
            raise TrialsError(
                f"Cannot load trials from {label!r}: its schema was written by another Optuna "
                f"version ({err}). hpo_insights opens storages read-only and will not upgrade it: "
                "upgrade a copy with `optuna storage upgrade --storage <url>` and load the copy."
            ) from err
    finally:
        if storage is not None:
            storage.engine.dispose()


def _select(names: list[str], study: str | Sequence[str] | None, label: str) -> list[str]:
    if study is None:
        return names
    wanted = [study] if isinstance(study, str) else list(study)
    unknown = [s for s in wanted if s not in names]
    if unknown:
        raise TrialsError(
            f"Unknown study {', '.join(repr(s) for s in unknown)} in {label}. Studies there: "
            f"{', '.join(repr(n) for n in names) if names else '(none)'}. "
            "Pass study= with names from this list."
        )
    return list(dict.fromkeys(wanted))


def _studies_frame(studies: list) -> pd.DataFrame:
    """Shared conversion of optuna.Study objects (storage path and from_optuna)."""
    frames = [_study_frame(s) for s in studies]
    # Studies without trials add no rows; leaving them out keeps int params int.
    frames = [f for f in frames if len(f)] or frames[:1]
    if not frames:
        return pd.DataFrame({F.STUDY: pd.Series(dtype="str"), F.NUMBER: pd.Series(dtype="int64"),
                             F.STATE: pd.Series(dtype="str")})
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _json_text(value: Any) -> Any:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, default=str)
    return value


def _study_frame(study: Any) -> pd.DataFrame:
    from optuna.distributions import distribution_to_json

    directions = [d.name.lower() for d in study.directions]
    names = study.metric_names
    if len(directions) == 1:
        value_cols = [F.VALUE]
    elif names:
        value_cols = [F.VALUES_PREFIX + str(n) for n in names]
    else:
        value_cols = [f"{F.VALUES_PREFIX}{k}" for k in range(len(directions))]
    trials = study.get_trials(deepcopy=False)
    nan = float("nan")
    records = [
        {
            F.NUMBER: t.number,
            F.STATE: t.state.name,
            **dict(zip(value_cols, t.values if t.values is not None else [nan] * len(value_cols),
                       strict=False)),
            F.DATETIME_START: t.datetime_start,
            F.DATETIME_COMPLETE: t.datetime_complete,
            **{F.PARAM_PREFIX + k: v for k, v in t.params.items()},
            **{F.DISTRIBUTION_PREFIX + k: distribution_to_json(d)
               for k, d in t.distributions.items()},
            **{F.USER_ATTR_PREFIX + k: _json_text(v) for k, v in t.user_attrs.items()},
            **{F.SYSTEM_ATTR_PREFIX + k: _json_text(v) for k, v in t.system_attrs.items()},
        }
        for t in trials
    ]
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame(
        columns=[F.NUMBER, F.STATE, *value_cols, F.DATETIME_START, F.DATETIME_COMPLETE])
    frame.insert(0, F.STUDY, study.study_name)
    frame[F.DIRECTION] = ",".join(directions)
    if names:
        frame["study_metric_name"] = ",".join(str(n) for n in names)
    for key, val in sorted(study.user_attrs.items()):
        frame[F.STUDY_ATTR_PREFIX + key] = _json_text(val)
    return frame


# --------------------------------------------------------------------------- tables
def _read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return _read_csv(path)
        if suffix in (".parquet", ".pq"):
            try:
                import pyarrow  # noqa: F401
            except ImportError as err:
                raise TrialsError(
                    f"Reading {str(path)!r} needs pyarrow: pip install pyarrow "
                    "(or hpo-insights[dev])."
                ) from err
            return pd.read_parquet(path)
        if suffix == ".jsonl":
            return pd.read_json(path, lines=True)
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        if isinstance(data, dict) and "rows" in data and "header" in data:
            return pd.DataFrame(data["rows"], columns=data["header"])
        if isinstance(data, list):
            return pd.DataFrame.from_records(data)
        return pd.DataFrame(data)
    except TrialsError:
        raise
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise TrialsError(
            f"Cannot read {str(path)!r} as a {suffix[1:]} table: {err}. Check that the file is "
            "a complete export in that format."
        ) from err


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


def _flatten_columns(table: pd.DataFrame) -> pd.DataFrame:
    """(attr, key) columns -> "attr_key", as Optuna's trials_dataframe flattens them."""
    if not isinstance(table.columns, pd.MultiIndex):
        return table
    table = table.copy()
    table.columns = [
        "_".join(x for x in map(_level_name, parts) if x).lstrip("_") for parts in table.columns
    ]
    return table


def _as_list(x: str | Sequence[str] | None) -> list[str] | None:
    if x is None:
        return None
    return [x] if isinstance(x, str) else list(x)


def _from_table(
    table: pd.DataFrame,
    study: str | Sequence[str] | None,
    objective: str | Sequence[str] | None,
    params: Sequence[str] | None,
    label: str,
    *,
    default_study: str | None = None,
) -> pd.DataFrame:
    """Recognise the table's shape and rename it into the canonical columns."""
    table = _flatten_columns(table)
    table = table.rename(columns=str)
    cols = list(table.columns)
    if "Number" in cols and "State" in cols and any(c.startswith("Param ") for c in cols):
        out = _from_dashboard(table)
    elif any(c.startswith("config/") for c in cols):
        out = _from_ray(table, objective, params, label)
    elif any(c.startswith(("params.", "metrics.")) for c in cols):
        out = _from_mlflow(table, objective, params, label)
    elif any(c.startswith(F.PARAM_PREFIX) for c in cols) or (
        params is None and any(c == F.VALUE or c.startswith(F.VALUES_PREFIX) for c in cols)
    ):
        out = _from_optuna_table(table)
    else:
        out = _from_plain(table, objective, params, label)
    if F.STUDY not in out.columns:
        name = study if isinstance(study, str) else default_study or DEFAULT_STUDY
        out.insert(0, F.STUDY, name)
    if F.NUMBER not in out.columns:
        out[F.NUMBER] = out.groupby(F.STUDY, sort=False).cumcount()
    if F.STATE not in out.columns:
        out[F.STATE] = "COMPLETE"
    return out


def _from_optuna_table(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    single = [c for c in out.columns if c.startswith("value_")]
    if F.VALUE not in out.columns and len(single) == 1 and not any(
        c.startswith(F.VALUES_PREFIX) for c in out.columns
    ):
        out = out.rename(columns={single[0]: F.VALUE})
        if "study_metric_name" not in out.columns:
            out["study_metric_name"] = single[0][len("value_"):]
    return out


def _from_dashboard(table: pd.DataFrame) -> pd.DataFrame:
    """optuna-dashboard's CSV download: Number, State, objectives, Param <name>, UserAttribute."""
    cols = list(table.columns)
    rename = {"Number": F.NUMBER, "State": F.STATE}
    rename.update({c: F.PARAM_PREFIX + c[len("Param "):] for c in cols if c.startswith("Param ")})
    rename.update({c: F.USER_ATTR_PREFIX + c[len("UserAttribute "):] for c in cols
                   if c.startswith("UserAttribute ")})
    objs = [c for c in cols if c not in rename]
    if len(objs) == 1:
        rename[objs[0]] = F.VALUE
    else:
        rename.update({c: F.VALUES_PREFIX + c.removeprefix("Objective ") for c in objs})
    out = table.rename(columns=rename)
    if objs and objs != ["Value"] and not all(c.startswith("Objective ") for c in objs):
        out["study_metric_name"] = ",".join(objs)
    return out


def _objectives(
    candidates: list[str], objective: str | Sequence[str] | None, prefix: str, label: str,
    columns: list[str],
) -> list[str]:
    """Resolve the objective column(s) among *candidates* (names with or without *prefix*)."""
    wanted = _as_list(objective)
    if wanted is None:
        if len(candidates) == 1:
            return candidates
        raise TrialsError(
            f"Cannot tell which column of {label} is the objective: "
            + (f"candidates are {', '.join(candidates)}. " if candidates else
               "no numeric metric column found. ")
            + "Pass objective='<column>'."
        )
    out = []
    for name in wanted:
        for col in (name, prefix + name):
            if col in columns:
                out.append(col)
                break
        else:
            raise TrialsError(
                f"Unknown objective {name!r} in {label}. Metric columns: "
                f"{', '.join(candidates) if candidates else '(none)'}. Pass objective= with one "
                "of them."
            )
    return out


def _value_columns(objs: list[str], prefix: str) -> dict[str, str]:
    if len(objs) == 1:
        return {objs[0]: F.VALUE}
    return {c: F.VALUES_PREFIX + c[len(prefix):] if c.startswith(prefix) else F.VALUES_PREFIX + c
            for c in objs}


def _metric_label(objs: list[str], prefix: str) -> str:
    return ",".join(c[len(prefix):] if prefix and c.startswith(prefix) else c for c in objs)


def _numeric_candidates(table: pd.DataFrame, cols: list[str]) -> list[str]:
    return [c for c in cols if F.is_numeric_param(table[c])]


def _select_params(params, available: list[str], prefix: str, where: str) -> list[str]:
    """The parameter columns of an export: all of *available*, or those *params* names
    (each given with or without the tool's *prefix*)."""
    wanted = _as_list(params)
    if wanted is None:
        return available
    keep = []
    for p in wanted:
        col = p if p in available else prefix + p
        if col not in available:
            raise TrialsError(
                f"Unknown parameter {p!r} in {where}. Parameter columns: "
                f"{', '.join(available) or '(none)'}."
            )
        keep.append(col)
    return keep


def _from_ray(table, objective, params, label) -> pd.DataFrame:
    cols = list(table.columns)
    config = [c for c in cols if c.startswith("config/")]
    config_params = _select_params(params, config, "config/", f"the Ray Tune table {label}")
    metrics = [c for c in cols if not c.startswith("config/") and c not in RAY_AUTO]
    objs = _objectives(_numeric_candidates(table, metrics), objective, "", label, metrics)
    rename = {c: F.PARAM_PREFIX + c[len("config/"):] for c in config_params}
    rename.update(_value_columns(objs, ""))
    rest = [c for c in cols if c not in rename]
    rename.update({c: F.USER_ATTR_PREFIX + c for c in rest})
    out = table.rename(columns=rename)
    if "done" in table.columns:
        done = table["done"].astype("boolean")
        out[F.STATE] = np.where(done.fillna(False).to_numpy(), "COMPLETE", "RUNNING")
    if "timestamp" in table.columns and F.is_numeric_param(table["timestamp"]):
        out[F.DATETIME_COMPLETE] = pd.to_datetime(table["timestamp"], unit="s")
        if "time_total_s" in table.columns:
            out[F.DURATION] = pd.to_timedelta(table["time_total_s"], unit="s")
            out[F.DATETIME_START] = out[F.DATETIME_COMPLETE] - out[F.DURATION]
    out["study_metric_name"] = _metric_label(objs, "")
    return out


def _from_mlflow(table, objective, params, label) -> pd.DataFrame:
    cols = list(table.columns)
    pcols = [c for c in cols if c.startswith("params.")]
    pcols = _select_params(params, pcols, "params.", f"the MLflow table {label}")
    metrics = [c for c in cols if c.startswith("metrics.")]
    objs = _objectives(metrics, objective, "metrics.", label, cols)
    rename = {c: F.PARAM_PREFIX + c[len("params."):] for c in pcols}
    rename.update(_value_columns(objs, "metrics."))
    rename.update({"status": F.STATE, "start_time": F.DATETIME_START,
                   "end_time": F.DATETIME_COMPLETE})
    rest = [c for c in cols if c not in rename]
    rename.update({c: F.USER_ATTR_PREFIX + c for c in rest})
    out = table.rename(columns=rename)
    for col in (F.DATETIME_START, F.DATETIME_COMPLETE):
        if col in out.columns and F.is_numeric_param(out[col]):
            out[col] = pd.to_datetime(out[col], unit="ms", utc=True)
    if F.DATETIME_START in out.columns:
        # search_runs lists the newest run first: number runs in start order.
        start = pd.to_datetime(out[F.DATETIME_START], format="ISO8601", utc=True)
        order = start.reset_index(drop=True).sort_values(kind="stable", na_position="last")
        out = out.iloc[order.index.to_numpy()].reset_index(drop=True)
    out["study_metric_name"] = _metric_label(objs, "metrics.")
    return out


def _from_plain(table, objective, params, label) -> pd.DataFrame:
    cols = list(table.columns)
    meta = {"State", "state", "status", "Status", F.STUDY, F.NUMBER, *WANDB_META}
    if params is None:
        raise TrialsError(
            f"Cannot tell the parameters of {label}: it has no params_/config/ /params. columns. "
            f"Pass params=[...] naming them among: {', '.join(c for c in cols if c not in meta)}."
        )
    wanted = _as_list(params)
    missing = [p for p in wanted if p not in cols]
    if missing:
        raise TrialsError(
            f"Unknown parameter column {', '.join(repr(m) for m in missing)} in {label}. "
            f"Columns: {', '.join(cols)}."
        )
    others = [c for c in cols if c not in wanted and c not in meta]
    objs = _objectives(_numeric_candidates(table, others), objective, "", label, cols)
    rename = {c: F.PARAM_PREFIX + c for c in wanted}
    rename.update(_value_columns(objs, ""))
    for cand in ("State", "state", "status", "Status"):
        if cand in cols:
            rename[cand] = F.STATE
            break
    if "Created" in cols:
        rename["Created"] = F.DATETIME_START
    rest = [c for c in cols if c not in rename and c not in (F.STUDY, F.NUMBER)]
    rename.update({c: F.USER_ATTR_PREFIX + c.lower() if c in WANDB_META else
                   F.USER_ATTR_PREFIX + c for c in rest})
    out = table.rename(columns=rename)
    if "Runtime" in cols and F.is_numeric_param(table["Runtime"]):
        out[F.DURATION] = pd.to_timedelta(table["Runtime"], unit="s")
    out["study_metric_name"] = _metric_label(objs, "")
    return out


# --------------------------------------------------------------------------- canonical
def _column_rank(col: str) -> int:
    if col == F.STUDY:
        return 0
    if col == F.NUMBER:
        return 1
    if col == F.STATE:
        return 2
    for k, prefix in enumerate(_GROUP_ORDER):
        if col == prefix or (prefix.endswith("_") and col.startswith(prefix)):
            return 3 + k
    return 3 + len(_GROUP_ORDER)


def _to_numeric_if_all(values: pd.Series) -> pd.Series:
    """Numbers stored as text (CSV, MLflow) become numbers when every value parses."""
    if F.is_numeric_param(values) or pd.api.types.is_bool_dtype(values):
        return values
    present = values.dropna()
    if present.empty or not present.map(lambda v: isinstance(v, str)).all():
        return values
    if pd.to_numeric(present, errors="coerce").isna().any():
        return values
    return pd.to_numeric(values, errors="coerce")  # int64 when complete and integral


def _to_datetime(values: pd.Series, col: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values
    elif F.is_numeric_param(values):  # JSON exports store epoch milliseconds
        out = pd.to_datetime(values, unit="ms")
    else:
        try:
            out = pd.to_datetime(values, format="ISO8601")
        except (ValueError, TypeError) as err:
            try:
                out = pd.to_datetime(values, utc=True, format="ISO8601")
            except (ValueError, TypeError):
                raise TrialsError(
                    f"Column {col!r} must hold dates (ISO 8601 text or timestamps), got "
                    f"{values.dropna().iloc[0]!r}."
                ) from err
    return out.dt.as_unit("us")


def _to_timedelta(values: pd.Series) -> pd.Series:
    if pd.api.types.is_timedelta64_dtype(values):
        out = values
    elif F.is_numeric_param(values):  # JSON exports store milliseconds
        out = pd.to_timedelta(values, unit="ms")
    else:
        try:
            out = pd.to_timedelta(values)
        except (ValueError, TypeError) as err:
            raise TrialsError(
                f"Column 'duration' must hold durations such as '0 days 00:01:02', got "
                f"{values.dropna().iloc[0]!r}."
            ) from err
    return out.dt.as_unit("us")


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """Normalise dtypes and column order (idempotent)."""
    out = frame.copy()
    out[F.STUDY] = out[F.STUDY].astype("str")
    number = pd.to_numeric(out[F.NUMBER], errors="coerce")
    if number.isna().any() or (number % 1 != 0).any():
        bad = out.loc[number.isna() | (number % 1 != 0), F.NUMBER].iloc[0]
        raise TrialsError(
            f"Column 'number' must hold integer trial numbers, got {bad!r}. Drop or fix that row."
        )
    out[F.NUMBER] = number.astype("int64")
    out[F.STATE] = _states(out[F.STATE])
    for col in out.columns:
        s = out[col]
        if col == F.VALUE or col.startswith(F.VALUES_PREFIX):
            out[col] = F.numeric_objective(out, col)
        elif col in (F.DATETIME_START, F.DATETIME_COMPLETE):
            out[col] = _to_datetime(s, col)
        elif col == F.DURATION:
            out[col] = _to_timedelta(s)
        elif col.startswith(F.PARAM_PREFIX):
            out[col] = _to_numeric_if_all(s)
        elif col == F.DIRECTION:
            out[col] = s.astype("str").str.lower().where(s.notna())
        elif s.dtype == object:
            if col.startswith(F.DISTRIBUTION_PREFIX):
                out[col] = s.map(_distribution_text)
            else:
                out[col] = s.map(_json_text)
    if F.DURATION not in out.columns and {F.DATETIME_START, F.DATETIME_COMPLETE} <= set(out):
        out[F.DURATION] = out[F.DATETIME_COMPLETE] - out[F.DATETIME_START]
    order = sorted(range(len(out.columns)), key=lambda k: (_column_rank(out.columns[k]), k))
    out = out.iloc[:, order]
    # Trials by number within each study; studies keep their order of appearance.
    key = pd.factorize(out[F.STUDY])[0]
    idx = np.lexsort((out[F.NUMBER].to_numpy(), key))
    return out.iloc[idx].reset_index(drop=True)


def _distribution_text(value: Any) -> Any:
    if isinstance(value, dict):
        return json.dumps(value)
    if value is None or isinstance(value, (str, float)):
        return value
    try:
        from optuna.distributions import distribution_to_json

        return distribution_to_json(value)
    except (ImportError, AttributeError, TypeError):
        return value


def _states(values: pd.Series) -> pd.Series:
    text = values.astype("str").str.strip()
    text = text.str.replace(r"^TrialState\.", "", regex=True).str.lower()
    mapped = text.map(STATE_MAP)
    bad = values[mapped.isna()]
    if len(bad):
        seen = sorted({str(v) for v in bad})
        raise TrialsError(
            f"Column 'state' holds values that map to no trial state: {', '.join(seen)}. "
            "Known: COMPLETE, PRUNED, FAIL, RUNNING, WAITING (any case), MLflow's FINISHED, "
            "FAILED, KILLED, SCHEDULED, W&B's finished, failed, crashed, killed, running. "
            "Fix or drop those rows."
        )
    return mapped.astype("str")


def _finish(
    frame: pd.DataFrame,
    study: str | Sequence[str] | None,
    direction: str | Sequence[str] | None,
    metric_name: str | None,
    label: str,
) -> pd.DataFrame:
    out = _canonical(frame)
    if study is not None:
        names = list(dict.fromkeys(out[F.STUDY]))
        wanted = _select(names, study, label)
        out = out[out[F.STUDY].isin(wanted)].reset_index(drop=True)
    if direction is not None:
        dirs = [str(d).strip().lower() for d in
                (direction.split(",") if isinstance(direction, str) else direction)]
        bad = [d for d in dirs if d not in F.DIRECTIONS]
        if bad:
            raise TrialsError(
                f"direction must be 'maximize' or 'minimize' (one per objective), got "
                f"{direction!r} instead."
            )
        joined = ",".join(dirs)
        if F.DIRECTION in out.columns:
            recorded = out[F.DIRECTION].dropna().unique()
            clash = [d for d in recorded if d != joined]
            if clash:
                raise TrialsError(
                    f"direction={joined!r} contradicts the direction recorded in {label} "
                    f"({', '.join(clash)}). Drop direction= to use the recorded one."
                )
            out[F.DIRECTION] = out[F.DIRECTION].fillna(joined)
        else:
            out[F.DIRECTION] = joined
    if metric_name is not None:
        out["study_metric_name"] = str(metric_name)
    if direction is not None or metric_name is not None:
        order = sorted(range(len(out.columns)), key=lambda k: (_column_rank(out.columns[k]), k))
        out = out.iloc[:, order]
    return out
