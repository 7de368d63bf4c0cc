"""hi.load on files Ray Tune, MLflow and W&B wrote themselves (``tests/data/tools/``).

The fixtures and their ``truth.json`` files are written by
``tests/fixtures/make_fixtures.py`` with the tools installed (versions in
``tests/data/tools/VERSIONS``); each truth file holds what the tool itself
recorded (Ray's ``Result`` objects, MLflow's client and the Optuna study, W&B's
offline run records). These tests compare hpo_insights' frames with them.
"""

from __future__ import annotations

import glob
import json
import math
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hpo_insights as hi
from hpo_insights.io.mlflow import load_mlflow, mlflow_curves
from hpo_insights.io.ray import load_ray, ray_curves

TOOLS = Path(__file__).parent / "data" / "tools"
RAY = TOOLS / "ray"
EXPERIMENT = RAY / "asha_search"
MLFLOW = TOOLS / "mlflow"
WANDB = TOOLS / "wandb"
PARAMS = ["lr", "dropout", "n_layers", "optimizer"]


def _truth(folder: Path) -> dict:
    return json.loads((folder / "truth.json").read_text())


def _check_param_dtypes(out: pd.DataFrame) -> None:
    assert out["params_lr"].dtype == "float64"
    assert out["params_dropout"].dtype == "float64"
    assert out["params_n_layers"].dtype == "int64"
    assert pd.api.types.is_string_dtype(out["params_optimizer"])


def _same(a, b) -> bool:
    """Equal values, NaN/None equal to each other; floats to 1e-12 (pandas' to_json keeps
    15 decimals)."""
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)
    return a == b


# --- Ray Tune ------------------------------------------------------------------------------------
def _ray_truth() -> tuple[dict, list[dict]]:
    truth = _truth(RAY)
    trials = sorted(truth["trials"], key=lambda t: int(t["trial_id"].rsplit("_", 1)[1]))
    return truth, trials


def test_ray_fixture_has_the_files_a_loader_must_skip():
    """The experiment folder keeps a pickle and the experiment-state file, as Ray wrote them."""
    (pickle,) = EXPERIMENT.glob("*/params.pkl")
    assert pickle.read_bytes()[:1] == b"\x80"  # pickle protocol 2+
    (state,) = EXPERIMENT.glob("experiment_state-*.json")
    assert set(json.loads(state.read_text())) == {"trial_data", "runner_data", "stats"}


def test_ray_experiment_folder_matches_truth():
    """20 trials, Ray's trial index as number, states by the stopped-early rule, error text."""
    truth, trials = _ray_truth()
    out = hi.load(EXPERIMENT, direction="maximize")
    assert len(out) == truth["n_trials"] == 20
    assert set(out["study"]) == {"asha_search"}
    assert out["number"].tolist() == [int(t["trial_id"].rsplit("_", 1)[1]) for t in trials]
    assert out["state"].tolist() == [t["state"] for t in trials]
    counts = out["state"].value_counts().to_dict()
    assert counts["FAIL"] == 1 and counts["PRUNED"] >= 5 and counts["COMPLETE"] >= 2
    # The metric given to TuneConfig is read from the experiment state: no objective= needed.
    assert set(out["study_metric_name"]) == {"accuracy"}
    for row, t in zip(out.itertuples(), trials, strict=True):
        expected = np.nan if t["state"] == "FAIL" else t["last_accuracy"]
        assert _same(row.value, expected), (row.number, row.value, expected)
        for p in PARAMS:
            assert getattr(row, f"params_{p}") == t["config"][p]
        assert row.user_attrs_training_iteration == t["iterations"]
    _check_param_dtypes(out)
    failed = out[out["state"] == "FAIL"]
    (error,) = [t["error"] for t in trials if t["error"]]
    assert failed["user_attrs_error"].str.contains(error, regex=False).all()
    assert out.loc[out["state"] != "FAIL", "user_attrs_error"].isna().all()
    assert hi.validate(out) is out


