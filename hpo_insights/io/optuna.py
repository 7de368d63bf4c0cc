"""Optuna storages (database URLs and SQLite files) and ``optuna.Study`` objects."""

from __future__ import annotations

import json
import re
import sqlite3
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd

from hpo_insights import _frame as F
from hpo_insights._errors import TrialsError, TrialsWarning
from hpo_insights.io.canonical import json_text, selected_studies
from hpo_insights.io.readers import DEFAULT_TIMEOUT

SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")


URL_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql")


OPTUNA_HINT = (
    "Reading an Optuna storage needs optuna: pip install hpo-insights[optuna] "
    "(PostgreSQL also needs psycopg2-binary, MySQL a MySQL driver)."
)


def mask_url(text: str) -> str:
    """*text* with any password replaced by ``***``: the one in the user-info part (even
    with an unencoded ``@`` in it) and ``password=``/``passwd=``/``pwd=`` in the query."""
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.\-]*://)(.*)$", text, flags=re.DOTALL)
    if match is None:
        return text
    head, rest = match.groups()
    before_query = rest.split("?", 1)[0]
    if "@" in before_query:  # user-info ends at the last "@" before the query
        at = before_query.rindex("@")
        userinfo = before_query[:at]
        if ":" in userinfo:
            user = userinfo.split(":", 1)[0]
            rest = f"{user}:***" + rest[at:]
    return head + re.sub(r"(?i)([?&;](?:password|passwd|pwd)=)[^&;]*", r"\1***", rest)


def _quote_password(text: str) -> str:
    """Percent-encode a password holding ``@`` (SQLAlchemy would cut it at the first
    ``@``: a wrong host, and the rest of the password shown in the driver's error)."""
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.\-]*://)(.*)$", text, flags=re.DOTALL)
    if match is None:
        return text
    head, rest = match.groups()
    before_query = rest.split("?", 1)[0]
    if before_query.count("@") < 2:
        return text
    at = before_query.rindex("@")
    userinfo = before_query[:at]
    if ":" not in userinfo:
        return text
    user, password = userinfo.split(":", 1)
    if "%" in password:  # already encoded
        return text
    return f"{head}{user}:{quote(password, safe='')}{rest[at:]}"


def url_scheme(text: str) -> str | None:
    match = re.match(r"^([A-Za-z][A-Za-z0-9]*)(\+[A-Za-z0-9_]+)?://", text)
    if match is None:
        return None
    scheme = match.group(1).lower()
    if scheme not in URL_SCHEMES:
        raise TrialsError(
            f"Unsupported storage URL {mask_url(text)!r}: scheme {scheme!r}. Supported: "
            "sqlite:///file.db, postgresql://user@host/db, mysql://user@host/db, or a "
            "file/folder path."
        )
    return scheme


def _wal_mode(path: Path) -> bool:
    """Whether the SQLite file's header says write-ahead logging (bytes 18-19 are 2)."""
    with open(path, "rb") as fh:
        header = fh.read(20)
    return len(header) == 20 and header[18] == 2 and header[19] == 2


def sqlite_readonly_uri(path: Path) -> tuple[str, bool]:
    """A ``file:`` URI that opens *path* read-only, creating no file beside it; and whether
    it is ``immutable=1``.

    ``mode=ro`` never writes the database, but in WAL mode SQLite creates ``-wal``/``-shm``
    files to read it. A WAL database with no ``-wal`` file has every commit in the main
    file (no writer has it open): it is opened ``immutable=1`` (no locks, no side files).
    When a ``-wal`` file exists a writer is (or was) at work and its commits may be only
    there: ``mode=ro`` reads them through the writer's files.
    """
    immutable = _wal_mode(path) and not Path(f"{path}-wal").exists()
    query = "mode=ro&immutable=1" if immutable else "mode=ro"
    # sqlite3's own URI parser (SQLAlchemy would unquote the path)
    return f"file:{quote(str(path.resolve()), safe='/')}?{query}", immutable


def _file_state(path: Path) -> tuple:
    stat = path.stat()
    wal = Path(f"{path}-wal")
    return stat.st_size, stat.st_mtime_ns, wal.exists() and wal.stat().st_size


def _readonly_url(text: str, scheme: str, timeout: float = DEFAULT_TIMEOUT
                  ) -> tuple[str, dict, str]:
    """The SQLAlchemy URL and engine kwargs that open *text* read-only, and a label (the
    URL with its password masked)."""
    if scheme in ("sqlite", "sqlite-file"):
        return _sqlite_readonly(text, scheme, timeout)
    return _server_readonly(text, scheme, timeout)


def _sqlite_path(text: str, scheme: str) -> Path:
    """The file a ``sqlite:///`` URL (or, for ``sqlite-file``, a path) names; it must exist."""
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
    return path


