"""One test per root cause of the bad-input matrix (issue #10) and issue #8 items 7 and 8.

Each test is named after the root cause it pins down. Expected answers are
computed independently of the code under test: from Optuna's own objects
(``study.best_trial``, ``trial.params``, ``trial.constraints``) or by a hand
loop over the rows.
"""

from __future__ import annotations

import json
import time
import warnings

import numpy as np
import optuna
import pandas as pd
import pytest

import hpo_insights as hi

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _study(objective, n: int = 40, seed: int = 0, **kwargs) -> optuna.Study:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed), **kwargs)
    study.optimize(objective, n_trials=n)
    return study


def _frame(n: int = 12, **params) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    out = pd.DataFrame({"study": "s", "number": range(n), "state": "COMPLETE",
                        "value": rng.normal(size=n), "study_direction": "maximize"})
    for name, values in params.items():
        out["params_" + name] = pd.Series(values, dtype=object) if isinstance(values, list) \
            else values
    return out


# --- silently wrong numbers ------------------------------------------------------
def _max_depth_objective(trial: optuna.Trial) -> float:
    depth = trial.suggest_categorical("max_depth", [None, 3, 5])
    x = trial.suggest_float("x", 0.0, 1.0)
    if depth is not None:  # conditional: only trees with a depth have leaves
        trial.suggest_int("leaves", 1, 4)
    return x + (10.0 if depth is None else float(depth))


def test_none_categorical_choice_is_a_level_not_a_missing_value():
    study = _study(_max_depth_objective, n=60)
    trials = hi.from_optuna(study)
    expected: dict = {}
    for t in study.trials:  # Optuna records the choice None in trial.params
        key = "None" if t.params["max_depth"] is None else t.params["max_depth"]
        expected.setdefault(key, []).append(t.value)
    assert "None" in expected
    vt = hi.value_table(trials, params="max_depth")
    got = dict(zip(vt["value"], vt["n_trials"], strict=True))
    assert got == {k: len(v) for k, v in expected.items()}
    row = vt[vt["value"] == "None"].iloc[0]
    assert row["mean"] == pytest.approx(np.mean(expected["None"]))
    # every trial counts in the share; the conditional parameter keeps "not used" as missing
    ve = hi.variance_explained(trials, params=["max_depth", "leaves"]).set_index("param")
    assert ve.loc["max_depth", "n_trials"] == len(study.trials)
    assert ve.loc["leaves", "n_trials"] == sum("leaves" in t.params for t in study.trials)
    ct = hi.coverage_crosstab(trials, params=("max_depth", "leaves"))
    assert "None" not in set(ct["row_value"]) or ct.loc[
        ct["row_value"] == "None", "n_trials"].sum() == 0
    assert int(trials["params_max_depth"].isna().sum()) == len(expected["None"])  # input intact


def test_none_choice_survives_a_csv_round_trip(tmp_path):
    study = _study(_max_depth_objective, n=30)
    path = tmp_path / "trees.csv"
    hi.from_optuna(study).to_csv(path, index=False)
    vt = hi.value_table(hi.load(path), params="max_depth")
    n_none = sum(t.params["max_depth"] is None for t in study.trials)
    assert vt.loc[vt["value"] == "None", "n_trials"].tolist() == [n_none]


def test_bool_and_int_levels_stay_distinct():
    flags = [True, 1, False, 0, True, 1, False, 0, True, 1, 0, 0]
    trials = _frame(flag=flags)
    vt = hi.value_table(trials, params="flag")
    assert len(vt) == 4
    by_hand: dict = {}
    for f, y in zip(flags, trials["value"], strict=True):
        by_hand.setdefault((type(f).__name__, f), []).append(y)
    counts = sorted(len(v) for v in by_hand.values())
    assert sorted(vt["n_trials"]) == counts
    means = vt.set_index(vt["value"].astype(str))["mean"]
    assert means["True"] == pytest.approx(np.mean(by_hand[("bool", True)]))
    assert means["1"] == pytest.approx(np.mean(by_hand[("int", 1)]))
    report = hi.validate(trials, errors="report")
    assert any("True/False" in p for p in report["problem"])


def _constrained_objective(trial: optuna.Trial) -> float:
    x = trial.suggest_float("x", -1.0, 1.0)
    trial.set_constraint("c", x - 0.2)  # feasible only for x <= 0.2
    return x  # maximized: the unconstrained best is infeasible


def test_constraints_best_is_the_feasible_best_as_optuna_says():
    study = _study(_constrained_objective, n=40, direction="maximize")
    trials = hi.from_optuna(study)
    best = hi.best_trial(trials)
    assert best["number"].tolist() == [study.best_trial.number]
    assert best["value"].tolist() == [study.best_value]
    s = hi.summarize(trials)
    assert s["best"].tolist() == [study.best_value]
    n_infeasible = sum(any(v > 0 for v in t.constraints.values()) for t in study.trials)
    assert 0 < n_infeasible < len(study.trials)
    assert s["n_infeasible"].tolist() == [n_infeasible]
    by_hand = [all(v <= 0 for v in t.constraints.values()) for t in study.trials]
    assert trials["feasible"].tolist() == by_hand  # the frame carries Optuna's verdict
    assert trials["value"].max() > study.best_value  # the raw maximum is infeasible
    cb = hi.compare_budgets(trials)
    assert cb["best"].tolist() == [study.best_value]


def test_constraints_func_list_form_is_read():
    def constraints(t):
        return [t.params["x"] - 0.2]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # constraints_func: deprecated in 5.0
        sampler = optuna.samplers.RandomSampler(seed=1)
        sampler = optuna.samplers.TPESampler(seed=1, constraints_func=constraints,
                                             n_startup_trials=100)
        study = optuna.create_study(direction="maximize", sampler=sampler)
        study.optimize(lambda t: t.suggest_float("x", -1.0, 1.0), n_trials=30)
    trials = hi.from_optuna(study)
    assert hi.best_trial(trials)["number"].tolist() == [study.best_trial.number]


