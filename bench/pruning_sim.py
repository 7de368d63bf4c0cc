"""How often hi.pruning_audit's regret interval covers the rule's expected regret.

A search of *n* trials, each a learning curve ``level + 2 / (1 + step) +
noise / sqrt(1 + step)`` (minimize; ``level ~ N(0, 1)``, noise sd *sd*), is
audited with Optuna's ``MedianPruner(n_startup_trials=5)`` replayed. The truth
is the expected regret of the rule on a search of *n* such trials: the mean
regret over *truth_reps* simulated searches. The script prints the mean regret,
how often the regret's bootstrap spread (``regret_low``, ``regret_high``) of one
audit covers the truth, the mean ``expected_regret`` (over *replays* random
orders) and how often its 95% interval covers the truth and its mean width,
how often the best trial is stopped, and the mean share of steps saved.

Run: ``python bench/pruning_sim.py [--reps 200] [--trials 100] [--replays 100]
[--seed 0]``.
"""

from __future__ import annotations

import argparse

import numpy as np
import optuna
import pandas as pd

import hpo_insights as hi


def searches(rng, reps: int, n: int, s: int, sd: float) -> pd.DataFrame:
    level = rng.normal(0, 1, (reps, n, 1))
    steps = np.arange(s)
    values = level + 2.0 / (1 + steps) + rng.normal(0, sd, (reps, n, s)) / np.sqrt(1 + steps)
    return pd.DataFrame({"study": np.repeat(np.arange(reps), n * s),
                         "number": np.tile(np.repeat(np.arange(n), s), reps),
                         "state": "COMPLETE", "step": np.tile(steps, reps * n),
                         "value": values.ravel()})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--truth-reps", type=int, default=1000)
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--replays", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    rule = optuna.pruners.MedianPruner(n_startup_trials=5)
    print(f"MedianPruner(n_startup_trials=5), {args.trials} trials x {args.steps} steps")
    print(f"{'noise sd':>9}{'true regret':>13}{'mean regret':>13}{'spread covers':>15}"
          f"{'expected':>10}{'covers':>8}{'width':>8}{'best stopped':>14}{'steps saved':>13}")
    for sd in (0.3, 1.0, 2.0):
        truth = hi.pruning_audit(searches(rng, args.truth_reps, args.trials, args.steps, sd),
                                 rule=rule, direction="minimize",
                                 n_resamples=10).summary["regret"].mean()
        s = hi.pruning_audit(searches(rng, args.reps, args.trials, args.steps, sd), rule=rule,
                             direction="minimize", n_replays=args.replays,
                             seed=int(rng.integers(2**31))).summary
        cover = ((s["regret_low"] <= truth) & (truth <= s["regret_high"])).mean()
        cover_e = ((s["expected_regret_low"] <= truth)
                   & (truth <= s["expected_regret_high"])).mean()
        width = (s["expected_regret_high"] - s["expected_regret_low"]).mean()
        print(f"{sd:>9.1f}{truth:>13.4f}{s['regret'].mean():>13.4f}{cover:>15.1%}"
              f"{s['expected_regret'].mean():>10.4f}{cover_e:>8.1%}{width:>8.3f}"
              f"{s['best_stopped'].mean():>14.1%}{s['share_saved'].mean():>13.1%}")


if __name__ == "__main__":
    main()