def _sqlite_readonly(text: str, scheme: str, timeout: float) -> tuple[str, dict, str]:
    """A SQLite file opened through sqlite3's read-only URI (a creator SQLAlchemy calls)."""
    path = _sqlite_path(text, scheme)

    def connect() -> Any:
        import sqlite3

        uri, connect.immutable = sqlite_readonly_uri(path)
        # timeout: how long to wait while a writer holds the lock (rollback journal)
        return sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=False,
                               isolation_level=None)

    connect.sqlite_path = path  # type: ignore[attr-defined]
    connect.immutable = False  # type: ignore[attr-defined]
    return "sqlite://", {"creator": connect}, str(path)


def _server_readonly(text: str, scheme: str, timeout: float) -> tuple[str, dict, str]:
    """A PostgreSQL or MySQL URL with read-only sessions and the timeouts its driver takes."""
    kwargs: dict = {}
    text = _quote_password(text)
    driver = text.split("://", 1)[0].lower()
    seconds = max(1, int(-(-timeout // 1)))  # drivers take whole seconds
    if scheme in ("postgresql", "postgres"):
        if driver in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"):
            kwargs = {"connect_args": {
                "connect_timeout": seconds,
                "options": "-c default_transaction_read_only=on "
                           f"-c statement_timeout={int(timeout * 1000)}",
            }}
        if scheme == "postgres":
            text = "postgresql" + text[len("postgres"):]
        if driver in ("postgresql", "postgres"):
            text = _default_pg_driver() + text[len(driver):]
    elif scheme == "mysql" and driver in ("mysql", "mysql+pymysql", "mysql+mysqldb"):
        kwargs = {"connect_args": {"init_command": "SET SESSION TRANSACTION READ ONLY",
                                   "connect_timeout": seconds, "read_timeout": seconds}}
    return text, kwargs, mask_url(text)


def check_timeout(timeout: Any) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0 \
            or timeout == float("inf"):
        raise TrialsError(f"timeout must be a positive number of seconds, got {timeout!r}.")
    return float(timeout)


def _password(url: str) -> str | None:
    """The password SQLAlchemy will send (masked in messages wherever it appears)."""
    try:
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - a URL SQLAlchemy cannot parse fails later, masked
        return None
    query = {k.lower(): v for k, v in parsed.query.items()}
    found = parsed.password or query.get("password") or query.get("passwd")
    if isinstance(found, tuple):
        found = found[0]
    return str(found) if found else None


def _default_pg_driver() -> str:
    """SQLAlchemy 2.1 defaults postgresql:// to psycopg 3; use psycopg2 when only it exists."""
    import importlib.util

    if importlib.util.find_spec("psycopg") is None and importlib.util.find_spec("psycopg2"):
        return "postgresql+psycopg2"
    return "postgresql"


def load_storage(
    text: str, scheme: str, study: str | Sequence[str] | None, *, curves: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> pd.DataFrame:
    """The trials frame (or with *curves* the intermediate values) of the storage *text*."""
    try:
        import optuna
        import sqlalchemy.exc
    except ImportError as err:
        raise TrialsError(OPTUNA_HINT) from err
    url, engine_kwargs, label = _readonly_url(text, scheme, check_timeout(timeout))
    password = _password(url)
    try:
        frame = _read_sql(url, engine_kwargs, study, label, curves)
        if isinstance(frame, str):
            warnings.warn(
                f"{label!r} was not written by Optuna 3.0-5.x ({frame}): reading it through "
                "Optuna's API, which is slower.", TrialsWarning, stacklevel=4)
            studies = _read_object_layer(url, engine_kwargs, study, label)
            frame = studies_curves(studies) if curves else studies_frame(studies)
        return frame
    except (sqlalchemy.exc.SQLAlchemyError, optuna.exceptions.StorageInternalError) as err:
        raise TrialsError(_database_failure(err, label, password, timeout)) from err
    except ImportError as err:
        raise TrialsError(
            f"Cannot open {label!r}: the database driver is missing ({err}). {OPTUNA_HINT}"
        ) from err
    except sqlite3.Error as err:  # raised before SQLAlchemy wraps it (the immutable check)
        raise TrialsError(f"Cannot load trials from {label!r}: {err}.") from err
    except RuntimeError as err:
        if "compatible" not in str(err):
            raise
        raise TrialsError(
            f"Cannot load trials from {label!r}: its schema was written by another Optuna "
            f"version ({err}). hpo_insights opens storages read-only and will not upgrade it: "
            "upgrade a copy with `optuna storage upgrade --storage <url>` and load the copy."
        ) from err


#: What a database error means, by the first pattern its message matches ({timeout} is
#: filled in); anything else "could not be read".
_DATABASE_FAILURES = (
    (r"database is locked|database table is locked",
     "a writer held its lock for longer than timeout={timeout:g} s (hpo_insights "
     "waits that long, then gives up); retry, pass a larger timeout=, or load a "
     "copy of the file"),
    (r"timeout expired|timed out|Can't connect|Lost connection",
     "the server did not answer within timeout={timeout:g} s; check the host "
     "and port, or pass a larger timeout="),
    (r"statement timeout|max_execution_time",
     "a query ran longer than timeout={timeout:g} s; pass a larger timeout= "
     "for a large storage or a busy server"),
    (r"no such table|does not exist|doesn't exist|UndefinedTable",
     "it holds no Optuna tables (is it an Optuna storage?)"),
    (r"read-only|readonly",
     "reading it would need a write (a missing Optuna version stamp, or an "
     "interrupted transaction to roll back), and hpo_insights opens storages "
     "read-only"),
    (r"not a database|file is encrypted|malformed",
     "it is not a readable SQLite database"),
)


def _database_failure(err: Exception, label: str, password: str | None,
                      timeout: float) -> str:
    """The message for a database error: what it means, and what the database said
    (passwords masked)."""
    cause = err.__cause__ if isinstance(err.__cause__, Exception) else err
    detail = str(getattr(cause, "orig", None) or cause).strip().splitlines()[0]
    if password and len(password) >= 4:
        detail = detail.replace(password, "***")
    detail = mask_url(detail)
    why = next((text.format(timeout=timeout) for pattern, text in _DATABASE_FAILURES
                if re.search(pattern, detail)), "the database could not be read")
    return (f"Cannot load trials from {label!r}: {why}. Database said: {detail}. "
            "Pass the URL or path of an Optuna storage that exists.")


def _read_sql(
    url: str, engine_kwargs: dict, study: str | Sequence[str] | None, label: str,
    curves: bool = False,
) -> pd.DataFrame | str:
    """The frame read with SQL in one snapshot, or why the schema is not one we know.

    A WAL-mode SQLite file with no writer is read ``immutable=1`` (no locks): if the file
    changed meanwhile (a writer came and checkpointed), it is read again.
    """
    creator = engine_kwargs.get("creator")
    path = getattr(creator, "sqlite_path", None)
    for _ in range(3):
        before = _file_state(path) if path is not None else None
        try:
            frame = _read_sql_once(url, engine_kwargs, study, label, curves)
        except _StudiesChanged:
            continue
        if path is None or not creator.immutable or _file_state(path) == before:
            return frame
    try:
        return _read_sql_once(url, engine_kwargs, study, label, curves)  # -wal exists by now
    except _StudiesChanged as changed:
        raise TrialsError(f"Cannot load trials from {label!r}: {changed} while it was read, "
                          "four times in a row. Retry when no study is being deleted.") from None


def _read_sql_once(
    url: str, engine_kwargs: dict, study: str | Sequence[str] | None, label: str,
    curves: bool,
) -> pd.DataFrame | str:
    import sqlalchemy

    creator = engine_kwargs.get("creator")
    path = getattr(creator, "sqlite_path", None)
    # SQLite's rollback journal: a reader's lock keeps every writer waiting, so the trial
    # tables are read in short transactions (in WAL mode readers block no writer). Asked
    # before connecting: closing any file of the database drops the process's locks on it.
    chunked = path is not None and not _wal_mode(path)
    engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool, **engine_kwargs)
    try:
        with engine.connect() as conn:
            chunked = chunked and not creator.immutable
            if engine.dialect.name == "sqlite":
                # pysqlite opens no transaction for SELECTs: one explicit read transaction
                # makes every table come from the same snapshot.
                conn.exec_driver_sql("BEGIN")
            elif engine.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            # MySQL's InnoDB default (REPEATABLE READ) already reads one snapshot.
            problem = _sql_schema_problem(conn)
            if problem is not None:
                return problem
            tables = _TrialTables(conn, chunked)
            frame = (_sql_curves if curves else _sql_frame)(conn, study, label, tables)
            conn.rollback()
            return frame
    finally:
        engine.dispose()


def _read_object_layer(
    url: str, engine_kwargs: dict, study: str | Sequence[str] | None, label: str
) -> list:
    """The studies read through Optuna's RDBStorage (storages of other schema versions)."""
    import optuna

    storage = optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs,
                                         skip_table_creation=True)
    try:
        names = [s.study_name for s in storage.get_all_studies()]
        wanted = selected_studies(names, study, repr(label))
        studies = [optuna.load_study(study_name=n, storage=storage) for n in wanted]
        for s in studies:  # read every trial before the engine goes
            s.get_trials(deepcopy=False)
        return studies
    finally:
        storage.engine.dispose()


def studies_frame(studies: list) -> pd.DataFrame:
    """Shared conversion of optuna.Study objects (the object-layer path and from_optuna)."""
    return _concat_studies([_study_frame(s) for s in studies])


def _concat_studies(frames: list[pd.DataFrame]) -> pd.DataFrame:
    # Studies without trials add no rows; leaving them out keeps int params int.
    frames = [f for f in frames if len(f)] or frames[:1]
    if not frames:
        return pd.DataFrame({F.STUDY: pd.Series(dtype="str"), F.NUMBER: pd.Series(dtype="int64"),
                             F.STATE: pd.Series(dtype="str")})
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _value_names(directions: list[str], names: list | None) -> list[str]:
    """``value`` for one objective, else ``values_<metric name>`` or ``values_<index>``."""
    if len(directions) == 1:
        return [F.VALUE]
    if names:
        return [F.VALUES_PREFIX + str(n) for n in names]
    return [f"{F.VALUES_PREFIX}{k}" for k in range(len(directions))]


def _with_study_columns(
    frame: pd.DataFrame, name: str, directions: list[str], names: list | None,
    user_attrs: dict[str, Any],
) -> pd.DataFrame:
    """Add ``study``, ``study_direction``, ``study_metric_name``, ``study_user_attrs_*``."""
    frame.insert(0, F.STUDY, name)
    frame[F.DIRECTION] = ",".join(directions)
    if names:
        frame["study_metric_name"] = ",".join(str(n) for n in names)
    for key, val in sorted(user_attrs.items()):
        frame[F.STUDY_ATTR_PREFIX + key] = json_text(val)
    return frame


def _empty_trials(value_cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        columns=[F.NUMBER, F.STATE, *value_cols, F.DATETIME_START, F.DATETIME_COMPLETE])


def _study_frame(study: Any) -> pd.DataFrame:
    from optuna.distributions import distribution_to_json

    directions = [d.name.lower() for d in study.directions]
    names = study.metric_names
    value_cols = _value_names(directions, names)
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
            **{F.USER_ATTR_PREFIX + k: json_text(v) for k, v in t.user_attrs.items()},
            **{F.SYSTEM_ATTR_PREFIX + k: json_text(v) for k, v in t.system_attrs.items()},
        }
        for t in trials
    ]
    frame = pd.DataFrame.from_records(records) if records else _empty_trials(value_cols)
    return _with_study_columns(frame, study.study_name, directions, names, study.user_attrs)


