"""The bad-input matrix: odd frames, files and Optuna spaces against every public function.

For every input and every public function the contract is one of:

* a :class:`hpo_insights.TrialsError` or :class:`TypeError` with a message, or
* a result, which (where an independent computation is cheap) agrees with a
  hand computation over the rows;

and in every case: the input is unchanged, no file is created or touched
(directory listing and modification times), and no call takes more than a
few seconds. The classes of odd inputs follow issue #10 (odd values, odd
labels, odd structure, odd files, odd Optuna spaces); hypothesis draws
combinations of them.
"""

from __future__ import annotations

import json
import math
import os
import time
import warnings
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hpo_insights as hi

optuna.logging.set_verbosity(optuna.logging.WARNING)

SLOW = 5.0  # seconds: no call on these small inputs may take longer
MATRIX = settings(max_examples=30, suppress_health_check=list(HealthCheck), deadline=None)

HOSTILE = ["a", "b", "", " ", "None", "nan", "<script>alert(1)</script>", "a\nb", "$(rm -rf)",
           "../x", "é✓", "study", "a,b", "{{x}}"]


# --- strategies --------------------------------------------------------------------
def _column(kind: str, n: int, draw) -> list:
    """n values of one kind of parameter (the classes of odd parameter values)."""
    ints = st.integers(-3, 3)
    pools = {
        "float": st.floats(1e-6, 1e3),
        "wild_float": st.floats(allow_nan=True, allow_infinity=True),
        "int": ints,
        "bool": st.booleans(),
        "bool_int": st.one_of(st.booleans(), st.integers(0, 1)),
        "str": st.sampled_from(["adam", "sgd", "None", "", "é"]),
        "none_choice": st.one_of(st.none(), st.sampled_from([3, 5])),
        "mixed": st.one_of(st.none(), st.booleans(), ints, st.sampled_from(["a", "1"]),
                           st.floats(0, 1)),
        "dict": st.one_of(st.none(), st.fixed_dictionaries({"k": ints}),
                          st.lists(ints, max_size=2)),
        "constant": st.just(7),
        "empty": st.none(),
        "huge_int": st.integers(2**62, 2**64),
        "many": st.integers(0, 10**6).map(lambda k: f"id{k}"),
    }
    return draw(st.lists(pools[kind], min_size=n, max_size=n))


PARAM_KINDS = ["float", "wild_float", "int", "bool", "bool_int", "str", "none_choice", "mixed",
               "dict", "constant", "empty", "huge_int", "many"]
STATES = ["COMPLETE", "COMPLETE", "COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING",
          "complete", "TrialState.COMPLETE", "done", None]
DISTRIBUTIONS = [
    None,
    '{"name": "CategoricalDistribution", "attributes": {"choices": [null, 3, 5]}}',
    '{"name": "CategoricalDistribution", "attributes": {"choices": [1, "auto", 2.5, null]}}',
    '{"name": "FloatDistribution", "attributes": {"low": 1e-06, "high": 1000.0, "log": true, '
    '"step": null}}',
    '{"name": "IntDistribution", "attributes": {"low": -3, "high": 3, "log": false, "step": 1}}',
    "[1, 2]",
    "not json",
    '{"name": 3}',
    "null",
]


