"""Speed of ``hi.load`` on an Optuna storage against a bare SQL read and against Optuna.

Creates (in a temporary folder) a SQLite storage of one study of N trials written
by Optuna itself (``study.add_trials`` of ``optuna.trial.create_trial`` in batches):
five parameters (log float, int, categorical, stepped float, conditional int), two
user attributes, an intermediate value per trial and COMPLETE/PRUNED/FAIL states. Then
times, in the same run:

(a) "sql": a plain read of the same tables with ``pandas.read_sql`` over ``sqlite3``
    (trials, trial_values, trial_params pivoted to one column per parameter,
    trial_user_attributes pivoted, trial_system_attributes) - the least any loader
    must do, without decoding categoricals, JSON or distributions;
(b) ``hi.load(path)``;
(c) ``optuna.load_study(...).trials_dataframe()``.

Prints the median of a few repeats and the ratios (b)/(a) and (c)/(b).
With ``--postgres URL`` (or ``HPO_BENCH_POSTGRES_URL``) the same study is also written
to that PostgreSQL database (it must be empty) and timed the same way; ``--postgres
auto`` starts a throwaway server as ``tests/test_postgres.py`` does. Without either that
part is skipped with a message.

Run: ``python bench/load.py [--trials 20000] [--repeats 5] [--postgres URL|auto]
[--postgres-trials N] [--skip-sqlite]``.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import hpo_insights as hi


def write_study(url: str, n: int, seed: int = 0, batch: int = 2000) -> None:
    """One study of *n* trials, written by Optuna in batches of *batch*."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if url.startswith("sqlite"):
        # Writing speed only: no fsync per committed trial (the file is a throwaway).
        import sqlalchemy

        def no_sync(dbapi_connection, _record) -> None:
            dbapi_connection.execute("PRAGMA synchronous=OFF")

        sqlalchemy.event.listen(sqlalchemy.engine.Engine, "connect", no_sync)
        try:
            return _write_study(url, n, seed, batch)
        finally:
            sqlalchemy.event.remove(sqlalchemy.engine.Engine, "connect", no_sync)
    return _write_study(url, n, seed, batch)


def _write_study(url: str, n: int, seed: int, batch: int) -> None:
    import optuna
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )
    from optuna.trial import TrialState, create_trial

    rng = np.random.default_rng(seed)
    dists = {
        "lr": FloatDistribution(1e-5, 1e-1, log=True),
        "layers": IntDistribution(1, 12),
        "optimizer": CategoricalDistribution(["adam", "adamw", "sgd", None]),
        "dropout": FloatDistribution(0.0, 0.5, step=0.05),
        "heads": IntDistribution(1, 16, log=True),
    }
    study = optuna.create_study(study_name="bench", storage=url, direction="minimize")
    study.set_user_attr("budget", "2M")
    start = pd.Timestamp("2026-01-01").to_pydatetime()
    states = rng.choice([0, 1, 2], n, p=[0.85, 0.1, 0.05])
    for lo in range(0, n, batch):
        trials = []
        for k in range(lo, min(n, lo + batch)):
            params = {
                "lr": float(10 ** rng.uniform(-5, -1)),
                "layers": int(rng.integers(1, 13)),
                "optimizer": ["adam", "adamw", "sgd", None][int(rng.integers(0, 4))],
                "dropout": float(rng.integers(0, 11) * 0.05),
            }
            if params["layers"] > 6:  # conditional parameter
                params["heads"] = int(rng.integers(1, 17))
            state = [TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL][states[k]]
            trials.append(create_trial(
                state=state,
                value=float(rng.normal()) if state == TrialState.COMPLETE else None,
                params=params,
                distributions={p: dists[p] for p in params},
                user_attrs={"recall": float(rng.uniform()), "worker": f"w{k % 4}"},
                intermediate_values={0: float(rng.normal())},
            ))
            trials[-1].datetime_start = start
        study.add_trials(trials)


def plain_sql(path: Path) -> pd.DataFrame:
    """(a) The tables read with pandas over sqlite3, params and attributes pivoted."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        trials = pd.read_sql("SELECT trial_id, number, study_id, state, datetime_start, "
                             "datetime_complete FROM trials", con)
        values = pd.read_sql("SELECT trial_id, objective, value FROM trial_values", con)
        params = pd.read_sql("SELECT trial_id, param_name, param_value FROM trial_params", con)
        user = pd.read_sql("SELECT trial_id, key, value_json FROM trial_user_attributes", con)
        system = pd.read_sql("SELECT trial_id, key, value_json FROM trial_system_attributes",
                             con)
    finally:
        con.close()
    frame = trials.set_index("trial_id")
    frame["value"] = values[values["objective"] == 0].set_index("trial_id")["value"]
    wide = params.pivot(index="trial_id", columns="param_name", values="param_value")
    attrs = user.pivot(index="trial_id", columns="key", values="value_json")
    sys_attrs = system.pivot(index="trial_id", columns="key", values="value_json") \
        if len(system) else pd.DataFrame(index=frame.index)
    return frame.join(wide.add_prefix("params_")).join(attrs.add_prefix("user_attrs_")) \
        .join(sys_attrs.add_prefix("system_attrs_")).reset_index()


def via_optuna(url: str) -> pd.DataFrame:
    """(c) Optuna's own path."""
    import optuna

    return optuna.load_study(study_name="bench", storage=url).trials_dataframe()


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


