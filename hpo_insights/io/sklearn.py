"""scikit-learn searches: a fitted ``*SearchCV`` or its ``cv_results_`` (dict, DataFrame, CSV).

Recognised without importing scikit-learn: a search by its class (a subclass of
``sklearn.model_selection._search.BaseSearchCV``, found by name and module in its
MRO), ``cv_results_`` by its keys (``params`` and ``mean_test_<scorer>``). See
``docs/sources.md`` (scikit-learn) for what is read and what is lost.

- one row per candidate (``number`` = its row; for successive halving, the
  candidate's order of first appearance, so a candidate keeps its number in
  every iteration);
- ``param_<name>`` → ``params_<name>`` (pipeline names such as ``clf__C`` kept);
  a masked entry (the parameter is not in that candidate's grid) is missing; a
  value ``None`` is the choice ``None`` (a ``distributions_<name>`` categorical
  records it, so it is not mistaken for "not used");
- the objective is ``mean_test_<scorer>``: refit's scorer, or ``objective=``;
  ``study_direction`` is ``maximize`` (scikit-learn scores are greater-is-better;
  losses are negated, ``neg_*``);
- a candidate whose score is NaN (``error_score=np.nan``, the default) is ``FAIL``;
- successive halving (``iter``, ``n_resources``): one study per iteration,
  ``iter0``, ``iter1``, ..., with ``study_user_attrs_budget`` = ``n_resources``.
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from hpo_insights import _frame as F
from hpo_insights._errors import TrialsError, TrialsWarning
from hpo_insights.io.canonical import finish, selected_studies
from hpo_insights.io.readers import Request

__all__ = ["FOLD_COLUMNS", "is_cv_results", "is_search", "load_sklearn", "sklearn_folds"]

FOLD_COLUMNS = ["study", "number", "state", "fold", "value", "study_direction"]
DEFAULT_STUDY = "search"
_SPLIT = re.compile(r"^split(\d+)_test_(.+)$")
_BOOK = ("mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time")


# --- recognising -----------------------------------------------------------------------------
def is_search(obj: Any) -> bool:
    """True for a scikit-learn search object (``GridSearchCV``, ``Halving*SearchCV``, ...)."""
    return any(
        c.__name__ == "BaseSearchCV" and c.__module__.startswith("sklearn")
        for c in type(obj).__mro__
    )


def is_cv_results(obj: Any) -> bool:
    """True for a ``cv_results_`` dict."""
    return (
        isinstance(obj, Mapping)
        and "params" in obj
        and any(isinstance(k, str) and k.startswith("mean_test_") for k in obj)
    )


def is_cv_results_table(columns: Sequence[str]) -> bool:
    """True for the columns of ``pd.DataFrame(search.cv_results_)`` (or its CSV)."""
    cols = [str(c) for c in columns]
    return any(c.startswith("mean_test_") for c in cols) and (
        "params" in cols or any(c.startswith("param_") for c in cols)
    )


# --- the search object -----------------------------------------------------------------------
def _search_info(search: Any) -> tuple[dict, str | None, dict[str, int]]:
    """``cv_results_``, refit's scorer name (or None) and each scorer's sign (+1/-1)."""
    try:
        results = search.cv_results_
    except AttributeError as err:
        raise TrialsError(
            f"The {type(search).__name__} has not been fitted: it has no cv_results_. "
            "Call search.fit(X, y) first, then hi.load(search)."
        ) from err
    scorers = sorted(k[len("mean_test_"):] for k in results if k.startswith("mean_test_"))
    refit = getattr(search, "refit", True)
    if isinstance(refit, str):
        primary: str | None = refit
    elif len(scorers) == 1:
        primary = scorers[0]
    else:
        primary = None  # multi-metric with refit=False or a callable: objective= decides
    signs: dict[str, int] = {}
    scorer = getattr(search, "scorer_", None)
    if isinstance(scorer, Mapping):
        signs = {k: int(getattr(v, "_sign", 1)) for k, v in scorer.items()}
    elif scorer is not None and len(scorers) == 1:
        signs = {scorers[0]: int(getattr(scorer, "_sign", 1))}
    scoring = getattr(search, "scoring", None)
    return dict(results), primary, {"_scoring": scoring, **signs}


def _as_table(results: Mapping) -> pd.DataFrame:
    """``cv_results_`` as a DataFrame; masked parameter entries become ``pd.NA`` markers."""
    data = {}
    n = len(results["params"])
    for key, arr in results.items():
        if isinstance(arr, np.ma.MaskedArray):
            vals = np.asarray(arr.data, dtype=object).copy()
            mask = np.ma.getmaskarray(arr)
            vals[mask] = np.nan
            data[key] = vals
        elif key == "params":
            data[key] = list(arr)
        else:
            a = np.asarray(arr)
            if a.ndim != 1 or len(a) != n:
                raise TrialsError(
                    f"cv_results_[{key!r}] has {a.shape} entries where {n} (one per candidate) "
                    "were expected: not a scikit-learn cv_results_ dict."
                )
            data[key] = a
    return pd.DataFrame(data)


# --- the table ---------------------------------------------------------------------------------
def _scorers(cols: Sequence[str]) -> list[str]:
    return [c[len("mean_test_"):] for c in cols if c.startswith("mean_test_")]


def _pick_objectives(
    cols: Sequence[str], objective: str | Sequence[str] | None, primary: str | None, label: str
) -> list[str]:
    scorers = _scorers(cols)
    if objective is None:
        if primary is not None and primary in scorers:
            return [primary]
        if len(scorers) == 1:
            return scorers
        raise TrialsError(
            f"{label} scores {len(scorers)} metrics ({', '.join(scorers)}) and names no refit "
            "metric: pass objective= with one of them (e.g. objective="
            f"{scorers[0]!r})."
        )
    wanted = [objective] if isinstance(objective, str) else list(objective)
    out = []
    for name in wanted:
        key = name[len("mean_test_"):] if name.startswith("mean_test_") else name
        if key not in scorers:
            raise TrialsError(
                f"objective={name!r} is not a scorer of {label}. Scorers (mean_test_<name> "
                f"columns): {', '.join(scorers)}."
            )
        out.append(key)
    return out


def _plain(value: Any) -> Any:
    """A parameter value as a plain Python scalar (estimators and tuples as their text)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    return str(value)


