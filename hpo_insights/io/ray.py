"""Ray Tune: ``ResultGrid.get_dataframe()`` tables and experiment folders.

A Ray Tune table has one row per trial (its last reported result): ``config/<name>``
columns, the metrics the trainable reported and Ray's own bookkeeping columns. An
experiment folder (``storage_path/<name>/``) holds one folder per trial with
``params.json`` (the config), ``result.json`` (one JSON line per reported result),
``progress.csv`` (the same as CSV) and, for a trial that raised, ``error.txt``.

States (``docs/trials-frame.md``): a trial with an error is FAIL; a trial that is not
``done`` is RUNNING; a ``done`` trial that reported fewer iterations
(``training_iteration``) than the budget is PRUNED (a scheduler such as ASHA stopped
it early; its value is its last reported metric); else COMPLETE. The budget is
``max_iterations=`` or, by default, the most iterations any trial of the experiment
reported.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from hpo_insights import _frame as F
from hpo_insights._errors import TrialsError
from hpo_insights.io.canonical import finish, selected_studies
from hpo_insights.io.exports import (
    metric_label,
    numeric_columns,
    objective_columns,
    select_params,
    value_columns,
)
from hpo_insights.io.files import read_table
from hpo_insights.io.readers import Request

__all__ = ["is_ray_experiment", "load_ray", "ray_curves"]

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
    "error",
)
# The files of a trial folder that hold its config and results.
TRIAL_FILES = ("params.json", "result.json", "progress.csv")


# --------------------------------------------------------------------------- tables
def _trial_numbers(table: pd.DataFrame) -> pd.Series | None:
    """Ray's trial index (the 5-digit ``_00007`` ending of ``trial_id``), when every row has one."""
    if "trial_id" not in table.columns:
        return None
    index = table["trial_id"].astype("str").str.extract(r"_(\d{5,})$", expand=False)
    if index.isna().any():
        return None
    number = index.astype("int64")
    return number if number.is_unique else None


def _ray_states(table: pd.DataFrame, max_iterations: int | None, label: str) -> np.ndarray:
    """FAIL (error) > RUNNING (not done) > PRUNED (fewer iterations than the budget)."""
    n = len(table)
    failed = (table["error"].notna().to_numpy() if "error" in table.columns
              else np.zeros(n, dtype=bool))
    if "done" in table.columns:
        done = table["done"].map(_as_bool).astype("boolean").fillna(False).to_numpy(dtype=bool)
    else:
        done = np.ones(n, dtype=bool)
    if "training_iteration" in table.columns:
        iters = pd.to_numeric(table["training_iteration"], errors="coerce").to_numpy(float)
        finite = iters[np.isfinite(iters)]
        if max_iterations is not None:
            budget = float(max_iterations)
        else:
            budget = finite.max() if finite.size else np.inf
        short = np.isfinite(iters) & (iters < budget)
    else:
        if max_iterations is not None:
            raise TrialsError(
                f"max_iterations={max_iterations} needs a 'training_iteration' column, and "
                f"{label} has none."
            )
        short = np.zeros(n, dtype=bool)
    return np.select([failed, ~done, short], ["FAIL", "RUNNING", "PRUNED"], "COMPLETE")


def _as_bool(value: object) -> object:
    if isinstance(value, str):
        return {"true": True, "false": False}.get(value.strip().lower(), pd.NA)
    return pd.NA if value is None or (isinstance(value, float) and np.isnan(value)) else value


def _check_max_iterations(max_iterations: int | None) -> None:
    if max_iterations is None:
        return
    if isinstance(max_iterations, bool) or not isinstance(max_iterations, (int, np.integer)) \
            or max_iterations < 1:
        raise TrialsError(
            f"max_iterations must be a positive integer (the iterations of a full trial), got "
            f"{max_iterations!r} instead."
        )


