"""MLflow: ``mlflow.search_runs()`` tables and tracking stores (``mlflow.db``, ``mlruns/``).

A tracking store is read directly, without the mlflow package: a SQLite
``mlflow.db`` through SQLite's read-only mode (nothing is created or written),
an ``mlruns/`` file store by its files. Both become the table ``search_runs()``
would return (``run_id``, ``experiment_id``, ``status``, ``start_time``,
``end_time``, ``metrics.*``, ``params.*``, ``tags.*``), one study per experiment.

Rules (``docs/sources.md``): parent runs (named by another run's
``tags.mlflow.parentRunId``) are not trials; runs logged by Optuna's
``MLflowCallback`` take their state from ``tags.state``, their direction from
``tags.direction`` and their number from ``tags.number``; other runs are numbered
in ``start_time`` order.
"""

from __future__ import annotations

import ast
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from hpo_insights import _frame as F
from hpo_insights._errors import TrialsError
from hpo_insights.io.canonical import finish, selected_studies
from hpo_insights.io.exports import metric_label, objective_columns, select_params, value_columns
from hpo_insights.io.optuna import sqlite_readonly_uri
from hpo_insights.io.readers import Request

__all__ = ["is_mlflow_sqlite", "is_mlflow_store", "load_mlflow", "mlflow_curves"]

# RunStatus numbers of the file store's meta.yaml.
RUN_STATUS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
PARENT_TAG = "tags.mlflow.parentRunId"


# --------------------------------------------------------------------------- tables
def _direction_text(value: object) -> object:
    """``tags.direction`` as Optuna's MLflowCallback writes it: ``MAXIMIZE`` or a list."""
    if not isinstance(value, str):
        return np.nan
    text = value.strip()
    if text.startswith("["):
        try:
            parts = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return np.nan
        return ",".join(str(p).lower() for p in parts)
    return text.lower()


def from_mlflow_table(table, objective, params, label) -> pd.DataFrame:
    """A ``search_runs()`` table (or a store read into that shape) in canonical columns."""
    table = _without_parent_runs(table.reset_index(drop=True))
    cols = list(table.columns)
    pcols = [c for c in cols if c.startswith("params.")]
    pcols = select_params(params, pcols, "params.", f"the MLflow table {label}")
    metrics = [c for c in cols if c.startswith("metrics.")]
    objs = objective_columns(metrics, objective, "metrics.", label, cols)
    rename = {c: F.PARAM_PREFIX + c[len("params."):] for c in pcols}
    rename.update(value_columns(objs, "metrics."))
    rename.update({"status": F.STATE, "start_time": F.DATETIME_START,
                   "end_time": F.DATETIME_COMPLETE})
    rest = [c for c in cols if c not in rename and c != F.STUDY]
    rename.update({c: F.USER_ATTR_PREFIX + c for c in rest})
    out = table.rename(columns=rename)
    if "tags.state" in cols and F.STATE in out.columns:
        # Optuna's MLflowCallback logs every trial as FINISHED; tags.state is the real state.
        out[F.STATE] = table["tags.state"].where(table["tags.state"].notna(), out[F.STATE])
    if "tags.direction" in cols:
        out[F.DIRECTION] = table["tags.direction"].map(_direction_text)
    if F.STATE in out.columns:
        failed = out[F.STATE].astype("str").str.upper().isin(
            ["FAIL", "FAILED", "KILLED"]).to_numpy()
        for col in value_columns(objs, "metrics.").values():
            # A FAIL trial holds no value, as in Optuna.
            out[col] = pd.to_numeric(out[col], errors="coerce").mask(failed)
    for col in (F.DATETIME_START, F.DATETIME_COMPLETE):
        if col in out.columns and F.is_numeric_param(out[col]):
            out[col] = pd.to_datetime(out[col], unit="ms", utc=True)
    if F.STUDY not in out.columns and "experiment_id" in cols \
            and table["experiment_id"].nunique() > 1:
        out.insert(0, F.STUDY, table["experiment_id"].astype("str"))
    out = _numbered(out, has_tag="tags.number" in cols)
    out["study_metric_name"] = metric_label(objs, "metrics.")
    return out


