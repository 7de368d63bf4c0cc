"""Speed of the core analyses against a bare pandas groupby computing the same statistics.

One study of N trials x 8 parameters (integer grids, categoricals, log and
linear floats). The library side calls, each on its own as a user would:
``value_table`` for every parameter, ``variance_explained`` (all
parameters), ``classify_trend`` (all parameters) and three
``coverage_crosstab``. The pandas side filters COMPLETE finite trials once,
then per parameter a ``groupby`` (``qcut`` for the continuous floats) with
count/mean/std, eta squared and the endpoints trend from those, and three
``groupby().size()`` crosstabs ("pandas", one pass). A second baseline
("per-call") mirrors the library's calls one by one: each step filters and
groups again, as each library call must. Prints the median of a few repeats;
the ratios are library time over each baseline.

At the largest size it then times each call on its own (median wall-clock and
CPU seconds; ``validate`` too, which the library side does not call) and
measures the peak memory the library side allocates (``tracemalloc``, one
run) against the frame's own size (``memory_usage(deep=True)``). On a shared
machine, CPU seconds are the steadier figure.

Run: ``python bench/analyses.py [--sizes 10000 100000 1000000] [--repeats 3]``;
``--alternate 5 --sizes 1000000`` only alternates the library side and the
one-pass baseline five times (the same load on both) and prints the medians
and the range of the ratio.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import pandas as pd

import hpo_insights as hi

PARAMS = ["d_model", "n_layers", "n_heads", "d_ff_ratio", "optimizer", "learning_rate",
          "dropout", "weight_decay"]
PAIRS = [("d_model", "n_layers"), ("d_model", "n_heads"), ("learning_rate", "dropout")]


def make_trials(n: int, seed: int = 0) -> pd.DataFrame:
    """One study of *n* trials with eight parameters and a noisy objective."""
    rng = np.random.default_rng(seed)
    d_model = rng.choice([64, 96, 128, 192, 256, 320, 384], n)
    n_layers = rng.integers(2, 13, n)
    n_heads = rng.choice([2, 4, 8, 16], n)
    d_ff = rng.choice([2, 4], n)
    optimizer = rng.choice(np.array(["adam", "adamw", "sgd"], dtype=object), n)
    lr = 10.0 ** rng.uniform(-5, -3, n)
    dropout = rng.uniform(0.0, 0.7, n)
    wd = rng.choice([0.0, 1e-5, 1e-4, 1e-3], n)
    value = (0.7 - 0.02 * dropout + 0.002 * np.log10(lr) + 1e-5 * d_model
             + rng.normal(0, 0.01, n))
    state = rng.choice(np.array(["COMPLETE", "PRUNED", "FAIL"], dtype=object), n,
                       p=[0.9, 0.08, 0.02])
    value[state == "FAIL"] = np.nan
    return pd.DataFrame(
        {
            "study": "bench",
            "number": np.arange(n),
            "state": pd.array(state, dtype="str"),
            "value": value,
            "params_d_model": d_model,
            "params_n_layers": n_layers,
            "params_n_heads": n_heads,
            "params_d_ff_ratio": d_ff,
            "params_optimizer": pd.array(optimizer, dtype="str"),
            "params_learning_rate": lr,
            "params_dropout": dropout,
            "params_weight_decay": wd,
            "study_direction": "maximize",
        }
    )


def library(trials: pd.DataFrame) -> None:
    """Every analysis, one call at a time."""
    for p in PARAMS:
        hi.value_table(trials, params=p)
    hi.variance_explained(trials)
    hi.classify_trend(trials)
    for r, c in PAIRS:
        hi.coverage_crosstab(trials, params=(r, c))


def bare_pandas(trials: pd.DataFrame) -> None:
    """The same statistics with plain pandas (no t-intervals, no error handling)."""
    done = trials[(trials["state"] == "COMPLETE") & np.isfinite(trials["value"])]
    y = done["value"]
    keys = {}
    for p in PARAMS:
        x = done["params_" + p]
        if p in ("learning_rate", "dropout"):
            t = np.log10(x) if p == "learning_rate" else x
            x = pd.qcut(t, 10, duplicates="drop")
        keys[p] = x
        stats = y.groupby(x, observed=True, sort=True).agg(["count", "mean", "std"])
        grand = y.mean()
        between = (stats["count"] * (stats["mean"] - grand) ** 2).sum()
        _share = between / ((y - grand) ** 2).sum()
        _delta = stats["mean"].iloc[-1] - stats["mean"].iloc[0]
        _best, _worst = stats["mean"].idxmax(), stats["mean"].idxmin()
    for r, c in PAIRS:
        done.groupby([keys[r], keys[c]], observed=False).size()


def _bare_keys(done: pd.DataFrame, p: str) -> pd.Series:
    x = done["params_" + p]
    if p in ("learning_rate", "dropout"):
        x = pd.qcut(np.log10(x) if p == "learning_rate" else x, 10, duplicates="drop")
    return x


def bare_pandas_per_call(trials: pd.DataFrame) -> None:
    """Plain pandas mirroring the library's calls one by one.

    Like a user who writes each statistic by hand as its own step: every step
    filters the trials and groups them again, as each library call does.
    """

    def done_trials() -> pd.DataFrame:
        return trials[(trials["state"] == "COMPLETE") & np.isfinite(trials["value"])]

    for p in PARAMS:  # value tables
        done = done_trials()
        done["value"].groupby(_bare_keys(done, p), observed=True).agg(["count", "mean", "std"])
    done = done_trials()  # eta squared, all parameters
    y = done["value"]
    for p in PARAMS:
        stats = y.groupby(_bare_keys(done, p), observed=True).agg(["count", "mean"])
        _ = (stats["count"] * (stats["mean"] - y.mean()) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    done = done_trials()  # trends, all parameters
    for p in PARAMS:
        means = done["value"].groupby(_bare_keys(done, p), observed=True).mean()
        _ = means.iloc[-1] - means.iloc[0], means.idxmax(), means.idxmin()
    for r, c in PAIRS:  # coverage
        done = done_trials()
        done.groupby([_bare_keys(done, r), _bare_keys(done, c)], observed=False).size()


def timed(func, trials: pd.DataFrame, repeats: int) -> float:
    return clocked(func, trials, repeats)[0]


def clocked(func, trials: pd.DataFrame, repeats: int) -> tuple[float, float]:
    """Median wall-clock and CPU (this process) seconds of *repeats* calls."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        func(trials)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return float(np.median(wall)), float(np.median(cpu))