def from_ray_table(table, objective, params, label, max_iterations: int | None = None,
              default_objective: str | None = None) -> pd.DataFrame:
    """A Ray Tune table (one row per trial) renamed into the canonical columns."""
    _check_max_iterations(max_iterations)
    cols = list(table.columns)
    config = [c for c in cols if c.startswith("config/")]
    config_params = select_params(params, config, "config/", f"the Ray Tune table {label}")
    metrics = [c for c in cols if not c.startswith("config/") and c not in RAY_AUTO]
    candidates = numeric_columns(table, metrics)
    if objective is None and default_objective in candidates:
        objective = default_objective
    objs = objective_columns(candidates, objective, "", label, metrics)
    rename = {c: F.PARAM_PREFIX + c[len("config/"):] for c in config_params}
    rename.update(value_columns(objs, ""))
    rest = [c for c in cols if c not in rename]
    rename.update({c: F.USER_ATTR_PREFIX + c for c in rest})
    out = table.rename(columns=rename)
    if any(c in table.columns for c in ("done", "training_iteration", "error")):
        out[F.STATE] = _ray_states(table, max_iterations, label)
        failed = out[F.STATE].to_numpy() == "FAIL"
        for col in value_columns(objs, "").values():
            # A FAIL trial holds no value, as in Optuna (PRUNED: the last one reported).
            out[col] = pd.to_numeric(out[col], errors="coerce").mask(failed)
    number = _trial_numbers(table)
    if number is not None:
        out[F.NUMBER] = number.to_numpy()
    if "timestamp" in table.columns and F.is_numeric_param(table["timestamp"]):
        out[F.DATETIME_COMPLETE] = pd.to_datetime(table["timestamp"], unit="s")
        if "time_total_s" in table.columns:
            out[F.DURATION] = pd.to_timedelta(table["time_total_s"], unit="s")
            out[F.DATETIME_START] = out[F.DATETIME_COMPLETE] - out[F.DURATION]
    out["study_metric_name"] = metric_label(objs, "")
    return out


# --------------------------------------------------------------------------- folders
def _trial_dirs(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir()
                  if p.is_dir() and any((p / f).is_file() for f in TRIAL_FILES))


def is_ray_experiment(path: str | os.PathLike) -> bool:
    """Whether *path* is a Ray Tune experiment folder, or a folder of them.

    Examples
    --------
    >>> import tempfile
    >>> from hpo_insights.io.ray import is_ray_experiment
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     is_ray_experiment(tmp)
    False
    """
    path = Path(path)
    if not path.is_dir():
        return False
    if _trial_dirs(path):
        return True
    return any(p.is_dir() and _trial_dirs(p) for p in path.iterdir())


def _flat_config(config: dict, prefix: str = "config/") -> dict:
    """Nested configs become ``config/a/b`` keys, as ``get_dataframe()`` names them."""
    out = {}
    for key, value in config.items():
        if isinstance(value, dict):
            out.update(_flat_config(value, f"{prefix}{key}/"))
        else:
            out[prefix + str(key)] = value
    return out


def _read_results(trial: Path) -> list[dict]:
    """Every result a trial reported (``result.json`` lines, else ``progress.csv`` rows)."""
    result = trial / "result.json"
    try:
        if result.is_file() and result.stat().st_size:
            return [json.loads(line) for line in result.read_text().splitlines() if line.strip()]
        progress = trial / "progress.csv"
        if progress.is_file() and progress.stat().st_size:
            return pd.read_csv(progress).to_dict("records")
    except (ValueError, OSError, pd.errors.ParserError) as err:
        raise TrialsError(
            f"Cannot read the results of the Ray Tune trial folder {str(trial)!r}: {err}. "
            "Expected result.json (one JSON object per line) or progress.csv."
        ) from err
    return []


def _trial_row(trial: Path) -> tuple[dict, list[dict]]:
    """The trial's last result with its flattened config (a ``get_dataframe()`` row)."""
    params_file = trial / "params.json"
    try:
        config = json.loads(params_file.read_text()) if params_file.is_file() else {}
    except (ValueError, OSError) as err:
        raise TrialsError(
            f"Cannot read {str(params_file)!r}: {err}. Expected the trial's config as JSON."
        ) from err
    results = _read_results(trial)
    row: dict = {k: v for k, v in results[-1].items() if k != "config"} if results else {}
    row.update(_flat_config(config if isinstance(config, dict) else {}))
    if row.get("trial_id") is None or (isinstance(row["trial_id"], float)
                                       and np.isnan(row["trial_id"])):
        match = re.search(r"_([0-9a-f]+_\d+)(?:_|$)", trial.name)
        row["trial_id"] = match.group(1) if match else trial.name
    row["logdir"] = trial.name
    if not results:
        row["done"] = False
    error = trial / "error.txt"
    if error.is_file():
        row["error"] = error.read_text(errors="replace").strip()
    return row, results


def _experiment_metric(path: Path) -> str | None:
    """The ``metric`` given to ``TuneConfig``, from the experiment-state JSON, if readable."""
    for state in sorted(path.glob("experiment_state*.json"), reverse=True):
        try:
            data = json.loads(state.read_text())
            metric = data.get("runner_data", {}).get("_metric")
        except (ValueError, OSError, AttributeError):
            continue
        if isinstance(metric, str):
            return metric
    return None


