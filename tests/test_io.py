"""Tests of hi.load and hi.from_optuna against storages written by Optuna and tool exports."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hpo_insights as hi

optuna = pytest.importorskip("optuna")
optuna.logging.set_verbosity(optuna.logging.WARNING)

DATA = Path(__file__).parent / "data"


def _objective(trial: optuna.Trial) -> float:
    lr = trial.suggest_float("lr", 1e-5, 1e-2, log=True)
    n_layers = trial.suggest_int("n_layers", 1, 4)
    width = trial.suggest_categorical("width", [32, 64, 128])
    optimizer = trial.suggest_categorical("optimizer", ["adam", "sgd"])
    dropout = trial.suggest_float("dropout", 0.1, 0.5, step=0.2)
    trial.set_user_attr("recall", 0.5 + 0.01 * trial.number)
    trial.set_user_attr("shape", {"rows": 2, "cols": [1, 2]})
    if trial.number % 5 == 3:
        trial.report(0.123, step=0)
        raise optuna.TrialPruned()
    if trial.number % 7 == 6:
        raise RuntimeError("diverged")
    return float(np.log10(lr) + n_layers + width / 64 + dropout + (optimizer == "adam"))


def _make_storage(url: str) -> None:
    """Three studies: maximize (with enqueued trial), minimize, multi-objective."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # set_metric_names is experimental
        big = optuna.create_study(study_name="big", storage=url, direction="maximize",
                                  sampler=optuna.samplers.RandomSampler(seed=0))
        big.set_user_attr("budget", "2M")
        big.set_user_attr("hardware", "a100")
        big.set_metric_names(["AUC"])
        big.enqueue_trial({"lr": 1e-5, "n_layers": 1, "width": 32, "optimizer": "sgd",
                           "dropout": 0.1}, user_attrs={"extreme_type": "min_lr"})
        big.optimize(_objective, n_trials=14, catch=(RuntimeError,))
        small = optuna.create_study(study_name="small", storage=url, direction="minimize",
                                    sampler=optuna.samplers.RandomSampler(seed=1))
        small.optimize(_objective, n_trials=6, catch=(RuntimeError,))
        multi = optuna.create_study(study_name="multi", storage=url,
                                    directions=["minimize", "maximize"],
                                    sampler=optuna.samplers.RandomSampler(seed=2))
        multi.set_metric_names(["loss", "acc"])
        multi.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_int("k", 1, 3)),
                       n_trials=4)


@pytest.fixture(scope="module")
def storage_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("storage")
    _make_storage(f"sqlite:///{folder / 'studies.db'}")
    return folder


@pytest.fixture
def db(storage_dir, tmp_path) -> Path:
    """A private copy of the storage, so read-only checks see only this test's activity."""
    path = tmp_path / "studies.db"
    path.write_bytes((storage_dir / "studies.db").read_bytes())
    return path


# --- Optuna storages -----------------------------------------------------------------------------
def test_load_sqlite_matches_optuna(db):
    """Every trial of every study, with Optuna's own numbers, states, values and params."""
    trials = hi.load(f"sqlite:///{db}")
    assert list(dict.fromkeys(trials["study"])) == ["big", "small", "multi"]
    for name in ("big", "small"):
        ours = trials[trials["study"] == name].reset_index(drop=True)
        theirs = optuna.load_study(study_name=name, storage=f"sqlite:///{db}").trials
        assert ours["number"].tolist() == [t.number for t in theirs]
        assert ours["state"].tolist() == [t.state.name for t in theirs]
        np.testing.assert_array_equal(
            ours["value"].to_numpy(),
            np.array([np.nan if t.value is None else t.value for t in theirs]),
        )
        for p in ("lr", "n_layers", "width", "optimizer", "dropout"):
            assert ours[f"params_{p}"].tolist() == [t.params[p] for t in theirs]
    states = set(trials.loc[trials["study"] == "big", "state"])
    assert states == {"COMPLETE", "PRUNED", "FAIL"}


def test_load_pruned_keeps_last_intermediate_value(db):
    """A PRUNED trial carries its last reported value, as Optuna stores it."""
    trials = hi.load(db, studies="big")
    assert (trials.loc[trials["state"] == "PRUNED", "value"] == 0.123).all()


