"""Distributed studies: PostgreSQL written by two workers at once, SQLite read while written.

The PostgreSQL tests start a throwaway server (Debian's binaries, found under
``/usr/lib/postgresql/*/bin``) on a free loopback port in a temporary folder and
stop it afterwards. Without the binaries they are skipped, except when ``CI=true``:
then they fail, so CI cannot pass without exercising them.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hpo_insights as hi

optuna = pytest.importorskip("optuna")
optuna.logging.set_verbosity(optuna.logging.WARNING)

ROOT = Path(__file__).resolve().parents[1]

# The objective every worker runs: COMPLETE, PRUNED and FAIL trials, several param kinds.
OBJECTIVE = textwrap.dedent(
    """
    import time
    import optuna

    def objective(trial):
        x = trial.suggest_float("x", 1e-4, 1.0, log=True)
        k = trial.suggest_int("k", 1, 5)
        kind = trial.suggest_categorical("kind", ["a", "b"])
        trial.set_user_attr("worker", WORKER)
        time.sleep(SLEEP)
        if trial.number % 5 == 4:
            trial.report(99.0, step=1)
            raise optuna.TrialPruned()
        if trial.number % 7 == 5:
            raise RuntimeError("diverged")
        return x * k + (kind == "a")
    """
)


def _worker_script(url: str, study: str, n_trials: int, worker: str, sleep: float) -> str:
    return (
        f"WORKER = {worker!r}\nSLEEP = {sleep!r}\n"
        + OBJECTIVE
        + textwrap.dedent(
            f"""
            optuna.logging.set_verbosity(optuna.logging.WARNING)
            study = optuna.load_study(study_name={study!r}, storage={url!r})
            study.optimize(objective, n_trials={n_trials}, catch=(RuntimeError,))
            """
        )
    )


def _start_worker(url: str, study: str, n_trials: int, worker: str, sleep: float = 0.0):
    return subprocess.Popen(
        [sys.executable, "-c", _worker_script(url, study, n_trials, worker, sleep)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _wait(proc: subprocess.Popen, timeout: float = 120) -> None:
    _, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err


def _assert_matches_optuna(trials: pd.DataFrame, url: str, study: str) -> None:
    """The loaded rows equal what Optuna itself reports for the study."""
    theirs = optuna.load_study(study_name=study, storage=url).trials
    ours = trials[trials["study"] == study]
    assert len(ours) == len(theirs)
    assert ours["number"].tolist() == [t.number for t in theirs]
    assert ours["state"].tolist() == [t.state.name for t in theirs]
    np.testing.assert_array_equal(
        ours["value"].to_numpy(), [np.nan if t.value is None else t.value for t in theirs]
    )
    assert ours["params_k"].tolist() == [t.params["k"] for t in theirs]
    assert ours["user_attrs_worker"].tolist() == [t.user_attrs["worker"] for t in theirs]


# --- a throwaway PostgreSQL server ---------------------------------------------------------------
def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but the PostgreSQL test cannot run: {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL server on loopback; yields a function making a fresh database URL."""
    bindir = _pg_bin()
    if bindir is None:
        _unavailable("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin")
    try:
        import psycopg2
    except ImportError:
        _unavailable("psycopg2 is not installed (pip install psycopg2-binary)")
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: run the server as 'postgres'
        runuser = shutil.which("runuser")
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            runuser = None
        if runuser is None:
            _unavailable("running as root without runuser or a 'postgres' user")
        prefix = [runuser, "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="hpo-pg-"))
    data = root / "data"
    if prefix:
        shutil.chown(root, user="postgres")
    port = _free_port()

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, text=True)

    started = False
    try:
        run(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
            "--no-sync", "-E", "UTF8")
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-t", "30",
            "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        started = True
        admin = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
        admin.autocommit = True
        counter = iter(range(1000))

        def new_database() -> str:
            name = f"hpo_{next(counter)}"
            with admin.cursor() as cur:
                cur.execute(f"CREATE DATABASE {name}")
            return f"postgresql+psycopg2://postgres@127.0.0.1:{port}/{name}"

        new_database.port = port  # type: ignore[attr-defined]
        yield new_database
        admin.close()
    finally:
        if started:
            subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                            "-w", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def test_postgres_two_workers(postgres):
    """Two processes optimize one study at once; load reads every trial as Optuna reports it."""
    url = postgres()
    optuna.create_study(study_name="dist", storage=url, direction="minimize")
    workers = [_start_worker(url, "dist", 10, f"w{i}") for i in range(2)]
    for proc in workers:
        _wait(proc)
    trials = hi.load(url.replace("+psycopg2", ""))  # the plain URL form users write
    assert set(trials["study"]) == {"dist"}
    assert len(trials) == 20
    assert trials["number"].tolist() == list(range(20))
    assert set(trials["user_attrs_worker"]) == {"w0", "w1"}
    assert {"COMPLETE", "PRUNED", "FAIL"} <= set(trials["state"])
    assert set(trials["study_direction"]) == {"minimize"}
    _assert_matches_optuna(trials, url, "dist")
    assert hi.validate(trials) is trials


def test_postgres_without_optuna_tables_stays_empty(postgres):
    """A database with no Optuna tables is an error, and load creates none."""
    import psycopg2

    url = postgres()
    with pytest.raises(hi.TrialsError, match=r"hpo_\d+.*no Optuna tables"):
        hi.load(url)
    with psycopg2.connect(url.replace("+psycopg2", "")) as con, con.cursor() as cur:
        cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema='public'")
        assert cur.fetchone()[0] == 0
    con.close()