def _experiments(path: Path) -> list[Path]:
    if _trial_dirs(path):
        return [path]
    return sorted(p for p in path.iterdir() if p.is_dir() and _trial_dirs(p))


def _read_experiment(path: Path) -> tuple[pd.DataFrame, dict[str, list[dict]], str | None]:
    rows, results = [], {}
    for trial in _trial_dirs(path):
        row, res = _trial_row(trial)
        rows.append(row)
        results[str(row["trial_id"])] = res
    return pd.DataFrame.from_records(rows), results, _experiment_metric(path)


def load_ray(
    source: str | os.PathLike | pd.DataFrame,
    study: str | Sequence[str] | None = None,
    *,
    objective: str | Sequence[str] | None = None,
    params: Sequence[str] | None = None,
    direction: str | Sequence[str] | None = None,
    metric_name: str | None = None,
    max_iterations: int | None = None,
) -> pd.DataFrame:
    """The trials frame of a Ray Tune experiment folder or results table.

    ``hi.load`` calls this for Ray Tune sources; call it directly to set
    ``max_iterations=``.

    Parameters
    ----------
    source : str, path-like or pandas.DataFrame
        An experiment folder (``<storage_path>/<name>``: trial folders with
        ``params.json``, ``result.json``/``progress.csv`` and ``error.txt``; other
        files such as pickles and experiment-state files are skipped), a folder of
        such experiments (one study each, named after the folder), or a
        ``ResultGrid.get_dataframe()`` / ``ExperimentAnalysis.dataframe()`` table
        (a DataFrame or a CSV/Parquet file of it).
    study : str or sequence of str, optional
        The study name of a table or of a single experiment (default: the folder
        or file name; ``"trials"`` for a DataFrame); for a folder of experiments,
        the experiment(s) to keep.
    objective : str or sequence of str, optional
        The metric column(s). Default: the ``metric`` of the experiment's
        ``TuneConfig`` when the folder records it, else the only numeric metric.
    params : sequence of str, optional
        The config keys to keep as parameters (default: all).
    direction : str or sequence of str, optional
        ``"maximize"``/``"minimize"``; Ray Tune's results do not record it.
    metric_name : str, optional
        Display name of the objective (``study_metric_name``).
    max_iterations : int, optional
        The iterations of a full trial. A finished trial with fewer is PRUNED.
        Default: the most iterations any trial of the experiment reported.

    Returns
    -------
    pandas.DataFrame
        The trials frame (``docs/trials-frame.md``); ``number`` is Ray's trial
        index (the ``_00007`` ending of ``trial_id``), the error text of a failed
        trial is in ``user_attrs_error``.

    Raises
    ------
    TrialsError
        A folder that holds no Ray Tune trial folder, an unreadable trial file,
        an ambiguous objective or a bad ``max_iterations``.

    Examples
    --------
    >>> import pandas as pd
    >>> from hpo_insights.io.ray import load_ray
    >>> grid = pd.DataFrame({"trial_id": ["a_00000", "a_00001", "a_00002"],
    ...                      "config/lr": [0.1, 0.01, 0.001], "acc": [0.7, 0.9, 0.5],
    ...                      "training_iteration": [6, 6, 2], "done": [True, True, True]})
    >>> load_ray(grid, "asha", direction="maximize")[["number", "state", "value"]]
       number     state  value
    0       0  COMPLETE    0.7
    1       1  COMPLETE    0.9
    2       2    PRUNED    0.5
    >>> load_ray(grid, max_iterations=10)["state"].tolist()
    ['PRUNED', 'PRUNED', 'PRUNED']
    """
    _check_max_iterations(max_iterations)
    if isinstance(source, pd.DataFrame):
        label = "the DataFrame"
        frame = from_ray_table(source, objective, params, label, max_iterations)
        frame.insert(0, F.STUDY, study or "trials")
        return finish(frame, None, direction, metric_name, label)
    path = Path(os.fspath(source))
    label = repr(str(path))
    if path.is_file():
        frame = from_ray_table(read_table(path), objective, params, label, max_iterations)
        frame.insert(0, F.STUDY, study or path.stem)
        return finish(frame, None, direction, metric_name, label)
    if not path.is_dir():
        raise TrialsError(f"No such Ray Tune experiment folder or results file: {label}.")
    experiments = _experiments(path)
    if not experiments:
        raise TrialsError(
            f"The folder {label} holds no Ray Tune trial folder: expected sub-folders with "
            f"{', '.join(TRIAL_FILES)} (an experiment's storage_path/<name>)."
        )
    frames = []
    for exp in experiments:
        table, _, metric = _read_experiment(exp)
        frame = from_ray_table(table, objective, params, repr(str(exp)), max_iterations,
                          default_objective=metric)
        names_it = isinstance(study, str) and len(experiments) == 1
        frame.insert(0, F.STUDY, study if names_it else exp.name)
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True)
    names_it = isinstance(study, str) and len(experiments) == 1
    return finish(frame, None if names_it else study, direction, metric_name, label)