def test_load_dtypes(db):
    """number int, state str, numeric params numeric (categorical ints stay ints)."""
    trials = hi.load(db, studies="big")
    assert trials["number"].dtype == "int64"
    assert pd.api.types.is_string_dtype(trials["state"])
    assert trials["params_n_layers"].dtype == "int64"
    assert trials["params_width"].dtype == "int64"
    assert trials["params_lr"].dtype == "float64"
    assert pd.api.types.is_string_dtype(trials["params_optimizer"])
    assert pd.api.types.is_datetime64_any_dtype(trials["datetime_start"])
    assert pd.api.types.is_timedelta64_dtype(trials["duration"])
    assert isinstance(trials.index, pd.RangeIndex)


def test_load_study_level_columns(db):
    """Direction, metric name and study user attributes are repeated on every row."""
    trials = hi.load(db)
    big = trials[trials["study"] == "big"]
    assert set(big["study_direction"]) == {"maximize"}
    assert set(big["study_metric_name"]) == {"AUC"}
    assert set(big["study_user_attrs_budget"]) == {"2M"}
    assert set(big["study_user_attrs_hardware"]) == {"a100"}
    small = trials[trials["study"] == "small"]
    assert set(small["study_direction"]) == {"minimize"}
    assert small["study_user_attrs_budget"].isna().all()


def test_load_multi_objective(db):
    """Multi-objective studies get values_<metric name> and comma-joined directions."""
    trials = hi.load(db, studies="multi")
    theirs = optuna.load_study(study_name="multi", storage=f"sqlite:///{db}").trials
    assert "value" not in trials.columns
    assert trials["values_loss"].tolist() == [t.values[0] for t in theirs]
    assert trials["values_acc"].tolist() == [t.values[1] for t in theirs]
    assert set(trials["study_direction"]) == {"minimize,maximize"}
    assert set(trials["study_metric_name"]) == {"loss,acc"}


def test_load_distributions_and_attrs_as_json(db):
    """Distributions are Optuna JSON; dict attrs and enqueue markers are JSON text."""
    from optuna.distributions import distribution_to_json, json_to_distribution

    trials = hi.load(db, studies="big")
    first = optuna.load_study(study_name="big", storage=f"sqlite:///{db}").trials[0]
    assert trials.loc[0, "distributions_lr"] == distribution_to_json(first.distributions["lr"])
    assert json_to_distribution(trials.loc[0, "distributions_lr"]).log is True
    assert json.loads(trials.loc[0, "user_attrs_shape"]) == {"rows": 2, "cols": [1, 2]}
    assert trials.loc[0, "user_attrs_extreme_type"] == "min_lr"
    fixed = trials["system_attrs_fixed_params"]
    assert fixed.notna().sum() == 1
    assert json.loads(fixed.iloc[0])["lr"] == 1e-5


def test_load_select_studies(db):
    """study= selects one or several studies, in the order asked."""
    assert set(hi.load(db, studies="small")["study"]) == {"small"}
    both = hi.load(f"sqlite:///{db}", studies=["small", "big"])
    assert list(dict.fromkeys(both["study"])) == ["small", "big"]


def test_load_unknown_study_lists_existing(db):
    """An unknown study name is an error listing the studies there."""
    with pytest.raises(hi.TrialsError, match=r"Unknown study 'nope'.*'big', 'small', 'multi'"):
        hi.load(db, studies="nope")


@pytest.mark.parametrize("as_url", [False, True])
def test_load_is_read_only(db, as_url):
    """Bytes, mtime and the folder listing are unchanged after loading."""
    before = (db.read_bytes(), os.stat(db).st_mtime_ns, sorted(os.listdir(db.parent)))
    hi.load(f"sqlite:///{db}" if as_url else str(db))
    after = (db.read_bytes(), os.stat(db).st_mtime_ns, sorted(os.listdir(db.parent)))
    assert after == before


@pytest.mark.parametrize("form", ["path", "url"])
def test_load_missing_file_is_not_created(tmp_path, form):
    """A missing SQLite file is an error, and no file appears."""
    path = tmp_path / "missing.db"
    with pytest.raises(hi.TrialsError, match="missing.db"):
        hi.load(str(path) if form == "path" else f"sqlite:///{path}")
    assert os.listdir(tmp_path) == []


def test_load_corrupt_file(tmp_path):
    """A file that is not SQLite is an error naming it."""
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(hi.TrialsError, match=r"corrupt\.db.*not a readable SQLite"):
        hi.load(path)


