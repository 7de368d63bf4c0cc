"""Hyperopt: a ``Trials`` object in memory (or, behind an explicit opt-in, its pickle).

A ``Trials`` is recognised by its class (name ``Trials``/``MongoTrials``/
``SparkTrials`` from a ``hyperopt`` module, or a subclass of one) without
importing hyperopt. ``trials.trials`` is a list of documents; each gives one
row: ``tid`` → ``number``, ``result["loss"]`` → ``value`` (minimised),
``misc["vals"]`` → ``params_<label>`` (an empty list: the parameter was not
active in that trial, a conditional space → missing). ``hp.choice`` values are
stored as indices; with ``space=`` they are decoded to the chosen options.
See ``docs/sources.md`` (Hyperopt).
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hpo_insights import _frame as F
from hpo_insights._errors import TrialsError, TrialsWarning

__all__ = ["is_trials", "load_hyperopt"]

DEFAULT_STUDY = "hyperopt"
# hyperopt.base: JOB_STATE_NEW 0, RUNNING 1, DONE 2, ERROR 3, CANCEL 4
_JOB_STATES = {0: "WAITING", 1: "RUNNING", 2: None, 3: "FAIL", 4: "FAIL"}
# result["status"]: STATUS_OK, STATUS_FAIL, STATUS_NEW, STATUS_RUNNING, STATUS_SUSPENDED
_STATUS = {"ok": "COMPLETE", "fail": "FAIL", "new": "WAITING", "running": "RUNNING",
           "suspended": "WAITING"}
PICKLE_HINT = (
    "Reading a pickle runs code stored in the file: only load one you made or trust, with "
    "hi.io.hyperopt.load_hyperopt(path, allow_pickle=True) (hyperopt must be installed)."
)


def is_trials(obj: Any) -> bool:
    """True for a hyperopt ``Trials`` (or ``MongoTrials``, ``SparkTrials``) object."""
    return any(c.__name__ in ("Trials", "MongoTrials", "SparkTrials")
               and c.__module__.split(".")[0] == "hyperopt" for c in type(obj).__mro__)


def _choices(space: Any) -> dict[str, list[Any]]:
    """Each ``hp.choice`` label of *space* and its options (a literal, or a text for others)."""
    from hyperopt import pyll

    out: dict[str, list[Any]] = {}
    for node in pyll.toposort(pyll.as_apply(space)):
        if node.name != "switch":
            continue
        index = node.pos_args[0]
        if index.name != "hyperopt_param":
            continue
        label = index.pos_args[0].obj
        options = []
        for k, opt in enumerate(node.pos_args[1:]):
            options.append(_option(opt, k))
        out[label] = options
    return out


def _option(node: Any, k: int) -> Any:
    """An option's value: a literal as it is; a structure by its literal entries."""
    if node.name == "literal":
        value = node.obj
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        return str(value)
    if node.name == "dict":  # hp.choice("model", [{"type": "svm", "C": ...}, ...])
        lits = {key: v.obj for key, v in node.named_args
                if v.name == "literal" and (v.obj is None or isinstance(v.obj, (bool, int, float,
                                                                                   str)))}
        if lits:
            return json.dumps(lits, sort_keys=True)
    return f"option {k}"


def _frame_of(trials: Any, space: Any, study: str, label: str) -> pd.DataFrame:
    docs = _trial_docs(trials, label)
    choices = _choices(space) if space is not None else {}
    labels: list[str] = []
    out = pd.DataFrame([_row_of(doc, study, choices, labels) for doc in docs])
    for name in labels:  # every label has a column, even if never active
        if F.PARAM_PREFIX + name not in out.columns:
            out[F.PARAM_PREFIX + name] = np.nan
    for col in (F.DATETIME_START, F.DATETIME_COMPLETE):
        if col in out.columns:
            out[col] = pd.to_datetime(out[col])
    undecoded = [n for n in labels if _is_choice_index(n, docs) and n not in choices]
    if space is None and undecoded:
        warnings.warn(
            f"Hyperopt stores hp.choice values as indices; without the search space the "
            f"parameters {', '.join(map(repr, undecoded))} may be such indices (0, 1, ...) "
            "rather than the options chosen. Pass space= (the space given to fmin) to decode "
            "them.",
            TrialsWarning,
            stacklevel=4,
        )
    out[F.DIRECTION] = "minimize"  # fmin minimises the loss
    out["study_metric_name"] = "loss"
    return out


def _trial_docs(trials: Any, label: str) -> list:
    """Every trial document, the evaluations that raised included."""
    # trials.trials lists only NEW, RUNNING and DONE jobs; _dynamic_trials, the store it is
    # refreshed from, also keeps the evaluations that raised (job state ERROR)
    docs = getattr(trials, "_dynamic_trials", None)
    if not isinstance(docs, list):
        docs = list(getattr(trials, "trials", None) or [])
    if not docs:
        raise TrialsError(f"{label} holds no trials: run fmin(..., trials=trials) first.")
    return docs