def _integral(value: Any) -> Any:
    """2.0 -> 2: a CSV turns whole numbers beside a None into floats; the choice is the int."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _used(params_col: pd.Series | None, name: str) -> np.ndarray | None:
    """Which candidates set *name* (from the ``params`` dicts or their text), or None."""
    if params_col is None:
        return None
    key = re.compile(r"['\"]" + re.escape(name) + r"['\"]\s*:")

    def one(p: Any) -> bool:
        if isinstance(p, Mapping):
            return name in p
        if isinstance(p, str):
            return bool(key.search(p))
        return True

    return params_col.map(one).to_numpy(bool)


def _param_columns(table: pd.DataFrame) -> tuple[dict[str, pd.Series], dict[str, pd.Series]]:
    """``params_<name>`` and, for parameters with a ``None`` choice, ``distributions_<name>``."""
    params_col = table["params"] if "params" in table.columns else None
    out: dict[str, pd.Series] = {}
    dists: dict[str, pd.Series] = {}
    for col in [c for c in table.columns if c.startswith("param_")]:
        name = col[len("param_"):]
        raw = table[col]
        missing = raw.isna().to_numpy()
        values = raw.astype(object).where(~missing, None).map(_plain)
        used = _used(params_col, name)
        if used is None:
            used = ~missing
        none_choice = used & missing
        values = values.where(used, np.nan)
        if none_choice.any():
            choices = list(dict.fromkeys(_integral(v) for v in values[used & ~missing]))
            choices = sorted(choices, key=lambda v: (type(v).__name__, v)) + [None]
            try:
                text = json.dumps({"name": "CategoricalDistribution",
                                   "attributes": {"choices": choices}})
            except (TypeError, ValueError):  # pragma: no cover - _plain gives JSON scalars
                text = None
            if text is not None:
                dists[F.DISTRIBUTION_PREFIX + name] = pd.Series(
                    np.where(used, text, None), index=table.index, dtype=object)
        values = values.where(~none_choice, np.nan)
        out[F.PARAM_PREFIX + name] = values.infer_objects()
    return out, dists


def _candidate_numbers(table: pd.DataFrame) -> np.ndarray:
    """Each row's candidate: its order of first appearance (halving lists survivors again)."""
    if "params" in table.columns:
        keys = table["params"].map(
            lambda p: repr(sorted(p.items(), key=lambda kv: kv[0])) if isinstance(p, Mapping)
            else str(p))
    else:
        pcols = [c for c in table.columns if c.startswith("param_")]
        keys = table[pcols].astype(str).agg("|".join, axis=1)
    return pd.factorize(keys)[0].astype(np.int64)