def test_load_empty_file(tmp_path):
    """An empty file has no Optuna tables; it stays empty."""
    path = tmp_path / "empty.sqlite"
    path.touch()
    with pytest.raises(hi.TrialsError, match=r"empty\.sqlite.*no Optuna tables"):
        hi.load(path)
    assert path.stat().st_size == 0
    assert os.listdir(tmp_path) == ["empty.sqlite"]


def test_load_sqlite_without_optuna_tables(tmp_path):
    """A SQLite database of something else is an error, and gains no tables."""
    path = tmp_path / "other.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x INTEGER)")
    con.commit()
    con.close()
    with pytest.raises(hi.TrialsError, match=r"other\.db.*no Optuna tables"):
        hi.load(f"sqlite:///{path}")
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    con.close()
    assert tables == ["t"]


def test_load_unsupported_url():
    """An unknown URL scheme is an error naming the supported ones."""
    with pytest.raises(hi.TrialsError, match="Unsupported storage URL.*redis"):
        hi.load("redis://localhost:6379")


def test_load_without_optuna_hints_install(db, monkeypatch):
    """Without optuna, loading a storage says which extra to install."""
    monkeypatch.setitem(sys.modules, "optuna", None)
    with pytest.raises(hi.TrialsError, match=r"pip install hpo-insights\[optuna\]"):
        hi.load(db)


def test_from_optuna_equals_load(db):
    """from_optuna and load share one conversion."""
    url = f"sqlite:///{db}"
    studies = [optuna.load_study(study_name=n, storage=url) for n in ("big", "small", "multi")]
    pd.testing.assert_frame_equal(hi.from_optuna(studies), hi.load(url))
    pd.testing.assert_frame_equal(hi.from_optuna(studies[1]), hi.load(url, studies="small"))


def test_from_optuna_rejects_other_objects():
    """Only optuna.Study objects are accepted."""
    with pytest.raises(TypeError, match="optuna.Study"):
        hi.from_optuna([pd.DataFrame()])


# --- files ---------------------------------------------------------------------------------------
def test_csv_round_trip(db, tmp_path):
    """A trials frame written with to_csv(index=False) loads back equal."""
    trials = hi.load(db)
    path = tmp_path / "trials.csv"
    trials.to_csv(path, index=False)
    pd.testing.assert_frame_equal(hi.load(path), trials)


