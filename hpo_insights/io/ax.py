"""Ax: the ``Client.summarize()`` / ``exp_to_df`` table and the JSON snapshot, without Ax.

- The table (a DataFrame or its CSV) is recognised by ``trial_index``,
  ``arm_name`` and ``trial_status``. Parameters and metrics stand side by side
  in it, unmarked: ``params=`` names the parameters, the objective is
  ``objective=`` or the only numeric column left; the direction is not in the
  table (``direction=``).
- The snapshot (``client.save_to_json_file(...)``, Ax's JSON encoding of the
  experiment) is read with the standard ``json`` module: the search space gives
  the parameters and ``distributions_*``, the optimization config the objective
  and its direction, each trial's arm the values, ``data_by_trial`` the metrics.

One row per arm; ``trial_status`` → ``state``. See ``docs/sources.md`` (Ax).
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

__all__ = ["STATES", "is_snapshot", "is_summary_table", "load_ax_snapshot"]

# ax.core.base_trial.TrialStatus
STATES = {
    "COMPLETED": "COMPLETE",
    "FAILED": "FAIL",
    "ABANDONED": "FAIL",  # given up by the user: never completed, no value
    "EARLY_STOPPED": "PRUNED",  # stopped by an early-stopping strategy (or the user)
    "RUNNING": "RUNNING",
    "DISPATCHED": "RUNNING",
    "CANDIDATE": "WAITING",
    "STAGED": "WAITING",
    "STALE": "FAIL",  # never ran and is no longer relevant
}
_META = ("trial_index", "arm_name", "trial_status", "generation_node", "generation_method",
         "fail_reason", "status_reason", "name")


def is_summary_table(columns: Sequence[str]) -> bool:
    """True for the columns of ``Client.summarize()`` / ``exp_to_df``."""
    return {"trial_index", "arm_name", "trial_status"} <= {str(c) for c in columns}


def _state(status: Any, label: str) -> str:
    name = str(status).strip().upper().removeprefix("TRIALSTATUS.")
    if name not in STATES:
        raise TrialsError(
            f"{label} has trial_status {status!r}; Ax's are {', '.join(STATES)}."
        )
    return STATES[name]


def from_summary(table: pd.DataFrame, objective: Any, params: Any, label: str) -> pd.DataFrame:
    """The trials frame (before ``finish``) of an Ax summary table."""
    cols = [str(c) for c in table.columns]
    others = [c for c in cols if c not in _META]
    wanted = _summary_params(cols, others, params, label)
    metrics = [c for c in others if c not in wanted
               and pd.api.types.is_numeric_dtype(table[c])
               and not pd.api.types.is_bool_dtype(table[c])]
    targets = _summary_objectives(metrics, objective, label)
    out = pd.DataFrame(index=table.index)
    out[F.NUMBER] = _numbers(table["trial_index"].to_numpy(), label)
    out[F.STATE] = [_state(s, label) for s in table["trial_status"]]
    failed = (out[F.STATE] == "FAIL").to_numpy()
    for t in targets:
        name = F.VALUE if len(targets) == 1 else F.VALUES_PREFIX + t
        out[name] = np.where(failed, np.nan, pd.to_numeric(table[t]).to_numpy())
    for p in wanted:
        out[F.PARAM_PREFIX + p] = table[p].to_numpy()
    for c in cols:
        if c not in wanted and c not in targets and c not in ("trial_index", "trial_status"):
            out[F.USER_ATTR_PREFIX + c] = table[c].to_numpy()
    out[F.USER_ATTR_PREFIX + "trial_index"] = table["trial_index"].to_numpy()
    out["study_metric_name"] = ",".join(targets)
    return out.reset_index(drop=True)


def _summary_params(cols: list[str], others: list[str], params: Any, label: str) -> list[str]:
    """The parameter columns *params* names (a summary table does not mark them)."""
    if params is None:
        raise TrialsError(
            f"{label} is Ax's summarize() table: parameters and metrics stand side by side "
            f"in it, unmarked. Pass params=[...] naming the parameters among: "
            f"{', '.join(others)} (or load the JSON snapshot, which records them)."
        )
    wanted = [params] if isinstance(params, str) else list(params)
    unknown = [p for p in wanted if p not in cols]
    if unknown:
        raise TrialsError(
            f"params= names {', '.join(map(repr, unknown))}, not columns of {label}. "
            f"Columns: {', '.join(others)}."
        )
    return wanted


def _summary_objectives(metrics: list[str], objective: Any, label: str) -> list[str]:
    """The objective columns: *objective*, else the only metric column."""
    if objective is None:
        if len(metrics) != 1:
            raise TrialsError(
                f"Cannot tell the objective of {label}: the metric columns are "
                f"{', '.join(metrics) or '(none)'}. Pass objective= with one of them."
            )
        return metrics
    targets = [objective] if isinstance(objective, str) else list(objective)
    missing = [t for t in targets if t not in metrics]
    if missing:
        raise TrialsError(
            f"objective= names {', '.join(map(repr, missing))}, not a metric column of "
            f"{label}. Metric columns: {', '.join(metrics) or '(none)'}."
        )
    return targets


def _numbers(trial_index: np.ndarray, label: str) -> np.ndarray:
    """``trial_index`` when every trial has one arm, else the row order (batch trials)."""
    idx = pd.to_numeric(pd.Series(trial_index), errors="coerce")
    if idx.isna().any():
        raise TrialsError(f"Column 'trial_index' of {label} must hold trial indices.")
    if idx.is_unique:
        return idx.astype("int64").to_numpy()
    return np.arange(len(idx), dtype=np.int64)


# --- the JSON snapshot -------------------------------------------------------------------------
def is_snapshot(path: Path) -> bool:
    """True for a ``.json`` file whose head is Ax's encoding of a client or experiment."""
    if not path.is_file() or path.suffix.lower() != ".json":
        return False
    try:
        with open(path, encoding="utf-8") as fh:
            head = fh.read(4096)
    except (OSError, UnicodeDecodeError):
        return False
    return '"__type": "Experiment"' in head


