"""Error rates of variance_explained's figures, by simulation with known truth.

Uniform sampling: each study has n trials whose parameter value is drawn
uniformly from a grid of k values, and objective = f(value) + N(0, 0.015^2) with f
linear in the value, scaled so that the true share Var(f) / (Var(f) + 0.015^2) is 0
(no effect) or 0.2 (Var over the uniform grid). Two kinds of grid: a *float* grid
(k evenly spaced floats in [0, 1], binned by the default rule when k exceeds the
bins) and a *categorical* grid (k labels, never binned). Many studies go into one
frame, one study per block, and one call answers them all.

Also: the F-test's power for a continuous float under each number of bins (the
default-bins rule), how often the log-scale rules call a sample "log", and the
bootstrap interval against the noncentral-F one.

Last, a real Optuna TPE search (defaults, 200 trials, 30 seeds) of six
parameters of which two matter (learning rate and dropout): how often each share
ranks them first and second, how large the largest share of the four no-effect
parameters is, and how often each verdict fires.

Prints tables (measured vs target) and its own timing. Public tools only: numpy,
pandas, optuna and hpo_insights' public API. Seeded: the same figures every run
(for one Optuna version).

    python bench/importance_sim.py            # everything (about 9 minutes on one core)
    python bench/importance_sim.py --quick    # fewer studies and seeds
    python bench/importance_sim.py --part tpe --cache DIR   # reuse the TPE searches
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import hpo_insights as hi

SD = 0.015


def _wilson(k: int, n: int) -> tuple[float, float]:
    """95% Wilson interval of a proportion k/n (the simulation's own uncertainty)."""
    z = 1.959964
    p = k / n
    mid = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return mid - half, mid + half


def _studies(n: int, k: int, share: float, reps: int, kind: str, seed: list) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, k, size=(reps, n))
    grid = np.linspace(0.0, 1.0, k)
    f = grid[idx]
    var_f = grid.var()  # population variance over the uniform grid
    scale = np.sqrt(SD**2 * share / (1 - share) / var_f) if share > 0 else 0.0
    y = 0.7 + scale * f + rng.normal(0.0, SD, size=(reps, n))
    if kind == "float":
        x = grid[idx] + 0.01  # floats on a grid (not whole numbers): binned when k > bins
    else:
        x = np.array([f"v{i}" for i in range(k)], dtype=object)[idx]
    return pd.DataFrame({
        "study": np.repeat(np.arange(reps), n), "number": np.tile(np.arange(n), reps),
        "state": "COMPLETE", "value": y.ravel(), "params_x": x.ravel(),
    })


def part_uniform(quick: bool) -> pd.DataFrame:
    rows = []
    sizes = {50: 2000, 200: 1000, 1000: 400} if not quick else {50: 400, 200: 200, 1000: 100}
    for kind in ("float", "categorical"):
        for n, reps in sizes.items():
            for k in (2, 4, 8, 16):
                for share in (0.0, 0.2):
                    t = _studies(n, k, share, reps, kind,
                                 seed=[len(kind), n, k, int(share * 10)])
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", hi.TrialsWarning)
                        ve = hi.variance_explained(t, exclude_collapsed=False)
                    num = ve[["share", "share_corrected", "ci_low", "ci_high", "p_value",
                              "share_adjusted", "p_partial"]].to_numpy(dtype=float)
                    rej = int((ve.p_value < 0.05).sum())
                    cover = int(((ve.ci_low <= share) & (share <= ve.ci_high)).sum())
                    rows.append({
                        "grid": kind, "n": n, "k": k, "true_share": share, "studies": reps,
                        "bins": int(ve.n_values.median()),
                        "share": ve.share.mean(), "share_corrected": ve.share_corrected.mean(),
                        "p<0.05": rej / reps, "p<0.05_hi95": _wilson(rej, reps)[1],
                        "coverage": cover / reps, "coverage_lo95": _wilson(cover, reps)[0],
                        "width": (ve.ci_high - ve.ci_low).mean(),
                        "nonfinite": int((~np.isfinite(num)).sum()),
                    })
    return pd.DataFrame(rows)


def part_bins(quick: bool) -> pd.DataFrame:
    """Default bins: a continuous uniform float at n = 50, linear or peaked effect, share 0.2."""
    reps = 200 if quick else 1000
    n = 50
    rows = []
    for shape in ("none", "linear", "peaked"):
        rng = np.random.default_rng([7, len(shape)])
        x = rng.uniform(0.0, 1.0, size=(reps, n))
        grid = np.linspace(0.0, 1.0, 100_001)
        f = {"none": lambda v: 0 * v, "linear": lambda v: v,
             "peaked": lambda v: -((v - 0.5) ** 2)}[shape]
        var_f = f(grid).var()
        scale = np.sqrt(SD**2 * 0.2 / 0.8 / var_f) if var_f > 0 else 0.0
        y = 0.7 + scale * f(x) + rng.normal(0.0, SD, size=(reps, n))
        t = pd.DataFrame({
            "study": np.repeat(np.arange(reps), n), "number": np.tile(np.arange(n), reps),
            "state": "COMPLETE", "value": y.ravel(), "params_x": x.ravel(),
        })
        for bins in (2, 3, 5, 10, None):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", hi.TrialsWarning)
                ve = hi.variance_explained(t, bins=bins, ci=False, exclude_collapsed=False)
            rows.append({"effect": shape, "bins": "None (5)" if bins is None else bins,
                         "p<0.05": (ve.p_value < 0.05).mean(), "mean share": ve.share.mean()})
    return pd.DataFrame(rows).pivot(index="bins", columns="effect")


