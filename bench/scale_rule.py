"""How often the inferred scale and kind of a parameter agree with its Optuna distribution.

Without a recorded distribution (a ``trials_dataframe()`` CSV) the analyses infer
from the values alone (``hpo_insights._binning``) whether a float is on a log scale
and whether a parameter is continuous (cut into quantile bins) or takes a few values
(one level per value). This script draws the values users have: Optuna studies with a
``RandomSampler`` and with a ``TPESampler`` (defaults), whose objective peaks at a
random point of each parameter's range (on the parameter's own scale) plus noise,
with 20 to 200 trials, and these distributions at random ranges:

* ``FloatDistribution(log=True)`` over 1 to 5 decades; ``FloatDistribution(log=False)``
  from 0 or a positive low, over ranges from 0.1 to 100 wide;
* ``IntDistribution(log=True)`` over [1, 2**k] and ``IntDistribution(log=False)``;
* stepped floats (``step`` 0.1 over [0, 0.5], 0.05 over [0, 1], 0.25 over [0, 2]);
* categoricals of numbers ([0, 1e-5, 1e-4, 1e-3], [2, 4, 8], [0.1, 0.2, 0.5]).

Truth: *scale* is ``log`` for ``log=True`` and ``linear`` otherwise (floats and ints);
*kind* is ``levels`` for a categorical, an integer and a float grid of at most
``GRID_MAX_LEVELS`` values, ``continuous`` for other floats. For every rule the
script prints the agreement rate per sampler, distribution and sample size (the
rules: the one the library uses now, ``is_log_scale`` and ``param_kind``, and the
rules they replaced: log when log10 of the values is less skewed than the values, and
every float that is not all whole numbers continuous).

Run: ``python bench/scale_rule.py [--studies 40] [--seed 0]`` (a few minutes).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from hpo_insights import _binning


def _specs(rng: np.random.Generator):
    """One random search space: name -> (Optuna distribution, truth scale, truth kind)."""
    import optuna

    d = int(rng.integers(1, 6))
    a = float(rng.uniform(-7, 1))
    low0 = float(rng.choice([0.0, rng.uniform(0.001, 0.5)]))
    width = float(10 ** rng.uniform(-1, 2))
    k = int(rng.integers(4, 13))
    grid = [(0.0, 0.5, 0.1), (0.0, 1.0, 0.05), (0.0, 2.0, 0.25)][int(rng.integers(3))]
    choices = [[0.0, 1e-5, 1e-4, 1e-3], [2, 4, 8], [0.1, 0.2, 0.5]][int(rng.integers(3))]
    F, Int, Cat = (optuna.distributions.FloatDistribution,
                   optuna.distributions.IntDistribution,
                   optuna.distributions.CategoricalDistribution)
    return {
        "float_log": (F(10**a, 10 ** (a + d), log=True), "log", "continuous"),
        "float_linear": (F(low0, low0 + width), "linear", "continuous"),
        "int_log": (Int(1, 2**k, log=True), "log", "levels"),
        "int_linear": (Int(1, int(rng.integers(5, 200))), "linear", "levels"),
        "float_step": (F(grid[0], grid[1], step=grid[2]), "linear",
                       "levels" if round((grid[1] - grid[0]) / grid[2]) + 1
                       <= _binning.GRID_MAX_LEVELS else "continuous"),
        "categorical": (Cat(choices), None, "levels"),
    }


def _position(dist, x) -> float:
    """Where *x* lies in [0, 1] on the distribution's own scale."""
    import optuna

    if isinstance(dist, optuna.distributions.CategoricalDistribution):
        return dist.choices.index(x) / max(len(dist.choices) - 1, 1)
    lo, hi = float(dist.low), float(dist.high)
    if getattr(dist, "log", False):
        return (np.log(x) - np.log(lo)) / (np.log(hi) - np.log(lo))
    return (x - lo) / (hi - lo)


