"""SMAC3 (2.x) output folders, read from their JSON files without SMAC.

A run folder (``smac3_output/<name>/<seed>/``) holds ``runhistory.json`` and
``configspace.json`` (and ``scenario.json``); a folder above run folders (the
``<name>`` folder, or ``smac3_output``) gives one study per run. Each entry of
``runhistory.json``'s ``data`` is one row (a run of one configuration on one
seed, instance and budget): ``status`` → ``state``, ``cost`` → ``value``
(minimised), the configuration's values → ``params_<name>`` (a parameter
whose condition does not hold is absent: missing), ``configspace.json`` →
``distributions_<name>``. Runs with a budget (multi-fidelity facades) give one
study per budget. See ``docs/sources.md`` (SMAC3).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hpo_insights import _frame as F
from hpo_insights._errors import TrialsError

__all__ = ["is_smac", "load_smac"]

# smac.runhistory.enumerations.StatusType
STATES = {0: "RUNNING", 1: "COMPLETE", 2: "FAIL", 3: "FAIL", 4: "FAIL"}
STATUS_NAMES = {0: "RUNNING", 1: "SUCCESS", 2: "CRASHED", 3: "TIMEOUT", 4: "MEMORYOUT"}


def _is_run(path: Path) -> bool:
    return (path / "runhistory.json").is_file() and (path / "configspace.json").is_file()


def _runs(path: Path) -> list[Path]:
    if _is_run(path):
        return [path]
    found = []
    for child in sorted(p for p in path.iterdir() if p.is_dir()):
        if _is_run(child):
            found.append(child)
        else:
            found.extend(sorted(g for g in child.iterdir() if g.is_dir() and _is_run(g)))
    return found


def is_smac(path: Path) -> bool:
    """True for a SMAC3 run folder or a folder of them (two levels at most)."""
    if not path.is_dir():
        return False
    if _is_run(path):
        return True
    for child in path.iterdir():
        if child.is_dir() and (_is_run(child) or any(
                g.is_dir() and _is_run(g) for g in child.iterdir())):
            return True
    return False


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise TrialsError(f"Cannot read {str(path)!r} as SMAC3 JSON: {err}.") from err


def _distribution(hp: Mapping) -> str | None:
    """A ConfigSpace hyperparameter (its JSON) as Optuna's distribution JSON, if it has one."""
    kind = hp.get("type")
    if kind == "uniform_float":
        d = {"name": "FloatDistribution",
             "attributes": {"low": float(hp["lower"]), "high": float(hp["upper"]),
                            "log": bool(hp.get("log")), "step": None}}
    elif kind == "uniform_int":
        d = {"name": "IntDistribution",
             "attributes": {"low": int(hp["lower"]), "high": int(hp["upper"]),
                            "log": bool(hp.get("log")), "step": 1}}
    elif kind == "categorical":
        d = {"name": "CategoricalDistribution", "attributes": {"choices": list(hp["choices"])}}
    elif kind == "ordinal":
        d = {"name": "CategoricalDistribution", "attributes": {"choices": list(hp["sequence"])}}
    elif kind == "constant":
        d = {"name": "CategoricalDistribution", "attributes": {"choices": [hp.get("value")]}}
    else:  # normal / beta distributions: no Optuna counterpart
        return None
    return json.dumps(d)


def _run_frame(path: Path, study: str) -> pd.DataFrame:
    where = repr(str(path / "runhistory.json"))
    history = _read_json(path / "runhistory.json")
    space = _read_json(path / "configspace.json")
    scenario = _read_json(path / "scenario.json") if (path / "scenario.json").is_file() else {}
    if not isinstance(history, dict) or not isinstance(history.get("data"), list):
        raise TrialsError(
            f"{where} is not a SMAC3 2.x run history: expected a "
            "'data' list of runs (SMAC 1.x wrote [[key], [value]] pairs; rerun with SMAC 2)."
        )
    configs = history.get("configs") or {}
    dists = {hp["name"]: _distribution(hp) for hp in space.get("hyperparameters", [])
             if "name" in hp}
    objectives = scenario.get("objectives", "cost")
    names = [objectives] if isinstance(objectives, str) else list(objectives)
    rows = []
    for k, run in enumerate(history["data"]):
        state = _run_state(run, k, where)
        row: dict[str, Any] = {F.STUDY: study, F.NUMBER: k, F.STATE: state}
        row.update(_run_values(run.get("cost"), state, names))
        config = configs.get(str(run["config_id"])) or {}
        for name, v in config.items():
            row[F.PARAM_PREFIX + name] = v
            if dists.get(name) is not None:
                row[F.DISTRIBUTION_PREFIX + name] = dists[name]
        row.update(_run_attributes(run))
        rows.append(row)
    out = _budget_studies(pd.DataFrame(rows), study, where)
    out[F.DIRECTION] = ",".join(["minimize"] * (1 if F.VALUE in out.columns else len(
        [c for c in out.columns if c.startswith(F.VALUES_PREFIX)])))
    out["study_metric_name"] = ",".join(names) if F.VALUE not in out.columns else names[0]
    return out


