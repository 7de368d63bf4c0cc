"""Parameter importance against a known truth: hpo_insights versus Optuna's evaluators.

Part 1, an additive objective with known shares. Six parameters (two
log-uniform floats, a uniform float, a stepped float, an integer and a
categorical), ``f = sum_j f_j(x_j) + noise``. The true share of *j* over the
search space is ``Var(f_j) / sum_k Var(f_k)`` under the search-space
distribution (uniform over choices/grid values, uniform in log space for log
floats), computed here by quadrature (Gauss-Legendre, 200 nodes, on each
float's scale; exact means over the grid values), independently of the code
under test. Trial sets are drawn uniformly (numpy) and by a real Optuna
``TPESampler`` (defaults, seeded, maximizing, one trial at a time), at
n = 100, 1,000 (and 10,000 with ``--full``). Each estimator's Spearman
correlation with the true shares, and its time per call, are printed:

* hpo_insights: marginal ``share`` (eta squared, ``variance_explained``),
  ``share_adjusted`` (when ``variance_explained`` offers it) and the
  search-space estimate ``variance_explained(space="search")`` (also with
  the trials reweighted toward the search space, ``reweight=True``);
* Optuna: ``FanovaImportanceEvaluator``, ``PedAnovaImportanceEvaluator``
  (default, and ``evaluate_on_local=False``: the global quantile) and
  ``MeanDecreaseImpurityImportanceEvaluator``.

Part 2, the TPE setup of the statistics issue (200 trials; lr float log
[1e-5, 1e-3], dropout float [0, 0.5] step 0.1, wd categorical [0, 1e-5, 1e-4,
1e-3], n_layers int [2, 8], d_ff_ratio categorical [2, 4], warmup float [0,
0.2]; objective ``0.70 - 0.03 ((u - 0.6) / 0.6)^2 - 0.015 dropout / 0.5 +
N(0, 0.005^2)``, u the position of log10(lr) in [-5, -3]): how often each
estimator ranks lr and dropout as the top two.

TPE in Optuna costs time quadratic in the number of trials (about 1 min for
2,000, 25 min for 10,000 on one core), so each TPE trial set is generated
once per (n, seed) and kept in a cache directory during the run (a temporary
one unless ``--cache DIR`` is given, which also reuses sets across runs).
``--generate-only 10000 0 --cache DIR`` makes one set beside a running
``--full --cache DIR`` (which waits for it), to use a second core.

Part 3, the bundled example: its true search-space shares (from
``hi.datasets.EXAMPLE_TRUTH``, the contributions of ``docs/example-data.md``,
by quadrature) against eta squared and the search-space estimate.

Run: ``python bench/importance_vs_optuna.py --quick`` (n = 100 and 1,000, 3
seeds, 10 seeds in part 2) or ``--full`` (adds n = 10,000: 3 uniform seeds,
``--tpe-big-seeds`` TPE seeds, default 1; fANOVA, which takes minutes per call
there, on the first ``--fanova-big-seeds`` TPE seeds only, default 1; 30 seeds in
part 2). With ``--cache DIR`` each finished unit (a sampler, size and seed of
part 1, a seed of part 2) is kept in DIR and a rerun starts where it stopped;
``--skip-part1`` in a second process computes part 2 meanwhile.
Needs optuna and scikit-learn (the ``dev`` extra).
"""

from __future__ import annotations

import argparse
import math
import pickle
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from scipy import stats

import hpo_insights as hi

optuna.logging.set_verbosity(optuna.logging.WARNING)

# --------------------------------------------------------------------------- part 1: the truth
CHOICES = ["adam", "adamw", "sgd", "lion"]
CAT_EFFECT = {"adam": 0.0, "adamw": 0.25, "sgd": -1.0, "lion": 0.6}