@contextlib.contextmanager
def throwaway_postgres():
    """A PostgreSQL server on a free loopback port in a temporary folder (Debian's binaries
    under /usr/lib/postgresql/*/bin, as tests/test_postgres.py starts one); yields an empty
    database URL, or None with the reason printed when no server can be started."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        print("PostgreSQL: no server binaries under /usr/lib/postgresql/*/bin")
        yield None
        return
    bindir = Path(found[-1]).parent
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as 'postgres'
        prefix = ["runuser", "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="hpo-pg-bench-"))
    if prefix:
        shutil.chown(root, user="postgres")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    data = root / "data"
    started = False
    try:
        subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-A", "trust",
                        "-U", "postgres", "--no-sync", "-E", "UTF8"], check=True,
                       capture_output=True)
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l",
                        str(root / "log"), "-w", "-t", "30", "-o",
                        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off",
                        "start"], check=True, capture_output=True)
        started = True
        subprocess.run([*prefix, str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port),
                        "-U", "postgres", "bench"], check=True, capture_output=True)
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/bench"
    except (OSError, subprocess.CalledProcessError) as err:
        print(f"PostgreSQL: could not start a throwaway server ({err})")
        yield None
    finally:
        if started:
            subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                            "-w", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def plain_sql_server(url: str) -> pd.DataFrame:
    """(a) for a server: the same tables with pandas.read_sql over SQLAlchemy, pivoted."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as con:
            trials = pd.read_sql("SELECT trial_id, number, study_id, state, datetime_start, "
                                 "datetime_complete FROM trials", con)
            values = pd.read_sql("SELECT trial_id, objective, value FROM trial_values", con)
            params = pd.read_sql("SELECT trial_id, param_name, param_value FROM trial_params",
                                 con)
            user = pd.read_sql("SELECT trial_id, key, value_json FROM trial_user_attributes",
                               con)
    finally:
        engine.dispose()
    frame = trials.set_index("trial_id")
    frame["value"] = values[values["objective"] == 0].set_index("trial_id")["value"]
    wide = params.pivot(index="trial_id", columns="param_name", values="param_value")
    attrs = user.pivot(index="trial_id", columns="key", values="value_json")
    return frame.join(wide.add_prefix("params_")).join(attrs.add_prefix("user_attrs_"))


def time_postgres(url: str, n: int, repeats: int) -> None:
    t0 = time.perf_counter()
    write_study(url, n)
    print(f"PostgreSQL storage: {n} trials written by Optuna in {time.perf_counter() - t0:.1f} s")
    assert len(hi.load(url)) == len(plain_sql_server(url)) == n
    t_sql = median_time(lambda: plain_sql_server(url), repeats)
    t_hi = median_time(lambda: hi.load(url), repeats)
    t_optuna = median_time(lambda: via_optuna(url), max(1, repeats // 2))
    print(f"(a) plain SQL read + pivot      {t_sql:7.3f} s")
    print(f"(b) hi.load                     {t_hi:7.3f} s")
    print(f"(c) optuna trials_dataframe()   {t_optuna:7.3f} s")
    print(f"hi.load / plain SQL  = {t_hi / t_sql:5.2f}x  (target <= 3)")
    print(f"optuna / hi.load     = {t_optuna / t_hi:5.1f}x  (target >= 10)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--postgres", default=os.environ.get("HPO_BENCH_POSTGRES_URL"),
                        help="an empty PostgreSQL database URL to time as well, or 'auto' "
                             "to start a throwaway server")
    parser.add_argument("--postgres-trials", type=int, default=None,
                        help="trials for the PostgreSQL part (default: --trials)")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    import optuna  # noqa: F401  (imported once, outside the timings)

    if not args.skip_sqlite:
        time_sqlite(args.trials, args.repeats)
    n_pg = args.postgres_trials or args.trials
    if not args.postgres:
        print("PostgreSQL: skipped (pass --postgres URL, or --postgres auto to start a "
              "throwaway server, or set HPO_BENCH_POSTGRES_URL to an empty database)")
    elif args.postgres == "auto":
        with throwaway_postgres() as url:
            if url is not None:
                time_postgres(url, n_pg, args.repeats)
    else:
        time_postgres(args.postgres, n_pg, args.repeats)


def time_sqlite(n: int, repeats: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        url = f"sqlite:///{path}"
        t0 = time.perf_counter()
        write_study(url, n)
        print(f"SQLite storage: {n} trials written by Optuna in "
              f"{time.perf_counter() - t0:.1f} s ({path.stat().st_size / 1e6:.1f} MB)")
        ours = hi.load(path)
        assert len(ours) == len(plain_sql(path)) == n
        t_sql = median_time(lambda: plain_sql(path), repeats)
        t_hi = median_time(lambda: hi.load(path), repeats)
        t_optuna = median_time(lambda: via_optuna(url), max(1, repeats // 2))
    print(f"(a) plain SQL read + pivot      {t_sql:7.3f} s")
    print(f"(b) hi.load                     {t_hi:7.3f} s")
    print(f"(c) optuna trials_dataframe()   {t_optuna:7.3f} s")
    print(f"hi.load / plain SQL  = {t_hi / t_sql:5.2f}x  (target <= 3)")
    print(f"optuna / hi.load     = {t_optuna / t_hi:5.1f}x  (target >= 10)")


if __name__ == "__main__":
    main()