def _run_state(run: Any, k: int, where: str) -> str:
    """The trial state of run record *k* (an error when it is not a SMAC3 2.x record)."""
    if not isinstance(run, dict) or "config_id" not in run:
        raise TrialsError(
            f"Run {k} of {where} is not a SMAC3 2.x run record "
            "(config_id, seed, budget, cost, status, ...)."
        )
    status = run.get("status")
    if status not in STATES:
        raise TrialsError(
            f"Run {k} of {where} has status {status!r}; SMAC3's "
            f"are {', '.join(f'{c} {n}' for c, n in STATUS_NAMES.items())}."
        )
    return STATES[status]


def _run_values(cost: Any, state: str, names: list[str]) -> dict[str, float]:
    """``value`` (one objective) or ``values_<name>`` from a run's cost (NaN unless COMPLETE)."""
    costs = cost if isinstance(cost, list) else [cost]
    vals = [float(c) if isinstance(c, (int, float)) and state == "COMPLETE" else math.nan
            for c in costs]
    if len(names) == 1 and len(vals) == 1:
        return {F.VALUE: vals[0]}
    labels = names if len(names) == len(vals) else [str(i) for i in range(len(vals))]
    return {F.VALUES_PREFIX + name: v for name, v in zip(labels, vals, strict=True)}


def _run_attributes(run: dict) -> dict[str, Any]:
    """A run's record as ``user_attrs_<key>`` (no traceback), and its start and end times."""
    cost = run.get("cost")
    row: dict[str, Any] = {
        F.USER_ATTR_PREFIX + "config_id": run["config_id"],
        F.USER_ATTR_PREFIX + "seed": run.get("seed"),
        F.USER_ATTR_PREFIX + "instance": run.get("instance"),
        F.USER_ATTR_PREFIX + "budget": run.get("budget"),
        F.USER_ATTR_PREFIX + "status": STATUS_NAMES[run.get("status")],
        F.USER_ATTR_PREFIX + "cost": cost if not isinstance(cost, list) else json.dumps(cost),
        F.USER_ATTR_PREFIX + "time": run.get("time"),
        F.USER_ATTR_PREFIX + "cpu_time": run.get("cpu_time"),
    }
    info = run.get("additional_info") or {}
    if isinstance(info, dict):
        row.update({F.USER_ATTR_PREFIX + str(key): v for key, v in info.items()
                    if key != "traceback"})
    for key, col in (("starttime", F.DATETIME_START), ("endtime", F.DATETIME_COMPLETE)):
        t = run.get(key)
        if isinstance(t, (int, float)) and t > 0:
            row[col] = pd.Timestamp(t, unit="s")
    return row


def _budget_studies(out: pd.DataFrame, study: str, where: str) -> pd.DataFrame:
    """Runs with a budget: one study per budget (``<study>/budget<b>``), smallest first."""
    budgets = pd.to_numeric(out[F.USER_ATTR_PREFIX + "budget"], errors="coerce")
    if not budgets.notna().any():
        return out
    if budgets.isna().any():
        raise TrialsError(f"{where} mixes runs with and without a budget.")
    out[F.STUDY] = [f"{study}/budget{b:g}" for b in budgets]
    out[F.BUDGET] = budgets.to_numpy()
    return out.iloc[np.argsort(budgets.to_numpy(), kind="stable")].reset_index(drop=True)


def load_smac(
    source: Any,
    studies: str | Sequence[str] | None = None,
    *,
    objective: str | Sequence[str] | None = None,
    params: Sequence[str] | None = None,
    direction: str | Sequence[str] | Mapping[str, str] | None = None,
    metric_name: str | None = None,
) -> pd.DataFrame:
    """The trials frame of a SMAC3 output folder.

    Parameters
    ----------
    source : str or path-like
        A run folder (``smac3_output/<name>/<seed>``, holding ``runhistory.json``
        and ``configspace.json``) or a folder above run folders (one study each,
        named ``<name>`` or, when several seeds of one name are there,
        ``<name>/<seed>``).
    studies : str or sequence of str, optional
        The studies to keep (with budgets: ``<name>/budget<b>``).
    objective, params
        Not used: SMAC records its cost (several objectives: ``values_<name>``).
    direction, metric_name
        As for :func:`hpo_insights.load` (the direction is ``minimize``).

    Returns
    -------
    pandas.DataFrame
        The trials frame (``docs/trials-frame.md``); see ``docs/sources.md``.
    """
    from hpo_insights.io.canonical import finish

    path = Path(source)
    runs = _runs(path)
    if not runs:
        raise TrialsError(
            f"{str(path)!r} is not a SMAC3 output folder: expected runhistory.json and "
            "configspace.json (smac3_output/<name>/<seed>/)."
        )
    names = []
    for run in runs:
        scenario = run / "scenario.json"
        name = _read_json(scenario).get("name") if scenario.is_file() else None
        names.append(str(name or run.parent.name))
    counts = pd.Series(names).value_counts()
    labels = [n if counts[n] == 1 else f"{n}/{run.name}" for n, run in zip(names, runs,
                                                                           strict=True)]
    frame = pd.concat([_run_frame(r, s) for r, s in zip(runs, labels, strict=True)],
                      ignore_index=True)
    return finish(frame, studies, direction, metric_name, repr(str(path)))
