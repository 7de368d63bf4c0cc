"""The SQL reader of Optuna storages against Optuna's own API, on studies Optuna writes.

``hi.load`` reads Optuna 3.0-5.x storages with SQL; ``hi.from_optuna`` converts
``optuna.Study`` objects read through Optuna's API (the reader used for every other
schema). Both must give the same frame, dtypes included, on any study.
"""

from __future__ import annotations

import math
import os
import sqlite3
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hpo_insights as hi

optuna = pytest.importorskip("optuna")
optuna.logging.set_verbosity(optuna.logging.WARNING)
pytestmark = [
    pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning"),
    pytest.mark.filterwarnings("ignore:`constraints_func` has been deprecated:FutureWarning"),
    pytest.mark.filterwarnings("ignore:The distribution is specified by:UserWarning"),
]


def _object_layer(url: str, names: list[str]) -> pd.DataFrame:
    """What Optuna's API gives: load_study + from_optuna (the reader before SQL)."""
    return hi.from_optuna([optuna.load_study(study_name=n, storage=url) for n in names])


# --- random studies, written by Optuna ----------------------------------------------------
CHOICE = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from([0.5, -1.25, 1e-3, 2.0]),
    st.sampled_from(["a", "b", "", "1", "2.5", "x y"]),
)
PARAM = st.one_of(
    st.tuples(st.just("float"), st.sampled_from([(0.0, 1.0), (1e-5, 1e-1), (-3.0, 3.0)]),
              st.sampled_from(["plain", "log", "step"])),
    st.tuples(st.just("int"), st.sampled_from([(1, 8), (2, 64), (-4, 4)]),
              st.sampled_from(["plain", "log", "step"])),
    st.tuples(st.just("cat"), st.lists(CHOICE, min_size=1, max_size=4, unique_by=repr),
              st.just("")),
)
ATTR = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32), st.text(max_size=5),
    st.lists(st.integers(0, 3), max_size=3),
    st.dictionaries(st.sampled_from(["k", "v"]), st.integers(0, 3), max_size=2),
)
STATE = st.sampled_from(["COMPLETE", "COMPLETE", "COMPLETE", "PRUNED", "FAIL", "RUNNING"])
TRIAL = st.fixed_dictionaries({
    "state": STATE,
    "attrs": st.dictionaries(st.sampled_from(["zeta", "alpha", "m", "shape"]), ATTR, max_size=3),
    "infinite": st.booleans(),
    "gate": st.booleans(),
    "constraint": st.one_of(st.none(), st.floats(-2, 2, allow_nan=False)),
    "enqueue": st.booleans(),
    "intermediate": st.lists(st.floats(-10, 10, allow_nan=False), max_size=3),
})
STUDY = st.fixed_dictionaries({
    "params": st.lists(PARAM, min_size=1, max_size=4),
    "n_objectives": st.integers(1, 3),
    "metric_names": st.booleans(),
    "constraints": st.booleans(),
    "directions": st.lists(st.sampled_from(["minimize", "maximize"]), min_size=3, max_size=3),
    "user_attrs": st.dictionaries(st.sampled_from(["budget", "hardware", "note"]), ATTR,
                                  max_size=2),
    "trials": st.lists(TRIAL, min_size=0, max_size=6),
    "waiting": st.booleans(),
})


def _suggest(trial, name: str, spec) -> object:
    kind, arg, flavour = spec
    if kind == "cat":
        return trial.suggest_categorical(name, arg)
    low, high = arg
    if kind == "float":
        if flavour == "log" and low > 0:
            return trial.suggest_float(name, low, high, log=True)
        if flavour == "step":
            return trial.suggest_float(name, low, high, step=0.25)
        return trial.suggest_float(name, low, high)
    if flavour == "log" and low > 0:
        return trial.suggest_int(name, low, high, log=True)
    if flavour == "step":
        return trial.suggest_int(name, low, high, step=2)
    return trial.suggest_int(name, low, high)


def _constraints(trial) -> list[float]:
    return [float(trial.number) - 2.5, -1.0]


def _create_study(url: str, name: str, plan: dict, seed: int):
    sampler = (optuna.samplers.TPESampler(seed=seed, n_startup_trials=100,
                                          constraints_func=_constraints)
               if plan["constraints"] else optuna.samplers.RandomSampler(seed=seed))
    study = optuna.create_study(study_name=name, storage=url, sampler=sampler,
                                directions=plan["directions"][:plan["n_objectives"]])
    if plan["metric_names"]:
        study.set_metric_names([f"m{k}" for k in range(plan["n_objectives"])])
    for key, value in plan["user_attrs"].items():
        study.set_user_attr(key, value)
    return study