def test_trial_number_too_large_for_int64_is_an_error(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text(f"number,value,params_x\n{2**63},0.5,1\n1,0.7,2\n")
    with pytest.raises(hi.TrialsError, match="number"):
        hi.load(path)
    frame = pd.DataFrame({"study": "s", "number": pd.Series([2**63, 1], dtype=object),
                          "state": "COMPLETE", "value": [0.5, 0.7], "params_x": [1, 2]})
    report = hi.validate(frame, errors="report")
    assert "number" in report["column"].tolist()
    assert report.loc[report["column"] == "number", "n_rows"].tolist() == [1]


# --- raw Python errors instead of a TrialsError --------------------------------------
def _budget_studies(with_budget=("a", "b")) -> pd.DataFrame:
    rows = []
    for k, name in enumerate(["a", "b", "c"]):
        for i in range(4):
            rows.append({"study": name, "number": i, "state": "COMPLETE",
                         "value": float(k + i), "params_x": i % 2,
                         "study_direction": "maximize",
                         "study_user_attrs_budget": {"a": "2M", "b": "20M", "c": "200M"}[name]
                         if name in with_budget else None})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("fn", ["compare_budgets", "scaling_check", "param_consistency",
                                "collapse_by_budget"])
def test_budget_attribute_set_on_only_some_studies(fn):
    trials = _budget_studies()
    with pytest.raises(hi.TrialsError, match="budget") as err:
        getattr(hi, fn)(trials)
    assert "'c'" in str(err.value)


def _dict_params() -> pd.DataFrame:
    cfgs = [{"a": 1}, {"a": 2}, {"b": [1, 2]}] * 4
    return _frame(cfg=cfgs, lr=[0.1, 0.01, 0.001] * 4)


def test_dict_valued_parameters_are_json_levels(tmp_path):
    trials = _dict_params()
    vt = hi.value_table(trials, params="cfg")
    expected = {json.dumps(c, sort_keys=True) for c in trials["params_cfg"]}
    assert set(vt["value"]) == expected and vt["n_trials"].tolist() == [4, 4, 4]
    hi.variance_explained(trials)
    hi.classify_trend(trials)
    hi.coverage_crosstab(trials, params=("cfg", "lr"))
    hi.best_trial(trials)
    with pytest.warns(hi.TrialsWarning, match="JSON text"):  # a note, not a defect
        assert hi.validate(trials) is trials
    path = tmp_path / "dicts.parquet"
    trials.to_parquet(path)
    loaded = hi.value_table(hi.load(path), params="cfg")  # Parquet fills missing keys: null
    assert loaded["n_trials"].tolist() == [4, 4, 4] and len(set(loaded["value"])) == 3


def test_duplicated_or_multiindex_column_labels():
    trials = _frame(x=[1, 2] * 6)
    dup = pd.concat([trials, trials[["value"]]], axis=1)
    with pytest.raises(hi.TrialsError, match="duplicated column labels: 'value'"):
        hi.summarize(dup)
    report = hi.validate(dup, errors="report")
    assert "duplicated" in " ".join(report["problem"])
    study = _study(lambda t: t.suggest_float("x", 0, 1), n=8)
    multi = study.trials_dataframe(multi_index=True)
    flat = study.trials_dataframe()
    a = hi.summarize(multi, direction="minimize")
    b = hi.summarize(flat, direction="minimize")
    pd.testing.assert_frame_equal(a, b)
    assert a["best"].tolist() == [study.best_value]


def test_malformed_distribution_value():
    trials = _frame(x=[1, 2] * 6)
    trials["distributions_x"] = "[1, 2]"
    for call in (lambda t: hi.value_table(t, params="x"), hi.variance_explained,
                 lambda t: hi.coverage_crosstab(t, params=("x", "x")), hi.param_consistency):
        with pytest.raises(hi.TrialsError, match="distributions_x"):
            call(trials)
    assert "distributions_x" in hi.validate(trials, errors="report")["column"].tolist()


def test_categorical_choices_of_mixed_types_not_yet_tried():
    trials = _frame(a=[1, 2] * 6, b=[3, 4, 3, 4, 3, 3] * 2)
    trials["distributions_a"] = json.dumps(
        {"name": "CategoricalDistribution", "attributes": {"choices": [1, 2, "auto", None]}})
    ct = hi.coverage_crosstab(trials, params=("a", "b"))
    zeros = ct[ct["row_value"].astype(str).isin(["auto", "None"])]
    assert len(zeros) == 4 and zeros["n_trials"].sum() == 0
    assert ct["n_trials"].sum() == len(trials)


@pytest.mark.parametrize(
    "call, kind, name",
    [
        (lambda: hi.from_optuna(None), TypeError, "studies"),
        (lambda: hi.from_optuna([1]), TypeError, "optuna.Study"),
        (lambda: hi.value_table(hi.datasets.example(), params=123), TypeError, "param"),
        (lambda: hi.summarize(hi.datasets.example(), objective=3), TypeError, "objective"),
        (lambda: hi.summarize(hi.datasets.example(), by=["study"]), TypeError, "by"),
        (lambda: hi.summarize(hi.datasets.example(), direction=1), TypeError, "direction"),
        (lambda: hi.value_table(hi.datasets.example(), params="dropout", bins=2.5), TypeError,
         "bins"),
        (lambda: hi.value_table(hi.datasets.example(), params="dropout", alpha="high"),
         TypeError, "alpha"),
        (lambda: hi.variance_explained([1, 2]), TypeError, "trials"),
        (lambda: hi.validate(hi.datasets.example(), errors="warn"), hi.TrialsError, "errors"),
    ],
)
def test_wrong_argument_types(call, kind, name):
    with pytest.raises(kind, match=name):
        call()


def test_wrong_argument_types_of_load(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame({"number": [0, 1], "value": [1.0, 2.0], "params_x": [1, 2]}).to_csv(
        path, index=False)
    with pytest.raises(TypeError, match="studies"):
        hi.load(path, studies=123)
    numbers = tmp_path / "numbers.json"
    numbers.write_text("[1, 2, 3]")
    with pytest.raises(hi.TrialsError, match="numbers.json"):
        hi.load(numbers)


# --- thresholds unchecked ----------------------------------------------------------
@pytest.mark.parametrize("bad", [float("nan"), -1.0, float("inf")])
@pytest.mark.parametrize("arg", ["min_range", "min_std"])
def test_collapse_thresholds_checked(arg, bad):
    for fn in (hi.detect_collapse, hi.collapse_summary, hi.collapse_by_budget):
        with pytest.raises(hi.TrialsError, match=arg):
            fn(hi.datasets.example(), **{arg: bad})


# --- weaker spots ------------------------------------------------------------------
def test_duplicate_trial_numbers_warn_and_validate_reports():
    trials = _frame(x=[1, 2] * 6)
    trials.loc[3, "number"] = 2
    with pytest.warns(hi.TrialsWarning, match="(?i)duplicate"):
        hi.summarize(trials)
    report = hi.validate(trials, errors="report")
    assert report.loc[report["column"] == "number", "n_rows"].tolist() == [2]


def test_two_files_naming_one_study(tmp_path):
    frame = pd.DataFrame({"study": "same", "number": [0, 1], "value": [1.0, 2.0],
                          "params_x": [1, 2]})
    frame.to_csv(tmp_path / "a.csv", index=False)
    frame.to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(hi.TrialsError, match="'same'") as err:
        hi.load(tmp_path)
    assert "a.csv" in str(err.value) and "b.csv" in str(err.value)


def test_empty_study_selection_is_an_error(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame({"study": ["a", "b"], "number": [0, 0], "value": [1.0, 2.0],
                  "params_x": [1, 2]}).to_csv(path, index=False)
    with pytest.raises(hi.TrialsError, match="selects no study"):
        hi.load(path, studies=[])
    with pytest.raises(hi.TrialsError, match="selects no study"):
        hi.summarize(hi.load(path, direction="minimize"), studies=[])


def test_too_many_levels_no_share_and_plot_refuses_fast():
    rng = np.random.default_rng(0)
    n = 6000
    trials = pd.DataFrame({"study": "s", "number": np.arange(n), "state": "COMPLETE",
                           "value": rng.normal(size=n), "study_direction": "maximize",
                           "params_id": [f"id{k}" for k in rng.integers(0, 3000, n)],
                           "params_opt": rng.choice(["adam", "sgd"], n)})
    n_levels = trials["params_id"].nunique()
    assert n_levels > 1000
    with pytest.warns(hi.TrialsWarning, match="more than 1000 distinct values"):
        ve = hi.variance_explained(trials).set_index("param")
    assert np.isnan(ve.loc["id", "share"])
    assert ve.loc["id", "n_values"] == n_levels
    assert ve.loc["opt", "share"] >= 0
    import matplotlib

    matplotlib.use("Agg")
    start = time.perf_counter()
    vt = hi.value_table(trials, params="id")
    assert len(vt) == n_levels  # the table lists them all
    with pytest.raises(hi.TrialsError, match="id"):
        hi.plot.value_table(vt)
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize("content, suffix", [("", ".jsonl"), ("null", ".json"), ("[]", ".json"),
                                             ("{}", ".json")])
def test_empty_inputs_say_empty(tmp_path, content, suffix):
    path = tmp_path / ("empty" + suffix)
    path.write_text(content)
    with pytest.raises(hi.TrialsError, match="(?i)empty|no trials") as err:
        hi.load(path)
    assert "param" not in str(err.value).split(":")[0]


def test_empty_dataframe_says_empty():
    empty = hi.datasets.example().iloc[:0]
    for call in (hi.summarize, hi.variance_explained, hi.validate, hi.load):
        with pytest.raises(hi.TrialsError, match="(?i)empty"):
            call(empty)


# --- issue #8 item 7: multi-objective everywhere --------------------------------------
def _two_objective_study(name: str = "mo") -> optuna.Study:
    study = optuna.create_study(study_name=name, directions=["minimize", "maximize"],
                                sampler=optuna.samplers.RandomSampler(seed=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.set_metric_names(["loss", "accuracy"])
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)),
                   n_trials=20)
    return study


def test_multi_objective_best_picks_each_objectives_direction():
    study = _two_objective_study()
    trials = hi.from_optuna(study)
    acc = hi.best_trial(trials, objective="accuracy")
    loss = hi.best_trial(trials, objective="loss")
    values = np.array([t.values for t in study.trials])
    assert acc["value"].tolist() == [values[:, 1].max()]
    assert loss["value"].tolist() == [values[:, 0].min()]
    assert acc["direction"].tolist() == ["maximize"]
    s = hi.summarize(trials, objective="values_accuracy")
    assert s["best"].tolist() == [values[:, 1].max()] and s["direction"].tolist() == ["maximize"]
    tr = hi.classify_trend(trials, objective="accuracy")
    assert set(tr["param"]) == {"x", "y"}


def test_validate_accepts_load_of_single_and_two_objective_storage(tmp_path):
    url = f"sqlite:///{tmp_path / 'mixed.db'}"
    single = optuna.create_study(study_name="single", storage=url, direction="maximize",
                                 sampler=optuna.samplers.RandomSampler(seed=0))
    single.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
    two = optuna.create_study(study_name="two", storage=url, directions=["minimize", "maximize"],
                              sampler=optuna.samplers.RandomSampler(seed=0))
    two.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)),
                 n_trials=5)
    trials = hi.load(url)
    assert hi.validate(trials) is trials
    with pytest.warns(hi.TrialsWarning, match="single"):  # it has no second objective
        best = hi.best_trial(trials, objective="values_1")
    want = max(t.values[1] for t in two.trials)  # the second objective is maximized
    assert best["study"].tolist() == ["two"] and best["value"].tolist() == [want]
    best = hi.best_trial(trials, studies="single", objective="value")
    assert best["value"].tolist() == [single.best_value]