def ray_curves(
    source: str | os.PathLike,
    *,
    objective: str | None = None,
    max_iterations: int | None = None,
) -> pd.DataFrame:
    """Learning curves of a Ray Tune experiment folder (every reported result).

    Parameters
    ----------
    source : str or path-like
        An experiment folder or a folder of experiments (see :func:`load_ray`).
    objective : str, optional
        The metric (default: the experiment's ``TuneConfig`` metric, else the only
        numeric metric).
    max_iterations : int, optional
        As in :func:`load_ray` (decides which trials are PRUNED).

    Returns
    -------
    pandas.DataFrame
        Columns ``study, number, state, step, value``: one row per reported
        result, ``step`` the ``training_iteration``; studies in folder order, then by number
        and step.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> from hpo_insights.io.ray import ray_curves
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     trial = pathlib.Path(tmp, "exp", "train_ab12c_00000_0_lr=0.1")
    ...     trial.mkdir(parents=True)
    ...     _ = (trial / "params.json").write_text(json.dumps({"lr": 0.1}))
    ...     rows = [{"acc": a, "training_iteration": i + 1, "trial_id": "ab12c_00000",
    ...              "done": i == 1} for i, a in enumerate([0.5, 0.7])]
    ...     _ = (trial / "result.json").write_text("\\n".join(map(json.dumps, rows)))
    ...     ray_curves(trial.parent)
       study  number     state  step  value
    0    exp       0  COMPLETE     1    0.5
    1    exp       0  COMPLETE     2    0.7
    """
    path = Path(os.fspath(source))
    if not path.is_dir() or not _experiments(path):
        raise TrialsError(
            f"The folder {str(path)!r} holds no Ray Tune trial folder: learning curves are read "
            f"from trial folders with {', '.join(TRIAL_FILES)}."
        )
    parts = []
    for exp in _experiments(path):
        table, results, metric = _read_experiment(exp)
        trials = from_ray_table(table, objective, None, repr(str(exp)), max_iterations,
                           default_objective=metric)
        col = trials["study_metric_name"].iloc[0] if len(trials) else objective
        numbers = _trial_numbers(table)
        numbers = numbers.to_numpy() if numbers is not None else np.arange(len(table))
        for tid, number, state in zip(table["trial_id"].astype(str), numbers,
                                      trials[F.STATE], strict=True):
            res = [r for r in results[tid] if "training_iteration" in r]
            parts.append((exp.name, int(number), state, len(res),
                          [r["training_iteration"] for r in res],
                          [r.get(col, np.nan) for r in res]))
    counts = [p[3] for p in parts]
    out = pd.DataFrame({
        F.STUDY: pd.Series(np.repeat([p[0] for p in parts], counts), dtype="str"),
        F.NUMBER: np.repeat(np.array([p[1] for p in parts], dtype="int64"), counts),
        F.STATE: pd.Series(np.repeat([p[2] for p in parts], counts), dtype="str"),
        "step": np.array([s for p in parts for s in p[4]], dtype="int64"),
        "value": pd.to_numeric(pd.Series([v for p in parts for v in p[5]], dtype="object"),
                               errors="coerce").astype("float64").to_numpy(),
    })
    key = pd.factorize(out[F.STUDY])[0]
    order = np.lexsort((out["step"].to_numpy(), out[F.NUMBER].to_numpy(), key))
    return out.iloc[order].reset_index(drop=True)


def accepts_curves(source: object) -> bool:
    """For ``hi.load_curves``: a Ray Tune experiment folder (or a folder of them)."""
    return isinstance(source, (str, os.PathLike)) and is_ray_experiment(os.fspath(source))


def read_curves(source: object, request: Request) -> pd.DataFrame:
    """For ``hi.load_curves``: :func:`ray_curves`, the experiments *request* names."""
    curves = ray_curves(os.fspath(source))
    if request.studies is not None:
        wanted = selected_studies(list(dict.fromkeys(curves[F.STUDY])), request.studies,
                                  request.label)
        curves = curves[curves[F.STUDY].isin(wanted)].reset_index(drop=True)
    return curves
