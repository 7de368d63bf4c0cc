"""Coverage and width of the search-space share's interval, by simulation with known truth.

Six parameters with recorded Optuna distributions and an additive objective
``f = sum_j f_j(x_j) + N(0, NOISE_SD^2)``:

=============  ==============================  =====================================
parameter      recorded distribution           component (u: position in the range,
                                               on the log scale for log floats)
=============  ==============================  =====================================
learning_rate  float, log, [1e-6, 1e-1]        peaked, ``-(u - 0.6)^2`` (quadratic in
               (searched in [1e-5, 1e-1])      log space); the fifth of the log range
                                               below 1e-5 is never tried
weight_decay   float, log, [1e-6, 1e-2]        ``tanh(3 (u - 0.5))`` (smooth, not a
                                               polynomial)
dropout        float, [0, 0.5]                 decreasing, ``-x``
optimizer      categorical, 3 choices          one value per choice (0, -1, 0.3)
n_layers       int, [1, 4]                     ``sqrt(x)``
warmup         float, [0, 0.2]                 none (true share 0)
=============  ==============================  =====================================

Each component is scaled to the share in ``TARGET`` of the objective's
variance over the recorded search space; the noise sd is half the signal's.
The **true** shares are then recomputed by brute force, independently of the
code under test: each float's component on a dense midpoint grid of
``GRID`` points of its (log) scale, exact means over integer and categorical
values, and the total checked against a Monte-Carlo draw of the whole
objective over the space (an additive function's variance is the sum of its
components').

Searches: uniform sampling (numpy, seeded) and Optuna's ``TPESampler``
(defaults, ``seed=seed``, maximizing, one trial at a time, the learning rate
suggested in [1e-5, 1e-1]); in both the trials are recorded with the wider
learning-rate distribution above. A search of ``n`` trials is the first ``n``
trials of a seeded search of ``max(--sizes)`` trials (what a seeded search of
``n`` trials gives). For every search and size, ``hi.search_space_importance``
is called with its defaults (95% interval, 1,000 draws, seed 0), and each
parameter's interval is scored: *coverage* = share of searches with
``ci_low <= true share <= ci_high``, *width* = mean ``ci_high - ci_low``; also
the mean share minus the truth (bias). Coverage of the no-effect parameter
(true share 0, on the edge of [0, 1]) is printed separately: a share interval
of a non-negative quantity reaches 0 only if its lower end does.

The trials of each (sampler, seed) are cached in ``bench/_out/search_space_sim``
(TPE is slow), so a rerun after a change to the interval only refits.

Run: ``nice -n 10 python bench/search_space_sim.py [--searches 200]
[--sizes 30 100 300] [--samplers uniform tpe]``.
"""

from __future__ import annotations

import argparse
import math
import pickle
import warnings
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

import hpo_insights as hi

PARAMS = ["learning_rate", "weight_decay", "dropout", "optimizer", "n_layers", "warmup"]
RECORDED = {
    "learning_rate": FloatDistribution(1e-6, 1e-1, log=True),
    "weight_decay": FloatDistribution(1e-6, 1e-2, log=True),
    "dropout": FloatDistribution(0.0, 0.5),
    "optimizer": CategoricalDistribution(["adam", "sgd", "rmsprop"]),
    "n_layers": IntDistribution(1, 4),
    "warmup": FloatDistribution(0.0, 0.2),
}
#: What the searches actually sample: the learning rate never goes below 1e-5.
SEARCHED = {**RECORDED, "learning_rate": FloatDistribution(1e-5, 1e-1, log=True)}
TARGET = {"learning_rate": 0.35, "weight_decay": 0.15, "dropout": 0.15, "optimizer": 0.25,
          "n_layers": 0.10, "warmup": 0.0}
OPT_VALUES = {"adam": 0.0, "sgd": -1.0, "rmsprop": 0.3}
NOISE_SD = 0.5  # the signal's variance is 1 (sum of TARGET)
GRID = 200_001
OUT = Path(__file__).resolve().parent / "_out" / "search_space_sim"


