"""KerasTuner project folders (``<directory>/<project_name>/``), read without KerasTuner.

A project is a folder holding ``oracle.json`` and ``trial_<id>/trial.json``
files (``RandomSearch``, ``BayesianOptimization``, ``Hyperband``, ``GridSearch``
...); a folder of projects gives one study per project. Each ``trial.json``
gives one row: ``trial_id`` → ``number``, ``status`` → ``state``, ``score`` →
``value`` (the tuner's objective at the trial's best step), the metric's
``direction`` → ``study_direction``, ``hyperparameters.values`` →
``params_<name>`` (a parameter whose conditions are not met is missing) and
``hyperparameters.space`` → ``distributions_<name>`` (Optuna's distribution
JSON, so ``sampling="log"`` survives). Hyperband's ``tuner/epochs`` makes one
study per epoch budget. See ``docs/sources.md`` (KerasTuner).
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

__all__ = ["is_keras_tuner", "load_keras_tuner"]

STATES = {
    "COMPLETED": "COMPLETE",
    "FAILED": "FAIL",  # failed, no more retries
    "INVALID": "FAIL",  # crashed or infeasible, waiting for a retry
    "RUNNING": "RUNNING",
    "IDLE": "WAITING",  # the oracle is waiting before creating the trial
    "STOPPED": "PRUNED",  # ended by the oracle, not run to its end (never completed)
}
_TUNER_KEYS = ("tuner/epochs", "tuner/initial_epoch", "tuner/bracket", "tuner/round",
               "tuner/trial_id")


def _is_project(path: Path) -> bool:
    return (path / "oracle.json").is_file() and any(path.glob("trial_*/trial.json"))


def is_keras_tuner(path: Path) -> bool:
    """True for a KerasTuner project folder or a folder of them."""
    if not path.is_dir():
        return False
    if _is_project(path):
        return True
    return any(_is_project(p) for p in path.iterdir() if p.is_dir())


def _projects(path: Path) -> list[Path]:
    if _is_project(path):
        return [path]
    return sorted(p for p in path.iterdir() if p.is_dir() and _is_project(p))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise TrialsError(f"Cannot read {str(path)!r} as KerasTuner JSON: {err}.") from err


def _active(name: str, space: dict[str, dict], values: Mapping[str, Any], seen=()) -> bool:
    """KerasTuner's rule: every condition (``Parent``: the parent's value among ``values``)
    holds, and the parent is active itself."""
    entry = space.get(name)
    if entry is None:
        return True
    for cond in entry.get("conditions") or []:
        cfg = cond.get("config", {})
        parent = cfg.get("name")
        if parent in seen:
            return False
        if parent not in values or values[parent] not in cfg.get("values", []):
            return False
        if not _active(parent, space, values, (*seen, name)):
            return False
    return True


def _distribution(kind: str, cfg: dict) -> str | None:
    """A KerasTuner hyperparameter as Optuna's distribution JSON (None if it has no match)."""
    if kind == "Float":
        log = cfg.get("sampling") == "log"
        step = None if log else cfg.get("step")
        attrs = {"low": float(cfg["min_value"]), "high": float(cfg["max_value"]), "log": log,
                 "step": None if step is None else float(step)}
        return json.dumps({"name": "FloatDistribution", "attributes": attrs})
    if kind == "Int":
        log = cfg.get("sampling") == "log"
        attrs = {"low": int(cfg["min_value"]), "high": int(cfg["max_value"]), "log": log,
                 "step": 1 if log else int(cfg.get("step") or 1)}
        return json.dumps({"name": "IntDistribution", "attributes": attrs})
    if kind == "Choice":
        return json.dumps({"name": "CategoricalDistribution",
                           "attributes": {"choices": list(cfg.get("values", []))}})
    if kind == "Boolean":
        return json.dumps({"name": "CategoricalDistribution",
                           "attributes": {"choices": [False, True]}})
    if kind == "Fixed":
        return json.dumps({"name": "CategoricalDistribution",
                           "attributes": {"choices": [cfg.get("value")]}})
    return None


def _metric_value(metric: Mapping) -> float:
    """A metric's recorded value: the mean of its one observation's values (executions)."""
    obs = metric.get("observations") or []
    if not obs:
        return math.nan
    vals = [v for v in (obs[-1].get("value") or []) if isinstance(v, (int, float))]
    return float(np.mean(vals)) if vals else math.nan


def _objective(docs: list[dict], objective: str | None, label: str) -> str:
    """The tuner's objective: the metric equal to ``score`` in every scored trial."""
    names: list[str] = []
    for doc in docs:
        for name in (doc.get("metrics") or {}).get("metrics", {}):
            if name not in names:
                names.append(name)
    if objective is not None:
        if objective not in names:
            raise TrialsError(
                f"objective={objective!r} is not a metric of {label}. Metrics: "
                f"{', '.join(names) or '(none)'}."
            )
        return objective
    candidates = list(names)
    scored = [d for d in docs if isinstance(d.get("score"), (int, float))]
    for doc in scored:
        metrics = doc["metrics"]["metrics"]
        candidates = [n for n in candidates if n in metrics and math.isclose(
            _metric_value(metrics[n]), float(doc["score"]), rel_tol=1e-9, abs_tol=1e-12)]
    if len(candidates) == 1:
        return candidates[0]
    raise TrialsError(
        f"Cannot tell the objective of {label}: KerasTuner does not record its name, and "
        f"{'the metrics ' + ', '.join(map(repr, candidates)) + ' all equal' if candidates else 'no metric equals'} "  # noqa: E501
        f"the trials' score. Pass objective= with one of: {', '.join(names)}."
    )