_NUMBERS = {
    "range": lambda n: list(range(n)),
    "dup": lambda n: [k // 2 for k in range(n)],
    "float": lambda n: [k + 0.5 * (k % 2) for k in range(n)],
    "huge": lambda n: pd.Series([2**63 + k for k in range(n)], dtype=object),
    "nan": lambda n: [float("nan") if k == 0 else k for k in range(n)],
}


def _draw_study_number_state(draw, data: dict, n: int, sane: bool) -> None:
    if draw(st.integers(0, 4)) > 0 or not sane:
        data["study"] = draw(st.lists(st.sampled_from(HOSTILE[:6]), min_size=n, max_size=n))
    number = "range" if sane else draw(
        st.sampled_from(["range", "dup", "float", "huge", "nan", "absent"]))
    if number in _NUMBERS:
        data["number"] = _NUMBERS[number](n)
    if sane or draw(st.integers(0, 9)) > 0:
        data["state"] = draw(st.lists(st.sampled_from(STATES[:7] if sane or draw(st.booleans())
                                                      else STATES), min_size=n, max_size=n))


def _draw_objective(draw, data: dict, n: int, sane: bool) -> str:
    objective = draw(st.sampled_from(["value", "value", "two"] if sane else
                                     ["value", "value", "two", "text", "bool", "absent"]))
    finite = st.floats(-10, 10)
    values = {
        "value": st.one_of(finite, finite, st.just(float("nan")), st.just(float("inf"))),
        "text": st.sampled_from(["0.5", "high", None]),
        "bool": st.booleans(),
    }
    if objective in values:
        data["value"] = draw(st.lists(values[objective], min_size=n, max_size=n))
    elif objective == "two":
        data["values_loss"] = draw(st.lists(finite, min_size=n, max_size=n))
        data["values_1"] = draw(st.lists(finite, min_size=n, max_size=n))
    return objective


def _draw_params(draw, data: dict, n: int, sane: bool) -> None:
    for kind in draw(st.lists(st.sampled_from(PARAM_KINDS), min_size=int(sane), max_size=3)):
        name = draw(st.sampled_from(["x", "lr", "max_depth", "a b", "params_y", "é"]))
        values = _column(kind, n, draw)
        data[f"params_{name}"] = pd.Series(values, dtype=object) if kind in (
            "mixed", "dict", "bool_int", "none_choice", "huge_int") else values
        if draw(st.booleans()):
            data[f"distributions_{name}"] = draw(st.sampled_from(DISTRIBUTIONS))


def _draw_attributes(draw, data: dict, n: int, sane: bool, objective: str) -> None:
    if sane or draw(st.booleans()):
        data["study_direction"] = draw(st.sampled_from(
            (["minimize,maximize", "maximize,minimize"] if objective == "two" else
             ["maximize", "minimize", "MINIMIZE"]) if sane else
            ["maximize", "minimize", "MINIMIZE", "minimize,maximize", "up", None]))
    if draw(st.booleans()):
        labels = ["2M", "20M", "1.5B", "large"] + ([] if sane else [None])
        data["study_user_attrs_budget"] = draw(st.lists(
            st.sampled_from(labels), min_size=n, max_size=n))
    if draw(st.booleans()):
        data["user_attrs_pred_min"] = draw(st.lists(st.floats(0, 0.5), min_size=n, max_size=n))
        data["user_attrs_pred_max"] = draw(st.lists(st.floats(0.4, 1), min_size=n, max_size=n))
    if draw(st.booleans()):
        data["system_attrs_constraints"] = draw(st.lists(
            st.one_of(st.none(), st.lists(st.floats(-1, 1), min_size=1, max_size=2).map(
                json.dumps)), min_size=n, max_size=n))


def _draw_labels(draw, frame: pd.DataFrame, n: int, sane: bool) -> pd.DataFrame:
    label = draw(st.sampled_from(["plain", "index"] if sane else
                                 ["plain", "plain", "plain", "dup", "multi", "int", "index"]))
    if label == "dup" and len(frame.columns):
        frame = pd.concat([frame, frame.iloc[:, [0]]], axis=1)
    elif label == "multi":
        frame.columns = pd.MultiIndex.from_tuples([(c, "") for c in frame.columns]) \
            if len(frame.columns) else frame.columns
    elif label == "int" and len(frame.columns):
        frame = frame.rename(columns={frame.columns[-1]: 0})
    elif label == "index":
        frame.index = [7] * n  # a repeated, non-range index
    return frame


@st.composite
def frames(draw) -> pd.DataFrame:
    """A trials frame with odd values, labels and structure (any combination)."""
    sane = draw(st.integers(0, 2)) > 0  # two in three: only the values are odd
    n = draw(st.integers(1 if sane else 0, 14))
    data: dict = {}
    _draw_study_number_state(draw, data, n, sane)
    objective = _draw_objective(draw, data, n, sane)
    _draw_params(draw, data, n, sane)
    _draw_attributes(draw, data, n, sane, objective)
    frame = pd.DataFrame(
        {k: pd.Series(v, dtype=object) if isinstance(v, list)
         and any(isinstance(x, dict | list) for x in v) else v for k, v in data.items()},
        index=range(n))
    return _draw_labels(draw, frame, n, sane)


# --- the public functions -------------------------------------------------------------
def _first_param(t: pd.DataFrame) -> str:
    cols = [c for c in t.columns if isinstance(c, str) and c.startswith("params_")]
    return cols[0] if cols else "x"


def _objective(t: pd.DataFrame) -> str | None:
    return "loss" if "values_loss" in t.columns else None


CALLS = {
    "summarize": lambda t: hi.summarize(t, objective=_objective(t)),
    "best_trial": lambda t: hi.best_trial(t, objective=_objective(t)),
    "variance_explained": lambda t: hi.variance_explained(t, objective=_objective(t)),
    "value_table": lambda t: hi.value_table(t, params=_first_param(t),
                                            objective=_objective(t)),
    "classify_trend": lambda t: hi.classify_trend(t, objective=_objective(t)),
    "coverage_crosstab": lambda t: hi.coverage_crosstab(
        t, params=(_first_param(t), _first_param(t))),
    "detect_collapse": lambda t: hi.detect_collapse(t),
    "collapse_summary": lambda t: hi.collapse_summary(t),
    "forced_extremes": lambda t: hi.forced_extremes(t),
    "compare_budgets": lambda t: hi.compare_budgets(t, objective=_objective(t)),
    "scaling_check": lambda t: hi.scaling_check(t, objective=_objective(t)),
    "param_consistency": lambda t: hi.param_consistency(t, objective=_objective(t)),
    "collapse_by_budget": lambda t: hi.collapse_by_budget(t),
    "validate": lambda t: hi.validate(t, errors="report"),
    "load": lambda t: hi.load(t),
}


def _snapshot(folder: Path) -> dict:
    return {p.name: (p.stat().st_mtime_ns, p.stat().st_size) for p in folder.iterdir()}


def _call(fn, arg):
    """Run one call: the result, or the error it raised (which must be a clear one)."""
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", hi.TrialsWarning)
            warnings.simplefilter("error", RuntimeWarning)  # numpy's "mean of empty slice" &c.
            out = fn(arg)
    except (hi.TrialsError, TypeError) as err:
        assert str(err).strip(), f"{type(err).__name__} without a message"
        out = err
    elapsed = time.perf_counter() - start
    assert elapsed < SLOW, f"took {elapsed:.1f} s"
    return out


def _same_frame(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)


# --- independent computations ----------------------------------------------------------
def _used_rows(t: pd.DataFrame, col: str) -> pd.DataFrame:
    """COMPLETE trials with a finite objective, by a plain loop over the rows."""
    keep = []
    for _, row in t.iterrows():
        y = row[col]
        if row["state"] != "COMPLETE" or isinstance(y, bool | str) or y is None:
            continue
        if math.isfinite(float(y)):
            keep.append(row)
    return pd.DataFrame(keep)


def _feasible_by_hand(row) -> bool:
    text = row.get("system_attrs_constraints")
    if not isinstance(text, str):
        return True
    return all(v <= 0 for v in json.loads(text))


def _check_summarize(t: pd.DataFrame, out: pd.DataFrame) -> None:
    col = "values_loss" if "values_loss" in t.columns else "value"
    used = _used_rows(t, col)
    for _, row in out.iterrows():
        mine = t[t["study"] == row["study"]]
        assert row["n_trials"] == len(mine)
        assert row["n_complete"] == int((mine["state"] == "COMPLETE").sum())
        sub = used[used["study"] == row["study"]] if len(used) else used
        assert row["n_used"] == len(sub)
        ok = sub[[_feasible_by_hand(r) for _, r in sub.iterrows()]] if len(sub) else sub
        ys = ok[col].astype(float) if len(ok) else pd.Series(dtype=float)
        if len(ys) == 0:
            assert np.isnan(row["best"])
        else:
            want = ys.max() if row["direction"] == "maximize" else ys.min()
            assert row["best"] == want
        assert row["n_infeasible"] == len(sub) - len(ok)


def _check_value_table(t: pd.DataFrame, out: pd.DataFrame, param: str) -> None:
    col = "values_loss" if "values_loss" in t.columns else "value"
    used = _used_rows(t, col)
    pcol = param if param.startswith("params_") else "params_" + param
    dcol = "distributions_" + pcol[len("params_"):]
    n = 0
    for _, row in used.iterrows():
        if "user_attrs_pred_min" in row and row["user_attrs_pred_max"] - row[
                "user_attrs_pred_min"] < 0.05:
            continue  # a collapsed trial: value_table leaves it out by default
        v = row[pcol]
        missing = v is None or (isinstance(v, float) and math.isnan(v))
        none_choice = missing and isinstance(row.get(dcol), str) and "null" in row[dcol] and \
            "Categorical" in row[dcol] and '"choices": [' in row[dcol]
        n += (not missing) or none_choice
    assert int(out["n_trials"].sum()) == n, (t[pcol].tolist(), t.get(dcol), t["state"].tolist(),
                                          t[col].tolist(), out)


def _check_coverage(t: pd.DataFrame, out: pd.DataFrame, param: str) -> None:
    """One parameter against itself: the diagonal holds every counted trial, once."""
    pcol = param if param.startswith("params_") else "params_" + param
    dcol = "distributions_" + pcol[len("params_"):]
    n = 0
    for _, row in t.iterrows():
        v = row[pcol]
        missing = v is None or (isinstance(v, float) and math.isnan(v))
        none_choice = missing and isinstance(row.get(dcol), str) and "null" in row[dcol] and \
            "Categorical" in row[dcol] and '"choices": [' in row[dcol]
        n += row["state"] == "COMPLETE" and ((not missing) or none_choice)
    assert int(out["n_trials"].sum()) == n
    off = out[out["row_value"].astype(str) != out["col_value"].astype(str)]
    assert int(off["n_trials"].sum()) == 0


# --- the matrix ----------------------------------------------------------------------------
@MATRIX
@given(trials=frames())
def test_every_function_on_odd_frames(trials, tmp_path_factory):
    folder = tmp_path_factory.mktemp("cwd")
    old = os.getcwd()
    os.chdir(folder)
    try:
        before = trials.copy(deep=True)
        listing = _snapshot(folder)
        for name, fn in CALLS.items():
            out = _call(fn, trials)
            _same_frame(trials, before)
            assert _snapshot(folder) == listing, f"{name} touched files"
            if isinstance(out, Exception):
                continue
            plain = (isinstance(trials.columns, pd.Index)
                     and not isinstance(trials.columns, pd.MultiIndex)
                     and trials.columns.is_unique
                     and all(isinstance(c, str) for c in trials.columns)
                     and {"study", "number", "state"} <= set(trials.columns))
            ycol = "values_loss" if "values_loss" in trials.columns else "value"
            plain = plain and ycol in trials.columns and pd.api.types.is_float_dtype(
                trials[ycol])
            if name == "summarize" and plain:
                _check_summarize(trials, out)
            if name == "value_table" and plain:
                _check_value_table(trials, out, _first_param(trials))
            if name == "best_trial" and plain:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", hi.TrialsWarning)
                    s = hi.summarize(trials, objective=_objective(trials)).set_index("study")
                for _, row in out.iterrows():
                    assert row["value"] == s.loc[row["study"], "best"]
            if name == "detect_collapse" and plain:
                assert len(out) == len(_used_rows(trials, ycol))
            if name == "variance_explained":
                share = out["share"].to_numpy(dtype=float)
                assert np.all(np.isnan(share) | ((share >= 0) & (share <= 1)))
            if name == "coverage_crosstab" and plain:
                _check_coverage(trials, out, _first_param(trials))
    finally:
        os.chdir(old)


FILE_CONTENT = st.sampled_from([
    b"", b"null", b"[]", b"{}", b"[1, 2, 3]", b'"text"', b"{\"a\": [1, 2]}", b"\x00\xff\xfe",
    b"number,value\n", b"number,value,params_x\n1,0.5,a\n1,0.6,b\n",
    b"number,state,value,params_x\n99999999999999999999,COMPLETE,0.5,1\n",
    b'{"header": ["a"], "rows": [[1]]}', b"SQLite format 3\x00garbage",
    b"study,number,state,value,params_x\n<b>x</b>,0,COMPLETE,1,2\n",
])


@MATRIX
@given(content=FILE_CONTENT, suffix=st.sampled_from([".csv", ".json", ".jsonl", ".parquet",
                                                      ".db", ".txt"]))
def test_load_on_odd_files(content, suffix, tmp_path_factory):
    folder = tmp_path_factory.mktemp("files")
    path = folder / ("trials" + suffix)
    path.write_bytes(content)
    listing = _snapshot(folder)
    for source in (path, str(path), folder):
        out = _call(hi.load, source)
        assert _snapshot(folder) == listing
        assert path.read_bytes() == content
        if not isinstance(out, Exception):
            assert len(out) > 0 and {"study", "number", "state"} <= set(out.columns)
            assert hi.validate(out, errors="report") is not None


@MATRIX
@given(trials=frames())
def test_odd_frames_survive_files(trials, tmp_path_factory):
    """A frame written by pandas and read back by hi.load: a frame or a clear error."""
    folder = tmp_path_factory.mktemp("rt")
    if isinstance(trials.columns, pd.MultiIndex) or not trials.columns.is_unique:
        return
    for suffix in (".csv", ".json"):
        path = folder / ("t" + suffix)
        if suffix == ".csv":
            trials.to_csv(path, index=False)
        else:
            trials.to_json(path, orient="records", default_handler=str)
        listing = _snapshot(folder)
        out = _call(hi.load, path)
        assert _snapshot(folder) == listing
        if not isinstance(out, Exception):
            assert len(out) == len(trials)


# --- Optuna spaces ---------------------------------------------------------------------------
SPACE = st.lists(
    st.sampled_from(["float", "log", "int", "step", "cat_none", "cat_bool", "cat_mixed",
                     "conditional"]),
    min_size=1, max_size=4, unique=True)


def _conditional(trial) -> float:
    return trial.suggest_float("c", 0, 1) if trial.suggest_categorical("use", ["y", "n"]) == "y" \
        else 0.0


SUGGEST = {
    "float": lambda trial: trial.suggest_float("f", -1, 1),
    "log": lambda trial: math.log10(trial.suggest_float("lg", 1e-5, 1e-1, log=True)),
    "int": lambda trial: trial.suggest_int("i", 0, 3),
    "step": lambda trial: trial.suggest_float("s", 0, 1, step=0.25),
    "cat_none": lambda trial: 1 if trial.suggest_categorical("md", [None, 3, 5]) is None else 0,
    "cat_bool": lambda trial: trial.suggest_categorical("b", [True, False]),
    "cat_mixed": lambda trial: 0.5 if trial.suggest_categorical("m", ["auto", 1, 2.5, None])
    == "auto" else 0.0,
    "conditional": _conditional,
}


def _space_objective(kinds, constrained, two):
    def objective(trial):
        total = sum((SUGGEST[kind](trial) for kind in kinds), 0.0)
        if constrained:
            trial.set_constraint("c0", total - 0.5)
        return (total, -total) if two else total

    return objective


@settings(max_examples=12, suppress_health_check=list(HealthCheck), deadline=None)
@given(kinds=SPACE, constrained=st.booleans(), two=st.booleans(),
       direction=st.sampled_from(["minimize", "maximize"]), n=st.integers(1, 12),
       seed=st.integers(0, 3))
def test_every_function_on_optuna_spaces(kinds, constrained, two, direction, n, seed):
    dirs = [direction, "maximize"] if two else [direction]
    study = optuna.create_study(directions=dirs, sampler=optuna.samplers.RandomSampler(seed=seed))
    study.optimize(_space_objective(kinds, constrained, two), n_trials=n)
    trials = hi.from_optuna(study)
    before = trials.copy(deep=True)
    objective = "values_0" if two else None
    calls = dict(CALLS)
    calls.update({k: (lambda f: lambda t: f(t, objective=objective))(getattr(hi, k))
                  for k in ("summarize", "best_trial", "variance_explained", "classify_trend",
                            "compare_budgets", "scaling_check", "param_consistency")})
    for name, fn in calls.items():
        out = _call(fn, trials)
        _same_frame(trials, before)
        if name == "best_trial" and not two:
            feasible = [t for t in study.trials
                        if all(v <= 0 for v in t.constraints.values())]
            if feasible:
                assert out["number"].tolist() == [study.best_trial.number]
            else:
                assert isinstance(out, hi.TrialsError)
        if name == "best_trial" and two and not isinstance(out, Exception):
            vals = [t.values[0] for t in study.trials
                    if all(v <= 0 for v in t.constraints.values())]
            assert out["value"].tolist() == [max(vals) if direction == "maximize" else min(vals)]
        if name == "value_table" and not isinstance(out, Exception) and "md" in kinds:
            vt = hi.value_table(trials, params="md", objective=objective)
            n_none = sum(t.params.get("md", 0) is None for t in study.trials)
            assert vt.loc[vt["value"] == "None", "n_trials"].sum() == n_none
    report = hi.validate(trials, errors="report")  # defects only of tiny studies:
    errors = report[~report["problem"].str.startswith("note:")]
    assert errors["problem"].str.contains("single value|no value").all(), errors
    plain = study.trials_dataframe()
    kept = plain.copy(deep=True)
    out = _call(lambda t: hi.summarize(t, objective=objective,
                                       direction=None if two else direction), plain)
    _same_frame(plain, kept)
    if not two:
        assert not isinstance(out, Exception)