def _without_parent_runs(table: pd.DataFrame) -> pd.DataFrame:
    """The runs that are no other run's parent, without the columns only parents filled."""
    cols = list(table.columns)
    if PARENT_TAG not in cols or "run_id" not in cols:
        return table
    parents = set(table[PARENT_TAG].dropna().astype(str))
    table = table[~table["run_id"].astype(str).isin(parents)].reset_index(drop=True)
    # Columns only parent runs filled (best_* params, summary metrics) go with them.
    kept = [c for c in cols if c.startswith(("params.", "metrics.", "tags."))]
    filled = table[kept].notna().any()
    return table.drop(columns=filled.index[~filled.to_numpy()].tolist())


def _numbered(out: pd.DataFrame, has_tag: bool) -> pd.DataFrame:
    """Runs in start order, numbered within each study (Optuna's ``tags.number`` when whole)."""
    if F.DATETIME_START in out.columns:
        # search_runs lists the newest run first: number runs in start order.
        start = pd.to_datetime(out[F.DATETIME_START], format="ISO8601", utc=True)
        order = start.reset_index(drop=True).sort_values(kind="stable", na_position="last")
        out = out.iloc[order.index.to_numpy()].reset_index(drop=True)
    tagged = (pd.to_numeric(out[F.USER_ATTR_PREFIX + "tags.number"], errors="coerce")
              if has_tag else None)
    if F.STUDY in out.columns:
        number = out.groupby(F.STUDY, sort=False).cumcount()
        if tagged is not None:
            # Optuna's trial number, where every run of the study carries one.
            # (two Optuna studies logged into one experiment repeat numbers: start order then)
            clash = pd.DataFrame({"s": out[F.STUDY], "n": tagged}).duplicated(keep=False)
            ok = tagged.notna() & ~clash
            whole = ok.groupby(out[F.STUDY]).transform("all")
            number = tagged.where(whole, number)
        out[F.NUMBER] = number.astype("int64")
    elif tagged is not None and tagged.notna().all() and tagged.is_unique:
        out[F.NUMBER] = tagged.astype("int64")
    return out


# --------------------------------------------------------------------------- stores
def is_mlflow_sqlite(path: str | os.PathLike, timeout: float = 5.0) -> bool:
    """Whether *path* is a SQLite file holding MLflow's tracking tables (read-only check).

    Examples
    --------
    >>> from hpo_insights.io.mlflow import is_mlflow_sqlite
    >>> is_mlflow_sqlite("no-such-file.db")
    False
    """
    path = Path(path)
    if not path.is_file():
        return False
    try:
        con = _connect(path, timeout)
    except TrialsError:
        return False
    try:
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError:
        return False
    finally:
        con.close()
    return {"experiments", "runs", "params", "tags"} <= names and "studies" not in names


def is_mlflow_store(path: str | os.PathLike) -> bool:
    """Whether *path* is an MLflow file store (``mlruns/``): experiment folders with
    ``meta.yaml`` holding run folders with ``meta.yaml``."""
    path = Path(path)
    if not path.is_dir():
        return False
    return any(_runs_of(exp) for exp in _experiment_dirs(path))


def _connect(path: Path, timeout: float = 5.0) -> sqlite3.Connection:
    uri, _ = sqlite_readonly_uri(path)  # read-only, no -wal/-shm files created
    try:
        return sqlite3.connect(uri, uri=True, timeout=timeout)
    except sqlite3.Error as err:
        raise TrialsError(f"Cannot open {str(path)!r} read-only as SQLite: {err}.") from err