# --- issue #8 item 8: frames as users hold them ----------------------------------------
def test_plain_trials_dataframe_is_accepted_by_every_analysis():
    study = _study(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 1, 3), n=20,
                   direction="maximize")
    plain = study.trials_dataframe()
    before = plain.copy()
    best = hi.best_trial(plain, direction="maximize")
    assert best["number"].tolist() == [study.best_trial.number]
    assert best["study"].tolist() == ["trials"]
    hi.variance_explained(plain)
    hi.value_table(plain, params="x")
    hi.classify_trend(plain, direction="maximize")
    hi.coverage_crosstab(plain, params=("x", "n"))
    hi.summarize(plain, direction="maximize")
    hi.compare_budgets(plain, direction="maximize")
    pd.testing.assert_frame_equal(plain, before)
    with pytest.raises(hi.TrialsError, match="direction="):
        hi.best_trial(plain)


def test_direction_mapping_per_study():
    trials = pd.DataFrame({"study": ["a"] * 3 + ["b"] * 3, "number": [0, 1, 2] * 2,
                           "state": "COMPLETE", "value": [1.0, 3.0, 2.0] * 2,
                           "params_x": [1, 2, 3] * 2})
    best = hi.best_trial(trials, direction={"a": "maximize", "b": "minimize"})
    assert best["value"].tolist() == [3.0, 1.0]
    assert best["direction"].tolist() == ["maximize", "minimize"]
    with pytest.raises(hi.TrialsError, match="direction"):
        hi.best_trial(trials, direction={"a": "maximize"})