DISTRIBUTIONS = {
    "lr": FloatDistribution(1e-5, 1e-1, log=True),
    "wd": FloatDistribution(1e-6, 1e-2, log=True),
    "dropout": FloatDistribution(0.0, 0.6),
    "warmup": FloatDistribution(0.0, 0.5, step=0.1),
    "layers": IntDistribution(1, 8),
    "optimizer": CategoricalDistribution(CHOICES),
}


def _pos_log(x: np.ndarray, low: float, high: float) -> np.ndarray:
    return (np.log10(x) - math.log10(low)) / (math.log10(high) - math.log10(low))


# Unit-amplitude components (vectorized); their amplitudes are set below to target shares.
SHAPES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "lr": lambda x: -((_pos_log(x, 1e-5, 1e-1) - 0.65) ** 2),
    "wd": lambda x: np.tanh(4 * (_pos_log(x, 1e-6, 1e-2) - 0.5)),
    "dropout": lambda x: np.sin(np.pi * x / 0.6),
    "warmup": lambda x: -np.abs(x - 0.2),
    "layers": lambda x: np.sqrt(x),
    "optimizer": lambda x: np.vectorize(CAT_EFFECT.get, otypes=[float])(x),
}
TARGET = {"lr": 0.34, "optimizer": 0.24, "dropout": 0.17, "layers": 0.12, "wd": 0.08,
          "warmup": 0.05}
NOISE_FRACTION = 0.5  # noise sd as a fraction of the sd of f over the search space