@pytest.mark.parametrize("name", ["get_dataframe.csv", "get_dataframe.parquet"])
def test_ray_get_dataframe_matches_truth(name):
    """get_dataframe() marks ASHA-stopped trials done=True: they load as PRUNED, not COMPLETE.
    The table carries no error, so the errored trial (done=False) stays RUNNING."""
    if name.endswith(".parquet"):
        pytest.importorskip("pyarrow")
    truth, trials = _ray_truth()
    raw = pd.read_csv(RAY / "get_dataframe.csv")
    assert raw["done"].sum() == 19  # Ray's own flag: every stopped trial is "done"
    out = hi.load(RAY / name, objective="accuracy", direction="maximize")
    expected = ["RUNNING" if t["state"] == "FAIL" else t["state"] for t in trials]
    assert out["state"].tolist() == expected
    assert out["number"].tolist() == list(range(20))
    np.testing.assert_allclose(out["value"], [t["last_accuracy"] for t in trials])
    for p in PARAMS:
        assert out[f"params_{p}"].tolist() == [t["config"][p] for t in trials]
    _check_param_dtypes(out)


def test_ray_get_dataframe_needs_objective():
    """accuracy and loss are both metrics: the error names them and the argument."""
    with pytest.raises(hi.TrialsError, match=r"candidates are accuracy, loss.*objective="):
        hi.load(RAY / "get_dataframe.csv")


def test_ray_max_iterations_overrides_the_rule():
    """max_iterations= is the full budget; the longest trial is the default."""
    truth, trials = _ray_truth()
    default = load_ray(EXPERIMENT)
    assert load_ray(EXPERIMENT, max_iterations=truth["max_iterations"]).equals(default)
    longer = load_ray(EXPERIMENT, max_iterations=10)
    assert set(longer["state"]) == {"PRUNED", "FAIL"}
    shorter = load_ray(EXPERIMENT, max_iterations=2)
    assert shorter["state"].tolist() == ["FAIL" if t["error"] else "COMPLETE" for t in trials]
    for bad in (0, 2.5, "6", True):
        with pytest.raises(hi.TrialsError, match="max_iterations must be a positive integer"):
            load_ray(EXPERIMENT, max_iterations=bad)


def test_ray_running_trial_in_folder(tmp_path):
    """A trial folder whose last result is not done and that has no error.txt is RUNNING."""
    exp = shutil.copytree(EXPERIMENT, tmp_path / "asha_search")
    trial = next(exp.glob("*_00000_*"))
    lines = (trial / "result.json").read_text().splitlines()
    (trial / "result.json").write_text("\n".join(lines[:3]) + "\n")
    out = hi.load(exp)
    row = out[out["number"] == 0].iloc[0]
    assert row["state"] == "RUNNING"
    assert row["user_attrs_training_iteration"] == 3
    assert json.loads(lines[2])["accuracy"] == row["value"]


def test_ray_folder_of_experiments(tmp_path):
    """A storage_path holding several experiments: one study each, study= selects."""
    shutil.copytree(EXPERIMENT, tmp_path / "a")
    shutil.copytree(EXPERIMENT, tmp_path / "b")
    out = hi.load(tmp_path)
    assert out["study"].tolist() == ["a"] * 20 + ["b"] * 20
    assert set(hi.load(tmp_path, studies=["b"])["study"]) == {"b"}
    assert set(load_ray(tmp_path / "a", "renamed")["study"]) == {"renamed"}


def test_ray_bad_trial_file_names_it(tmp_path):
    exp = shutil.copytree(EXPERIMENT, tmp_path / "asha_search")
    trial = next(exp.glob("*_00003_*"))
    (trial / "params.json").write_text("{not json")
    with pytest.raises(hi.TrialsError, match=r"params\.json"):
        hi.load(exp)
    with pytest.raises(hi.TrialsError, match="holds no Ray Tune trial folder"):
        load_ray(_empty(tmp_path))


def _empty(tmp_path: Path) -> Path:
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder


def test_ray_curves_match_truth():
    """Every reported result, step = training_iteration, value = accuracy."""
    _, trials = _ray_truth()
    curves = ray_curves(EXPERIMENT)
    assert list(curves.columns) == ["study", "number", "state", "step", "value"]
    assert len(curves) == sum(t["iterations"] for t in trials)
    for number, t in enumerate(trials):
        rows = curves[curves["number"] == number]
        assert rows["step"].tolist() == list(range(1, t["iterations"] + 1))
        np.testing.assert_allclose(rows["value"], t["accuracy_curve"])
        assert set(rows["state"]) == {t["state"]}


# --- MLflow --------------------------------------------------------------------------------------
def _mlflow_truth(store: str) -> dict:
    return _truth(MLFLOW)["stores"][store]


@pytest.mark.parametrize("store", ["mlflow.db", "mlruns"])
def test_mlflow_store_optuna_callback(store):
    """MLflowCallback logs every trial FINISHED: tags.state, tags.direction, tags.number win."""
    truth = _mlflow_truth(store)["optuna_callback"]
    study = truth["optuna_study"]
    out = hi.load(MLFLOW / store, studies="optuna_callback")
    assert len(out) == len(study) == 20
    assert out["number"].tolist() == [t["number"] for t in study]
    assert out["state"].tolist() == [t["state"] for t in study]
    assert {"PRUNED", "FAIL"} <= set(out["state"])
    assert set(out["study_direction"]) == {"maximize"}
    for row, t in zip(out.itertuples(), study, strict=True):
        assert _same(row.value, t["value"]), (row.number, row.value, t["value"])
        for p in PARAMS:
            assert getattr(row, f"params_{p}") == t["params"][p]
    _check_param_dtypes(out)
    assert hi.validate(out) is out


@pytest.mark.parametrize("store", ["mlflow.db", "mlruns"])
def test_mlflow_store_nested_sweep(store):
    """The parent run is no trial and its best_* params are no parameters."""
    truth = _mlflow_truth(store)["nested_sweep"]
    out = hi.load(MLFLOW / store, studies="nested_sweep", direction="maximize")
    assert truth["n_runs"] == 21 and len(truth["parent_run_ids"]) == 1
    assert len(out) == len(truth["trials"]) == 20
    assert not any(c.startswith("params_best") for c in out.columns)
    assert truth["parent_run_ids"][0] not in set(out["user_attrs_run_id"])
    # Truth runs are in start order, the numbering order.
    assert out["user_attrs_run_id"].tolist() == [t["run_id"] for t in truth["trials"]]
    states = {"FINISHED": "COMPLETE", "FAILED": "FAIL"}
    assert out["state"].tolist() == [states[t["status"]] for t in truth["trials"]]
    for row, t in zip(out.itertuples(), truth["trials"], strict=True):
        expected = np.nan if t["status"] == "FAILED" else t["accuracy"]
        assert _same(row.value, expected)
        for p in PARAMS:
            assert str(getattr(row, f"params_{p}")) == t["params"][p]
    _check_param_dtypes(out)


def test_mlflow_store_studies_and_errors():
    out = hi.load(MLFLOW / "mlflow.db")
    assert set(out["study"]) == {"optuna_callback", "nested_sweep"}
    url = hi.load("sqlite:///" + str(MLFLOW / "mlflow.db"), studies=["nested_sweep"])
    assert set(url["study"]) == {"nested_sweep"}
    uri = hi.load((MLFLOW / "mlruns").resolve().as_uri(), studies="nested_sweep")
    assert len(uri) == 20
    with pytest.raises(hi.TrialsError, match="Unknown study 'nope'.*nested_sweep"):
        hi.load(MLFLOW / "mlflow.db", studies="nope")