def _u(name: str, x: np.ndarray) -> np.ndarray:
    d = RECORDED[name]
    if d.log:
        return (np.log(x) - math.log(d.low)) / (math.log(d.high) - math.log(d.low))
    return (x - d.low) / (d.high - d.low)


def _shape(name: str, x: np.ndarray) -> np.ndarray:
    """The unscaled component of *name* at values *x*."""
    if name == "learning_rate":
        return -((_u(name, x) - 0.6) ** 2)
    if name == "weight_decay":
        return np.tanh(3.0 * (_u(name, x) - 0.5))
    if name == "dropout":
        return -x.astype(float)
    if name == "optimizer":
        return np.array([OPT_VALUES[v] for v in x], dtype=float)
    if name == "n_layers":
        return np.sqrt(x.astype(float))
    return np.zeros(len(x))


def support(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Values and probabilities of the recorded search-space distribution (dense for floats)."""
    d = RECORDED[name]
    if isinstance(d, CategoricalDistribution):
        k = len(d.choices)
        return np.array(d.choices, dtype=object), np.full(k, 1.0 / k)
    if isinstance(d, IntDistribution):
        v = np.arange(d.low, d.high + 1)
        return v, np.full(len(v), 1.0 / len(v))
    mid = (np.arange(GRID) + 0.5) / GRID  # midpoint rule on the (log) scale
    if d.log:
        a, b = math.log(d.low), math.log(d.high)
        return np.exp(a + (b - a) * mid), np.full(GRID, 1.0 / GRID)
    return d.low + (d.high - d.low) * mid, np.full(GRID, 1.0 / GRID)


def _var(values: np.ndarray, prob: np.ndarray) -> float:
    mean = float(prob @ values)
    return float(prob @ (values - mean) ** 2)


def _scales() -> dict[str, float]:
    out = {}
    for name in PARAMS:
        v = _var(_shape(name, support(name)[0]), support(name)[1])
        out[name] = math.sqrt(TARGET[name] / v) if TARGET[name] > 0 else 0.0
    return out


SCALE = _scales()


def component(name: str, x: np.ndarray) -> np.ndarray:
    return SCALE[name] * _shape(name, np.asarray(x))


def objective_mean(vals: dict[str, np.ndarray]) -> np.ndarray:
    return sum(component(k, vals[k]) for k in PARAMS)


def true_shares(mc: int = 2_000_000, seed: int = 12345) -> dict[str, float]:
    """Brute-force search-space shares, checked against a Monte-Carlo total variance."""
    var = {k: _var(component(k, support(k)[0]), support(k)[1]) for k in PARAMS}
    total = sum(var.values())
    draws = draw(RECORDED, mc, np.random.default_rng(seed))
    mc_total = float(np.var(objective_mean(draws)))
    if abs(mc_total / total - 1.0) > 0.01:
        raise RuntimeError(f"Monte-Carlo variance {mc_total} against the sum {total}")
    return {k: v / total for k, v in var.items()}


def draw(dists: dict, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """*n* independent draws from each distribution (uniform on the log scale for log floats)."""
    vals = {}
    for k in PARAMS:
        d = dists[k]
        if isinstance(d, CategoricalDistribution):
            vals[k] = np.array(d.choices, dtype=object)[rng.integers(0, len(d.choices), n)]
        elif isinstance(d, IntDistribution):
            vals[k] = rng.integers(d.low, d.high + 1, n)
        elif d.log:
            vals[k] = np.exp(rng.uniform(math.log(d.low), math.log(d.high), n))
        else:
            vals[k] = rng.uniform(d.low, d.high, n)
    return vals


def _frozen(params: list[dict], values: np.ndarray) -> list:
    cast = {k: int if isinstance(d, IntDistribution) else
            (lambda v: v) if isinstance(d, CategoricalDistribution) else float
            for k, d in RECORDED.items()}
    return [optuna.trial.create_trial(params={k: cast[k](p[k]) for k in PARAMS},
                                      distributions=RECORDED, value=float(v))
            for p, v in zip(params, values, strict=True)]


def uniform_search(n: int, seed: int) -> list:
    rng = np.random.default_rng([seed, 7])
    vals = draw(SEARCHED, n, rng)
    y = objective_mean(vals) + rng.normal(0.0, NOISE_SD, n)
    return _frozen([{k: vals[k][i] for k in PARAMS} for i in range(n)], y)


def tpe_search(n: int, seed: int) -> list:
    def objective(trial: optuna.Trial) -> float:
        p = {k: trial._suggest(k, SEARCHED[k]) for k in PARAMS}
        noise = np.random.default_rng([seed, trial.number, 3]).normal(0.0, NOISE_SD)
        vals = {k: np.array([v], dtype=object if k == "optimizer" else float)
                for k, v in p.items()}
        return float(objective_mean(vals)[0] + noise)

    study = optuna.create_study(direction="maximize",
                                sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=n)
    done = study.get_trials(deepcopy=False)
    return _frozen([t.params for t in done], np.array([t.value for t in done]))


def search(sampler: str, n: int, seed: int) -> list:
    """The trials of one seeded search (cached: TPE is slow)."""
    path = OUT / f"{sampler}-{n}-{seed}.pkl"
    if path.exists():
        return pickle.loads(path.read_bytes())
    trials = (uniform_search if sampler == "uniform" else tpe_search)(n, seed)
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(trials))
    tmp.replace(path)
    return trials


def fit(trials: list) -> pd.DataFrame:
    study = optuna.create_study(direction="maximize")
    study.add_trials(trials)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hi.search_space_importance(hi.from_optuna(study))


def run(samplers: list[str], sizes: list[int], searches: int, first_seed: int) -> pd.DataFrame:
    rows = []
    top = max(sizes)
    for sampler in samplers:
        for seed in range(first_seed, first_seed + searches):
            trials = search(sampler, top, seed)
            for n in sizes:
                res = fit(trials[:n]).set_index("param")
                for p in PARAMS:
                    r = res.loc[p]
                    rows.append({"sampler": sampler, "n": n, "seed": seed, "param": p,
                                 "share": r["share"], "ci_low": r["ci_low"],
                                 "ci_high": r["ci_high"], "coverage": r["coverage"]})
    return pd.DataFrame(rows)


def summarize(res: pd.DataFrame, truth: dict[str, float]) -> pd.DataFrame:
    res = res.assign(truth=res["param"].map(truth))
    res["covered"] = (res["ci_low"] <= res["truth"]) & (res["truth"] <= res["ci_high"])
    res["width"] = res["ci_high"] - res["ci_low"]
    res["error"] = res["share"] - res["truth"]
    res["effect"] = np.where(res["truth"] > 0, "effect", "no effect")
    g = res.groupby(["sampler", "n", "effect"], sort=False)
    out = g.agg(coverage=("covered", "mean"), width=("width", "mean"),
                bias=("error", "mean"), searches=("seed", "nunique"))
    per = res.groupby(["sampler", "n", "param"], sort=False).agg(
        coverage=("covered", "mean"), width=("width", "mean"), bias=("error", "mean"),
        tried=("coverage", "mean"))
    return out, per


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 100, 300])
    parser.add_argument("--samplers", nargs="+", default=["uniform", "tpe"],
                        choices=["uniform", "tpe"])
    parser.add_argument("--generate-only", action="store_true",
                        help="only make (and cache) the searches")
    parser.add_argument("--save", type=Path, help="write the per-search rows to this CSV")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if args.generate_only:
        for sampler in args.samplers:
            for seed in range(args.first_seed, args.first_seed + args.searches):
                search(sampler, max(args.sizes), seed)
        return
    truth = true_shares()
    print("true search-space shares:",
          ", ".join(f"{k} {v:.4f}" for k, v in truth.items()))
    res = run(args.samplers, args.sizes, args.searches, args.first_seed)
    if args.save:
        res.to_csv(args.save, index=False)
    overall, per = summarize(res, truth)
    with pd.option_context("display.width", 120, "display.max_rows", 200):
        print("\n95% interval, parameters with an effect (5 per search) and without (warmup):")
        print(overall.round(3).to_string())
        print("\nper parameter (tried: mean `coverage` column, the part of the space tried):")
        print(per.round(3).to_string())


if __name__ == "__main__":
    main()