def _row_of(doc: dict, study: str, choices: dict, labels: list[str]) -> dict[str, Any]:
    """The trials-frame row of one trial document; appends new parameter names to *labels*."""
    misc = doc.get("misc") or {}
    result = doc.get("result") or {}
    state = _JOB_STATES.get(doc.get("state"))
    if state is None:  # done: the objective's own status decides
        state = _STATUS.get(str(result.get("status")), "FAIL")
    loss = result.get("loss")
    value = float(loss) if isinstance(loss, (int, float, np.number)) and state != "FAIL" \
        else np.nan
    row = {F.STUDY: study, F.NUMBER: int(doc.get("tid", misc.get("tid"))),
           F.STATE: state, F.VALUE: value}
    row.update(_params_of(misc.get("vals") or {}, choices, labels))
    for key in ("book_time", "refresh_time"):
        if doc.get(key) is not None:
            row[F.DATETIME_START if key == "book_time" else F.DATETIME_COMPLETE] = doc[key]
    for key, v in result.items():
        if key not in ("loss", "status"):
            row[F.USER_ATTR_PREFIX + key] = v
    error = misc.get("error")
    if error:
        row[F.USER_ATTR_PREFIX + "error"] = str(error[-1]) if isinstance(
            error, (list, tuple)) else str(error)
    return row


def _params_of(vals: dict, choices: dict, labels: list[str]) -> dict[str, Any]:
    """``params_<name>`` of the parameters a trial used (hp.choice indices decoded)."""
    row = {}
    for name, v in vals.items():
        if name not in labels:
            labels.append(name)
        if len(v):
            x = v[0].item() if isinstance(v[0], np.generic) else v[0]
            row[F.PARAM_PREFIX + name] = choices[name][int(x)] if name in choices else x
    return row


def _is_choice_index(name: str, docs: list) -> bool:
    """Could *name* be an hp.choice index: every stored value a non-negative whole number."""
    for doc in docs:
        vals = ((doc.get("misc") or {}).get("vals") or {}).get(name) or []
        for v in vals:
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)):
                return False
            if v < 0 or float(v) != int(v):
                return False
    return True


def load_hyperopt(
    source: Any,
    *,
    space: Any = None,
    allow_pickle: bool = False,
    studies: str | Sequence[str] | None = None,
    direction: str | Sequence[str] | Mapping[str, str] | None = None,
    metric_name: str | None = None,
) -> pd.DataFrame:
    """The trials frame of a hyperopt ``Trials`` object (or of its pickle, on request).

    Parameters
    ----------
    source : hyperopt.Trials, str or path-like
        The ``Trials`` given to ``fmin`` (also ``MongoTrials``/``SparkTrials``), or
        the path of a pickle of one (``pickle.dump(trials, f)``), read only when
        ``allow_pickle=True``.
    space : hyperopt search space, optional
        The space given to ``fmin``: decodes ``hp.choice`` indices to the options
        (literals as they are; a dict option by its literal entries as JSON text,
        else ``"option <k>"``). Without it the indices are kept and a
        ``TrialsWarning`` says so.
    allow_pickle : bool, default False
        Reading a pickle executes code from the file: say ``True`` only for a
        file you trust.
    studies : str, optional
        The study's name (default ``"hyperopt"``).
    direction, metric_name
        As for :func:`hpo_insights.load` (the direction is ``minimize``).

    Returns
    -------
    pandas.DataFrame
        The trials frame (``docs/trials-frame.md``); see ``docs/sources.md``.
    """
    from hpo_insights.io.canonical import finish

    name = studies if isinstance(studies, str) else DEFAULT_STUDY
    if isinstance(source, (str, os.PathLike)):
        path = Path(os.fspath(source))
        if not allow_pickle:
            raise TrialsError(f"{str(path)!r} is a pickle. {PICKLE_HINT}")
        if not path.is_file():
            raise TrialsError(f"No such file: {str(path)!r}.")
        import pickle

        with open(path, "rb") as fh:
            obj = pickle.load(fh)  # noqa: S301 - the caller opted in (allow_pickle=True)
        if not is_trials(obj):
            raise TrialsError(
                f"{str(path)!r} holds a {type(obj).__name__}, not a hyperopt Trials object."
            )
        source, label = obj, repr(str(path))
    elif is_trials(source):
        label = f"the {type(source).__name__}"
    else:
        raise TypeError(
            f"load_hyperopt takes a hyperopt Trials object or a pickle path, got "
            f"{type(source).__name__} instead."
        )
    frame = _frame_of(source, space, name, label)
    select = None if isinstance(studies, str) else studies
    return finish(frame, select, direction, metric_name, label)