def from_cv_results(
    table: pd.DataFrame,
    objective: str | Sequence[str] | None,
    label: str,
    *,
    primary: str | None = None,
    signs: Mapping[str, Any] | None = None,
    study: str | None = None,
) -> pd.DataFrame:
    """The trials frame (before ``finish``) of a ``cv_results_`` table."""
    signs = dict(signs or {})
    cols = list(table.columns)
    if "params" in cols and table["params"].map(lambda p: isinstance(p, str)).all():
        table = table.copy()
        table["params"] = table["params"].map(_literal)
    targets = _pick_objectives(cols, objective, primary, label)
    halving = "iter" in cols and "n_resources" in cols
    out = pd.DataFrame(index=table.index)
    if halving:
        out[F.STUDY] = _iteration_studies(table["iter"], label)
        out[F.NUMBER] = _candidate_numbers(table)
    else:
        out[F.STUDY] = study or DEFAULT_STUDY
        out[F.NUMBER] = np.arange(len(table), dtype=np.int64)
    _add_objectives(out, table, targets)
    params, dists = _param_columns(table)
    for col, s in (params | dists).items():
        out[col] = s.to_numpy()
    for col in cols:
        if not _is_read(col, targets):
            out[F.USER_ATTR_PREFIX + col] = table[col].to_numpy()
    out[F.DIRECTION] = ",".join(["maximize"] * len(targets))
    out["study_metric_name"] = ",".join(_metric_names(targets, signs))
    if halving:
        out[F.BUDGET] = pd.to_numeric(table["n_resources"], errors="coerce").to_numpy()
        out[F.STUDY_ATTR_PREFIX + "iter"] = table["iter"].to_numpy()
    _warn_negated(targets, signs)
    return out.reset_index(drop=True)


def _iteration_studies(iteration: pd.Series, label: str) -> pd.Series:
    """A halving search's study per row: ``iter0``, ``iter1``, ..."""
    it = pd.to_numeric(iteration, errors="coerce")
    if it.isna().any():
        raise TrialsError(f"Column 'iter' of {label} must hold iteration numbers (0, 1, ...).")
    return "iter" + it.astype("int64").astype(str)


def _add_objectives(out: pd.DataFrame, table: pd.DataFrame, targets: list[str]) -> None:
    """``state`` (FAIL where a target score is missing) and the objective column(s)."""
    values = {t: pd.to_numeric(table["mean_test_" + t], errors="coerce") for t in targets}
    failed = np.zeros(len(table), dtype=bool)
    for v in values.values():
        failed |= v.isna().to_numpy()
    out[F.STATE] = np.where(failed, "FAIL", "COMPLETE")
    for t in targets:
        out[F.VALUE if len(targets) == 1 else F.VALUES_PREFIX + t] = values[t].to_numpy()


def _is_read(col: str, targets: list[str]) -> bool:
    """Whether column *col* of ``cv_results_`` becomes a parameter, objective or budget
    (the others are kept as ``user_attrs_<col>``)."""
    if col in ("params", "iter", "n_resources") or col.startswith("param_"):
        return True
    return col.startswith("mean_test_") and col[len("mean_test_"):] in targets