def test_postgres_session_is_read_only(postgres):
    """Where Optuna would write (missing version stamp), the read-only session refuses."""
    import psycopg2

    url = postgres()
    optuna.create_study(study_name="s", storage=url)
    plain = url.replace("+psycopg2", "")
    with psycopg2.connect(plain) as con, con.cursor() as cur:
        cur.execute("DELETE FROM alembic_version")
    con.close()
    with pytest.raises(hi.TrialsError, match="read-only"):
        hi.load(plain)
    with psycopg2.connect(plain) as con, con.cursor() as cur:
        cur.execute("SELECT count(*) FROM alembic_version")
        assert cur.fetchone()[0] == 0
    con.close()


def test_postgres_missing_database_and_server(postgres):
    """A nonexistent database or an unreachable server is an error naming the source."""
    port = postgres.port
    with pytest.raises(hi.TrialsError, match="nowhere"):
        hi.load(f"postgresql://postgres@127.0.0.1:{port}/nowhere")
    with pytest.raises(hi.TrialsError, match="could not be read"):
        hi.load(f"postgresql://postgres@127.0.0.1:{_free_port()}/nothing")


def test_postgres_password_not_in_message(postgres):
    """Error messages mask the password of the URL."""
    with pytest.raises(hi.TrialsError) as info:
        hi.load(f"postgresql://postgres:s3cret@127.0.0.1:{postgres.port}/nowhere")
    assert "s3cret" not in str(info.value)


# --- SQLite read while a worker writes -----------------------------------------------------------
def test_sqlite_read_while_writing(tmp_path):
    """Loads during a run are consistent snapshots; the final load has every trial."""
    db = tmp_path / "live.db"
    url = f"sqlite:///{db}"
    optuna.create_study(study_name="live", storage=url, direction="minimize")
    n_total = 30
    writer = _start_worker(url, "live", n_total, "w", sleep=0.05)
    sizes = []
    try:
        while writer.poll() is None:
            trials = hi.load(db)
            n = len(trials)
            sizes.append(n)
            assert trials["number"].tolist() == list(range(n))
            assert trials["state"].isin(["COMPLETE", "PRUNED", "FAIL", "RUNNING"]).all()
            done = trials[trials["state"] == "COMPLETE"]
            assert np.isfinite(done["value"]).all()
            time.sleep(0.05)
    finally:
        _wait(writer)
    assert sizes == sorted(sizes), "a later load saw fewer trials"
    assert any(0 < n < n_total for n in sizes), f"no load overlapped the run: {sizes}"
    final = hi.load(url)
    assert len(final) == n_total
    _assert_matches_optuna(final, url, "live")
    assert sorted(os.listdir(tmp_path)) == ["live.db"]


def test_postgres_statement_timeout(postgres):
    """A query blocked by another session's lock gives up after timeout= with a TrialsError."""
    import psycopg2

    url = postgres()
    optuna.create_study(study_name="s", storage=url).optimize(
        lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    blocker = psycopg2.connect(url.replace("+psycopg2", ""))
    try:
        with blocker.cursor() as cur:
            cur.execute("LOCK TABLE trials IN ACCESS EXCLUSIVE MODE")  # held until rollback
        start = time.monotonic()
        with pytest.raises(hi.TrialsError, match=r"ran longer than timeout=1 s"):
            hi.load(url, timeout=1)
        assert time.monotonic() - start < 8
    finally:
        blocker.rollback()
        blocker.close()
    assert len(hi.load(url, timeout=1)) == 2


def test_postgres_reads_one_snapshot(postgres):
    """Every table comes from one REPEATABLE READ snapshot (commits in between are unseen)."""
    import sqlalchemy

    url = postgres()
    optuna.create_study(study_name="s", storage=url).optimize(
        lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    levels: list[str] = []

    def record(conn, cursor, statement, *args):
        if "FROM trial_params" in statement:
            cursor.execute("SHOW transaction_isolation")
            levels.append(cursor.fetchone()[0])

    sqlalchemy.event.listen(sqlalchemy.engine.Engine, "before_cursor_execute", record)
    try:
        trials = hi.load(url)
    finally:
        sqlalchemy.event.remove(sqlalchemy.engine.Engine, "before_cursor_execute", record)
    assert levels == ["repeatable read"]
    theirs = optuna.load_study(study_name="s", storage=url).trials
    assert trials["params_x"].tolist() == [t.params["x"] for t in theirs]


def test_sqlite_wal_read_while_writing(tmp_path):
    """A WAL-mode storage read during a run: consistent snapshots, nothing of ours left over."""
    db = tmp_path / "live.db"
    url = f"sqlite:///{db}"
    optuna.create_study(study_name="live", storage=url, direction="minimize")
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
    con.close()
    n_total = 30
    writer = _start_worker(url, "live", n_total, "w", sleep=0.05)
    sizes = []
    try:
        while writer.poll() is None:
            trials = hi.load(db)
            n = len(trials)
            sizes.append(n)
            assert trials["number"].tolist() == list(range(n))
            done = trials[trials["state"] == "COMPLETE"]
            assert np.isfinite(done["value"]).all()
            time.sleep(0.05)
    finally:
        _wait(writer)
    assert sizes == sorted(sizes), "a later load saw fewer trials"
    assert any(0 < n < n_total for n in sizes), f"no load overlapped the run: {sizes}"
    final = hi.load(url)
    assert len(final) == n_total
    _assert_matches_optuna(final, url, "live")
    # the writer's own -wal/-shm may remain only if a read of ours outlived it
    assert set(os.listdir(tmp_path)) <= {"live.db", "live.db-wal", "live.db-shm"}
