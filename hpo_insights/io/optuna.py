"""Optuna storages (database URLs and SQLite files) and ``optuna.Study`` objects."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd

from hpo_insights import _frame as F
from hpo_insights._errors import TrialsError
from hpo_insights.io.canonical import _json_text, _select

SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")


URL_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql")


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


def _studies_frame(studies: list) -> pd.DataFrame:
    """Shared conversion of optuna.Study objects (storage path and from_optuna)."""
    frames = [_study_frame(s) for s in studies]
    # Studies without trials add no rows; leaving them out keeps int params int.
    frames = [f for f in frames if len(f)] or frames[:1]
    if not frames:
        return pd.DataFrame({F.STUDY: pd.Series(dtype="str"), F.NUMBER: pd.Series(dtype="int64"),
                             F.STATE: pd.Series(dtype="str")})
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


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