def _literal(text: str) -> Any:
    """A ``params`` cell read back from CSV: the dict when it parses, else the text."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text
    return value if isinstance(value, dict) else text


def _metric_names(targets: list[str], signs: Mapping[str, Any]) -> list[str]:
    scoring = signs.get("_scoring")
    if len(targets) == 1 and targets[0] == "score" and isinstance(scoring, str):
        return [scoring]  # a single named scorer is stored as mean_test_score
    return list(targets)


def _negated(target: str, signs: Mapping[str, Any]) -> bool:
    sign = signs.get(target)
    if sign is not None:
        return sign < 0
    scoring = signs.get("_scoring")
    name = scoring if target == "score" and isinstance(scoring, str) else target
    return name.startswith("neg_")


def _warn_negated(targets: list[str], signs: Mapping[str, Any]) -> None:
    negated = [t for t in targets if _negated(t, signs)]
    if negated:
        shown = _metric_names(negated, signs)
        warnings.warn(
            f"The objective {', '.join(map(repr, shown))} is a loss that scikit-learn negates "
            "(greater is better for every scorer): values are the negative loss and are "
            "maximized. Negate them to read the loss itself.",
            TrialsWarning,
            stacklevel=4,
        )


# --- entry points ------------------------------------------------------------------------------
def _source_table(source: Any, label: str) -> tuple[pd.DataFrame, str | None, dict]:
    if is_search(source):
        results, primary, signs = _search_info(source)
        return _as_table(results), primary, signs
    if is_cv_results(source):
        return _as_table(source), None, {}
    if isinstance(source, pd.DataFrame) and is_cv_results_table(source.columns):
        return source, None, {}
    raise TrialsError(
        f"{label} is not a scikit-learn search: expected a fitted *SearchCV, its "
        "cv_results_ dict or pd.DataFrame(search.cv_results_)."
    )


def load_sklearn(
    source: Any,
    *,
    studies: str | Sequence[str] | None = None,
    objective: str | Sequence[str] | None = None,
    direction: str | Sequence[str] | Mapping[str, str] | None = None,
    metric_name: str | None = None,
) -> pd.DataFrame:
    """The trials frame of a fitted scikit-learn search or its ``cv_results_``.

    Parameters
    ----------
    source : *SearchCV, dict or pandas.DataFrame
        A fitted ``GridSearchCV``, ``RandomizedSearchCV``, ``HalvingGridSearchCV``
        or ``HalvingRandomSearchCV`` (or another ``BaseSearchCV``), its
        ``cv_results_`` dict, or ``pd.DataFrame(search.cv_results_)``.
    studies : str or sequence of str, optional
        For one search: the study's name (default ``"search"``). For a
        successive-halving search (one study per iteration, ``iter0``, ``iter1``,
        ...): the iterations to keep.
    objective : str or sequence of str, optional
        The scorer (``mean_test_<scorer>``, prefix optional). Default: the
        search's ``refit`` scorer, or the only one.
    direction, metric_name
        As for :func:`hpo_insights.load` (the direction is ``maximize``:
        scikit-learn maximizes every score; ``"minimize"`` contradicts it).

    Returns
    -------
    pandas.DataFrame
        The trials frame (``docs/trials-frame.md``); see ``docs/sources.md``.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> import hpo_insights as hi
    >>> X, y = make_classification(n_samples=60, random_state=0)
    >>> search = GridSearchCV(DecisionTreeClassifier(random_state=0),
    ...                       {"max_depth": [1, 2, 3]}, cv=3).fit(X, y)
    >>> trials = hi.load(search)
    >>> trials[["study", "number", "state", "params_max_depth"]]
        study  number     state  params_max_depth
    0  search       0  COMPLETE                 1
    1  search       1  COMPLETE                 2
    2  search       2  COMPLETE                 3
    >>> bool((trials["value"] == search.cv_results_["mean_test_score"]).all())
    True
    """
    label = f"the {type(source).__name__}"
    table, primary, signs = _source_table(source, label)
    halving = "iter" in table.columns and "n_resources" in table.columns
    name = studies if isinstance(studies, str) and not halving else None
    frame = from_cv_results(table, objective, label, primary=primary, signs=signs, study=name)
    return finish(frame, None if name is not None else studies, direction, metric_name, label)


def sklearn_folds(
    source: Any,
    *,
    studies: str | Sequence[str] | None = None,
    objective: str | None = None,
) -> pd.DataFrame:
    """Per-fold test scores of a search: ``study, number, state, fold, value, study_direction``.

    One row per (candidate, fold) from ``split<k>_test_<scorer>``; ``number``
    and ``study`` as in :func:`load_sklearn` (one study per halving iteration),
    ``state`` the candidate's state there, ``value`` the fold's score.
    """
    label = f"the {type(source).__name__}"
    if isinstance(source, pd.DataFrame) and not is_cv_results_table(source.columns):
        raise TrialsError(f"{label} has no mean_test_<scorer> columns: not a cv_results_ table.")
    table, primary, signs = _source_table(source, label)
    if objective is not None and not isinstance(objective, str):
        raise TypeError(f"objective must be one scorer name (str), got {objective!r} instead.")
    halving = "iter" in table.columns and "n_resources" in table.columns
    name = studies if isinstance(studies, str) and not halving else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TrialsWarning)
        frame = from_cv_results(table, objective, label, primary=primary, signs=signs,
                                 study=name)
    target = _pick_objectives(list(table.columns), objective, primary, label)[0]
    splits = []
    for col in table.columns:
        m = _SPLIT.match(str(col))
        if m and m.group(2) == target:
            splits.append((int(m.group(1)), col))
    if not splits:
        raise TrialsError(
            f"{label} has no per-fold scores (split<k>_test_{target} columns) for the scorer "
            f"{target!r}."
        )
    splits.sort()
    scores = np.column_stack([pd.to_numeric(table[c], errors="coerce").to_numpy(float)
                              for _, c in splits])
    n, k = scores.shape
    out = pd.DataFrame({
        "study": np.repeat(frame[F.STUDY].to_numpy(), k),
        "number": np.repeat(frame[F.NUMBER].to_numpy(), k),
        "state": np.repeat(frame[F.STATE].to_numpy(), k),
        "fold": np.tile(np.array([f for f, _ in splits], dtype=np.int64), n),
        "value": scores.reshape(-1),
        "study_direction": "maximize",  # scikit-learn scores: greater is better
    })
    out["study"] = out["study"].astype(str)
    if studies is not None and name is None:
        wanted = selected_studies(list(dict.fromkeys(out["study"])), studies, label)
        out = out[out["study"].isin(wanted)]
    key = pd.factorize(out["study"])[0]
    order = np.lexsort((out["fold"].to_numpy(), out["number"].to_numpy(), key))
    return out.iloc[order].reset_index(drop=True)


# --- successive halving as learning curves ------------------------------------------------------
def _is_halving_table(columns: Any) -> bool:
    cols = [str(c) for c in columns]
    return "iter" in cols and "n_resources" in cols


def accepts_curves(source: Any) -> bool:
    """A successive-halving search (object, dict or table): its budgets are a curve."""
    if is_search(source):
        return _is_halving_table(getattr(source, "cv_results_", {}) or {})
    if is_cv_results(source):
        return _is_halving_table(source)
    return isinstance(source, pd.DataFrame) and is_cv_results_table(source.columns) and \
        _is_halving_table(source.columns)


def read_curves(source: Any, request: Request) -> pd.DataFrame:
    """One curve per candidate: ``step`` = ``n_resources``, ``value`` = its mean test score.

    The study is the search (``"search"``, or ``studies=`` as one name); a candidate
    that reached the last iteration is ``COMPLETE``, one that halving dropped
    earlier ``PRUNED``, one whose score is NaN at some budget ``FAIL``.
    """
    studies = request.studies
    label = f"the {type(source).__name__}"
    table, primary, signs = _source_table(source, label)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TrialsWarning)
        frame = from_cv_results(table, None, label, primary=primary, signs=signs)
    name = studies if isinstance(studies, str) else DEFAULT_STUDY
    if studies is not None and not isinstance(studies, str) and list(studies) != [name]:
        selected_studies([name], studies, label)
    step = pd.to_numeric(table["n_resources"], errors="coerce").to_numpy()
    it = pd.to_numeric(table["iter"], errors="coerce").to_numpy()
    number = frame[F.NUMBER].to_numpy()
    value = frame[F.VALUE].to_numpy() if F.VALUE in frame.columns else np.full(len(frame), np.nan)
    last = pd.Series(it).groupby(number).transform("max").to_numpy()
    failed = pd.Series(np.isnan(value)).groupby(number).transform("any").to_numpy()
    state = np.where(failed, "FAIL", np.where(last == np.nanmax(it), "COMPLETE", "PRUNED"))
    return pd.DataFrame({F.STUDY: name, F.NUMBER: number, F.STATE: state, "step": step,
                         F.VALUE: value})