def _skew(x: np.ndarray) -> np.ndarray:
    d = x - x.mean(axis=1, keepdims=True)
    return (d**3).mean(axis=1) / (d**2).mean(axis=1) ** 1.5


def part_log() -> pd.DataFrame:
    """How often the log-scale rules say "log" (the documented rules, computed here)."""
    rng = np.random.default_rng(11)
    reps = 10_000
    rows = []
    for name, draw in [
        ("log-uniform [1e-5, 1e-3]", lambda n: 10 ** rng.uniform(-5, -3, (reps, n))),
        ("log-uniform [1e-4, 1e-1]", lambda n: 10 ** rng.uniform(-4, -1, (reps, n))),
        ("uniform [0, 1]", lambda n: rng.uniform(0, 1, (reps, n))),
        ("uniform [0.1, 0.7]", lambda n: rng.uniform(0.1, 0.7, (reps, n))),
    ]:
        for n in (20, 50, 200):
            x = draw(n)
            skew_rule = np.abs(_skew(np.log10(x))) < np.abs(_skew(x))
            old_rule = x.max(axis=1) / x.min(axis=1) > 100
            rows.append({"sample": name, "n": n, "skew rule (now)": skew_rule.mean(),
                         "max/min > 100 (before)": old_rule.mean()})
    return pd.DataFrame(rows)


def part_bootstrap(quick: bool) -> pd.DataFrame:
    """The bootstrap interval against the noncentral-F one (float grid, true share 0.2)."""
    rows = []
    reps = 100 if quick else 400
    for n in (50, 200):
        for k in (2, 8):
            t = _studies(n, k, 0.2, reps, "float", seed=[1000, n, k])
            for method in ("noncentral-f", "bootstrap"):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", hi.TrialsWarning)
                    ve = hi.variance_explained(t, ci=method, exclude_collapsed=False)
                cover = int(((ve.ci_low <= 0.2) & (0.2 <= ve.ci_high)).sum())
                rows.append({"n": n, "k": k, "ci": method, "studies": reps,
                             "coverage": cover / reps, "width": (ve.ci_high - ve.ci_low).mean()})
    return pd.DataFrame(rows)


# --- part 2: a real TPE search ----------------------------------------------------
NO_EFFECT = ["weight_decay", "n_layers", "d_ff_ratio", "warmup"]


def tpe_trials(seeds: int, n_trials: int = 200) -> pd.DataFrame:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    studies = []
    for seed in range(seeds):
        noise = np.random.default_rng(seed).normal(0.0, 0.005, n_trials)

        def objective(trial, noise=noise):
            lr = trial.suggest_float("learning_rate", 1e-5, 1e-3, log=True)
            dropout = trial.suggest_float("dropout", 0.0, 0.5, step=0.1)
            trial.suggest_categorical("weight_decay", [0.0, 1e-5, 1e-4, 1e-3])
            trial.suggest_int("n_layers", 2, 8)
            trial.suggest_categorical("d_ff_ratio", [2, 4])
            trial.suggest_float("warmup", 0.0, 0.2)
            u = (np.log10(lr) + 5) / 2
            return (0.70 - 0.03 * ((u - 0.6) / 0.6) ** 2 - 0.015 * dropout / 0.5
                    + noise[trial.number])

        study = optuna.create_study(
            study_name=f"tpe-{seed}", direction="maximize",
            sampler=optuna.samplers.TPESampler(seed=seed),
        )
        study.optimize(objective, n_trials=n_trials)
        studies.append(study)
    return hi.from_optuna(studies)


def optuna_version() -> str:
    import optuna

    return optuna.__version__