def draw(sampler: str, n: int, seed: int) -> tuple[pd.DataFrame, dict]:
    """The parameter values of one Optuna study of *n* trials, and the truth per parameter."""
    import optuna

    rng = np.random.default_rng(seed)
    specs = _specs(rng)
    peak = {name: float(rng.uniform()) for name in specs}
    smp = (optuna.samplers.TPESampler(seed=seed) if sampler == "tpe"
           else optuna.samplers.RandomSampler(seed=seed))
    study = optuna.create_study(direction="maximize", sampler=smp)
    noise = np.random.default_rng(seed + 1)

    def objective(trial):
        total = 0.0
        for name, (dist, _, _) in specs.items():
            x = trial._suggest(name, dist)
            total -= (_position(dist, x) - peak[name]) ** 2
        return total + float(noise.normal(0, 0.05))

    study.optimize(objective, n_trials=n)
    frame = study.trials_dataframe()
    truth = {name: (scale, kind) for name, (_, scale, kind) in specs.items()}
    return frame, truth


def rules(x: np.ndarray, n: int) -> dict[str, tuple[str | None, str]]:
    """(scale, kind) of values *x* by each rule; scale None where no rule applies."""
    uniq, counts = np.unique(x, return_counts=True)
    kind = _binning.param_kind(x)
    out = {}
    positive = bool(np.all(x > 0))
    new = "log" if positive and _binning.is_log_scale(uniq, counts=counts) else "linear"
    old = "log" if positive and _skew_rule(x) else "linear"
    out["library"] = (new, kind)
    out["skewness (before)"] = (old, "continuous" if _old_binnable(x) else "levels")
    return out


def _skew_rule(x: np.ndarray) -> bool:
    """The scale rule before: log when log10 of the values is less skewed than the values."""

    def skew(v: np.ndarray) -> float:
        d = v - v.mean()
        m2 = float(np.mean(d * d))
        return 0.0 if m2 <= 0 else float(np.mean(d**3)) / m2**1.5

    return x.max() > x.min() and abs(skew(np.log10(x))) < abs(skew(x))


def _old_binnable(x: np.ndarray) -> bool:
    """The kind rule before: every float that is not all whole numbers is cut into bins when
    it has more distinct values than bins (default rule: n // 10, 3 to 10)."""
    whole = bool(np.all(x == np.round(x)))
    return not whole and len(np.unique(x)) > _binning.default_bins(len(x))


def main() -> None:
    import optuna

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=40, help="studies per sampler and size")
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 50, 200])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.simplefilter("ignore")
    rows = []
    start = time.time()
    for sampler in ("random", "tpe"):
        for n in args.sizes:
            for s in range(args.studies):
                frame, truth = draw(sampler, n, args.seed + 1000 * n + s)
                done = frame[frame.state == "COMPLETE"]
                for name, (scale, kind) in truth.items():
                    x = pd.to_numeric(done["params_" + name]).to_numpy(dtype=float)
                    for rule, (got_scale, got_kind) in rules(x, len(x)).items():
                        rows.append({"sampler": sampler, "n": n, "param": name, "rule": rule,
                                     "scale_ok": np.nan if scale is None else got_scale == scale,
                                     "kind_ok": got_kind == kind})
    res = pd.DataFrame(rows)
    pd.set_option("display.width", 160)
    for what in ("scale_ok", "kind_ok"):
        table = res.pivot_table(index=["param", "rule"], columns=["sampler", "n"], values=what,
                                aggfunc="mean")
        print(f"\nagreement with the distribution: {what.split('_')[0]} "
              f"({args.studies} studies per cell)")
        print(table.dropna(how="all").round(3).to_string())
    overall = res.groupby(["rule", "sampler"])[["scale_ok", "kind_ok"]].mean().round(3)
    print("\noverall (every parameter, size):")
    print(overall.to_string())
    print(f"\n{time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