def _project_frame(path: Path, objective: str | None) -> pd.DataFrame:
    label = repr(str(path))
    docs = [_read_json(p) for p in sorted(path.glob("trial_*/trial.json"))]
    metric = _objective(docs, objective, label)
    out = pd.DataFrame([_trial_row(doc, metric, objective, label) for doc in docs])
    if "user_attrs_tuner/epochs" in out.columns:  # Hyperband: one study per epoch budget
        epochs = pd.to_numeric(out["user_attrs_tuner/epochs"], errors="coerce")
        out.insert(0, F.STUDY, [f"{path.name}/epochs{int(e)}" for e in epochs])
        out[F.BUDGET] = epochs.astype("int64").to_numpy()
        order = np.argsort(epochs.to_numpy(), kind="stable")
        out = out.iloc[order].reset_index(drop=True)
    else:
        out.insert(0, F.STUDY, path.name)
    direction = _direction(docs, metric)
    if direction is not None:
        out[F.DIRECTION] = direction
    out["study_metric_name"] = metric
    return out


def _direction(docs: list[dict], metric: str) -> str | None:
    """The direction of *metric* in the first trial that records one."""
    for doc in docs:
        metrics = (doc.get("metrics") or {}).get("metrics", {})
        if metric in metrics:
            direction = {"max": "maximize", "min": "minimize"}.get(
                metrics[metric].get("direction"))
            if direction is not None:
                return direction
    return None


def _trial_row(doc: dict, metric: str, objective: str | None, label: str) -> dict[str, Any]:
    """The trials-frame row of one ``trial.json``."""
    status = str(doc.get("status"))
    if status not in STATES:
        raise TrialsError(
            f"Trial {doc.get('trial_id')!r} of {label} has status {status!r}; KerasTuner's "
            f"are {', '.join(STATES)}."
        )
    state = STATES[status]
    metrics = (doc.get("metrics") or {}).get("metrics", {})
    if state == "FAIL":
        value = math.nan
    elif objective is None:
        score = doc.get("score")
        value = float(score) if isinstance(score, (int, float)) else math.nan
    else:
        value = _metric_value(metrics[metric]) if metric in metrics else math.nan
    try:
        number = int(doc["trial_id"])
    except (KeyError, TypeError, ValueError) as err:
        raise TrialsError(f"A trial of {label} has no numeric trial_id.") from err
    row = {F.NUMBER: number, F.STATE: state, F.VALUE: value}
    row.update(_hyperparameters(doc.get("hyperparameters") or {}))
    for name, m in metrics.items():
        if name != metric:
            row[F.USER_ATTR_PREFIX + name] = _metric_value(m)
    row[F.USER_ATTR_PREFIX + "best_step"] = doc.get("best_step")
    if doc.get("message"):
        row[F.USER_ATTR_PREFIX + "error"] = str(doc["message"]).strip().splitlines()[-1]
    return row


def _hyperparameters(hps: dict) -> dict[str, Any]:
    """``params_<name>`` (active ones) with their distributions, and the ``tuner/`` values."""
    values = dict(hps.get("values") or {})
    space = {e["config"]["name"]: {**e["config"], "_kind": e.get("class_name")}
             for e in hps.get("space") or [] if "name" in e.get("config", {})}
    row: dict[str, Any] = {}
    for name, v in values.items():
        if name.startswith("tuner/"):
            row[F.USER_ATTR_PREFIX + name] = v
            continue
        if not _active(name, space, values):
            continue
        row[F.PARAM_PREFIX + name] = v
        entry = space.get(name)
        text = _distribution(entry["_kind"], entry) if entry is not None else None
        if text is not None:
            row[F.DISTRIBUTION_PREFIX + name] = text
    return row


def load_keras_tuner(
    source: Any,
    studies: str | Sequence[str] | None = None,
    *,
    objective: str | Sequence[str] | None = None,
    params: Sequence[str] | None = None,
    direction: str | Sequence[str] | Mapping[str, str] | None = None,
    metric_name: str | None = None,
) -> pd.DataFrame:
    """The trials frame of a KerasTuner project folder (or a folder of projects).

    Parameters
    ----------
    source : str or path-like
        ``<directory>/<project_name>`` as given to the tuner, or ``<directory>``
        holding several projects (one study each, named after the project).
    studies : str or sequence of str, optional
        The studies to keep (project names; for Hyperband ``<project>/epochs<E>``).
    objective : str, optional
        A metric to use instead of the tuner's objective (its recorded value,
        the mean over executions at the trial's best step). Default: ``score``,
        the tuner's objective (found as the metric equal to it).
    params : ignored
        KerasTuner records its parameters.
    direction, metric_name
        As for :func:`hpo_insights.load` (the direction is recorded).

    Returns
    -------
    pandas.DataFrame
        The trials frame (``docs/trials-frame.md``); see ``docs/sources.md``.
    """
    from hpo_insights.io.canonical import finish

    if objective is not None and not isinstance(objective, str):
        raise TrialsError("A KerasTuner project has one objective: pass objective= as one name.")
    path = Path(source)
    projects = _projects(path)
    if not projects:
        raise TrialsError(
            f"{str(path)!r} is not a KerasTuner project: expected oracle.json and "
            "trial_*/trial.json files (or a folder of such projects)."
        )
    frame = pd.concat([_project_frame(p, objective) for p in projects], ignore_index=True)
    return finish(frame, studies, direction, metric_name, repr(str(path)))
