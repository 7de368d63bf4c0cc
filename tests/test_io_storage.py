"""Storage hardening: truly read-only SQLite, bounded waits, timeouts, masked credentials."""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

import hpo_insights as hi
from hpo_insights.io.optuna import mask_url

optuna = pytest.importorskip("optuna")
optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("stored") / "studies.db"
    study = optuna.create_study(study_name="s", storage=f"sqlite:///{path}",
                                sampler=optuna.samplers.RandomSampler(seed=0))

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        trial.report(x, 0)
        return x

    study.optimize(objective, n_trials=5)
    return path


def _copy(stored: Path, folder: Path, name: str = "studies.db") -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(stored.read_bytes())
    return path


def _snapshot(path: Path) -> tuple:
    return sorted(os.listdir(path.parent)), path.read_bytes(), os.stat(path).st_mtime_ns


# --- SQLite -----------------------------------------------------------------------------------
def test_wal_storage_leaves_no_file(stored, tmp_path):
    """A WAL-mode storage (Optuna's, then PRAGMA journal_mode=WAL) loads with no -wal/-shm."""
    path = _copy(stored, tmp_path / "wal")
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
    con.close()
    assert os.listdir(path.parent) == ["studies.db"]
    before = _snapshot(path)
    trials = hi.load(path)
    curves = hi.load_curves(f"sqlite:///{path}")
    assert _snapshot(path) == before
    reference = hi.load(_copy(stored, tmp_path / "plain"))
    pd.testing.assert_frame_equal(trials, reference)
    assert len(curves) == 5


def test_wal_storage_with_live_writer_reads_its_commits(stored, tmp_path):
    """While a writer holds the WAL open, its commits (only in -wal so far) are read."""
    path = _copy(stored, tmp_path / "live")
    writer = sqlite3.connect(path)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")  # keep the new commit in the -wal file
    writer.execute("UPDATE studies SET study_name = 'renamed'")
    writer.commit()
    try:
        assert Path(f"{path}-wal").stat().st_size > 0
        assert set(hi.load(path)["study"]) == {"renamed"}
    finally:
        writer.close()


def test_locked_sqlite_waits_at_most_timeout(stored, tmp_path):
    """A writer's exclusive lock makes load give up after timeout=, naming the lock."""
    path = _copy(stored, tmp_path / "locked")
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")
    try:
        start = time.monotonic()
        with pytest.raises(hi.TrialsError, match=r"studies\.db.*lock.*timeout=1 s"):
            hi.load(path, timeout=1)
        assert time.monotonic() - start < 5
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert len(hi.load(path, timeout=1)) == 5


def test_lock_released_within_timeout_is_waited_for(stored, tmp_path):
    """A lock held briefly is waited out: the load succeeds."""
    path = _copy(stored, tmp_path / "brief")
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(0.5, lambda: writer.execute("ROLLBACK"))
    release.start()
    try:
        assert len(hi.load(path, timeout=5)) == 5
    finally:
        release.join()
        writer.close()


@pytest.mark.parametrize("bad", [0, -1, float("nan"), "10", True])
def test_timeout_must_be_positive_seconds(stored, bad):
    with pytest.raises(hi.TrialsError, match="timeout must be a positive number"):
        hi.load(stored, timeout=bad)


# --- servers ----------------------------------------------------------------------------------
@pytest.fixture
def silent_server():
    """A TCP port that accepts connections and never answers."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def test_silent_postgres_server_times_out(silent_server):
    pytest.importorskip("psycopg2")
    start = time.monotonic()
    with pytest.raises(hi.TrialsError, match=r"did not answer within timeout=1 s"):
        hi.load(f"postgresql://u@127.0.0.1:{silent_server}/db", timeout=1)
    assert time.monotonic() - start < 8


@pytest.mark.parametrize("url, secret", [
    ("postgresql://u:s3cr3t-pw@127.0.0.1:{port}/db", "s3cr3t-pw"),
    ("postgresql://u@127.0.0.1:{port}/db?password=s3cr3t-pw&sslmode=disable", "s3cr3t-pw"),
    ("postgresql://u:p@ss@w0rd@127.0.0.1:{port}/db", "ss@w0rd"),
])
def test_password_never_in_messages(silent_server, url, secret):
    pytest.importorskip("psycopg2")
    with pytest.raises(hi.TrialsError) as info:
        hi.load(url.format(port=silent_server), timeout=1)
    assert secret not in str(info.value)
    assert "***" in str(info.value)
    with pytest.raises(hi.TrialsError) as info:
        hi.load_curves(url.format(port=silent_server), timeout=1)
    assert secret not in str(info.value)


def test_password_masked_for_unsupported_scheme():
    with pytest.raises(hi.TrialsError) as info:
        hi.load("redis://user:s3cr3t-pw@localhost:6379")
    assert "s3cr3t-pw" not in str(info.value)


@pytest.mark.parametrize("text, shown", [
    ("postgresql://u:pw@h:5432/db", "postgresql://u:***@h:5432/db"),
    ("postgresql://u:p@ss@w0rd@h/db", "postgresql://u:***@h/db"),
    ("postgresql://u:pa/ss@h/db", "postgresql://u:***@h/db"),
    ("mysql+pymysql://u@h/db?charset=utf8&password=pw", "mysql+pymysql://u@h/db?charset=utf8&password=***"),
    ("postgresql://u@h/db?PASSWORD=pw", "postgresql://u@h/db?PASSWORD=***"),
    ("postgresql://u@h/db", "postgresql://u@h/db"),
    ("sqlite:///a/b.db", "sqlite:///a/b.db"),
])
def test_mask_url(text, shown):
    assert mask_url(text) == shown


# --- arguments --------------------------------------------------------------------------------
def test_studies_argument(stored):
    with pytest.raises(hi.TrialsError, match=r"studies=\[\] selects no study"):
        hi.load(stored, studies=[])
    with pytest.raises(TypeError, match="studies must be a study name"):
        hi.load(stored, studies=123)
    with pytest.raises(TypeError, match="positional argument"):
        hi.load(stored, "s")  # studies= is keyword-only
    with pytest.raises(TypeError, match="studies must be a study name"):
        hi.load_curves(stored, studies=123)
    assert set(hi.load(stored, studies="s")["study"]) == {"s"}


@pytest.mark.parametrize("number", [2**63, 2**70, -(2**63) - 1, 1e19])
def test_trial_number_too_large_for_int64(number):
    """Never silently wrapped: an error naming the column."""
    frame = pd.DataFrame({"study": "a", "number": [number, 1], "state": "COMPLETE",
                          "value": [1.0, 2.0], "params_x": [1, 2]})
    with pytest.raises(hi.TrialsError, match="Column 'number' holds .* too large"):
        hi.load(frame)