# --------------------------------------------------------------------------- SQL reader
# The alembic revisions of the schema Optuna 3.0 to 5.x write (version_info.schema_version
# 12): the tables and columns read below. Any other storage goes through Optuna's API.
SQL_REVISIONS = ("v3.0.0.d", "v3.2.0.a")
SQL_SCHEMA_VERSION = 12
SQL_LIBRARY_MAJORS = (3, 4, 5)
_METRIC_NAMES_KEY = "study:metric_names"  # optuna.study.study._SYSTEM_ATTR_METRIC_NAMES


def _sql_schema_problem(conn: Any) -> str | None:
    """None when the SQL reader knows the storage's schema, else what differs."""
    info = conn.exec_driver_sql(
        "SELECT schema_version, library_version FROM version_info").fetchall()
    if len(info) != 1:
        return f"version_info holds {len(info)} rows, expected 1"
    schema, library = info[0]
    major = re.match(r"\s*(\d+)\.", str(library))
    if schema != SQL_SCHEMA_VERSION or major is None or int(major.group(1)) not in \
            SQL_LIBRARY_MAJORS:
        return f"schema version {schema} written by Optuna {library}"
    revisions = [r[0] for r in conn.exec_driver_sql(
        "SELECT version_num FROM alembic_version").fetchall()]
    if len(revisions) != 1 or revisions[0] not in SQL_REVISIONS:
        return f"alembic revision {', '.join(map(str, revisions)) or '(none)'}"
    return None