def _objectives(config: Mapping | None) -> list[tuple[str, str]]:
    """(metric, direction) of the optimization config's objective(s)."""
    if not config:
        return []
    obj = config.get("objective") or {}
    if "expression" in obj:  # Ax 1.x: "-loss", "acc", "a, -b"
        out = []
        for part in str(obj["expression"]).split(","):
            part = part.strip()
            if part.startswith("-"):
                out.append((part[1:].strip(), "minimize"))
            else:
                out.append((part.lstrip("+").strip(), "maximize"))
        return out
    if "metric" in obj:  # older encodings: {"metric": {"name": ...}, "minimize": bool}
        return [(obj["metric"].get("name"), "minimize" if obj.get("minimize") else "maximize")]
    if "objectives" in obj:  # MultiObjective
        return [pair for o in obj["objectives"] for pair in _objectives({"objective": o})]
    return []


def _distribution(p: Mapping) -> str | None:
    kind = p.get("__type")
    ptype = (p.get("parameter_type") or {}).get("name")
    if kind == "RangeParameter":
        log = bool(p.get("log_scale"))
        if ptype == "INT":
            d = {"name": "IntDistribution", "attributes": {
                "low": int(p["lower"]), "high": int(p["upper"]), "log": log, "step": 1}}
        else:
            d = {"name": "FloatDistribution", "attributes": {
                "low": float(p["lower"]), "high": float(p["upper"]), "log": log, "step": None}}
    elif kind == "ChoiceParameter":
        d = {"name": "CategoricalDistribution", "attributes": {"choices": list(p["values"])}}
    elif kind == "FixedParameter":
        d = {"name": "CategoricalDistribution", "attributes": {"choices": [p.get("value")]}}
    else:
        return None
    return json.dumps(d)


def _time(value: Any) -> Any:
    if isinstance(value, Mapping) and value.get("__type") == "datetime":
        return pd.Timestamp(value.get("value"))
    return None


def _data(entry: Any) -> pd.DataFrame:
    """The latest ``Data`` of one trial in ``data_by_trial`` as a DataFrame."""
    if isinstance(entry, Mapping) and entry.get("__type") == "OrderedDict":
        entry = entry.get("value") or []
    if not entry:
        return pd.DataFrame()
    last = entry[-1][1] if isinstance(entry[-1], list) else entry[-1]
    df = (last or {}).get("df") or {}
    text = df.get("value") if isinstance(df, Mapping) else None
    if not text:
        return pd.DataFrame()
    return pd.DataFrame(json.loads(text))


def load_ax_snapshot(
    source: Any,
    studies: str | Sequence[str] | None = None,
    *,
    objective: str | Sequence[str] | None = None,
    params: Sequence[str] | None = None,
    direction: str | Sequence[str] | Mapping[str, str] | None = None,
    metric_name: str | None = None,
) -> pd.DataFrame:
    """The trials frame of an Ax JSON snapshot (``Client.save_to_json_file``).

    One row per arm. ``value`` is the objective metric's mean in the trial's
    latest data (for a progression, the last step); ``study`` the experiment's
    name; the direction from the objective (``-loss``: minimise).
    """
    from hpo_insights.io.canonical import finish

    path = Path(source)
    label = repr(str(path))
    exp = _read_experiment(path, label)
    goals = _snapshot_goals(exp, objective, label)
    rows = _arm_rows(exp, label)
    if not rows:
        raise TrialsError(f"{label} holds no trials.")
    out = _metric_columns(pd.DataFrame(rows), [m for m, _ in goals])
    out.insert(0, F.STUDY, str(exp.get("name") or path.stem))
    out.insert(1, F.NUMBER, _numbers(out[F.USER_ATTR_PREFIX + "trial_index"].to_numpy(), label))
    dirs = [d for _, d in goals]
    if all(d is not None for d in dirs):
        out[F.DIRECTION] = ",".join(dirs)
    out["study_metric_name"] = ",".join(m for m, _ in goals)
    return finish(out, studies, direction, metric_name, label)