def _wide(runs: pd.DataFrame, long: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """(run_id, key, value) rows -> one ``<prefix><key>`` column per key, aligned to runs."""
    if long.empty:
        return pd.DataFrame(index=runs.index)
    last = long.drop_duplicates(["run_id", "key"], keep="last")
    wide = last.pivot(index="run_id", columns="key", values="value")
    wide.columns = [prefix + str(c) for c in wide.columns]
    return wide.reindex(runs["run_id"]).set_axis(runs.index)


def _assemble(runs: pd.DataFrame, params: pd.DataFrame, tags: pd.DataFrame,
              latest: pd.DataFrame) -> pd.DataFrame:
    """The ``search_runs()`` layout from the store's four record kinds."""
    parts = [runs,
             _wide(runs, latest, "metrics."),
             _wide(runs, params.astype({"value": "object"}), "params."),
             _wide(runs, tags.astype({"value": "object"}), "tags.")]
    return pd.concat(parts, axis=1)


def _latest(metrics: pd.DataFrame) -> pd.DataFrame:
    """Each metric's latest value: highest step, then latest timestamp (MLflow's rule)."""
    if metrics.empty:
        return metrics
    ordered = metrics.sort_values(["run_id", "key", "step", "timestamp"], kind="stable")
    return ordered.drop_duplicates(["run_id", "key"], keep="last")


def _read_sqlite(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(runs in search_runs layout with a ``study`` column, full metric history)."""
    con = _connect(path)
    try:
        def query(sql: str) -> pd.DataFrame:
            return pd.read_sql_query(sql, con)

        experiments = query("SELECT experiment_id, name, lifecycle_stage FROM experiments")
        runs = query(
            "SELECT run_uuid AS run_id, experiment_id, status, artifact_uri, start_time, "
            "end_time, lifecycle_stage FROM runs")
        params = query("SELECT run_uuid AS run_id, key, value FROM params")
        tags = query("SELECT run_uuid AS run_id, key, value FROM tags")
        metrics = query(
            "SELECT run_uuid AS run_id, key, value, step, timestamp, is_nan FROM metrics")
    except (sqlite3.Error, pd.errors.DatabaseError) as err:
        raise TrialsError(
            f"Cannot read the MLflow tracking database {str(path)!r}: {err}. Expected the "
            "tables MLflow creates (experiments, runs, params, tags, metrics)."
        ) from err
    finally:
        con.close()
    metrics["value"] = metrics["value"].astype("float64").mask(metrics["is_nan"].astype(bool))
    metrics = metrics.drop(columns="is_nan")
    live = experiments[experiments["lifecycle_stage"] != "deleted"]
    runs = runs[(runs["lifecycle_stage"] != "deleted")
                & runs["experiment_id"].isin(live["experiment_id"])]
    names = dict(zip(live["experiment_id"], live["name"], strict=True))
    order = {e: k for k, e in enumerate(live["experiment_id"])}
    runs = runs.assign(_order=runs["experiment_id"].map(order)).sort_values(
        "_order", kind="stable").drop(columns=["_order", "lifecycle_stage"]).reset_index(drop=True)
    table = _assemble(runs, params, tags, _latest(metrics))
    table["experiment_id"] = table["experiment_id"].astype("str")
    table.insert(0, F.STUDY, runs["experiment_id"].map(names).astype("str"))
    return table, metrics[metrics["run_id"].isin(runs["run_id"])]


def _meta(path: Path) -> dict:
    """The flat ``key: value`` lines of an MLflow ``meta.yaml``."""
    out = {}
    for line in path.read_text(errors="replace").splitlines():
        if not line or line[0] in " -#" or ":" not in line:
            continue
        key, _, value = line.partition(":")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[key.strip()] = value
    return out


def _experiment_dirs(path: Path) -> list[Path]:
    return [p for p in sorted(path.iterdir())
            if p.is_dir() and not p.name.startswith(".") and (p / "meta.yaml").is_file()]


def _runs_of(exp: Path) -> list[Path]:
    return [p for p in sorted(exp.iterdir()) if p.is_dir() and (p / "meta.yaml").is_file()]


def _key_values(folder: Path) -> list[tuple[str, str]]:
    """(key, file text) of a run's params/, tags/ or metrics/ folder; a key with "/" is a
    sub-folder. os.walk and plain strings: pathlib dominates the time on big stores."""
    root = os.fspath(folder)
    out = []
    for here, dirs, files in os.walk(root):
        dirs.sort()
        rel = os.path.relpath(here, root)
        for name in sorted(files):
            with open(os.path.join(here, name), encoding="utf-8", errors="replace") as fh:
                out.append((name if rel == "." else f"{rel}/{name}".replace(os.sep, "/"),
                            fh.read()))
    return out


def _read_file_store(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    runs, params, tags, metrics = [], [], [], []
    experiments = []
    for exp in _experiment_dirs(path):
        meta = _meta(exp / "meta.yaml")
        if meta.get("lifecycle_stage") == "deleted":
            continue
        experiments.append((meta.get("experiment_id", exp.name), meta.get("name", exp.name),
                            int(meta.get("creation_time") or 0)))
        for run in _runs_of(exp):
            rmeta = _meta(run / "meta.yaml")
            if rmeta.get("lifecycle_stage") == "deleted":
                continue
            run_id = rmeta.get("run_id") or rmeta.get("run_uuid") or run.name
            status = rmeta.get("status", "")
            runs.append({
                "run_id": run_id,
                "experiment_id": str(rmeta.get("experiment_id", exp.name)),
                "status": RUN_STATUS.get(int(status), status) if status.isdigit() else status,
                "artifact_uri": rmeta.get("artifact_uri"),
                "start_time": pd.to_numeric(rmeta.get("start_time") or np.nan),
                "end_time": pd.to_numeric(rmeta.get("end_time") or np.nan),
            })
            params += [(run_id, k, v) for k, v in _key_values(run / "params")]
            tags += [(run_id, k, v) for k, v in _key_values(run / "tags")]
            for key, text in _key_values(run / "metrics"):
                for line in text.splitlines():
                    parts = line.split()
                    if len(parts) >= 2:
                        step = int(parts[2]) if len(parts) > 2 else 0
                        metrics.append((run_id, key, float(parts[1]), step, int(parts[0])))
    if not runs:
        raise TrialsError(f"The MLflow file store {str(path)!r} holds no runs.")
    # Experiments in creation order, as the tracking server lists them.
    experiments.sort(key=lambda e: e[2])
    names = {str(e[0]): e[1] for e in experiments}
    order = {str(e[0]): k for k, e in enumerate(experiments)}
    runs_df = pd.DataFrame.from_records(runs)
    runs_df = runs_df.assign(_order=runs_df["experiment_id"].map(order)).sort_values(
        "_order", kind="stable").drop(columns="_order").reset_index(drop=True)
    long = {n: pd.DataFrame.from_records(rows, columns=["run_id", "key", "value"])
            for n, rows in (("params", params), ("tags", tags))}
    history = pd.DataFrame.from_records(
        metrics, columns=["run_id", "key", "value", "step", "timestamp"])
    table = _assemble(runs_df, long["params"], long["tags"], _latest(history))
    table.insert(0, F.STUDY, runs_df["experiment_id"].map(names).astype("str"))
    return table, history


def _read_store(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    if path.is_dir():
        if not is_mlflow_store(path):
            raise TrialsError(
                f"The folder {str(path)!r} is not an MLflow file store: expected experiment "
                "folders with meta.yaml holding run folders (mlruns/)."
            )
        return _read_file_store(path)
    if not is_mlflow_sqlite(path):
        raise TrialsError(
            f"{str(path)!r} is not an MLflow tracking database: expected a SQLite file with "
            "MLflow's tables (experiments, runs, params, tags, metrics)."
        )
    return _read_sqlite(path)


def _store_path(source: str | os.PathLike) -> Path:
    text = os.fspath(source)
    if text.lower().startswith("sqlite:///"):
        text = text[len("sqlite:///"):].split("?", 1)[0]
    elif text.lower().startswith("file:"):
        text = text[len("file:"):]
        text = text[2:] if text.startswith("//") else text
    path = Path(text)
    if not path.exists():
        raise TrialsError(
            f"No such MLflow tracking store: {os.fspath(source)!r}. Pass an mlflow.db file, "
            "a sqlite:///mlflow.db URL or an mlruns/ folder."
        )
    return path


def load_mlflow(
    source: str | os.PathLike,
    study: str | Sequence[str] | None = None,
    *,
    objective: str | Sequence[str] | None = None,
    params: Sequence[str] | None = None,
    direction: str | Sequence[str] | None = None,
    metric_name: str | None = None,
) -> pd.DataFrame:
    """The trials frame of an MLflow tracking store, one study per experiment.

    ``hi.load`` calls this for ``mlflow.db`` files and ``mlruns/`` folders. The
    mlflow package is not needed; the store is only read.

    Parameters
    ----------
    source : str or path-like
        A SQLite tracking database (``mlflow.db`` or ``sqlite:///mlflow.db``),
        opened read-only, or a file store folder (``mlruns/``).
    study : str or sequence of str, optional
        Experiment name(s) to keep (default: every experiment with runs).
    objective, params, direction, metric_name
        As in ``hi.load`` (``objective`` with or without ``metrics.``).

    Returns
    -------
    pandas.DataFrame
        The trials frame: ``study`` is the experiment name; parent runs are left
        out; tags, other metrics and run fields are ``user_attrs_*``.

    Raises
    ------
    TrialsError
        Not an MLflow store, an unknown experiment, or an ambiguous objective.

    Examples
    --------
    >>> from hpo_insights.io.mlflow import load_mlflow
    >>> load_mlflow("missing/mlflow.db")
    Traceback (most recent call last):
    ...
    hpo_insights._errors.TrialsError: No such MLflow tracking store: 'missing/mlflow.db'. ...
    """
    path = _store_path(source)
    table, _ = _read_store(path)
    label = repr(os.fspath(source))
    if study is not None:
        wanted = selected_studies(list(dict.fromkeys(table[F.STUDY])), study, label)
        table = table[table[F.STUDY].isin(wanted)].reset_index(drop=True)
    frame = from_mlflow_table(table, objective, params, label)
    return finish(frame, study, direction, metric_name, label)


def mlflow_curves(
    source: str | os.PathLike,
    *,
    objective: str | None = None,
    study: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Learning curves from an MLflow tracking store's metric history.

    Parameters
    ----------
    source : str or path-like
        ``mlflow.db`` (or ``sqlite:///mlflow.db``) or an ``mlruns/`` folder.
    objective : str, optional
        The metric (with or without ``metrics.``); default: the only metric.
    study : str or sequence of str, optional
        Experiment name(s) to keep.

    Returns
    -------
    pandas.DataFrame
        Columns ``study, number, state, step, value``: every logged value of the
        metric (``step`` as logged), trials numbered as :func:`load_mlflow` numbers
        them, parent runs left out; sorted by study, number, step.

    Examples
    --------
    >>> from hpo_insights.io.mlflow import mlflow_curves
    >>> mlflow_curves("missing/mlruns")
    Traceback (most recent call last):
    ...
    hpo_insights._errors.TrialsError: No such MLflow tracking store: 'missing/mlruns'. ...
    """
    trials = load_mlflow(source, study, objective=objective)
    path = _store_path(source)
    _, history = _read_store(path)
    metric = trials["study_metric_name"].iloc[0] if len(trials) else objective
    hist = history[history["key"] == metric]
    run_ids = trials[F.USER_ATTR_PREFIX + "run_id"].astype(str)
    keys = trials[[F.STUDY, F.NUMBER, F.STATE]].assign(run_id=run_ids.to_numpy())
    out = hist.merge(keys, on="run_id", how="inner")
    out = out.sort_values("timestamp", kind="stable").drop_duplicates(
        ["run_id", "step"], keep="last")
    study_rank = {s: k for k, s in enumerate(dict.fromkeys(trials[F.STUDY]))}
    out = out.assign(_s=out[F.STUDY].map(study_rank)).sort_values(
        ["_s", F.NUMBER, "step"], kind="stable")
    return pd.DataFrame({
        F.STUDY: out[F.STUDY].astype("str").to_numpy(),
        F.NUMBER: out[F.NUMBER].astype("int64").to_numpy(),
        F.STATE: out[F.STATE].astype("str").to_numpy(),
        "step": out["step"].astype("int64").to_numpy(),
        "value": out["value"].astype("float64").to_numpy(),
    })


def accepts_curves(source: object) -> bool:
    """For ``hi.load_curves``: an MLflow tracking database or file store."""
    if not isinstance(source, (str, os.PathLike)):
        return False
    text = os.fspath(source)
    try:
        path = _store_path(text)
    except TrialsError:
        return False
    return (path.is_file() and is_mlflow_sqlite(path)) or is_mlflow_store(path)


def read_curves(source: object, request: Request) -> pd.DataFrame:
    """For ``hi.load_curves``: :func:`mlflow_curves` of the experiments *request* names."""
    return mlflow_curves(os.fspath(source), study=request.studies)