def _fetch(conn: Any, sql: str, columns: list[str]) -> pd.DataFrame:
    """One SELECT as a DataFrame (plain DBAPI tuples: no per-row SQLAlchemy objects)."""
    return _frame_of(_rows(conn, sql), columns)


def _frame_of(rows: list, columns: list[str]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return pd.DataFrame.from_records(rows, columns=columns, coerce_float=False)


def _groups(codes: np.ndarray, n_groups: int) -> list[np.ndarray]:
    """Positions holding each code 0..n_groups-1, each in ascending order."""
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(n_groups + 1))
    return [order[bounds[k]:bounds[k + 1]] for k in range(n_groups)]


_JSON_NUMBER = r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?"


def _json_column(values: pd.Series) -> np.ndarray:
    """Decode JSON text (each distinct text once); dicts and lists back to JSON text.

    Plain JSON numbers (most attributes: metrics per trial) are converted in bulk with
    Python's own ``int``/``float``, which is what ``json.loads`` does for them.
    """
    codes, uniques = pd.factorize(values.astype("object"))
    texts = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    decoded = np.empty(len(texts), dtype=object)
    number = texts.str.fullmatch(_JSON_NUMBER).fillna(False).to_numpy(bool)
    integral = number & ~texts.str.contains(r"[.eE]", regex=True).fillna(False).to_numpy(bool)
    small = integral & (texts.str.len().to_numpy() <= 18)  # fits int64
    floating = number & ~integral
    decoded[small] = texts[small].to_numpy(object).astype("int64").astype(object)
    decoded[floating] = texts[floating].to_numpy(object).astype("float64").astype(object)
    for k in np.flatnonzero(~(small | floating)):
        decoded[k] = json_text(json.loads(texts.iloc[k]))
    return decoded[codes]