def _support(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Quadrature nodes (parameter values) and their probabilities under the search space."""
    d = DISTRIBUTIONS[name]
    if isinstance(d, CategoricalDistribution):
        return np.array(d.choices, dtype=object), np.full(len(d.choices), 1 / len(d.choices))
    if isinstance(d, IntDistribution):
        v = np.arange(d.low, d.high + 1, d.step)
        return v.astype(float), np.full(len(v), 1 / len(v))
    if d.step is not None:
        v = d.low + d.step * np.arange(round((d.high - d.low) / d.step) + 1)
        return v, np.full(len(v), 1 / len(v))
    z, w = np.polynomial.legendre.leggauss(200)
    lo, hi_ = (math.log(d.low), math.log(d.high)) if d.log else (d.low, d.high)
    s = lo + (z + 1) / 2 * (hi_ - lo)
    return (np.exp(s) if d.log else s), w / 2


def _var(name: str, shape: Callable) -> float:
    x, p = _support(name)
    f = shape(x)
    return float(p @ (f - p @ f) ** 2)


AMPLITUDE = {k: math.sqrt(TARGET[k] / _var(k, SHAPES[k])) for k in SHAPES}


def component(name: str, x: np.ndarray) -> np.ndarray:
    return AMPLITUDE[name] * SHAPES[name](x)


TRUE_VAR = {k: _var(k, lambda x, k=k: component(k, x)) for k in SHAPES}
TRUE_SHARE = {k: v / sum(TRUE_VAR.values()) for k, v in TRUE_VAR.items()}
NOISE_SD = NOISE_FRACTION * math.sqrt(sum(TRUE_VAR.values()))
PARAMS = list(DISTRIBUTIONS)


def _f(params: dict[str, np.ndarray]) -> np.ndarray:
    return sum(component(k, np.asarray(params[k])) for k in PARAMS)


def uniform_trials(n: int, seed: int) -> list:
    """*n* trials drawn uniformly from the search space (numpy), as Optuna FrozenTrials."""
    rng = np.random.default_rng([seed, n, 1])
    vals = {}
    for k, d in DISTRIBUTIONS.items():
        if isinstance(d, CategoricalDistribution):
            vals[k] = np.array(d.choices, dtype=object)[rng.integers(0, len(d.choices), n)]
        elif isinstance(d, IntDistribution):
            vals[k] = rng.integers(d.low, d.high + 1, n)
        elif d.step is not None:
            vals[k] = d.low + d.step * rng.integers(0, round((d.high - d.low) / d.step) + 1, n)
        elif d.log:
            vals[k] = np.exp(rng.uniform(math.log(d.low), math.log(d.high), n))
        else:
            vals[k] = rng.uniform(d.low, d.high, n)
    y = _f(vals) + rng.normal(0, NOISE_SD, n)
    cast = {k: (int if isinstance(d, IntDistribution) else
                (lambda v: v) if isinstance(d, CategoricalDistribution) else float)
            for k, d in DISTRIBUTIONS.items()}
    return [
        optuna.trial.create_trial(
            params={k: cast[k](vals[k][i]) for k in PARAMS}, distributions=DISTRIBUTIONS,
            value=float(y[i]),
        )
        for i in range(n)
    ]


def _tpe_objective(seed: int) -> Callable:
    def objective(trial: optuna.Trial) -> float:
        p = {k: trial._suggest(k, d) for k, d in DISTRIBUTIONS.items()}
        noise = np.random.default_rng([seed, trial.number, 2]).normal(0, NOISE_SD)
        return float(_f({k: np.array([v], dtype=object if k == "optimizer" else float)
                         for k, v in p.items()})[0] + noise)

    return objective


def tpe_trials(n: int, seed: int, cache: Path) -> list:
    """*n* trials of a real TPESampler (defaults, seeded, maximizing); cached per (n, seed)."""
    path = cache / f"tpe-additive-{n}-{seed}.pkl"
    lock = path.with_suffix(".lock")
    while lock.exists() and not path.exists():  # another run (--generate-only) is making it
        time.sleep(5)
    if path.exists():
        return pickle.loads(path.read_bytes())
    lock.touch()
    try:
        study = optuna.create_study(direction="maximize",
                                    sampler=optuna.samplers.TPESampler(seed=seed))
        t0 = time.perf_counter()
        study.optimize(_tpe_objective(seed), n_trials=n)
        print(f"  (generated TPE n={n} seed={seed} in {time.perf_counter() - t0:.0f} s)",
              file=sys.stderr, flush=True)
        trials = study.get_trials(deepcopy=False)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(trials))
        tmp.replace(path)
    finally:
        lock.unlink(missing_ok=True)
    return trials


# --------------------------------------------------------------------------- estimators
def _study(trials: list) -> optuna.Study:
    study = optuna.create_study(direction="maximize")
    study.add_trials(trials)
    return study


def _timed(fn: Callable[[], dict]) -> tuple[dict, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _hi(frame: pd.DataFrame, column: str, **kw) -> Callable[[], dict]:
    def run() -> dict:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", hi.TrialsWarning)
            res = hi.variance_explained(frame, by=None, **kw)
        if column not in res.columns:
            return {}
        return dict(zip(res["param"], res[column], strict=True))

    return run


def _search(frame: pd.DataFrame, **kw) -> Callable[[], dict]:
    def run() -> dict:
        res = hi.search_space_importance(frame, by=None, **kw)
        return dict(zip(res["param"], res["share"], strict=True))

    return run


def _optuna(study: optuna.Study, evaluator) -> Callable[[], dict]:
    def run() -> dict:
        return dict(optuna.importance.get_param_importances(study, evaluator=evaluator))

    return run


def estimators(study: optuna.Study, seed: int, *, fanova: bool) -> dict[str, Callable]:
    from optuna.importance import (
        FanovaImportanceEvaluator,
        MeanDecreaseImpurityImportanceEvaluator,
        PedAnovaImportanceEvaluator,
    )

    frame = hi.from_optuna(study)
    out = {
        "hi share (eta^2)": _hi(frame, "share"),
        "hi share_adjusted": _hi(frame, "share_adjusted"),
        'hi space="search"': _hi(frame, "share", space="search"),
        "hi search, reweighted": _search(frame, reweight=True),
    }
    if fanova:
        out["optuna fANOVA"] = _optuna(study, FanovaImportanceEvaluator(seed=seed))
    out["optuna PED-ANOVA"] = _optuna(study, PedAnovaImportanceEvaluator())
    out["optuna PED-ANOVA global"] = _optuna(
        study, PedAnovaImportanceEvaluator(evaluate_on_local=False))
    out["optuna MDI"] = _optuna(study, MeanDecreaseImpurityImportanceEvaluator(seed=seed))
    return out


def spearman(est: dict, truth: dict) -> float:
    names = list(truth)
    got = np.array([est.get(k, np.nan) for k in names], dtype=float)
    if np.isnan(got).any() or np.ptp(got) == 0:
        return float("nan")
    return float(stats.spearmanr(got, [truth[k] for k in names]).statistic)


def _unit(cache: Path, name: str, compute: Callable[[], list[dict]]) -> list[dict]:
    """The result rows of one unit of work, kept in *cache* so a rerun (or a second process
    working on another part with the same --cache) does not compute them again."""
    import json

    path = cache / f"rows-{name}.json"
    if path.exists():
        return json.loads(path.read_text())
    rows = compute()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(rows))
    tmp.replace(path)
    return rows


def part1(
    sizes: list[int], seeds: int, tpe_big_seeds: int, fanova_big_seeds: int, cache: Path
) -> pd.DataFrame:
    rows = []
    for n in sizes:
        for sampler in ("uniform", "TPE"):
            k = seeds if (sampler == "uniform" or n < 10_000) else tpe_big_seeds
            for seed in range(k):
                # At 10,000 trials fANOVA takes minutes: TPE seeds below fanova_big_seeds only.
                fanova = n < 10_000 or (sampler == "TPE" and seed < fanova_big_seeds)

                def compute(n=n, sampler=sampler, seed=seed, fanova=fanova) -> list[dict]:
                    trials = uniform_trials(n, seed) if sampler == "uniform" else tpe_trials(
                        n, seed, cache)
                    study = _study(trials)
                    out = []
                    for name, fn in estimators(study, seed, fanova=fanova).items():
                        est, sec = _timed(fn)
                        if est:
                            out.append({"sampler": sampler, "n": n, "seed": seed,
                                        "estimator": name, "seconds": sec,
                                        "spearman": spearman(est, TRUE_SHARE)})
                    return out

                rows += _unit(cache, f"p1-{sampler}-{n}-{seed}-{int(fanova)}", compute)
                print(f"  done {sampler} n={n} seed={seed}", file=sys.stderr, flush=True)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- part 2
def _stat_objective(seed: int) -> Callable:
    def objective(trial: optuna.Trial) -> float:
        lr = trial.suggest_float("lr", 1e-5, 1e-3, log=True)
        dropout = trial.suggest_float("dropout", 0.0, 0.5, step=0.1)
        trial.suggest_categorical("wd", [0.0, 1e-5, 1e-4, 1e-3])
        trial.suggest_int("n_layers", 2, 8)
        trial.suggest_categorical("d_ff_ratio", [2, 4])
        trial.suggest_float("warmup", 0.0, 0.2)
        u = (math.log10(lr) + 5) / 2
        noise = np.random.default_rng([seed, trial.number, 3]).normal(0, 0.005)
        return 0.70 - 0.03 * ((u - 0.6) / 0.6) ** 2 - 0.015 * dropout / 0.5 + noise

    return objective


def part2(seeds: int, cache: Path) -> pd.DataFrame:
    rows = []
    for seed in range(seeds):

        def compute(seed=seed) -> list[dict]:
            path = cache / f"tpe-stat-200-{seed}.pkl"
            if path.exists():
                trials = pickle.loads(path.read_bytes())
            else:
                study = optuna.create_study(direction="maximize",
                                            sampler=optuna.samplers.TPESampler(seed=seed))
                study.optimize(_stat_objective(seed), n_trials=200)
                trials = study.get_trials(deepcopy=False)
                path.write_bytes(pickle.dumps(trials))
            study = _study(trials)
            out = []
            for name, fn in estimators(study, seed, fanova=True).items():
                est, sec = _timed(fn)
                if not est:
                    continue
                top2 = sorted(est, key=lambda k: -est[k])[:2]
                noeffect = [v for k, v in est.items() if k not in ("lr", "dropout")]
                total = sum(est.values())
                out.append({"estimator": name, "seed": seed,
                            "top2": set(top2) == {"lr", "dropout"},
                            "max_null_share": max(noeffect) / total if total > 0 else np.nan,
                            "seconds": sec})
            return out

        rows += _unit(cache, f"p2-{seed}", compute)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- part 3
def _example_truth(frame: pd.DataFrame, budget: str) -> dict[str, float]:
    """True search-space shares of the bundled example (docs/example-data.md, The true
    structure), from ``hi.datasets.EXAMPLE_TRUTH`` and the recorded distributions."""
    import json

    from hpo_insights.datasets import EXAMPLE_TRUTH

    truth = EXAMPLE_TRUTH["budgets"][budget]["params"]
    var = {}
    for p, t in truth.items():
        d = json.loads(frame[f"distributions_{p}"].dropna().iloc[0])
        a = d["attributes"]
        if d["name"] == "CategoricalDistribution":
            vals = np.array(a["choices"], dtype=float)
            pos = np.arange(len(vals)) / (len(vals) - 1)
            w = np.full(len(vals), 1 / len(vals))

            def u_of(v, vals=vals, pos=pos):
                return float(pos[int(np.argmin(np.abs(vals - v)))])
        elif a.get("log"):
            z, w = np.polynomial.legendre.leggauss(200)
            w = w / 2
            lo, hi_ = math.log10(a["low"]), math.log10(a["high"])
            pos = (z + 1) / 2
            vals = 10 ** (lo + pos * (hi_ - lo))

            def u_of(v, lo=lo, hi_=hi_):
                return (math.log10(v) - lo) / (hi_ - lo)
        else:
            vals = np.arange(a["low"], a["high"] + a["step"] / 2, a["step"])
            pos = (vals - a["low"]) / (a["high"] - a["low"])
            w = np.full(len(vals), 1 / len(vals))

            def u_of(v, a=a):
                return (v - a["low"]) / (a["high"] - a["low"])
        amp, shape = t["amplitude"], t["shape"]
        if shape == "increasing":
            f = -amp * (1 - pos)
        elif shape == "decreasing":
            f = -amp * pos
        elif shape == "peaked":
            uo = u_of(t["optimum"])
            f = -amp * ((pos - uo) / max(uo, 1 - uo)) ** 2
        else:
            f = np.zeros(len(pos))
        var[p] = float(w @ (f - w @ f) ** 2)
    total = sum(var.values())
    return {k: v / total for k, v in var.items()}


def part3() -> pd.DataFrame:
    """The bundled example: true search-space shares against eta squared and the estimate."""
    ex = hi.datasets.example()
    ve = hi.variance_explained(ex)
    ss = hi.search_space_importance(ex)
    rows = []
    for budget in ("2M", "20M", "200M"):
        study = f"transformer-{budget}"
        sub = ex[ex["study"] == study]
        truth = _example_truth(sub, budget)
        e = ve[ve["study"] == study].set_index("param")
        s_ = ss[ss["study"] == study].set_index("param")
        for p, t in truth.items():
            rows.append({"budget": budget, "param": p, "truth": t, "eta2": e.loc[p, "share"],
                         "search": s_.loc[p, "share"],
                         "search_corrected": s_.loc[p, "share_corrected"],
                         "coverage": s_.loc[p, "coverage"]})
    return pd.DataFrame(rows)


def _print_part3() -> None:
    res = part3()
    print("\nPart 3: the bundled example (about 45 TPE trials per study), true search-space "
          "shares against the estimates")
    print(res.round(3).to_string(index=False))
    for budget, g in res.groupby("budget", sort=False):
        rho = {c: stats.spearmanr(g["truth"], g[c]).statistic for c in ("eta2", "search")}
        print(f"  {budget}: Spearman with the truth: eta2 {rho['eta2']:.2f}, "
              f"search {rho['search']:.2f}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="n = 100, 1,000 (default)")
    mode.add_argument("--full", action="store_true", help="n = 100, 1,000, 10,000")
    ap.add_argument("--seeds", type=int, default=3, help="seeds per (sampler, n)")
    ap.add_argument("--tpe-big-seeds", type=int, default=1, help="TPE seeds at n = 10,000")
    ap.add_argument("--fanova-big-seeds", type=int, default=1,
                    help="seeds per sampler at n = 10,000 that also run fANOVA (minutes per call)")
    ap.add_argument("--stat-seeds", type=int, default=None, help="seeds in part 2")
    ap.add_argument("--cache", type=Path, default=None, help="keep TPE trial sets here")
    ap.add_argument("--skip-part1", action="store_true")
    ap.add_argument("--example-only", action="store_true", help="only part 3 (seconds)")
    ap.add_argument("--timing-only", type=int, metavar="N",
                    help="only time every estimator on one uniform set of N trials (seed 0)")
    ap.add_argument("--generate-only", type=int, nargs=2, metavar=("N", "SEED"),
                    help="only make the TPE trial set (N, SEED) in --cache (run beside a full run)")
    args = ap.parse_args(argv)
    sizes = [100, 1000, 10_000] if args.full else [100, 1000]
    stat_seeds = args.stat_seeds or (30 if args.full else 10)
    cache = args.cache or Path(tempfile.mkdtemp(prefix="hpo-bench-"))
    cache.mkdir(parents=True, exist_ok=True)
    if args.generate_only:
        tpe_trials(*args.generate_only, cache)
        return
    if args.example_only:
        _print_part3()
        return
    if args.timing_only:
        study = _study(uniform_trials(args.timing_only, 0))
        for name, fn in estimators(study, 0, fanova=True).items():
            est, sec = _timed(fn)
            if est:
                print(f"uniform n={args.timing_only}: {name}: {sec:.3f} s, Spearman "
                      f"{spearman(est, TRUE_SHARE):.2f}", flush=True)
        return
    import sklearn

    print(f"mode: {'full' if args.full else 'quick'}; optuna {optuna.__version__}, "
          f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
          f"pandas {pd.__version__}, hpo_insights {hi.__version__}")
    t0 = time.perf_counter()
    try:
        if not args.skip_part1:
            print("true shares: " + ", ".join(f"{k} {v:.3f}" for k, v in TRUE_SHARE.items()))
            res = part1(sizes, args.seeds, args.tpe_big_seeds, args.fanova_big_seeds, cache)
            table = res.groupby(["sampler", "n", "estimator"], sort=False).agg(
                seeds=("seed", "nunique"), spearman=("spearman", "mean"),
                spearman_sd=("spearman", "std"), seconds=("seconds", "mean"))
            print("\nPart 1: Spearman correlation with the true shares (mean over seeds), "
                  "seconds per call")
            print(table.round(3).to_string())
        res2 = part2(stat_seeds, cache)
        t2 = res2.groupby("estimator", sort=False).agg(
            seeds=("seed", "nunique"), lr_dropout_top2=("top2", "mean"),
            max_null_share=("max_null_share", "mean"), seconds=("seconds", "mean"))
        print("\nPart 2: statistics-issue TPE setup (200 trials): share of seeds with lr and "
              "dropout the top two; mean largest normalized share of a no-effect parameter")
        print(t2.round(3).to_string())
        _print_part3()
    finally:
        if args.cache is None:
            shutil.rmtree(cache, ignore_errors=True)
    print(f"\ntotal time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