def test_parquet_round_trip(db, tmp_path):
    """Parquet keeps the frame exactly."""
    pytest.importorskip("pyarrow")
    trials = hi.load(db)
    trials.to_parquet(tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(hi.load(tmp_path / "t.parquet"), trials)


def test_parquet_without_pyarrow(db, tmp_path, monkeypatch):
    """Without pyarrow, a Parquet file is an error with the pip hint."""
    pytest.importorskip("pyarrow")
    hi.load(db, studies="small").to_parquet(tmp_path / "t.parquet")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(hi.TrialsError, match="pip install pyarrow"):
        hi.load(tmp_path / "t.parquet")


@pytest.mark.parametrize("lines", [False, True])
def test_json_round_trip(db, tmp_path, lines):
    """JSON and JSON-lines exports load back with the same values and dtypes."""
    trials = hi.load(db, studies="big")
    path = tmp_path / ("t.jsonl" if lines else "t.json")
    trials.to_json(path, orient="records", lines=lines, date_format="iso")
    back = hi.load(path)
    cols = ["study", "number", "state", "value", "params_lr", "params_width", "params_optimizer"]
    pd.testing.assert_frame_equal(back[cols], trials[cols])
    assert (back["datetime_start"] - trials["datetime_start"]).abs().max() < pd.Timedelta("1ms")


def test_folder_of_files_one_study_each(db, tmp_path):
    """Each file of a folder is one study, named after its stem when it has no study column."""
    trials = hi.load(db, studies="big")
    folder = tmp_path / "runs"
    folder.mkdir()
    trials.drop(columns="study").to_csv(folder / "a-first.csv", index=False)
    trials.drop(columns="study").head(5).to_csv(folder / "b-second.csv", index=False)
    (folder / "notes.txt").write_text("ignored")
    out = hi.load(folder)
    sizes = out.groupby("study", sort=False).size().to_dict()
    assert sizes == {"a-first": len(trials), "b-second": 5}
    assert hi.load(folder, studies="b-second")["number"].tolist() == list(range(5))


def test_file_study_column_wins_over_stem(db, tmp_path):
    """A file with a study column keeps its study names."""
    hi.load(db).to_csv(tmp_path / "export.csv", index=False)
    assert set(hi.load(tmp_path / "export.csv")["study"]) == {"big", "small", "multi"}


def test_missing_path_and_unknown_type(tmp_path):
    """Missing paths and unknown file types are errors naming them."""
    with pytest.raises(hi.TrialsError, match="No such file or folder.*nothing.csv"):
        hi.load(tmp_path / "nothing.csv")
    (tmp_path / "x.xlsx").write_text("x")
    with pytest.raises(hi.TrialsError, match=r"unknown file type '\.xlsx'"):
        hi.load(tmp_path / "x.xlsx")
    with pytest.raises(hi.TrialsError, match="holds no trials files"):
        hi.load(tmp_path)


def test_empty_csv(tmp_path):
    """An empty CSV is an error naming the file."""
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(hi.TrialsError, match=r"e\.csv.*is empty"):
        hi.load(tmp_path / "e.csv")


# --- Optuna trials_dataframe --------------------------------------------------------------------
def _study(db):
    return optuna.load_study(study_name="big", storage=f"sqlite:///{db}")


def test_trials_dataframe_flat(db):
    """Study.trials_dataframe() loads with the storage's numbers, states, values and params."""
    raw = _study(db).trials_dataframe(attrs=("number", "value", "params", "state"))
    out = hi.load(raw, studies="big")
    ref = hi.load(db, studies="big")
    cols = ["study", "number", "state", "value", "params_lr", "params_width", "params_optimizer"]
    pd.testing.assert_frame_equal(out[cols], ref[cols])


def test_trials_dataframe_multi_index_in_memory(db):
    """multi_index=True columns are flattened the way Optuna flattens them."""
    raw = _study(db).trials_dataframe(multi_index=True)
    assert isinstance(raw.columns, pd.MultiIndex)
    out = hi.load(raw, studies="big")
    ref = hi.load(db, studies="big")
    cols = ["number", "state", "value", "params_n_layers", "user_attrs_recall", "duration"]
    pd.testing.assert_frame_equal(out[cols], ref[cols])


def test_trials_dataframe_multi_index_csv(db, tmp_path):
    """The two-row-header CSV of a multi_index frame loads like the flat one."""
    _study(db).trials_dataframe(multi_index=True).to_csv(tmp_path / "big.csv", index=False)
    out = hi.load(tmp_path / "big.csv")
    ref = hi.load(db, studies="big")
    assert set(out["study"]) == {"big"}
    cols = ["number", "state", "value", "params_lr", "params_width", "datetime_start"]
    pd.testing.assert_frame_equal(out[cols], ref[cols])


def test_dataframe_source_is_not_mutated(db):
    """load() never modifies a DataFrame it is given."""
    raw = _study(db).trials_dataframe()
    before = raw.copy(deep=True)
    hi.load(raw, studies="big")
    pd.testing.assert_frame_equal(raw, before)


def test_dataframe_named_by_study_argument(tiny_trials):
    """study= names a DataFrame that has no study column."""
    out = hi.load(tiny_trials.drop(columns="study"), studies="mine")
    assert set(out["study"]) == {"mine"}
    assert set(hi.load(tiny_trials.drop(columns="study"))["study"]) == {"trials"}


# --- Ray Tune, W&B: tests/test_io_tools.py on files the tools wrote ------------------------------


# --- MLflow --------------------------------------------------------------------------------------
def _mlflow_frame() -> pd.DataFrame:
    """What mlflow.search_runs() returns: params as strings, UTC datetimes, newest first."""
    ms = pd.to_datetime(["2024-05-01 10:09", "2024-05-01 10:06", "2024-05-01 10:03",
                         "2024-05-01 10:00"]).as_unit("ms").astype("int64") // 10**3
    return pd.DataFrame({
        "run_id": ["d4", "c3", "b2", "a1"],
        "experiment_id": ["1"] * 4,
        "status": ["RUNNING", "KILLED", "FINISHED", "FINISHED"],
        "artifact_uri": [f"mlflow-artifacts:/1/{r}/artifacts" for r in ["d4", "c3", "b2", "a1"]],
        "start_time": pd.to_datetime(ms, unit="ms", utc=True),
        "end_time": pd.to_datetime(ms + 60_000, unit="ms", utc=True),
        "metrics.auc": [np.nan, np.nan, 0.84, 0.79],
        "params.lr": pd.Series(["0.001", "0.1", "0.01", "0.001"], dtype=object),
        "params.optimizer": pd.Series(["adam", "sgd", "adam", None], dtype=object),
        "params.n_layers": pd.Series(["2", "4", "4", "2"], dtype=object),
        "tags.mlflow.runName": ["d", "c", "b", "a"],
    })


def test_mlflow_search_runs_frame():
    """params.* strings become numbers, status maps to states, runs numbered by start time."""
    out = hi.load(_mlflow_frame(), studies="exp1", direction="maximize")
    assert out["user_attrs_run_id"].tolist() == ["a1", "b2", "c3", "d4"]
    assert out["state"].tolist() == ["COMPLETE", "COMPLETE", "FAIL", "RUNNING"]
    assert out["params_lr"].tolist() == [0.001, 0.01, 0.1, 0.001]
    assert out["params_n_layers"].dtype == "int64"
    assert out["params_optimizer"].isna().tolist() == [True, False, False, False]
    assert out["params_optimizer"].iloc[1:].tolist() == ["adam", "sgd", "adam"]
    assert out["user_attrs_tags.mlflow.runName"].tolist() == ["a", "b", "c", "d"]
    assert out["value"].iloc[:2].tolist() == [0.79, 0.84]
    assert set(out["study_metric_name"]) == {"auc"}
    assert (out["duration"] == pd.Timedelta("60s")).all()


def test_mlflow_params_subset():
    """params= keeps the named params.* columns (with or without the prefix), else an error."""
    out = hi.load(_mlflow_frame(), studies="exp1", direction="maximize",
                  params=["lr", "params.n_layers"])
    assert [c for c in out.columns if c.startswith("params_")] == ["params_lr", "params_n_layers"]
    with pytest.raises(hi.TrialsError, match=r"Unknown parameter 'momentum' in the MLflow table"):
        hi.load(_mlflow_frame(), studies="exp1", params=["momentum"])


def test_mlflow_unknown_status():
    """A status that maps to no state is an error listing it."""
    raw = _mlflow_frame().assign(status=["RUNNING", "PAUSED", "FINISHED", "FINISHED"])
    with pytest.raises(hi.TrialsError, match="map to no trial state: PAUSED"):
        hi.load(raw)


# --- direction / metric_name ---------------------------------------------------------------------
def test_direction_fills_but_never_contradicts(db, tiny_trials):
    """direction= fills missing directions; contradicting a recorded one is an error."""
    out = hi.load(tiny_trials.drop(columns="study_direction"), direction="minimize")
    assert set(out["study_direction"]) == {"minimize"}
    with pytest.raises(hi.TrialsError, match="contradicts the direction recorded"):
        hi.load(db, studies="big", direction="minimize")
    with pytest.raises(hi.TrialsError, match="direction must be"):
        hi.load(tiny_trials, direction="up")


def test_load_path_with_special_characters(storage_dir, tmp_path):
    """Spaces, '#', '%' and '?' in the path do not confuse the read-only URI."""
    folder = tmp_path / "we ird#dir%20?x"
    folder.mkdir()
    path = folder / "my studies.db"
    path.write_bytes((storage_dir / "studies.db").read_bytes())
    assert len(hi.load(path, studies="small")) == 6
    assert os.listdir(folder) == ["my studies.db"]


def test_load_study_without_trials(tmp_path):
    """A study with no trials adds no rows and leaves int params int."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    optuna.create_study(study_name="empty", storage=url)
    full = optuna.create_study(study_name="full", storage=url)
    full.optimize(lambda t: t.suggest_int("k", 1, 3), n_trials=3)
    trials = hi.load(url)
    assert set(trials["study"]) == {"full"}
    assert trials["params_k"].dtype == "int64"
    empty = hi.load(url, studies="empty")
    assert len(empty) == 0
    assert {"study", "number", "state"} <= set(empty.columns)


def test_optuna_dashboard_csv():
    """optuna-dashboard's CSV: Number, State, the metric, Param <name>, UserAttribute <name>."""
    path = DATA / "optuna_dashboard_study-3.csv"
    raw = pd.read_csv(path)
    out = hi.load(path, direction="maximize")
    assert set(out["study"]) == {"optuna_dashboard_study-3"}
    assert out["number"].tolist() == raw["Number"].tolist()
    assert out["state"].tolist() == raw["State"].tolist()
    np.testing.assert_array_equal(out["value"], raw["AUC"])
    assert out["params_d_model"].tolist() == raw["Param d_model"].tolist()
    assert out["params_optimizer"].tolist() == raw["Param optimizer"].tolist()
    np.testing.assert_array_equal(out["user_attrs_recall"], raw["UserAttribute recall"])
    assert set(out["study_metric_name"]) == {"AUC"}


# --- invariants ----------------------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(
    values=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=12),
    seed=st.integers(0, 2**16),
)
def test_load_is_idempotent_and_order_free(values, seed):
    """load(load(x)) == load(x), and shuffling the rows does not change the result."""
    n = len(values)
    rng = np.random.default_rng(seed)
    raw = pd.DataFrame({
        "study": rng.choice(["a", "b"], n),
        "number": rng.permutation(n),
        "state": rng.choice(["COMPLETE", "pruned", "Fail"], n),
        "value": values,
        "params_k": rng.integers(0, 4, n),
        "params_opt": rng.choice(["adam", "sgd"], n),
    })
    once = hi.load(raw)
    pd.testing.assert_frame_equal(hi.load(once), once)
    shuffled = raw.sample(frac=1, random_state=seed)
    expected = once.copy()
    # studies come out in order of appearance: reorder the expectation the same way
    order = list(dict.fromkeys(shuffled["study"]))
    expected = pd.concat([expected[expected["study"] == s] for s in order], ignore_index=True)
    pd.testing.assert_frame_equal(hi.load(shuffled), expected)
    assert set(once["state"]) <= {"COMPLETE", "PRUNED", "FAIL"}