def _utc_to_local(stamps: pd.Series) -> pd.Series:
    """Naive UTC -> naive local wall time, as ``datetime.astimezone()`` does (Optuna >= 5).

    The offset comes from ``time.localtime`` once per 15-minute UTC bucket: time-zone
    transitions since 1970 fall on quarter hours, so every instant of a bucket shares it.
    """
    if time.timezone == 0 and not time.daylight:  # UTC-like zone: no offset since 1970
        return stamps
    valid = stamps.notna().to_numpy()
    if not valid.any():
        return stamps
    seconds = stamps[valid].astype("datetime64[s]").astype("int64").to_numpy()
    buckets, inverse = np.unique(seconds // 900 * 900, return_inverse=True)
    offsets = np.array([time.localtime(int(b)).tm_gmtoff for b in buckets], dtype="int64")
    if not offsets.any():
        return stamps
    out = stamps.copy()
    out[valid] = stamps[valid] + pd.to_timedelta(offsets[inverse.ravel()], unit="s")
    return out


def _stored_datetimes(values: pd.Series, local: bool) -> pd.Series:
    if values.isna().all():
        out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    elif pd.api.types.is_datetime64_any_dtype(values):
        out = values
    else:  # SQLite stores text, servers datetime objects
        out = pd.to_datetime(values, format="ISO8601")
    return _utc_to_local(out) if local else out


def _optuna_stores_utc() -> bool:
    """Optuna 5 stores naive UTC and shows local time; earlier versions show what is stored."""
    import optuna

    major = re.match(r"(\d+)\.", optuna.__version__)
    return major is None or int(major.group(1)) >= 5


def _decode_params(params: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """External parameter values and ``distribution_to_json`` text, one per trial_params row."""
    from optuna.distributions import (
        CategoricalDistribution,
        IntDistribution,
        distribution_to_json,
        json_to_distribution,
    )

    codes, uniques = pd.factorize(params["distribution_json"])
    dists = [json_to_distribution(text) for text in uniques]
    texts = np.array([distribution_to_json(d) for d in dists] or [""], dtype=object)
    internal = params["param_value"].to_numpy(dtype="float64", na_value=np.nan)
    external = np.empty(len(params), dtype=object)
    kind = np.array([2 if isinstance(d, CategoricalDistribution) else
                     1 if isinstance(d, IntDistribution) else 0 for d in dists] or [0])[codes]
    floats = kind == 0
    external[floats] = internal[floats].astype(object)
    ints = kind == 1
    external[ints] = internal[ints].astype("int64").astype(object)
    if (kind == 2).any():
        for k, rows in enumerate(_groups(codes, len(uniques))):
            dist = dists[k]
            if len(rows) and isinstance(dist, CategoricalDistribution):
                choices = np.empty(len(dist.choices), dtype=object)
                for j, choice in enumerate(dist.choices):
                    choices[j] = choice
                external[rows] = choices[internal[rows].astype("int64")]
    return external, texts[codes]


def _wide(
    rows: np.ndarray, names: pd.Series, values: np.ndarray, n_rows: int, prefix: str,
    order: np.ndarray,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Long (row, name, value) records -> one object column per name (NaN where absent) and
    the mask of rows holding it; names in order of first appearance along *order*."""
    codes, uniques = pd.factorize(names.to_numpy()[order])
    rows = rows[order]
    values = values[order]
    out = {}
    for k, idx in enumerate(_groups(codes, len(uniques))):
        col = np.full(n_rows, np.nan, dtype=object)
        col[rows[idx]] = values[idx]
        present = np.zeros(n_rows, dtype=bool)
        present[rows[idx]] = True
        out[prefix + str(uniques[k])] = (col, present)
    return out


class _StudiesChanged(Exception):
    """A study read at the start of a read in short transactions was gone at its end."""


_CHUNK_SECONDS = 0.1  # how long one read transaction should hold SQLite's lock
_FIRST_CHUNK = 2000  # trials in the first transaction; later ones sized by the time taken
_MIN_CHUNK = 200


class _TrialTables:
    """Reads the per-trial tables: all in one transaction, or in short transactions.

    With ``chunked`` (SQLite in rollback-journal mode, where a reader's lock keeps
    every writer waiting, and a writer gives up after its busy timeout: 5 s for
    Optuna), trials are read in batches of consecutive ``trial_id``: each batch's
    rows of every table in one read transaction of about :data:`_CHUNK_SECONDS`
    (the first one is the transaction that read the studies); between two, a
    waiting writer commits. Each trial is read whole from one snapshot (its state,
    values, parameters and attributes agree); trials created while the read goes on
    are read too when their ``trial_id`` comes after the batches already read. A
    storage that fits in the first batch is read in that one transaction; otherwise
    a study deleted or renamed meanwhile makes the read start again
    (:class:`_StudiesChanged`). The first query must read the ``trials`` table,
    ``trial_id`` first.
    """

    def __init__(self, conn: Any, chunked: bool):
        self.conn, self.chunked = conn, chunked

    def read(self, queries: list[tuple[str, str, list[str]]],
             studies: dict[int, str]) -> list[pd.DataFrame]:
        """One frame per ``(select, where, columns)``; *studies* (id → name) must survive."""
        import time

        conn = self.conn
        if not self.chunked:
            return [_fetch(conn, head + where, cols) for head, where, cols in queries]
        rows: list[list[tuple]] = [[] for _ in queries]
        lo, size, first = 0, _FIRST_CHUNK, True
        while True:
            start = time.perf_counter()
            if not first:
                conn.exec_driver_sql("BEGIN")
            head, where, _ = queries[0]
            after = f"{where} AND trial_id > {lo}" if where else f" WHERE trial_id > {lo}"
            batch = _rows(conn, f"{head}{after} ORDER BY trial_id LIMIT {size}")
            rows[0].extend(batch)
            hi = int(batch[-1][0]) if batch else lo
            for k, (head, where, _) in enumerate(queries[1:], start=1):
                if batch:
                    rng = f"trial_id > {lo} AND trial_id <= {hi}"
                    rows[k].extend(_rows(conn, f"{head}{where} AND {rng}" if where else
                                         f"{head} WHERE {rng}"))
            done = len(batch) < size
            if first and done:  # all of it in the transaction that read the studies
                break
            conn.exec_driver_sql("ROLLBACK")
            first = False
            if done:
                conn.exec_driver_sql("BEGIN")
                now = dict(_rows(conn, "SELECT study_id, study_name FROM studies"))
                # every row is read: the frames are built outside any transaction (building
                # them takes seconds for 10^5 trials on a busy machine, longer than a
                # writer's busy timeout)
                conn.exec_driver_sql("ROLLBACK")
                gone = [name for sid, name in studies.items() if now.get(sid) != name]
                if gone:
                    raise _StudiesChanged(f"study {gone[0]!r} was deleted or renamed")
                break
            took = max(time.perf_counter() - start, 1e-4)
            size = int(min(max(size * min(_CHUNK_SECONDS / took, 4.0), _MIN_CHUNK),
                           1_000_000))
            lo = hi
        return [_frame_of(r, cols) for r, (_, _, cols) in zip(rows, queries, strict=True)]


def _rows(conn: Any, sql: str) -> list:
    result = conn.exec_driver_sql(sql)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def _study_filter(
    conn: Any, studies: str | Sequence[str] | None, label: str
) -> tuple[list[str], list[int], str, str]:
    """The selected study names and ids, and the WHERE clauses of study and trial tables."""
    study_rows = conn.exec_driver_sql(
        "SELECT study_id, study_name FROM studies ORDER BY study_id").fetchall()
    names = [r[1] for r in study_rows]
    wanted = selected_studies(names, studies, repr(label))
    ids = {r[1]: int(r[0]) for r in study_rows}
    wanted_ids = [ids[n] for n in wanted]
    id_list = ",".join(str(i) for i in wanted_ids) or "NULL"
    where_study = "" if studies is None else f" WHERE study_id IN ({id_list})"
    where_trial = "" if studies is None else (
        f" WHERE trial_id IN (SELECT trial_id FROM trials WHERE study_id IN ({id_list}))")
    return wanted, wanted_ids, where_study, where_trial


def _sql_frame(conn: Any, studies: str | Sequence[str] | None, label: str,
               tables: _TrialTables | None = None) -> pd.DataFrame:
    """Every table read once with plain SELECTs; the frame built with vectorised pandas."""
    tables = tables or _TrialTables(conn, chunked=False)
    wanted, wanted_ids, where_study, where_trial = _study_filter(conn, studies, label)
    directions, study_attrs, metric_names = _study_facts(conn, wanted_ids, where_study)
    trials, params, values, user, system = tables.read([
        ("SELECT trial_id, number, study_id, state, datetime_start, datetime_complete "
         "FROM trials", where_study, ["trial_id", "number", "study_id", "state", "start",
                                      "complete"]),
        ("SELECT param_id, trial_id, param_name, param_value, distribution_json "
         "FROM trial_params", where_trial,
         ["param_id", "trial_id", "param_name", "param_value", "distribution_json"]),
        ("SELECT trial_id, objective, value, value_type FROM trial_values", where_trial,
         ["trial_id", "objective", "value", "value_type"]),
        ("SELECT trial_id, key, value_json FROM trial_user_attributes", where_trial,
         ["trial_id", "key", "value_json"]),
        ("SELECT trial_id, key, value_json FROM trial_system_attributes", where_trial,
         ["trial_id", "key", "value_json"]),
    ], dict(zip(wanted_ids, wanted, strict=True)))
    trials, study_pos = _in_study_order(trials, wanted_ids)
    index = pd.Index(trials["trial_id"].to_numpy("int64"))
    n_objectives = max([len(d) for d in directions.values()] + [0])
    value_arrays = _objective_arrays(values, index, n_objectives)
    columns = _param_columns(params, index)
    columns.update(_attribute_columns(((user, F.USER_ATTR_PREFIX),
                                       (system, F.SYSTEM_ATTR_PREFIX)), index))
    local = _optuna_stores_utc()
    start = _stored_datetimes(trials["start"], local).to_numpy()
    complete = _stored_datetimes(trials["complete"], local).to_numpy()
    bounds = np.searchsorted(study_pos, np.arange(len(wanted_ids) + 1))
    frames = []
    for k, (name, sid) in enumerate(zip(wanted, wanted_ids, strict=True)):
        dirs, names_k = directions[sid], metric_names.get(sid)
        value_cols = _value_names(dirs, names_k)
        lo, hi = bounds[k], bounds[k + 1]
        if hi == lo:
            frame = _empty_trials(value_cols)
        else:
            part: dict[str, Any] = {
                F.NUMBER: trials["number"].to_numpy("int64")[lo:hi],
                F.STATE: trials["state"].astype("object").to_numpy()[lo:hi],
            }
            for j, col in enumerate(value_cols[:n_objectives]):
                part[col] = value_arrays[j][lo:hi]
            part[F.DATETIME_START] = start[lo:hi]
            part[F.DATETIME_COMPLETE] = complete[lo:hi]
            for col, (arr, present) in columns.items():
                if present[lo:hi].any():
                    part[col] = arr[lo:hi]
            frame = pd.DataFrame(part).infer_objects()
        frames.append(_with_study_columns(frame, name, dirs, names_k, study_attrs[sid]))
    return _concat_studies(frames)


def _study_facts(conn: Any, wanted_ids: list[int], where_study: str
                 ) -> tuple[dict[int, list[str]], dict[int, dict[str, Any]], dict[int, Any]]:
    """Per study id: its directions (by objective), user attributes and metric names."""
    directions: dict[int, list[str]] = {i: [] for i in wanted_ids}
    for sid, _, direction in conn.exec_driver_sql(
            "SELECT study_id, objective, direction FROM study_directions"
            f"{where_study} ORDER BY study_id, objective").fetchall():
        if int(sid) in directions:
            directions[int(sid)].append(str(direction).lower())
    study_attrs: dict[int, dict[str, Any]] = {i: {} for i in wanted_ids}
    for sid, key, text in conn.exec_driver_sql(
            f"SELECT study_id, key, value_json FROM study_user_attributes{where_study}").fetchall():
        if int(sid) in study_attrs:
            study_attrs[int(sid)][key] = json.loads(text)
    metric_names: dict[int, Any] = {}
    for sid, key, text in conn.exec_driver_sql(
            "SELECT study_id, key, value_json FROM study_system_attributes"
            f"{where_study}").fetchall():
        if key == _METRIC_NAMES_KEY:
            metric_names[int(sid)] = json.loads(text)
    return directions, study_attrs, metric_names


def _in_study_order(trials: pd.DataFrame, wanted_ids: list[int]
                    ) -> tuple[pd.DataFrame, np.ndarray]:
    """Trials of the wanted studies in study order (as selected), then by number (Optuna
    sorts by number); with each trial's study position."""
    position = {sid: k for k, sid in enumerate(wanted_ids)}
    study_pos = trials["study_id"].map(position)
    trials = trials[study_pos.notna().to_numpy()]
    study_pos = study_pos[study_pos.notna()].to_numpy("int64")
    order = np.lexsort((trials["trial_id"].to_numpy("int64"),
                        trials["number"].to_numpy("int64"), study_pos))
    return trials.iloc[order].reset_index(drop=True), study_pos[order]


def _rows_in(index: pd.Index, table: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows of *table* whose trial is in *index*, and that trial's row."""
    row = index.get_indexer(table["trial_id"].to_numpy("int64"))
    keep = row >= 0
    return table[keep].reset_index(drop=True), row[keep]


def _objective_arrays(values: pd.DataFrame, index: pd.Index, n_objectives: int
                      ) -> list[np.ndarray]:
    """One float array per objective index, NaN where a trial has no value."""
    values, vrow = _rows_in(index, values)
    kind = values["value_type"].astype("str").to_numpy()
    number = pd.to_numeric(values["value"], errors="coerce").to_numpy("float64", na_value=np.nan)
    number = np.where(kind == "INF_POS", np.inf, np.where(kind == "INF_NEG", -np.inf, number))
    objective = values["objective"].to_numpy("int64")
    out = []
    for k in range(n_objectives):
        col = np.full(len(index), np.nan)
        sel = objective == k
        col[vrow[sel]] = number[sel]
        out.append(col)
    return out


def _param_columns(params: pd.DataFrame, index: pd.Index
                   ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``params_<name>`` and ``distributions_<name>``, in first appearance along (trial
    order, param_id)."""
    params, prow = _rows_in(index, params)
    external, dist_text = _decode_params(params)
    porder = np.lexsort((params["param_id"].to_numpy("int64"), prow))
    n = len(index)
    columns = _wide(prow, params["param_name"], external, n, F.PARAM_PREFIX, porder)
    columns.update(_wide(prow, params["param_name"], dist_text, n, F.DISTRIBUTION_PREFIX,
                         porder))
    return columns


def _attribute_columns(tables: tuple[tuple[pd.DataFrame, str], ...], index: pd.Index
                       ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """User and system attribute columns, in first appearance along (trial order, key), as
    SQLite's index returns them."""
    columns: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for table, prefix in tables:
        table, arow = _rows_in(index, table)
        keys = table["key"].astype("object")
        key_rank = pd.factorize(keys, sort=True)[0]
        aorder = np.lexsort((key_rank, arow))
        columns.update(_wide(arow, keys, _json_column(table["value_json"]), len(index), prefix,
                             aorder))
    return columns


# --------------------------------------------------------------------------- curves
CURVE_COLUMNS = (F.STUDY, F.NUMBER, F.STATE, "step", F.VALUE)


def studies_curves(studies: list) -> pd.DataFrame:
    """Intermediate values of ``optuna.Study`` objects, one row per (study, trial, step)."""
    rows = [
        (s.study_name, t.number, t.state.name, step, value)
        for s in studies
        for t in s.get_trials(deepcopy=False)
        for step, value in t.intermediate_values.items()
    ]
    return pd.DataFrame.from_records(rows, columns=list(CURVE_COLUMNS))


def _sql_curves(conn: Any, studies: str | Sequence[str] | None, label: str,
                tables: _TrialTables | None = None) -> pd.DataFrame:
    """trial_intermediate_values with each trial's study, number and state (three SELECTs)."""
    tables = tables or _TrialTables(conn, chunked=False)
    wanted, wanted_ids, where_study, where_trial = _study_filter(conn, studies, label)
    trials, points = tables.read([
        ("SELECT trial_id, number, study_id, state FROM trials", where_study,
         ["trial_id", "number", "study_id", "state"]),
        ("SELECT trial_id, step, intermediate_value, intermediate_value_type "
         "FROM trial_intermediate_values", where_trial,
         ["trial_id", "step", "value", "value_type"]),
    ], dict(zip(wanted_ids, wanted, strict=True)))
    position = {sid: k for k, sid in enumerate(wanted_ids)}
    trials = trials.assign(study_pos=trials["study_id"].map(position))
    trials = trials[trials["study_pos"].notna()]
    row = pd.Index(trials["trial_id"].to_numpy("int64")).get_indexer(
        points["trial_id"].to_numpy("int64"))
    points = points[row >= 0]
    row = row[row >= 0]
    kind = points["value_type"].astype("str").to_numpy()
    value = pd.to_numeric(points["value"], errors="coerce").to_numpy("float64", na_value=np.nan)
    value = np.select([kind == "INF_POS", kind == "INF_NEG", kind == "NAN"],
                      [np.inf, -np.inf, np.nan], value)
    study_pos = trials["study_pos"].to_numpy("int64")[row]
    step = points["step"].to_numpy("int64")
    number = trials["number"].to_numpy("int64")[row]
    # studies in the order selected (storage order by default), then number, step
    order = np.lexsort((step, number, study_pos))
    return pd.DataFrame({
        F.STUDY: np.array(wanted, dtype=object)[study_pos[order]],
        F.NUMBER: number[order],
        F.STATE: trials["state"].astype("object").to_numpy()[row][order],
        "step": step[order],
        F.VALUE: value[order],
    })