def _read_experiment(path: Path, label: str) -> dict:
    """The encoded Experiment of a snapshot file."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise TrialsError(f"Cannot read {label} as JSON: {err}.") from err
    exp = doc.get("experiment", doc) if isinstance(doc, dict) else None
    if not isinstance(exp, dict) or exp.get("__type") != "Experiment":
        raise TrialsError(f"{label} is not an Ax snapshot (no encoded Experiment in it).")
    return exp


def _snapshot_goals(exp: dict, objective: Any, label: str) -> list[tuple[str, str | None]]:
    """(metric, direction) of each objective: *objective*, else the optimization config's."""
    goals = _objectives(exp.get("optimization_config"))
    if objective is not None:
        names = [objective] if isinstance(objective, str) else list(objective)
        known = dict(goals)
        goals = [(n, known.get(n)) for n in names]
    if not goals:
        raise TrialsError(f"{label} records no objective: pass objective= (a metric name).")
    return goals


def _trial_arms(trial: dict) -> list[dict]:
    """The arms of a trial (a BatchTrial: the arms of its generator runs)."""
    arms = list((trial.get("generator_run") or {}).get("arms") or [])
    if not arms:
        for gr in trial.get("generator_run_structs") or []:
            arms.extend(((gr.get("generator_run") or {}).get("arms")) or [])
    return arms


def _arm_rows(exp: dict, label: str) -> list[dict[Any, Any]]:
    """One row per arm of every trial, metrics under ``("value:", metric)`` keys."""
    space = (exp.get("search_space") or {}).get("parameters") or []
    dists = {p["name"]: _distribution(p) for p in space if "name" in p}
    trials = exp.get("trials") or {}
    data_by_trial = exp.get("data_by_trial") or {}
    rows = []
    for key in sorted(trials, key=lambda k: int(k)):
        trial = trials[key]
        status = (trial.get("status") or {}).get("name")
        state = _state(status, label)
        data = _data(data_by_trial.get(str(key)))
        for arm in _trial_arms(trial):
            row: dict[Any, Any] = {F.STATE: state, F.USER_ATTR_PREFIX + "trial_index": int(key),
                                   F.USER_ATTR_PREFIX + "arm_name": arm.get("name"),
                                   F.USER_ATTR_PREFIX + "trial_status": status}
            mine = data[data["arm_name"] == arm.get("name")] if len(data) else data
            row.update(_arm_metrics(mine))
            for name, v in (arm.get("parameters") or {}).items():
                row[F.PARAM_PREFIX + name] = v
                if dists.get(name) is not None:
                    row[F.DISTRIBUTION_PREFIX + name] = dists[name]
            row.update(_trial_times(trial))
            rows.append(row)
    return rows


def _arm_metrics(data: pd.DataFrame) -> dict[Any, float]:
    """Each metric's mean in an arm's latest data (the last step), and its SEM when recorded."""
    out: dict[Any, float] = {}
    for metric in (pd.unique(data["metric_name"]) if len(data) else []):
        m = data[data["metric_name"] == metric]
        if "step" in m.columns and m["step"].notna().any():
            m = m.sort_values("step")
        out[("value:", metric)] = float(m["mean"].iloc[-1])
        if "sem" in m.columns and pd.notna(m["sem"].iloc[-1]):
            out[F.USER_ATTR_PREFIX + f"{metric}_sem"] = float(m["sem"].iloc[-1])
    return out


def _trial_times(trial: dict) -> dict[str, Any]:
    """``datetime_start`` and ``datetime_complete`` where the trial records them."""
    out = {}
    start, end = _time(trial.get("time_run_started")), _time(trial.get("time_completed"))
    if start is not None:
        out[F.DATETIME_START] = start
    if end is not None:
        out[F.DATETIME_COMPLETE] = end
    return out


def _metric_columns(out: pd.DataFrame, targets: list[str]) -> pd.DataFrame:
    """The ``("value:", metric)`` columns as objectives (NaN in FAIL trials) or user attrs."""
    metrics = [c[1] for c in out.columns if isinstance(c, tuple)]
    failed = (out[F.STATE] == "FAIL").to_numpy()
    for t in targets:
        col = ("value:", t)
        vals = out[col].to_numpy(float) if col in out.columns else np.full(len(out), math.nan)
        vals = np.where(failed, np.nan, vals)
        out[F.VALUE if len(targets) == 1 else F.VALUES_PREFIX + t] = vals
    for m in metrics:
        if m not in targets:
            out[F.USER_ATTR_PREFIX + m] = out[("value:", m)]
    out = out.drop(columns=[c for c in out.columns if isinstance(c, tuple)])
    out.columns = pd.Index([str(c) for c in out.columns])
    return out