def part_tpe(trials: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = []
    tests = []
    for first in (200, 50):
        sub = trials[trials.number < first]
        for label, kwargs, column in [
            ("share, bins=10 (before)", {"bins": 10, "ci": False, "exclude_collapsed": False},
             "share"),
            ("share (default bins)", {"ci": False}, "share"),
            ("share_corrected", {"ci": False}, "share_corrected"),
            ("share_adjusted", {"ci": False}, "share_adjusted"),
        ]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", hi.TrialsWarning)
                ve = hi.variance_explained(sub, **kwargs)
            wide = ve.pivot(index="study", columns="param", values=column)
            top2 = wide.apply(lambda r: set(r.nlargest(2).index), axis=1)
            ok = top2.apply(lambda s: s == {"learning_rate", "dropout"})
            worst = wide[NO_EFFECT].max(axis=1)
            rows.append({"trials": first, "figure": label, "lr_dropout_top2": ok.mean(),
                         "max_no_effect_mean": worst.mean(),
                         "max_no_effect_p90": worst.quantile(0.9)})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", hi.TrialsWarning)
            ve = hi.variance_explained(sub)
        for label, part in (("no effect (4 per seed)", ve[ve.param.isin(NO_EFFECT)]),
                            ("lr, dropout (2 per seed)", ve[~ve.param.isin(NO_EFFECT)])):
            tests.append({
                "trials": first, "params": label,
                "p_value<0.05": (part.p_value < 0.05).mean(),
                "matters": part.matters.astype(float).mean(),
                "ci_low>0": (part.ci_low > 0).mean(),
                "flagged confounded": part.confounded_with.notna().mean(),
            })
    return pd.DataFrame(rows), pd.DataFrame(tests)


def report_uniform(quick: bool) -> None:
    t0 = time.perf_counter()
    res = part_uniform(quick)
    print("## Uniform sampling: one-way test, interval, corrected share "
          f"({time.perf_counter() - t0:.0f} s)")
    print(res.round(3).to_string(index=False))
    null = res[res.true_share == 0]
    eff = res[res.true_share == 0.2]
    print("\nTargets (float grid; categorical grid in the table):")
    for kind in ("float", "categorical"):
        a = null[null.grid == kind]
        e = eff[eff.grid == kind]
        print(f"  [{kind}] no effect, p<0.05 (target <= 0.05): max {a['p<0.05'].max():.3f}"
              f" (mean {a['p<0.05'].mean():.3f})")
        for n, target in ((50, 0.70), (200, 0.95)):
            sub = e[e.n == n]
            print(f"  [{kind}] share 0.2, n={n}: power (target >= {target}) min "
                  f"{sub['p<0.05'].min():.3f} over k, per k {sub['p<0.05'].round(3).tolist()}")
        print(f"  [{kind}] coverage of 0.2 (target >= 0.90): min {e.coverage.min():.3f}")
        for n, target in ((50, 0.45), (200, 0.25)):
            print(f"  [{kind}] mean width n={n} (target <= {target}): max "
                  f"{e[e.n == n].width.max():.3f}")
        print(f"  [{kind}] non-finite numbers: {int(res[res.grid == kind].nonfinite.sum())}")
    pooled = (null["p<0.05"] * null.studies).sum() / null.studies.sum()
    print(f"  pooled no-effect p<0.05 over {int(null.studies.sum())} studies: {pooled:.4f}; "
          f"coverage range {eff.coverage.min():.3f}-{eff.coverage.max():.3f}; "
          f"{int(res.studies.sum())} studies in all")


def report_bins(quick: bool) -> None:
    t0 = time.perf_counter()
    res = part_bins(quick)
    print("\n## Bins for a continuous float, n = 50, share 0.2 "
          f"({time.perf_counter() - t0:.0f} s)")
    print(res.round(3).to_string())


def report_log(quick: bool) -> None:
    print("\n## Log-scale rule: fraction of samples called log")
    print(part_log().round(3).to_string(index=False))


def report_bootstrap(quick: bool) -> None:
    t0 = time.perf_counter()
    res = part_bootstrap(quick)
    print(f"\n## Interval methods, true share 0.2 ({time.perf_counter() - t0:.0f} s)")
    print(res.round(3).to_string(index=False))


def report_tpe(quick: bool, cache_dir: str | None) -> None:
    t0 = time.perf_counter()
    seeds = 8 if quick else 30
    trials = None
    cache = Path(cache_dir) / f"tpe-{seeds}-{optuna_version()}.pkl" if cache_dir else None
    if cache is not None and cache.exists():
        trials = pd.read_pickle(cache)
    if trials is None:
        trials = tpe_trials(seeds)
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            trials.to_pickle(cache)
    t1 = time.perf_counter()
    ranks, tests = part_tpe(trials)
    print(f"\n## Optuna {optuna_version()} TPESampler, 200 trials, {seeds} seeds "
          f"(searches {t1 - t0:.0f} s, analysis {time.perf_counter() - t1:.1f} s)")
    print(ranks.round(3).to_string(index=False))
    print("targets (200 trials): share_adjusted lr_dropout_top2 >= 0.90, "
          "max_no_effect_mean <= 0.05")
    print(tests.round(3).to_string(index=False))


PARTS = {"uniform": report_uniform, "bins": report_bins, "log": report_log,
         "bootstrap": report_bootstrap}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer studies and seeds")
    parser.add_argument("--cache", help="keep the TPE searches' trials in this directory "
                        "and reuse them on the next run")
    parser.add_argument("--part", default="all",
                        choices=["uniform", "bins", "log", "bootstrap", "tpe", "all"])
    args = parser.parse_args()
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 30)
    start = time.perf_counter()
    for name, part in PARTS.items():
        if args.part in (name, "all"):
            part(args.quick)
    if args.part in ("tpe", "all"):
        report_tpe(args.quick, args.cache)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