def _fill_trial(trial, specs: list, t: dict, n_obj: int) -> None:
    """Parameters, attributes, constraint and intermediate values of one planned trial."""
    for j, spec in enumerate(specs):
        # conditional: later parameters only in some trials
        if j == 0 or t["gate"] or j % 2 == 0:
            _suggest(trial, f"p{j}", spec)
    for key, value in t["attrs"].items():
        trial.set_user_attr(key, value)
    if t.get("constraint") is not None:
        trial.set_constraint("c0", t["constraint"])  # Optuna 5: system_attrs_constraints:c0
    for step, value in enumerate(t["intermediate"] if n_obj == 1 else []):
        trial.report(value, step)


def _finish_trial(study, trial, t: dict, k: int, n_obj: int) -> None:
    values = [math.inf if t["infinite"] and i == 0 else float(k + i) for i in range(n_obj)]
    states = {"PRUNED": optuna.trial.TrialState.PRUNED, "FAIL": optuna.trial.TrialState.FAIL}
    if t["state"] == "COMPLETE":
        study.tell(trial, values if n_obj > 1 else values[0])
    elif t["state"] in states:
        study.tell(trial, state=states[t["state"]])
    # RUNNING: asked, never told


def _write_study(url: str, name: str, plan: dict, seed: int) -> None:
    n_obj = plan["n_objectives"]
    study = _create_study(url, name, plan, seed)
    specs = plan["params"]
    for k, t in enumerate(plan["trials"]):
        if t["enqueue"] and specs[0][0] == "cat":
            study.enqueue_trial({"p0": specs[0][1][0]}, user_attrs={"enqueued": True})
        trial = study.ask()
        _fill_trial(trial, specs, t, n_obj)
        _finish_trial(study, trial, t, k, n_obj)
    if plan["waiting"]:
        study.enqueue_trial({}, skip_if_exists=False)


