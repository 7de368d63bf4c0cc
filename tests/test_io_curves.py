"""hi.load_curves: intermediate values from storages (SQL), journals and studies in memory."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hpo_insights as hi
from hpo_insights.io import curves as C

optuna = pytest.importorskip("optuna")
optuna.logging.set_verbosity(optuna.logging.WARNING)

SPECIAL = [math.nan, math.inf, -math.inf]


def _objective(trial) -> float:
    x = trial.suggest_float("x", 0, 1)
    steps = trial.number % 4  # trial 0 reports nothing
    for step in range(steps):
        value = SPECIAL[trial.number % 3] if step == 1 else x / (step + 1)
        trial.report(value, step * 10)
    if trial.number % 5 == 3:
        raise optuna.TrialPruned()
    return x


def _write(storage) -> None:
    for k, name in enumerate(["b_first", "a_second"]):
        study = optuna.create_study(study_name=name, storage=storage,
                                    sampler=optuna.samplers.RandomSampler(seed=k))
        study.optimize(_objective, n_trials=7 + k)
    optuna.create_study(study_name="empty", storage=storage)


def _by_hand(studies) -> pd.DataFrame:
    """The expected rows, from Optuna's FrozenTrial.intermediate_values."""
    rows = []
    for study in studies:
        for t in sorted(study.trials, key=lambda t: t.number):
            for step in sorted(t.intermediate_values):
                rows.append((study.study_name, t.number, t.state.name, step,
                             t.intermediate_values[step]))
    return pd.DataFrame(rows, columns=["study", "number", "state", "step", "value"])


def _same(ours: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(ours.columns) == ["study", "number", "state", "step", "value"]
    assert [str(t) for t in ours.dtypes] == ["str", "int64", "str", "int64", "float64"]
    assert isinstance(ours.index, pd.RangeIndex)
    assert ours[["study", "number", "state", "step"]].values.tolist() == \
        expected[["study", "number", "state", "step"]].values.tolist()
    np.testing.assert_array_equal(ours["value"].to_numpy(), expected["value"].to_numpy(float))


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("curves") / "curves.db"
    _write(f"sqlite:///{path}")
    return path


def _loaded(url: str, names) -> list:
    return [optuna.load_study(study_name=n, storage=url) for n in names]


def test_curves_from_storage(db):
    """SQL read equals the intermediate values Optuna reports, NaN and +-inf included."""
    url = f"sqlite:///{db}"
    out = hi.load_curves(url)
    _same(out, _by_hand(_loaded(url, ["b_first", "a_second"])))
    assert out["value"].isna().any() and np.isposinf(out["value"]).any()
    assert np.isneginf(out["value"]).any()
    assert set(out["state"]) == {"COMPLETE", "PRUNED"}
    assert 0 not in set(out.loc[out["study"] == "b_first", "number"])  # reported nothing


def test_curves_select_studies_in_order(db):
    url = f"sqlite:///{db}"
    out = hi.load_curves(db, studies=["a_second", "b_first"])
    _same(out, _by_hand(_loaded(url, ["a_second", "b_first"])))
    assert len(hi.load_curves(db, studies="empty")) == 0
    with pytest.raises(hi.TrialsError, match="'nope'.*'b_first', 'a_second', 'empty'"):
        hi.load_curves(db, studies="nope")


def test_curves_storage_is_read_only(db):
    before = (db.read_bytes(), os.stat(db).st_mtime_ns, sorted(os.listdir(db.parent)))
    hi.load_curves(db)
    assert (db.read_bytes(), os.stat(db).st_mtime_ns, sorted(os.listdir(db.parent))) == before


def test_curves_from_journal_and_memory(tmp_path):
    journal = pytest.importorskip("optuna.storages.journal")
    path = tmp_path / "journal.log"
    storage = journal.JournalStorage(journal.JournalFileBackend(str(path)))
    _write(storage)
    studies = _loaded(storage, ["b_first", "a_second"])
    _same(hi.load_curves(path), _by_hand(studies))
    _same(hi.load_curves(studies), _by_hand(studies))
    _same(hi.load_curves(studies[1]), _by_hand(studies[1:]))
    assert os.listdir(tmp_path) == ["journal.log"]


def test_curves_unknown_sources(tmp_path):
    with pytest.raises(hi.TrialsError, match="No such file"):
        hi.load_curves(tmp_path / "missing.log")
    with pytest.raises(hi.TrialsError, match="cannot read int.*Optuna storage"):
        hi.load_curves(3)
    (tmp_path / "t.csv").write_text("a,b\n1,2\n")
    with pytest.raises(hi.TrialsError, match="supported sources are"):
        hi.load_curves(tmp_path / "t.csv")


def test_curve_readers_extension_point(tmp_path, monkeypatch):
    """A reader appended to CURVE_READERS is used; load_curves fixes dtypes and order."""
    path = tmp_path / "progress.csv"
    pd.DataFrame({"trial": [1, 0, 0], "it": [0, 1, 0], "loss": [0.5, 0.25, 1.0]}).to_csv(
        path, index=False)

    def read(source, request):
        table = pd.read_csv(source)
        return pd.DataFrame({"study": "progress", "number": table["trial"], "state": "complete",
                             "step": table["it"], "value": table["loss"]})

    monkeypatch.setattr(C, "CURVE_READERS", [
        *C.CURVE_READERS,
        C.CurveReader("progress.csv", lambda s: str(s).endswith("progress.csv"), read)])
    out = hi.load_curves(path)
    assert out[["number", "step"]].values.tolist() == [[0, 0], [0, 1], [1, 0]]
    assert out["value"].tolist() == [1.0, 0.25, 0.5]
    assert set(out["state"]) == {"COMPLETE"}