def test_mlflow_db_is_read_only(tmp_path):
    """Reading the tracking database changes no byte and leaves no journal behind."""
    db = shutil.copy2(MLFLOW / "mlflow.db", tmp_path / "mlflow.db")
    before = (Path(db).read_bytes(), os.stat(db).st_mtime_ns)
    hi.load(db)
    assert (Path(db).read_bytes(), os.stat(db).st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlflow.db"]
    assert "mlflow" not in sys.modules


def test_mlflow_search_runs_csv():
    """search_runs() over both experiments: one study per experiment_id, parent dropped."""
    db = hi.load(MLFLOW / "mlflow.db")
    out = hi.load(MLFLOW / "search_runs.csv", objective="accuracy")
    assert len(out) == 40
    ids = {s: sorted(set(g["user_attrs_run_id"])) for s, g in db.groupby("study")}
    got = {s: sorted(set(g["user_attrs_run_id"])) for s, g in out.groupby("study")}
    assert sorted(got.values()) == sorted(ids.values())
    key = ["user_attrs_run_id"]
    merged = out.merge(db, on=key, suffixes=("", "_db"))
    assert len(merged) == 40
    assert (merged["state"] == merged["state_db"]).all()
    assert (merged["number"] == merged["number_db"]).all()
    np.testing.assert_array_equal(merged["value"], merged["value_db"])


def test_mlflow_cli_csv_one_experiment():
    """`mlflow experiments csv` of the MLflowCallback experiment: Optuna's states and numbers."""
    study = _mlflow_truth("mlflow.db")["optuna_callback"]["optuna_study"]
    out = hi.load(MLFLOW / "experiments_csv.csv")
    assert set(out["study"]) == {"experiments_csv"}
    assert out["number"].tolist() == [t["number"] for t in study]
    assert out["state"].tolist() == [t["state"] for t in study]
    assert set(out["study_direction"]) == {"maximize"}


@pytest.mark.parametrize("store", ["mlflow.db", "mlruns"])
def test_mlflow_curves_match_history(store):
    truth = _mlflow_truth(store)["nested_sweep"]
    curves = mlflow_curves(MLFLOW / store, study="nested_sweep")
    assert list(curves.columns) == ["study", "number", "state", "step", "value"]
    for number, t in enumerate(truth["trials"]):
        rows = curves[curves["number"] == number]
        assert rows["step"].tolist() == [s for s, _ in t["accuracy_history"]]
        np.testing.assert_allclose(rows["value"], [v for _, v in t["accuracy_history"]])


def test_mlflow_not_a_store(tmp_path):
    with pytest.raises(hi.TrialsError, match="No such MLflow tracking store"):
        load_mlflow(tmp_path / "none.db")
    with pytest.raises(hi.TrialsError, match="not an MLflow file store"):
        load_mlflow(_empty(tmp_path))


# --- W&B -----------------------------------------------------------------------------------------
def _wandb_truth() -> dict:
    return _truth(WANDB)


def _check_wandb(out: pd.DataFrame, with_state: bool) -> None:
    truth = _wandb_truth()
    trials = truth["trials"]  # oldest first
    assert len(out) == truth["n_trials"] == 20
    assert out["number"].tolist() == list(range(20))
    assert out["user_attrs_name"].tolist() == [t["name"] for t in trials]
    states = {"finished": "COMPLETE", "failed": "FAIL"}
    expected_states = [states[t["state"]] if with_state else "COMPLETE" for t in trials]
    assert out["state"].tolist() == expected_states
    for row, t, state in zip(out.itertuples(), trials, expected_states, strict=True):
        assert _same(row.value, np.nan if state == "FAIL" else t["accuracy"])
        for p in PARAMS:
            assert _same(getattr(row, f"params_{p}"), t["config"][p])
    _check_param_dtypes(out)
    assert not any(c in out.columns for c in ("value__step", "values__step"))


def test_wandb_ui_csv_numbered_by_created():
    (path,) = glob.glob(str(WANDB / "wandb_export_*.csv"))
    raw = pd.read_csv(path)
    assert not raw["Created"].is_monotonic_increasing  # newest first, as W&B lists runs
    out = hi.load(path, params=PARAMS, objective="accuracy")
    _check_wandb(out, with_state=True)
    created = pd.to_datetime([t["created"] for t in _wandb_truth()["trials"]], utc=True)
    assert (out["datetime_start"].dt.floor("ms") == created.floor("ms")).all()


@pytest.mark.parametrize("name", ["project.csv", "project.json"])
def test_wandb_docs_export_files(name):
    """The docs' runs_df: summary/config dicts (as text after to_csv, objects in JSON)."""
    out = hi.load(WANDB / name, objective="accuracy")
    _check_wandb(out, with_state=False)


def test_wandb_docs_export_in_memory():
    """The same frame with real dicts, and with the dicts as JSON text; a state column counts."""
    records = json.loads((WANDB / "project.json").read_text())
    frame = pd.DataFrame(records)
    assert isinstance(frame["summary"].iloc[0], dict)
    _check_wandb(hi.load(frame, objective="accuracy"), with_state=False)
    text = frame.assign(summary=frame["summary"].map(json.dumps),
                        config=frame["config"].map(json.dumps))
    _check_wandb(hi.load(text, objective="accuracy"), with_state=False)
    names = {t["name"]: t["state"] for t in _wandb_truth()["trials"]}
    with_state = frame.assign(state=frame["name"].map(names))
    _check_wandb(hi.load(with_state, objective="accuracy"), with_state=True)
    assert records == json.loads((WANDB / "project.json").read_text())


def test_wandb_private_columns_never_objectives():
    """_step, _runtime, _timestamp, _wandb are never offered (nor accepted) as objectives."""
    for source in (WANDB / "project.csv", WANDB / "project_flat.csv"):
        kwargs = {"params": PARAMS} if source.name == "project_flat.csv" else {}
        with pytest.raises(hi.TrialsError, match="candidates are accuracy, loss\\. ") as err:
            hi.load(source, **kwargs)
        assert "_step" not in str(err.value) and "_runtime" not in str(err.value)
        with pytest.raises(hi.TrialsError, match="Unknown objective '_step'"):
            hi.load(source, objective="_step", **kwargs)


def test_wandb_flat_export():
    out = hi.load(WANDB / "project_flat.csv", params=PARAMS, objective="accuracy")
    _check_wandb(out, with_state=False)
    with pytest.raises(hi.TrialsError, match=r"Pass params=\[\.\.\.\].*lr, dropout"):
        hi.load(WANDB / "project_flat.csv")


def test_wandb_bad_dict_cell_names_column():
    frame = pd.DataFrame({"summary": ["{'accuracy': 0.5}", "not a dict"],
                          "config": ["{'lr': 0.1}", "{'lr': 0.2}"], "name": ["a", "b"]})
    with pytest.raises(hi.TrialsError, match="Column 'summary' .* must hold dicts"):
        hi.load(frame)


# --- What the former hand-typed fixtures covered, on the tools' own files ------------------------
def test_ray_table_columns():
    """config/<name> params (nested config/a/b too), Ray's columns kept, times from the results."""
    raw = pd.read_csv(RAY / "get_dataframe.csv")
    nested = raw.rename(columns={"config/n_layers": "config/model/n_layers"})
    out = hi.load(nested, studies="tune", objective="loss", direction="minimize")
    assert out["params_model/n_layers"].tolist() == raw["config/n_layers"].tolist()
    assert out["user_attrs_trial_id"].tolist() == raw["trial_id"].tolist()
    assert out["user_attrs_accuracy"].tolist() == raw["accuracy"].tolist()
    assert set(out["study"]) == {"tune"}
    assert set(out["study_metric_name"]) == {"loss"}
    assert set(out["study_direction"]) == {"minimize"}
    np.testing.assert_allclose(out["duration"].dt.total_seconds(), raw["time_total_s"],
                               atol=1e-6)
    assert (out["datetime_complete"] == pd.to_datetime(raw["timestamp"], unit="s")).all()


def test_ray_params_subset():
    out = hi.load(RAY / "get_dataframe.csv", objective="accuracy", params=["lr", "config/dropout"])
    assert [c for c in out.columns if c.startswith("params_")] == ["params_lr", "params_dropout"]
    assert set(out["study"]) == {"get_dataframe"}
    with pytest.raises(hi.TrialsError, match="Unknown parameter 'momentum'.*config/lr"):
        hi.load(RAY / "get_dataframe.csv", objective="accuracy", params=["momentum"])


def test_mlflow_csv_columns():
    """metrics.* candidates, metric_name=, other metrics kept, UTC start times."""
    out = hi.load(MLFLOW / "experiments_csv.csv", metric_name="Accuracy")
    assert set(out["study_metric_name"]) == {"Accuracy"}
    assert str(out["datetime_start"].dt.tz) == "UTC"
    raw = pd.read_csv(MLFLOW / "experiments_csv.csv")
    assert out["user_attrs_run_id"].tolist() == raw.sort_values("start_time")["run_id"].tolist()
    assert out["user_attrs_tags.lr_distribution"].str.startswith("FloatDistribution").all()
    sub = hi.load(MLFLOW / "mlflow.db", studies="nested_sweep", params=["lr", "params.n_layers"])
    assert [c for c in sub.columns if c.startswith("params_")] == ["params_lr",
                                                                   "params_n_layers"]


def test_wandb_ui_csv_columns():
    """Runtime gives duration; metadata kept lower-cased; several objectives; params= listed."""
    (path,) = glob.glob(str(WANDB / "wandb_export_*.csv"))
    raw = pd.read_csv(path).sort_values("Created").reset_index(drop=True)
    out = hi.load(path, studies="sweep", params=PARAMS, objective=["accuracy", "loss"],
                  direction=["maximize", "minimize"])
    assert {"values_accuracy", "values_loss"} <= set(out.columns)
    np.testing.assert_allclose(out["duration"].dt.total_seconds(), raw["Runtime"])
    assert out["user_attrs_user"].tolist() == raw["User"].tolist()
    assert set(out["study_direction"]) == {"maximize,minimize"}
    with pytest.raises(hi.TrialsError, match=r"Pass params=\[\.\.\.\].*lr, dropout"):
        hi.load(path)


# --- hi.load_curves ------------------------------------------------------------------------------
def test_load_curves_reads_tool_histories():
    """hi.load_curves dispatches to the Ray Tune and MLflow readers (mlflow.db before Optuna)."""
    ray = hi.load_curves(EXPERIMENT)
    pd.testing.assert_frame_equal(ray, ray_curves(EXPERIMENT))
    for store in ("mlflow.db", "mlruns"):
        curves = hi.load_curves(MLFLOW / store, studies="nested_sweep")
        pd.testing.assert_frame_equal(curves, mlflow_curves(MLFLOW / store, study="nested_sweep"))
        truth = _mlflow_truth(store)["nested_sweep"]["trials"]
        assert len(curves) == sum(len(t["accuracy_history"]) for t in truth)
    both = hi.load_curves(MLFLOW / "mlflow.db")
    assert list(dict.fromkeys(both["study"])) == ["optuna_callback", "nested_sweep"]
    with pytest.raises(hi.TrialsError, match="Unknown study 'nope'"):
        hi.load_curves(EXPERIMENT, studies="nope")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_row_order_does_not_matter(seed):
    """Shuffled exports load to the same frame: numbers come from trial_id, start_time, Created."""
    rng = np.random.default_rng(seed)
    (ui,) = glob.glob(str(WANDB / "wandb_export_*.csv"))
    cases = [
        (pd.read_csv(RAY / "get_dataframe.csv"), {"objective": "accuracy"}),
        (pd.read_csv(MLFLOW / "search_runs.csv"), {"objective": "accuracy"}),
        (pd.read_csv(ui), {"params": PARAMS, "objective": "accuracy"}),
        (pd.read_csv(WANDB / "project.csv"), {"objective": "accuracy"}),
    ]
    for raw, kwargs in cases:
        shuffled = raw.iloc[rng.permutation(len(raw))].reset_index(drop=True)
        pd.testing.assert_frame_equal(hi.load(shuffled, **kwargs), hi.load(raw, **kwargs))


def test_mlflow_repeated_optuna_numbers_fall_back_to_start_order():
    """Two Optuna studies logged into one experiment repeat tags.number: start order instead."""
    raw = pd.read_csv(MLFLOW / "experiments_csv.csv")
    twice = pd.concat([raw, raw.assign(run_id=raw["run_id"] + "x",
                                       start_time=pd.to_datetime(raw["start_time"])
                                       + pd.Timedelta("1h"))], ignore_index=True)
    out = hi.load(twice)
    assert out["number"].tolist() == list(range(40))
    assert out["user_attrs_run_id"].str.endswith("x").tolist() == [False] * 20 + [True] * 20