@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(plans=st.lists(STUDY, min_size=1, max_size=3), seed=st.integers(0, 2**16))
def test_sql_reader_equals_optuna_api(tmp_path_factory, plans, seed):
    """hi.load (SQL) == hi.from_optuna(optuna.load_study(...)) on random studies."""
    folder = tmp_path_factory.mktemp("prop")
    url = f"sqlite:///{folder / 'studies.db'}"
    names = [f"s{k}" for k in range(len(plans))]
    for name, plan in zip(names, plans, strict=True):
        _write_study(url, name, plan, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error", hi.TrialsWarning)  # the SQL reader, not the fallback
        ours = hi.load(url)
    pd.testing.assert_frame_equal(ours, _object_layer(url, names))
    # a selection, in the order asked for
    picked = names[::-1][:2]
    pd.testing.assert_frame_equal(hi.load(url, studies=picked), _object_layer(url, picked))


# --- fixed cases ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> str:
    """Two studies with conditional, categorical (None/bool/mixed), log and step parameters."""
    url = f"sqlite:///{tmp_path_factory.mktemp('mixed') / 'mixed.db'}"
    plan = {
        "params": [("cat", [None, True, "a", 1.5], ""), ("int", (2, 64), "log"),
                   ("float", (-3.0, 3.0), "step"), ("float", (1e-5, 1e-1), "log")],
        "n_objectives": 2, "metric_names": True, "constraints": True,
        "directions": ["minimize", "maximize", "minimize"],
        "user_attrs": {"budget": "2M", "hardware": {"gpu": 1}},
        "trials": [{"state": s, "attrs": {"zeta": [1, 2], "alpha": None}, "infinite": k == 1,
                    "constraint": 0.5 * k if k % 2 else None,
                    "gate": k % 2 == 0, "enqueue": k == 0, "intermediate": []}
                   for k, s in enumerate(["COMPLETE", "COMPLETE", "PRUNED", "FAIL", "RUNNING",
                                          "COMPLETE"])],
        "waiting": True,
    }
    _write_study(url, "multi", plan, 0)
    single = dict(plan, n_objectives=1, metric_names=False, constraints=False)
    single["trials"] = [dict(t, intermediate=[0.5, 0.25]) for t in plan["trials"]]
    _write_study(url, "single", single, 1)
    return url


def test_sql_reader_against_trials_dataframe(mixed):
    """Values, params and constraints equal Optuna's own trials_dataframe()."""
    trials = hi.load(mixed)
    for name in ("multi", "single"):
        theirs = optuna.load_study(study_name=name, storage=mixed).trials_dataframe()
        ours = trials[trials["study"] == name].reset_index(drop=True)
        assert ours["number"].tolist() == theirs["number"].tolist()
        assert ours["state"].tolist() == theirs["state"].tolist()
        for col in [c for c in theirs.columns if c.startswith(("params_", "value"))]:
            assert ours[col].tolist() == theirs[col].tolist() or np.array_equal(
                ours[col].to_numpy(float), theirs[col].to_numpy(float), equal_nan=True), col
    multi = trials[trials["study"] == "multi"]
    assert list(multi.filter(like="values_").columns) == ["values_m0", "values_m1"]
    assert np.isinf(multi["values_m0"]).sum() == 1
    done = multi[multi["state"].isin(["COMPLETE", "PRUNED"])]
    # constraints as Optuna's sampler stored them (after COMPLETE and PRUNED trials), JSON
    # text in system_attrs_constraints
    expected = [f"[{n - 2.5}, -1.0]" for n in done["number"]]
    assert done["system_attrs_constraints"].tolist() == expected
    assert multi.loc[multi["state"] == "FAIL", "system_attrs_constraints"].isna().all()
    assert multi["state"].tolist().count("WAITING") == 1
    assert multi["system_attrs_fixed_params"].notna().sum() == 2  # enqueued + waiting
    # Optuna 5's Trial.set_constraint: one float column per constraint name
    odd = multi["number"] % 2 == 1
    np.testing.assert_array_equal(multi.loc[odd, "system_attrs_constraints:c0"],
                                  0.5 * multi.loc[odd, "number"])
    assert multi.loc[~odd, "system_attrs_constraints:c0"].isna().all()


def test_sql_reader_local_time(mixed):
    """Optuna 5 stores naive UTC and shows local time: the SQL reader converts the same way."""
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is not available on this platform")
    before = os.environ.get("TZ")
    try:
        for zone in ("America/New_York", "Asia/Kolkata", "UTC"):
            os.environ["TZ"] = zone
            time.tzset()
            pd.testing.assert_frame_equal(hi.load(mixed), _object_layer(mixed, ["multi", "single"]))
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


def test_other_schema_falls_back_with_a_warning(mixed, tmp_path):
    """A storage stamped by an Optuna the SQL reader does not know goes through Optuna's API."""
    path = Path(mixed.removeprefix("sqlite:///"))
    copy = tmp_path / "stamped.db"
    copy.write_bytes(path.read_bytes())
    con = sqlite3.connect(copy)
    con.execute("UPDATE version_info SET library_version = '9.0.0'")
    con.commit()
    con.close()
    with pytest.warns(hi.TrialsWarning, match=r"stamped\.db.*Optuna 9\.0\.0.*Optuna's API"):
        fallback = hi.load(copy)
    pd.testing.assert_frame_equal(fallback, hi.load(mixed))


def test_sql_reader_reads_one_snapshot_per_table(mixed):
    """One SELECT per table (and version checks), never one query per trial."""
    import sqlalchemy

    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sqlalchemy.event.listen(sqlalchemy.engine.Engine, "before_cursor_execute", record)
    try:
        hi.load(mixed)
    finally:
        sqlalchemy.event.remove(sqlalchemy.engine.Engine, "before_cursor_execute", record)
    tables = ["studies", "study_directions", "study_user_attributes", "study_system_attributes",
              "trials", "trial_params", "trial_values", "trial_user_attributes",
              "trial_system_attributes", "version_info", "alembic_version"]
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    read = sorted(s.split(" FROM ")[1].split()[0] for s in selects)
    assert read == sorted(tables)
    assert statements[0] == "BEGIN"


def test_load_does_not_need_optuna_write_access(mixed):
    """The file is opened read-only: a chmod 0444 storage loads."""
    path = Path(mixed.removeprefix("sqlite:///"))
    os.chmod(path, 0o444)
    try:
        assert len(hi.load(path)) > 0
    finally:
        os.chmod(path, 0o644)