def test_tensorboard_hparams_json(tmp_path):
    """TensorBoard's HParams JSON download ({header, rows}) is a plain table."""
    path = tmp_path / "hparams_table.json"
    path.write_text(json.dumps({
        "header": ["lr", "optimizer", "accuracy"],
        "rows": [[0.01, "adam", 0.9], [0.1, "sgd", 0.7], [0.001, "adam", 0.8]],
    }))
    out = hi.load(path, params=["lr", "optimizer"], direction="maximize")
    assert out["params_lr"].tolist() == [0.01, 0.1, 0.001]
    assert out["value"].tolist() == [0.9, 0.7, 0.8]
    assert set(out["state"]) == {"COMPLETE"}
    assert set(out["study"]) == {"hparams_table"}


def test_readers_extension_point(tmp_path, monkeypatch):
    """A reader inserted into READERS reads its sources; load is a loop over the list."""
    from hpo_insights.io import readers, sources
    from hpo_insights.io.canonical import finish

    path = tmp_path / "runs.mytool"
    path.write_text("0.5\n0.25\n")

    def read(source, request):
        values = [float(x) for x in Path(source).read_text().split()]
        frame = pd.DataFrame({"study": "mytool", "number": range(len(values)),
                              "state": "complete", "value": values, "params_x": [1, 2]})
        return finish(frame, request.studies, request.direction, request.metric_name,
                      request.label)

    with pytest.raises(hi.TrialsError, match="unknown file type '.mytool'"):
        hi.load(path)
    mine = readers.Reader("a mytool file", lambda s: str(s).endswith(".mytool"), read)
    monkeypatch.setattr(sources, "READERS", [mine, *sources.READERS])
    out = hi.load(path, direction="minimize")
    assert out["state"].tolist() == ["COMPLETE", "COMPLETE"]
    assert out["value"].tolist() == [0.5, 0.25]
    assert out["study_direction"].tolist() == ["minimize", "minimize"]


def test_table_readers_extension_point(monkeypatch):
    """A table shape inserted into TABLE_READERS renames DataFrames of that shape."""
    from hpo_insights.io import readers, tables

    table = pd.DataFrame({"cfg:lr": [0.1, 0.2], "score": [0.7, 0.8]})

    def read(t, request):
        return pd.DataFrame({"params_lr": t["cfg:lr"], "value": t["score"]})

    shape = readers.Reader("cfg: table", lambda t: any(c.startswith("cfg:") for c in t.columns),
                           read)
    monkeypatch.setattr(tables, "TABLE_READERS", [shape, *tables.TABLE_READERS])
    out = hi.load(table, studies="mine")
    assert out[["study", "number", "state", "params_lr", "value"]].values.tolist() == [
        ["mine", 0, "COMPLETE", 0.1, 0.7], ["mine", 1, "COMPLETE", 0.2, 0.8]]
