"""Coverage of hi.fidelity_correlation's interval of the true rank correlation.

Curves with a known correlation structure: a trial's final value is
``f ~ N(0, 1)`` and its value at a step is ``rho * f + sqrt(1 - rho**2) * e``
with ``e`` independent noise, so the population Spearman correlation between
step and end is ``(6 / pi) * arcsin(rho / 2)`` (normal noise). With
heavy-tailed noise (Student t, 3 degrees of freedom) the truth is computed
from 2,000,000 draws. For 20, 50, 100, 200 and 500 trials and each rho, the
script builds *reps* studies as one curves frame (one step per rho), runs
``hi.fidelity_correlation`` and prints how often the 95% interval covers the
truth (target: at least 90% everywhere).

Run: ``python bench/fidelity_sim.py [--reps 1000] [--seed 0]``.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from scipy import stats

import hpo_insights as hi

RHOS = (0.0, 0.3, 0.6, 0.8, 0.9, 0.95, 0.99)
NS = (20, 50, 100, 200, 500)


def curves(n: int, reps: int, noise: str, rng: np.random.Generator) -> pd.DataFrame:
    f = rng.normal(size=(reps, n, 1))
    r = np.asarray(RHOS)
    e = rng.normal(size=(reps, n, len(r))) if noise == "normal" else \
        rng.standard_t(3, size=(reps, n, len(r))) / np.sqrt(3.0)
    steps = r * f + np.sqrt(1 - r**2) * e
    values = np.concatenate([steps, f], axis=2)  # the last step is the final value
    s = values.shape[2]
    return pd.DataFrame({"study": np.repeat(np.arange(reps), n * s),
                         "number": np.tile(np.repeat(np.arange(n), s), reps),
                         "state": "COMPLETE", "step": np.tile(np.arange(s), reps * n),
                         "value": values.ravel()})


def truth(noise: str, rng: np.random.Generator) -> np.ndarray:
    r = np.asarray(RHOS)
    if noise == "normal":
        return 6 / np.pi * np.arcsin(r / 2)
    f = rng.normal(size=2_000_000)
    e = rng.standard_t(3, size=(len(r), 2_000_000)) / np.sqrt(3.0)
    return np.array([stats.spearmanr(r[i] * f + np.sqrt(1 - r[i] ** 2) * e[i], f).statistic
                     for i in range(len(r))])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    for noise in ("normal", "student-t(3)"):
        true = truth(noise, rng)
        print(f"coverage of the 95% interval, {noise} noise; columns: rho_pearson "
              "(true Spearman)")
        print(f"{'n':>5}" + "".join(f"{r:>6.2f} ({t:.3f})" for r, t in zip(RHOS, true,
                                                                          strict=True)))
        for n in NS:
            fc = hi.fidelity_correlation(curves(n, args.reps, noise, rng))
            fc = fc[fc["step"] < len(RHOS)]
            t = true[fc["step"].to_numpy()]
            hit = (fc["ci_low"] <= t) & (t <= fc["ci_high"])
            cov = hit.groupby(fc["step"]).mean()
            print(f"{n:>5}" + "".join(f"{c:>14.1%}" for c in cov))


if __name__ == "__main__":
    main()