def test_parameter_values_beyond_int64_are_levels():
    """Python ints >= 2**63 (uint64 once converted) are levels, not an OverflowError."""
    big = pd.Series([2**62, 2**63, 2**62, 2**63, 2**62, 2**62], dtype=object)
    trials = _frame(n=6, x=big)
    vt = hi.value_table(trials, params="x", by=None)
    counts = {int(v): int(c) for v, c in zip(vt["value"], vt["n_trials"], strict=True)}
    assert counts == {2**62: 4, 2**63: 2}


def test_direction_mapping_in_load_of_a_folder(tmp_path):
    for name, values in (("a", [1.0, 3.0, 2.0]), ("b", [1.0, 3.0, 2.0])):
        pd.DataFrame({"number": [0, 1, 2], "value": values, "params_x": [1, 2, 3]}).to_csv(
            tmp_path / f"{name}.csv", index=False)
    trials = hi.load(tmp_path, direction={"a": "maximize", "b": "minimize"})
    assert trials.groupby("study")["study_direction"].first().to_dict() == {
        "a": "maximize", "b": "minimize"}
    assert hi.best_trial(trials)["value"].tolist() == [3.0, 1.0]
    with pytest.raises(hi.TrialsError, match="'c'"):
        hi.load(tmp_path, direction={"c": "maximize"})


# --- issue 15: a report succeeds whole or says why; text stays text ----------------
import html as _html  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from html.parser import HTMLParser  # noqa: E402
from pathlib import Path  # noqa: E402

from hpo_insights import cli  # noqa: E402
from hpo_insights.report import _build  # noqa: E402


def _tiny_csv(tmp_path, study: str = "s", n: int = 8) -> str:
    rows = pd.DataFrame({"study": study, "number": range(n), "state": "COMPLETE",
                         "value": [float(i % 4) for i in range(n)],
                         "params_a": [i % 2 for i in range(n)],
                         "study_direction": "maximize"})
    path = tmp_path / "trials.csv"
    rows.to_csv(path, index=False)
    return str(path)