CALLS = {
    "value_table x8": lambda t: [hi.value_table(t, params=p) for p in PARAMS],
    "variance_explained": lambda t: hi.variance_explained(t),
    "classify_trend": lambda t: hi.classify_trend(t),
    "coverage_crosstab x3": lambda t: [hi.coverage_crosstab(t, params=pair) for pair in PAIRS],
    "validate": lambda t: hi.validate(t),
}


def each_call(trials: pd.DataFrame, repeats: int) -> None:
    """Each call on its own, then the library side's peak memory against the frame's size."""
    print(f"\n{len(trials)} trials, each call (median of {repeats}):")
    print(f"{'call':>22} {'wall s':>8} {'cpu s':>8}")
    for name, func in CALLS.items():
        wall, cpu = clocked(func, trials, repeats)
        print(f"{name:>22} {wall:>8.3f} {cpu:>8.3f}")
    lib_wall, lib_cpu = clocked(library, trials, repeats)
    base_wall, base_cpu = clocked(bare_pandas, trials, repeats)
    print(f"{'library (all)':>22} {lib_wall:>8.3f} {lib_cpu:>8.3f}")
    print(f"{'pandas, one pass':>22} {base_wall:>8.3f} {base_cpu:>8.3f}")
    print(f"{'ratio':>22} {lib_wall / base_wall:>8.2f} {lib_cpu / base_cpu:>8.2f}")
    frame_mb = trials.memory_usage(deep=True).sum() / 2**20
    for name, func in (("library (all)", library), ("variance_explained",
                                                     CALLS["variance_explained"])):
        tracemalloc.start()
        func(trials)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"peak memory, {name}: {peak / 2**20:.0f} MiB = {peak / 2**20 / frame_mb:.2f} x "
              f"the frame ({frame_mb:.0f} MiB)")


def alternate(trials: pd.DataFrame, rounds: int) -> None:
    """Library side and one-pass baseline alternated *rounds* times: medians and ratio range.

    Alternating puts both sides under the same load on a shared machine; the
    ratio is taken within each round.
    """
    lib, base = [], []
    for _ in range(rounds):
        lib.append(clocked(library, trials, 1))
        base.append(clocked(bare_pandas, trials, 1))
    for k, what in ((0, "wall"), (1, "cpu")):
        ratios = [a[k] / b[k] for a, b in zip(lib, base, strict=True)]
        print(f"{len(trials)} trials, {rounds} alternating rounds, {what}: library "
              f"{np.median([a[k] for a in lib]):.3f} s, pandas one pass "
              f"{np.median([b[k] for b in base]):.3f} s, ratio median {np.median(ratios):.2f} "
              f"(range {min(ratios):.2f}-{max(ratios):.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--alternate", type=int, default=0, metavar="ROUNDS",
                        help="only alternate the library side and the one-pass baseline "
                        "ROUNDS times at the largest size")
    args = parser.parse_args()
    if args.alternate:
        library(make_trials(1_000))  # warm up
        bare_pandas(make_trials(1_000))
        alternate(make_trials(max(args.sizes)), args.alternate)
        return
    print(
        f"{'trials':>10} {'library s':>10} {'pandas s':>10} {'ratio':>6} "
        f"{'per-call s':>10} {'ratio':>6} {'us/trial':>9}"
    )
    library(make_trials(1_000))  # warm up: lazy imports (scipy) and first-call costs
    bare_pandas(make_trials(1_000))
    bare_pandas_per_call(make_trials(1_000))
    for n in args.sizes:
        trials = make_trials(n)
        lib = timed(library, trials, args.repeats)
        base = timed(bare_pandas, trials, args.repeats)
        per_call = timed(bare_pandas_per_call, trials, args.repeats)
        print(
            f"{n:>10} {lib:>10.3f} {base:>10.3f} {lib / base:>6.2f} "
            f"{per_call:>10.3f} {lib / per_call:>6.2f} {1e6 * lib / n:>9.3f}"
        )
    each_call(make_trials(max(args.sizes)), args.repeats)


if __name__ == "__main__":
    main()
