"""Optuna journal files: every study read, read-only, equal to what Optuna reports."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hpo_insights as hi

optuna = pytest.importorskip("optuna")
optuna.logging.set_verbosity(optuna.logging.WARNING)
journal = pytest.importorskip("optuna.storages.journal")


def _objective(trial) -> float:
    x = trial.suggest_float("x", 1e-3, 1.0, log=True)
    kind = trial.suggest_categorical("kind", ["a", None, 3])
    if kind == "a":
        trial.suggest_int("depth", 1, 5)  # conditional
    trial.set_user_attr("shape", {"rows": trial.number})
    for step in range(3):
        trial.report(x / (step + 1), step)
    if trial.number % 4 == 3:
        raise optuna.TrialPruned()
    if trial.number % 5 == 4:
        raise RuntimeError("diverged")
    return x


def _write(path: Path, backend=None) -> None:
    storage = journal.JournalStorage(backend or journal.JournalFileBackend(str(path)))
    first = optuna.create_study(study_name="first", storage=storage, direction="maximize",
                                sampler=optuna.samplers.RandomSampler(seed=0))
    first.set_user_attr("budget", "2M")
    first.enqueue_trial({"x": 0.5, "kind": None})
    first.optimize(_objective, n_trials=9, catch=(RuntimeError,))
    second = optuna.create_study(study_name="second", storage=storage,
                                 directions=["minimize", "maximize"],
                                 sampler=optuna.samplers.RandomSampler(seed=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        second.set_metric_names(["loss", "acc"])
    second.optimize(lambda t: (t.suggest_float("y", 0, 1), t.suggest_int("k", 1, 3)),
                    n_trials=4)


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("journal") / "journal.log"
    _write(path)
    return path


@pytest.fixture
def log(written, tmp_path) -> Path:
    """A private copy, alone in its folder."""
    path = tmp_path / "journal.log"
    path.write_bytes(written.read_bytes())
    return path


def _optuna_frame(path: Path, name: str) -> pd.DataFrame:
    storage = journal.JournalStorage(journal.JournalFileBackend(str(path)))
    return optuna.load_study(study_name=name, storage=storage).trials_dataframe()


def test_journal_matches_optuna_trials_dataframe(log):
    """Every study, with the numbers, states, values and params Optuna replays."""
    trials = hi.load(log)
    assert list(dict.fromkeys(trials["study"])) == ["first", "second"]
    for name in ("first", "second"):
        theirs = _optuna_frame(log, name)
        ours = trials[trials["study"] == name].reset_index(drop=True)
        assert ours["number"].tolist() == theirs["number"].tolist()
        assert ours["state"].tolist() == theirs["state"].tolist()
        for col in [c for c in theirs.columns if c.startswith(("params_", "value"))]:
            left, right = ours[col].tolist(), theirs[col].tolist()
            assert len(left) == len(right)
            for a, b in zip(left, right, strict=True):
                assert a == b or (pd.isna(a) and pd.isna(b)), (name, col, a, b)
        np.testing.assert_array_equal(ours["datetime_start"].to_numpy(),
                                      theirs["datetime_start"].to_numpy("datetime64[us]"))
    first = trials[trials["study"] == "first"]
    assert set(first["study_user_attrs_budget"]) == {"2M"}
    assert first["user_attrs_shape"].iloc[2] == '{"rows": 2}'
    assert first["system_attrs_fixed_params"].iloc[0] == '{"x": 0.5, "kind": null}'
    second = trials[trials["study"] == "second"]
    assert set(second["study_direction"]) == {"minimize,maximize"}
    assert {"values_loss", "values_acc"} <= set(second.columns)


def test_journal_equals_from_optuna(log):
    """load(journal) is the same frame from_optuna gives for the studies Optuna replays."""
    storage = journal.JournalStorage(journal.JournalFileBackend(str(log)))
    studies = [optuna.load_study(study_name=n, storage=storage) for n in ("first", "second")]
    pd.testing.assert_frame_equal(hi.load(log), hi.from_optuna(studies))
    pd.testing.assert_frame_equal(hi.load(log, studies="second"), hi.from_optuna(studies[1]))


def test_journal_is_read_only(log):
    """No lock file or anything else appears; bytes and mtime unchanged."""
    folder = log.parent
    before = (sorted(os.listdir(folder)), log.read_bytes(), os.stat(log).st_mtime_ns)
    hi.load(log)
    hi.load(str(log), studies=["second"])
    hi.load_curves(log)
    after = (sorted(os.listdir(folder)), log.read_bytes(), os.stat(log).st_mtime_ns)
    assert after == before


def test_journal_with_open_lock_and_other_suffix(log, tmp_path):
    """JournalFileOpenLock journals and a .jsonl name read the same."""
    other = tmp_path / "other"
    other.mkdir()
    path = other / "journal.jsonl"
    backend = journal.JournalFileBackend(str(path), lock_obj=journal.JournalFileOpenLock(
        str(path)))
    _write(path, backend)
    ours, reference = hi.load(path), hi.load(log)
    cols = ["study", "number", "state", "params_kind", "user_attrs_shape"]
    pd.testing.assert_frame_equal(ours[cols], reference[cols])


def test_journal_torn_last_line_is_skipped(log, tmp_path):
    """A write in progress (no newline yet) is left out, as Optuna's reader does."""
    torn = tmp_path / "torn.log"
    torn.write_bytes(log.read_bytes() + b'{"op_code": 4, "worker_id": "w", "study_id"')
    pd.testing.assert_frame_equal(hi.load(torn), hi.load(log))


def test_journal_corrupt_line_is_an_error(log, tmp_path):
    """A broken line in the middle is an error naming the file and the line."""
    lines = log.read_bytes().split(b"\n")
    lines[3] = b"not json"
    bad = tmp_path / "bad.log"
    bad.write_bytes(b"\n".join(lines))
    with pytest.raises(hi.TrialsError, match=r"bad\.log.*line 4 is not JSON"):
        hi.load(bad)


def test_journal_unknown_study(log):
    with pytest.raises(hi.TrialsError, match="'nope'.*'first', 'second'"):
        hi.load(log, studies="nope")


def test_journal_written_by_the_older_journal_file_storage(log, tmp_path):
    """optuna.storages.JournalFileStorage (the pre-4.0 name) writes the same format."""
    legacy = getattr(optuna.storages, "JournalFileStorage", None)
    if legacy is None:
        pytest.skip("this Optuna has no JournalFileStorage")
    folder = tmp_path / "legacy"
    folder.mkdir()
    path = folder / "journal.log"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated since Optuna 4.0
        backend = legacy(str(path))
    _write(path, backend)
    ours, reference = hi.load(path), hi.load(log)
    cols = ["study", "number", "state", "params_kind", "user_attrs_shape"]
    pd.testing.assert_frame_equal(ours[cols], reference[cols])
    assert os.listdir(folder) == ["journal.log"]