def _no_kernel(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(_build, "notebook_client", refuse)


def _outs(tmp_path):
    """Output folders that cannot hold a report, each of a different kind."""
    (tmp_path / "a-file").write_text("keep")
    os.symlink(tmp_path / "gone", tmp_path / "dangling")
    return {
        "empty": "",
        "blank": "   ",
        "a-file": str(tmp_path / "a-file"),
        "under-a-file": str(tmp_path / "a-file" / "sub" / "out"),
        "dangling-symlink": str(tmp_path / "dangling"),
        "under-dangling-symlink": str(tmp_path / "dangling" / "out"),
        "name-too-long": str(tmp_path / ("n" * 300)),
        "path-too-long": str(tmp_path / "/".join(["d" * 200] * 25)),
    }


@pytest.mark.parametrize("kind", ["empty", "blank", "a-file", "under-a-file", "dangling-symlink",
                                  "under-dangling-symlink", "name-too-long", "path-too-long"])
def test_out_unwritable_refused_before_kernel(kind, tmp_path, monkeypatch, capsys):
    """Every --out that cannot hold a report: one line, exit 2, no kernel, nothing created."""
    _no_kernel(monkeypatch)
    out = _outs(tmp_path)[kind]
    before = sorted(p.name for p in tmp_path.iterdir())
    status = cli.main(["report", _tiny_csv(tmp_path), "--out", out, "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2, err
    assert len(err) == 1 and err[0].startswith("hpo-insights: error: ") and "--out" in err[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == before + ["trials.csv"]
    assert (tmp_path / "a-file").read_text() == "keep"
    assert not list(Path.cwd().glob(".hpo-insights-staging-*"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_out_read_only_refused_before_kernel(tmp_path, monkeypatch, capsys):
    """A read-only folder (or one under it): one line, exit 2, before any kernel."""
    _no_kernel(monkeypatch)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        for out in (locked, locked / "sub"):
            status = cli.main(["report", _tiny_csv(tmp_path), "--out", str(out), "--quiet"])
            err = capsys.readouterr().err.strip().splitlines()
            assert status == 2 and len(err) == 1 and "permission denied" in err[0]
    finally:
        locked.chmod(0o755)


def test_out_folder_holding_a_folder_of_a_report_name_refused(tmp_path, monkeypatch, capsys):
    """A folder named report.md where the report writes a file: refused, and kept."""
    _no_kernel(monkeypatch)
    (tmp_path / "out" / "report.md").mkdir(parents=True)
    (tmp_path / "out" / "report.md" / "notes.txt").write_text("mine")
    status = cli.main(["report", _tiny_csv(tmp_path), "--out", str(tmp_path / "out"), "--quiet"])
    assert status == 2 and "'report.md'" in capsys.readouterr().err
    assert (tmp_path / "out" / "report.md" / "notes.txt").read_text() == "mine"


def _hostile_name() -> str:
    # OSC window title + BEL, clear screen, cursor movement, C1 CSI, bidi override, DEL
    return "st\x1b]0;owned\x07ud\x1b[2J\x1b[1A\x9b31my\u202eeman\u2066x\x7f"


_RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f]")


def test_stale_report_files_replaced_symlink_not_followed_controls_visible(tmp_path):
    """One real run (subprocess): stale own files go, a planted symlink is not followed,
    unrelated files stay, and no progress line carries a raw control character."""
    out = tmp_path / "out"
    (out / "report_files").mkdir(parents=True)
    (out / "report.html").write_text("<p>last run</p>")
    (out / "report_files" / "old_figure.png").write_bytes(b"old")
    (out / "report.ipynb").write_text("{}")
    victim = tmp_path / "victim.txt"
    victim.write_text("do not overwrite")
    os.symlink(victim, out / "report.md")
    (out / "notes.txt").write_text("unrelated")
    source = _tiny_csv(tmp_path, study=_hostile_name())
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    run = subprocess.run([sys.executable, "-m", "hpo_insights", "report", source, "--out",
                          str(out), "--format", "md"], capture_output=True, text=True,
                         env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert victim.read_text() == "do not overwrite"
    assert (out / "report.md").is_file() and not (out / "report.md").is_symlink()
    assert not (out / "report.html").exists()
    assert not (out / "report_files" / "old_figure.png").exists()
    assert (out / "notes.txt").read_text() == "unrelated"
    assert json.loads((out / "report.ipynb").read_text())["cells"]
    assert sorted(p.name for p in out.iterdir()) == [
        "notes.txt", "report.ipynb", "report.md", "report_files"]
    assert list((tmp_path / "tmp").iterdir()) == []
    lines = run.stderr.splitlines()
    assert any("\\x1b]0;owned\\x07" in line and "\\u202e" in line for line in lines), lines
    assert not _RAW_CONTROL.search(run.stderr + run.stdout)


def _start(argv, tmp_path, **env):
    environ = {**os.environ, "TMPDIR": str(tmp_path / "tmp"),
               "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), **env}
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return subprocess.Popen([sys.executable, "-m", "hpo_insights", *argv],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=environ)


def _previous_report(out: Path) -> dict:
    (out / "report_files").mkdir(parents=True)
    files = {"report.html": "<p>previous</p>", "report.md": "previous",
             "report.ipynb": "{}", "report_files/f.png": "png"}
    for name, text in files.items():
        (out / name).write_text(text)
    return files


def _kernels_of(tmp_path) -> list[str]:
    """Processes still running with a connection file of this test's runtime folder."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmd = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if str(tmp_path / "runtime") in cmd:
            found.append(cmd)
    return found


# SIGINT while hi.findings runs (the page's longest section: a study's sections now take
# a few tenths of a second, and a signal sent on "study " could arrive after the run ended)
@pytest.mark.parametrize(("signum", "status", "when"), [
    (signal.SIGINT, 130, "key-findings"), (signal.SIGTERM, 143, "exporting")],
    ids=["sigint-during-a-section", "sigterm-during-export"])
def test_sigint_exits_130_and_cleans_up(signum, status, when, tmp_path):
    """A real signal mid-run: one line, 130/143, the previous report intact, no temporary
    folder, no staging folder, no kernel left."""
    out = tmp_path / "out"
    previous = _previous_report(out)
    proc = _start(["report", _tiny_csv(tmp_path), "--out", str(out)], tmp_path)
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if when in line:
            proc.send_signal(signum)
            break
    rest_out, rest_err = proc.communicate(timeout=60)
    err = "".join(seen) + rest_err
    assert proc.returncode == status, err
    last = [line for line in err.splitlines() if not line.startswith("hpo-insights: [")]
    assert len(last) == 1 and last[0].startswith("hpo-insights: ") and "SIG" in last[0], err
    assert "Traceback" not in err and "kernel died" not in err and rest_out == ""
    assert {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} == set(previous)
    assert all((out / name).read_text() == text for name, text in previous.items())
    assert list((tmp_path / "tmp").iterdir()) == []
    time.sleep(0.5)
    assert _kernels_of(tmp_path) == []


class _SlowToCloseClient:
    """Stands in for nbclient's client in run_client: a run that, once cancelled, takes half
    a second to close (as nbclient does shutting the kernel down and closing its sockets)."""

    def __init__(self) -> None:
        self.closed = False
        self.km = None

    async def async_execute(self, **kwargs):
        import asyncio

        try:
            await asyncio.sleep(30)
        finally:
            await asyncio.sleep(0.5)
            self.closed = True

    def _cleanup_kernel(self) -> None:  # what nbclient registers with atexit
        raise AssertionError("nbclient's exit-time cleanup must not be left registered")


def test_an_interrupted_run_waits_for_the_worker_to_close():
    """Ctrl-C while the notebook runs: run_client raises only after the cancelled run has
    closed. (On Python 3.11, waiting with Thread.join let a KeyboardInterrupt mark the
    running worker as stopped: the process then exited while the worker was still closing
    the kernel's sockets, and nbclient's exit handler closed them again: a hang or an
    abort in ZeroMQ: 8 of 64 interrupts on a loaded machine.)"""
    import threading

    from hpo_insights.report._kernel import run_client

    client = _SlowToCloseClient()
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    start = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        run_client(client)
    timer.join()
    assert client.closed and time.perf_counter() - start >= 0.75


_UNDRAWABLE = """\
%matplotlib inline
import matplotlib.pyplot as plt
from matplotlib.artist import Artist


class Undrawable(Artist):  # fails only when the figure is drawn, after the cell ran
    def draw(self, renderer):
        raise RuntimeError("this artist cannot be drawn")


fig, ax = plt.subplots()
ax.plot([1, 2, 3])
ax.add_artist(Undrawable())
"""


def test_figure_that_fails_to_draw_after_its_cell_fails_the_run(tmp_path, capsys):
    """A figure that fails to draw once its cell ran (the cell itself succeeds, the kernel
    shows a traceback in place of the image) fails the run: exit 2, one line naming the
    cell and the cause, the previous pages kept."""
    import nbformat

    path = _executed_notebook(tmp_path, ["x = 1", "print('fine')"])
    assert cli.main(["export", str(path)]) == 0
    before = {n: (path.parent / n).read_text() for n in ("report.html", "report.md")}
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(1, nbformat.v4.new_code_cell(_UNDRAWABLE))
    nbformat.write(nb, path)
    capsys.readouterr()
    assert cli.main(["export", str(path), "--execute"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert re.search(r"failed in section 'cell 2': a figure failed to draw: RuntimeError: "
                     r"this artist cannot be drawn", err[0]), err[0]
    assert {n: (path.parent / n).read_text() for n in before} == before
    from hpo_insights.report._build import drawing_failure

    ran = nbformat.read(path, as_version=4)  # the notebook file itself was not overwritten
    assert drawing_failure(ran) is None and len(ran.cells) == 3


def test_figure_that_fails_to_draw_fails_the_report(tmp_path):
    """A figure that cannot be drawn (here: a font size FreeType refuses) fails the report with
    its section named: exit 2, one line, nothing written. (hi.plot draws every text plain,
    LaTeX off, and lays each figure out inside its call, so the failure is the cell's.)"""
    import shutil

    rc = tmp_path / "matplotlibrc"
    rc.write_text("font.size: 1e9\n")
    proc = _start(["report", _tiny_csv(tmp_path), "--out", str(tmp_path / "out"), "--quiet"],
                  tmp_path, MATPLOTLIBRC=str(rc))
    stdout, stderr = proc.communicate(timeout=120)
    lines = stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, stderr
    assert re.search(r"failed in section 'study s: \w+': .*invalid pixel size", lines[0]), \
        lines[0]
    assert not (tmp_path / "out").exists()
    kept = Path(re.search(r"kept in (\S+report\.ipynb)", lines[0]).group(1))
    assert kept.is_file() and not (kept.parent / "report_trials.pkl").exists()
    shutil.rmtree(kept.parent)


def test_message_on_ascii_stdout(tmp_path):
    """With an ASCII stdout (C locale), a non-ASCII --out and study name still print."""
    nb_path = _executed_notebook(tmp_path, ["print('caf\\u00e9 \\u202e')"])
    out = tmp_path / "r\u00e9sum\u00e9-\u62a5\u544a"
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "LC_ALL": "C", "LANG": "C"}
    run = subprocess.run([sys.executable, "-m", "hpo_insights", "export", str(nb_path),
                          "--out", str(out)], capture_output=True, env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    stdout = run.stdout.decode("ascii")  # nothing but ASCII was written
    assert stdout.startswith("Report written: ") and "r\\xe9sum\\xe9-\\u62a5\\u544a" in stdout
    assert (out / "report.html").is_file()
    bad = subprocess.run([sys.executable, "-m", "hpo_insights", "report", str(out / "nope.db"),
                          "--out", str(out)], capture_output=True, env=env, timeout=60)
    assert bad.returncode == 2 and b"Traceback" not in bad.stderr
    assert len(bad.stderr.decode("ascii").strip().splitlines()) == 1


def _executed_notebook(tmp_path, sources, *, outputs=None) -> Path:
    """A notebook as Jupyter saves it after Run All: counts 1..n, outputs given or run here."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    if outputs is None:
        NotebookClient(nb, kernel_name="python3").execute()
    else:
        for k, (cell, outs) in enumerate(zip(nb.cells, outputs, strict=True), start=1):
            cell.execution_count = k
            cell.outputs = outs
    path = tmp_path / "nb" / "report.ipynb"
    path.parent.mkdir(exist_ok=True)
    nbformat.write(nb, path)
    return path


class _Active(HTMLParser):
    """Everything in a page that could run code or fetch something when it opens."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "iframe", "object", "embed", "frame", "applet", "base", "meta",
                   "form", "link"):
            if tag == "meta" and not any(k == "http-equiv" for k, _ in attrs):
                return
            if tag == "link" and all(v != "import" for k, v in attrs if k == "rel"):
                return
            self.found.append(tag)
        for key, value in attrs:
            plain = re.sub(r"[\x00-\x20]", "", _html.unescape(value or "")).lower()
            if key.startswith("on") or key == "srcdoc":
                self.found.append(f"{tag} {key}=")
            elif plain.startswith(("javascript:", "vbscript:", "data:text/html")):
                self.found.append(f"{tag} {key}={plain[:30]}")
            elif key == "src" and tag in ("img", "image", "video", "audio", "source") and \
                    not plain.startswith("data:image/"):
                self.found.append(f"{tag} src={plain[:30]}")
            elif key == "style" and re.search(r"url\(|expression|@import", plain):
                self.found.append(f"{tag} style={plain[:30]}")


def _active_content(text: str) -> list[str]:
    scan = _Active()
    scan.feed(text)
    return scan.found


_ATTACKS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src="x" onerror="alert(1)">',
    "<img src=data:image/png;base64,AA ONLOAD=alert(1)>",
    '<a href="jav&#x61;script:alert(1)">link</a>',
    '<a href=" JaVaScRiPt:alert(1)">link</a>',
    "<svg onload=alert(1)><circle r=1 /></svg>",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="data:text/html,<script>alert(1)</script>"></object>',
    "<body onpageshow=alert(1)>",
    '<div style="background:url(https://evil.example/t.png)">x</div>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<details open ontoggle=alert(1)><summary>s</summary></details>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<form action="javascript:alert(1)"><button>go</button></form>',
]


def test_export_strips_active_content(tmp_path, capsys):
    """export removes scripts, handlers, javascript: URLs and JavaScript outputs from a
    notebook's Markdown cells, raw cells and outputs; --keep-active-content keeps them."""
    import nbformat

    out = nbformat.v4.new_output
    attack = "\n".join(_ATTACKS)
    outputs = [
        [out("display_data", data={"application/javascript": "alert('js output')",
                                   "text/plain": "<js>"})],
        [out("display_data", data={"text/html": f"<p>html output</p>{attack}",
                                   "text/plain": "html"})],
        [out("display_data", data={"text/markdown": f"markdown output {attack}"})],
        [out("display_data", data={
            "image/svg+xml": '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
                             "<script>alert(1)</script><rect width='1' height='1'/></svg>"})],
        [out("execute_result", data={"text/html": "<b>ok</b><script>1</script>"},
             execution_count=5)],
    ]
    path = _executed_notebook(tmp_path, ["a", "b", "c", "d", "e"], outputs=outputs)
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(f"# Title\n\nreader's note {attack}"))
    nb.cells.append(nbformat.v4.new_raw_cell(attack, metadata={"format": "text/html"}))
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nbformat.write(nb, path)
    assert cli.main(["export", str(path)]) == 0
    page = (path.parent / "report.html").read_text()
    markdown = (path.parent / "report.md").read_text()
    assert _active_content(page) == []
    assert _active_content(markdown) == []
    assert "alert('js output')" not in page + markdown
    for text in ("html output", "markdown output", "reader's note", "link", "<b>ok</b>"):
        assert text in page, text
    capsys.readouterr()
    assert cli.main(["export", str(path), "--keep-active-content"]) == 0
    kept = (path.parent / "report.html").read_text()
    assert "<script>alert(1)</script>" in kept and 'onerror="alert(1)"' in kept


def test_markdown_dollar_and_markup_from_data_is_text():
    """Names and values with $, $$, emoji codes, heading and list markers: every $ in the
    Markdown (report and notebook cells) is escaped, and the rendered text equals the data."""
    from nbconvert.filters.markdown import markdown2html

    names = ["$x$", "$$", "$a_b_c$", "cost $5 and $6", "#1", "- item", ":tada:", "a #"]
    frames = []
    for name in names:
        frames.append(pd.DataFrame({
            "study": name, "number": range(6), "state": "COMPLETE",
            "value": [0.1, 0.5, 0.2, 0.7, 0.3, 0.9], "study_direction": "maximize",
            "params_opt": [name, "plain", name, "plain", name, "plain"],
        }))
    trials = pd.concat(frames, ignore_index=True)
    md = hi.report.render(trials)
    assert not re.search(r"(?<!\\)\$", md), [line for line in md.splitlines() if "$" in line]
    nb = hi.report.notebook(trials, {"source": None, "studies": None, "objective": None,
                                     "direction": None, "params": None, "title": "$T$",
                                     "trials_file": "t.pkl"}, title="$T$")
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            assert not re.search(r"(?<!\\)\$", cell.source), cell.source
    shown = _html.unescape(re.sub(r"<[^>]+>", "", markdown2html(md)))
    for name in names:
        assert name.strip() in shown, name


@pytest.mark.parametrize(("frame", "flag", "python"), [
    (lambda t: t.drop(columns="study_direction"), "--direction", "direction="),
    (lambda t: t.drop(columns="value").assign(values_a=t["value"], values_b=t["value"]),
     "--objective", "objective="),
    (lambda t: t.drop(columns="params_a"), "--param", "params="),
], ids=["no-direction", "two-objectives", "no-parameters"])
def test_cli_errors_name_the_flags(frame, flag, python, tmp_path, capsys, monkeypatch):
    """Errors raised from the CLI name --direction / --objective / --param / --study, never
    Python arguments."""
    _no_kernel(monkeypatch)
    path = tmp_path / "t.csv"
    frame(pd.read_csv(_tiny_csv(tmp_path))).to_csv(path, index=False)
    assert cli.main(["report", str(path), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert flag in err and python not in err, err
    assert not re.search(r"\b[a-z_]+=[\['(<]", err), err
    assert cli.main(["report", str(path), "--study", "nope", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert not re.search(r"\b[a-z_]+=", err), err


def test_study_without_parameters_gets_a_hint_the_cli_can_act_on(tmp_path, capsys,
                                                                 monkeypatch):
    """An Optuna study whose trials suggested nothing: the line names it and --study."""
    _no_kernel(monkeypatch)
    url = f"sqlite:///{tmp_path / 's.db'}"
    optuna.create_study(study_name="bare", storage=url).optimize(lambda t: 1.0, n_trials=3)
    optuna.create_study(study_name="tuned", storage=url).optimize(
        lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert cli.main(["report", url, "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "'bare'" in err and "--study" in err and "'tuned'" in err, err
    assert "columns other than" not in err
    assert cli.main(["report", url, "--study", "bare", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--study" in err and "=" not in err.split("error:", 1)[1], err


# --- issue 15 item 1: reading a live study never disturbs its writers -------------
_WRITER = """
import sys, time, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
url, stop = sys.argv[1], sys.argv[2]
study = optuna.create_study(study_name="live", storage=url)   # Optuna's default settings
import os
first = True
deadline = time.time() + 60
while not os.path.exists(stop) and time.time() < deadline:
    started = time.time()
    study.optimize(lambda t: t.suggest_float("x", 0, 1) ** 2, n_trials=1)
    print(f"{started} {time.time()}", flush=True)
    if first:
        print("ready", file=sys.stderr, flush=True)
        first = False
"""


def _big_storage(path: Path, n: int) -> str:
    """An Optuna storage of n trials: Optuna writes the schema and two trials, SQL copies them
    (as fast as SQLite inserts, a few seconds for 10^5 trials)."""
    import sqlite3

    url = f"sqlite:///{path}"
    study = optuna.create_study(study_name="big", storage=url, direction="maximize")
    study.optimize(lambda t: t.suggest_float("lr", 1e-5, 0.1, log=True)
                   + t.suggest_int("layers", 1, 8), n_trials=2)
    con = sqlite3.connect(path)
    try:
        (sid,) = con.execute("SELECT study_id FROM studies").fetchone()
        params = con.execute("SELECT param_name, param_value, distribution_json FROM "
                             "trial_params WHERE trial_id = 1").fetchall()
        con.execute("""WITH RECURSIVE k(i) AS (SELECT 3 UNION ALL SELECT i + 1 FROM k WHERE i < ?)
            INSERT INTO trials(trial_id, number, study_id, state, datetime_start,
                               datetime_complete)
            SELECT i, i - 1, ?, 'COMPLETE', '2024-01-01 00:00:00', '2024-01-01 00:00:01'
            FROM k""", (n, sid))
        for name, value, dist in params:
            con.execute("INSERT INTO trial_params(trial_id, param_name, param_value, "
                        "distribution_json) SELECT trial_id, ?, ?, ? FROM trials "
                        "WHERE trial_id > 2", (name, value, dist))
        con.execute("INSERT INTO trial_values(trial_id, objective, value, value_type) "
                    "SELECT trial_id, 0, (trial_id % 97) / 97.0, 'FINITE' FROM trials "
                    "WHERE trial_id > 2")
        con.commit()
    finally:
        con.close()
    return url


def test_reader_releases_the_lock_before_building_frames(tmp_path, monkeypatch):
    """In rollback-journal mode the read in short transactions ends its last one before the
    frames are built (seconds for 10^5 trials on a busy machine, longer than a writer's busy
    timeout): a writer that does not wait at all commits while they are built."""
    import sqlite3

    import hpo_insights.io.optuna as reader

    path = tmp_path / "big.db"
    _big_storage(path, 6_000)  # more trials than the first transaction reads
    committed = []
    build = reader._in_study_order

    def write_then_build(*args, **kwargs):
        con = sqlite3.connect(path, timeout=0)  # fails at once if a reader holds a lock
        try:
            con.execute("UPDATE studies SET study_name = study_name")
            con.commit()
            committed.append(True)
        finally:
            con.close()
        return build(*args, **kwargs)

    monkeypatch.setattr(reader, "_in_study_order", write_then_build)
    trials = hi.load(path)
    assert committed == [True]
    assert len(trials) == 6_000


def test_reader_never_fails_live_writer(tmp_path):
    """A real Optuna writer (default storage settings) keeps committing while hi.load reads a
    large SQLite storage in rollback-journal mode: it never fails, it commits during the
    read, no trial is left RUNNING, and every trial read is whole."""
    n = 200_000  # a read of ~3 s on a quiet machine: several of the writer's cycles
    path = tmp_path / "big.db"
    url = _big_storage(path, n)
    with open(path, "rb") as fh:
        assert fh.read(20)[18] == 1  # rollback journal, not WAL
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, url, str(stop)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert writer.stderr.readline().strip() == "ready"
        time.sleep(0.3)
        started = time.time()
        trials = hi.load(path)
        ended = time.time()
        time.sleep(0.3)
    finally:
        stop.write_text("")
        out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err[-2000:]
    spans = [tuple(map(float, line.split())) for line in out.split()
             and out.strip().splitlines()]
    waits = [b - a for a, b in spans]
    inside = [b for _, b in spans if started + 0.2 < b < ended - 0.2]
    # A reader holding its lock for the whole read lets no commit through until it ends: no
    # commit inside the read, and one gap between the writer's commits as long as the read.
    # How many commits fit depends on the machine's speed, so the test asks for commits inside
    # and for the longest gap around the read to stay well below the read's length.
    ends = sorted(b for _, b in spans)
    before = [e for e in ends if e <= started]
    after = [e for e in ends if e >= ended]
    around = ([before[-1]] if before else []) + [e for e in ends if started < e < ended] + (
        [after[0]] if after else [])
    gap = max(np.diff(around)) if len(around) > 1 else ended - started
    assert len(inside) >= 1, (len(inside), ended - started)
    assert gap < 0.6 * (ended - started), (gap, ended - started, len(inside))
    assert max(waits) < 3.0, max(waits)
    final = hi.load(path)
    assert (final["state"] == "RUNNING").sum() == 0
    assert (trials["study"] == "big").sum() == n
    live = trials[trials["study"] == "live"]
    done = live[live["state"] == "COMPLETE"]
    assert done["value"].notna().all() and done["params_x"].notna().all()
    assert np.allclose(done["value"], done["params_x"] ** 2)


def test_chunked_read_equals_one_transaction(tmp_path, monkeypatch):
    """Read in many short transactions (tiny batches), a storage gives the frame and the curves
    of one transaction, dtypes included."""
    from hpo_insights.io import optuna as io_optuna

    url = f"sqlite:///{tmp_path / 'mixed.db'}"
    for name in ("a", "b"):
        study = optuna.create_study(study_name=name, storage=url)

        def objective(trial):
            for step in range(3):
                trial.report(trial.suggest_float("x", 0, 1) * step, step)
            if trial.number % 4 == 3:
                raise optuna.TrialPruned()
            trial.set_user_attr("k", trial.number)
            if trial.number % 5 == 0:
                trial.suggest_categorical("c", [None, "u", 1])
            return trial.params["x"]

        study.optimize(objective, n_trials=12)
    whole = hi.load(url), hi.load_curves(url), hi.load(url, studies=["b"])
    monkeypatch.setattr(io_optuna, "_FIRST_CHUNK", 3)
    monkeypatch.setattr(io_optuna, "_MIN_CHUNK", 3)
    monkeypatch.setattr(io_optuna, "_CHUNK_SECONDS", 1e-9)  # every batch at the minimum size
    import sqlalchemy

    batches = []

    def count(conn, cursor, statement, *args):
        if "ORDER BY trial_id LIMIT 3" in statement:
            batches.append(statement)

    sqlalchemy.event.listen(sqlalchemy.engine.Engine, "before_cursor_execute", count)
    try:
        parts = hi.load(url), hi.load_curves(url), hi.load(url, studies=["b"])
    finally:
        sqlalchemy.event.remove(sqlalchemy.engine.Engine, "before_cursor_execute", count)
    assert len(batches) >= 3 * 4  # each read took many transactions
    for a, b in zip(whole, parts, strict=True):
        pd.testing.assert_frame_equal(a, b)


def test_export_refuses_notebook_changed_since_its_run_or_executes_it(tmp_path, capsys):
    """export of a notebook edited or extended after its run: one line naming the cells and
    --execute, exit 2, the previous pages kept; with --execute it runs and exports the new
    outputs. Planted symlinks under the output names are replaced, never followed."""
    import nbformat

    from hpo_insights.report._export import mark_run

    path = _executed_notebook(tmp_path, ["x = 6 * 7", "print('answer', x)"])
    nb = nbformat.read(path, as_version=4)
    mark_run(nb)  # as hi.report.build records each cell's run
    nbformat.write(nb, path)
    assert cli.main(["export", str(path)]) == 0
    assert "answer 42" in (path.parent / "report.md").read_text()
    victim = tmp_path / "victim.html"
    victim.write_text("keep")
    (path.parent / "report.html").unlink()
    os.symlink(victim, path.parent / "report.html")
    previous_md = (path.parent / "report.md").read_text()

    nb.cells[0].source = "x = 6 * 9"  # edited in Jupyter, not run again
    nb.cells.append(nbformat.v4.new_code_cell("print('added')"))  # added, not run
    nbformat.write(nb, path)
    capsys.readouterr()
    assert cli.main(["export", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cell 1 was edited after it ran" in err[0], err
    assert "cell 3 was never run" in err[0] and "--execute" in err[0] and "=" not in err[0]
    assert (path.parent / "report.md").read_text() == previous_md

    shuffled = nbformat.read(path, as_version=4)
    shuffled.cells = shuffled.cells[:2]
    shuffled.cells[0].source = "x = 6 * 7"
    shuffled.cells[0].execution_count = 9  # run again alone, after the cell below it
    nbformat.write(shuffled, tmp_path / "shuffled.ipynb")
    assert cli.main(["export", str(tmp_path / "shuffled.ipynb"), "--out",
                     str(tmp_path / "s")]) == 2
    assert "cell 1 ran after cell 2" in capsys.readouterr().err

    assert cli.main(["export", str(path), "--execute"]) == 0
    md = (path.parent / "report.md").read_text()
    assert "answer 54" in md and "added" in md
    assert victim.read_text() == "keep" and not (path.parent / "report.html").is_symlink()
    rerun = nbformat.read(path, as_version=4)
    assert [c.execution_count for c in rerun.cells] == [1, 2, 3]
    capsys.readouterr()
    assert cli.main(["export", str(path)]) == 0  # saved run: exports without --execute


@pytest.mark.parametrize("name", [
    "\x1b]0;owned\x07", "\x1b[2J\x1b[H", "a\rb\x08c", "\u202egnp.exe", "\x9b31m", "z\u2067w\x00"],
    ids=["osc-title-bel", "clear-screen", "cr-backspace", "bidi-override", "c1-csi",
         "isolate-nul"])
def test_control_characters_visible_in_error_lines(name, tmp_path, capsys, monkeypatch):
    """A study name with terminal controls, in an error line: shown as escapes, one line."""
    _no_kernel(monkeypatch)
    rows = pd.DataFrame({"study": name, "number": range(3), "state": "FAIL",
                         "value": np.nan, "params_a": [1, 2, 3],
                         "study_direction": "maximize"})
    rows.to_json(tmp_path / "t.json", orient="records")  # JSON keeps a CR inside a name
    assert cli.main(["report", str(tmp_path / "t.json"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert not _RAW_CONTROL.search(err) and "\x00" not in err, repr(err)
    for run in re.findall(r"[A-Za-z0-9;.\[]{2,}", name):  # the printable parts stay readable
        assert run in err, (run, err)
    assert "\\x" in err or "\\u" in err or "\\r" in err  # each control shown as an escape
