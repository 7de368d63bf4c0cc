"""How often cross-budget verdicts are right, by simulation with known truth.

A simulated search is three budgets ("2M", "20M", "200M") of 50 trials each.

* "plateau": every trial is its budget's best plus N(0, 0.015**2) noise.
* "landscape": learning rate log-uniform on [1e-5, 1e-3], dropout on
  {0, 0.1, 0.2, 0.3}, d_ff_ratio on {2, 4}; objective = budget's best
  - 0.03 * ((u - 0.6) / 0.6) ** 2 (u the position of log10(lr) in [-5, -3])
  - 0.015 * i / 3 (i the dropout grid index) + N(0, 0.015**2); d_ff_ratio has
  no effect.

The budgets' bests are 0.7 + gain * step (gain 0 or 0.02). For each setting
the script runs ``hi.scaling_check`` on every simulated search and prints how
often its ``verdict`` is "holds", "violated" or "not established", for the
default statistic (the mean of the top 20%) and for the two maxima
(``top=1``); and the old rule (``holds``, best strictly above the one below).

``hi.param_consistency`` is run on landscape searches where dropout's best
value is the same in every budget (0) and where it moves 0 -> 0.15 -> 0.3
(the dropout term replaced by -0.01 per grid step away from that optimum);
the script prints how often each parameter (learning rate binned into 4
quantile intervals) is called "inconsistent" and, by the old rule, how often
the best trials disagree.

Targets and figures: ``docs/statistics.md`` ("Cross-budget verdicts").

Run: ``python bench/budget_sim.py [--reps 500] [--seed 0]`` (about 20 minutes on a busy machine).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import hpo_insights as hi

BUDGETS = ("2M", "20M", "200M")
SD = 0.015
DROPOUT = np.array([0.0, 0.1, 0.2, 0.3])
PARAMS = ["learning_rate", "dropout", "d_ff_ratio"]


def search(rng: np.random.Generator, kind: str, gain: float, n: int = 50,
           optima: tuple[float, ...] | None = None) -> pd.DataFrame:
    """One simulated search: three budgets of *n* trials."""
    parts = []
    for step, budget in enumerate(BUDGETS):
        best = 0.7 + gain * step
        lr_pos = rng.uniform(0, 1, n)
        i = rng.integers(0, 4, n)
        if kind == "plateau":
            y = best + rng.normal(0, SD, n)
        else:
            drop = (-0.015 * i / 3 if optima is None
                    else -0.01 * np.abs(DROPOUT[i] - optima[step]) / 0.1)
            y = best - 0.03 * ((lr_pos - 0.6) / 0.6) ** 2 + drop + rng.normal(0, SD, n)
        parts.append(pd.DataFrame({
            "study": f"search-{budget}", "number": np.arange(n), "state": "COMPLETE",
            "value": y, "params_learning_rate": 10.0 ** (-5 + 2 * lr_pos),
            "params_dropout": DROPOUT[i], "params_d_ff_ratio": rng.choice([2, 4], n),
            "study_direction": "maximize", "study_user_attrs_budget": budget,
        }))
    return pd.concat(parts, ignore_index=True)


def scaling(reps: int, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for kind in ("plateau", "landscape"):
        for gain in (0.0, 0.02):
            frames = [search(rng, kind, gain) for _ in range(reps)]
            row = {"setting": kind, "gain per step": gain, "searches": reps}
            for name, top in (("top 20%", 0.2), ("maxima", 1)):
                checks = [hi.scaling_check(t, top=top) for t in frames]
                share = pd.Series([c.verdict for c in checks]).value_counts(normalize=True)
                for v in ("holds", "violated", "not established"):
                    row[f"{name}: {v}"] = round(float(share.get(v, 0.0)), 3)
            row["old rule: holds"] = round(float(np.mean([c.holds for c in checks])), 3)
            rows.append(row)
    return pd.DataFrame(rows)


def consistency(reps: int, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for name, optima in (("same optimum", None), ("dropout optimum moves", (0.0, 0.15, 0.3))):
        for gain in (0.0, 0.02):
            frames = [search(rng, "landscape", gain, optima=optima) for _ in range(reps)]
            pcs = pd.concat([hi.param_consistency(t, params=PARAMS) for t in frames],
                            ignore_index=True)
            rate = (pcs["verdict"] == "inconsistent").groupby(pcs["param"], sort=False).mean()
            old = (~pcs["consistent"].astype(bool)).groupby(pcs["param"], sort=False).mean()
            for param in rate.index:
                rows.append({"setting": name, "gain per step": gain, "param": param,
                             "searches": reps, "inconsistent": round(float(rate[param]), 3),
                             "old rule: inconsistent": round(float(old[param]), 3)})
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=500, help="simulated searches per setting")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()
    with pd.option_context("display.width", 200):
        print("scaling_check verdicts (share of searches)")
        print(scaling(args.reps, rng).to_string(index=False))
        print("\nparam_consistency: share of searches called inconsistent")
        print(consistency(args.reps, rng).to_string(index=False))
    print(f"\n{time.perf_counter() - start:.1f} s; Monte-Carlo sd of a rate p over m searches: "
          "sqrt(p (1 - p) / m), e.g. 0.010 at p = 0.05, m = 500.")


if __name__ == "__main__":
    main()
