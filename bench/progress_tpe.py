"""How far the i.i.d. expected-best curve is off on real TPE searches.

``hi.search_progress`` treats a study's trials as an i.i.d. sample. Under an
adaptive sampler they are not: TPE samples better regions more often, so the
best of k *of its trials* picked at random is not what TPE reaches after its
first k trials. This script runs Optuna itself, *reps* studies of *n* trials
per sampler (TPESampler, and RandomSampler as the control), on a noisy
3-parameter quadratic (optimum inside the box, noise sd 0.02), and prints for
several k:

* truth: the mean over studies of the best of the first k trials (what the
  sampler reaches after k trials; a mean over *reps* studies, so it has its
  own sampling error), and for reference the exact expected best of k
  uniformly sampled trials (from 200,000 draws);
* i.i.d.: the mean over studies of ``expected_best`` at k from all n trials;
* the gap (i.i.d. minus truth) as a share of the objective's range (its
  2.5%-97.5% span under uniform sampling).

And, at n/2 trials, the ``gain`` bound for n/2 more trials against the mean
gain the sampler actually made from trial n/2 to n.

Run: ``python bench/progress_tpe.py [--reps 20] [--trials 100] [--seed 0]``.
"""

from __future__ import annotations

import argparse

import numpy as np
import optuna
import pandas as pd

import hpo_insights as hi
from hpo_insights.progress import best_of_k_weights, expected_best

CENTER = np.array([0.3, 0.6, 0.45])
NOISE = 0.02


def objective_fn(rng: np.random.Generator):
    def objective(trial: optuna.Trial) -> float:
        x = np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(3)])
        return float(-((x - CENTER) ** 2).sum() + rng.normal(0, NOISE))

    return objective


def run(sampler_name: str, reps: int, n: int, seed: int) -> pd.DataFrame:
    frames = []
    for r in range(reps):
        sampler = (optuna.samplers.TPESampler(seed=seed + r) if sampler_name == "TPE"
                   else optuna.samplers.RandomSampler(seed=seed + r))
        study = optuna.create_study(direction="maximize", sampler=sampler,
                                    study_name=f"{sampler_name}-{r}")
        study.optimize(objective_fn(np.random.default_rng(seed + 1000 + r)), n_trials=n)
        frames.append(hi.from_optuna(study))
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    n = args.trials
    rng = np.random.default_rng(args.seed)
    x = rng.uniform(0, 1, (200_000, 3))
    pop = -((x - CENTER) ** 2).sum(axis=1) + rng.normal(0, NOISE, 200_000)
    span = np.subtract(*np.quantile(pop, [0.975, 0.025]))
    ks = [k for k in (5, 10, 25, 50, n) if k <= n]
    print(f"{args.reps} studies x {n} trials per sampler; objective span {span:.3f}")
    exact = np.sort(pop) @ best_of_k_weights(len(pop), np.array(ks))
    print(f"{'sampler':<8}{'k':>5}{'truth':>10}{'i.i.d.':>10}{'gap/span':>10}"
          f"{'uniform exact':>15}")
    for name in ("Random", "TPE"):
        trials = run(name, args.reps, n, args.seed)
        hist = hi.optimization_history(trials)
        iids = np.array([expected_best(g["value"].to_numpy(), ks)
                         for _, g in hist[hist["counted"]].groupby("study", sort=False)])
        for j, k in enumerate(ks):
            truth = hist.groupby("study", sort=False)["best_so_far"].nth(k - 1).mean()
            iid = iids[:, j].mean()
            print(f"{name:<8}{k:>5}{truth:>10.4f}{iid:>10.4f}{(iid - truth) / span:>+10.1%}"
                  f"{exact[j]:>15.4f}")
        half = trials[trials["number"] < n // 2]
        bound = hi.search_progress(half, more=n - n // 2).summary["gain"].mean()
        made = (hist.groupby("study", sort=False)["best_so_far"].last()
                - hist.groupby("study", sort=False)["best_so_far"].nth(n // 2 - 1).to_numpy()
                ).mean()
        print(f"{name:<8} gain bound at {n // 2} trials for {n - n // 2} more: {bound:.4f}; "
              f"gain the sampler made: {made:.4f}")


if __name__ == "__main__":
    main()
