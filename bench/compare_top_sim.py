"""How often compare_top calls a winner when there is none, by simulation on real CV.

Null: *m* configurations that are identical in distribution — a decision tree
(``max_features=0.5``) whose only varying setting is its ``random_state`` — are
scored by scikit-learn's ``GridSearchCV`` on the same J folds (paired) of a
fresh ``make_classification`` problem (400 samples, 10 features) per
replicate. ``hi.compare_top(hi.load_folds(search), k=...)`` then compares the
best with the runners-up; any "better" is a false claim.

For each (m, J) the script prints the rate of p < 0.05 for the best against
the 2nd, the rate of at least one ``better`` among k = min(3, m − 1)
comparisons (Holm), and the same two rates for the plain paired t-test
(variance s²/J, i.e. ``test_train_ratio`` → 0), which ignores that the folds
share training data.

Run: ``python bench/compare_top_sim.py [--reps 400] [--seed 0]`` (a few minutes).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

import hpo_insights as hi


def one(m: int, J: int, seed: int) -> dict:
    from sklearn.datasets import make_classification
    from sklearn.model_selection import GridSearchCV, KFold
    from sklearn.tree import DecisionTreeClassifier

    X, y = make_classification(n_samples=400, n_features=10, n_informative=4, flip_y=0.1,
                               random_state=seed)
    search = GridSearchCV(DecisionTreeClassifier(max_features=0.5, max_depth=4),
                          {"random_state": list(range(seed * 100, seed * 100 + m))},
                          cv=KFold(J, shuffle=True, random_state=seed)).fit(X, y)
    folds = hi.load_folds(search)
    k = min(3, m - 1)
    out = {}
    for name, ratio in (("corrected", None), ("plain", 1e-12)):
        top = hi.compare_top(folds, k=k, test_train_ratio=ratio)
        out[f"{name}_p2"] = bool(top["p_value"].iloc[0] < 0.05)
        out[f"{name}_any"] = bool(top["better"].any())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=400)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rows = []
    for m in (2, 10):
        for J in (5, 10):
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = pd.DataFrame([one(m, J, args.seed * 100_000 + r) for r in range(args.reps)])
            row = {"m": m, "J": J, "reps": args.reps, **res.mean().to_dict(),
                   "seconds": round(time.perf_counter() - t0, 1)}
            rows.append(row)
            print(row, flush=True)
    table = pd.DataFrame(rows)
    se = np.sqrt(0.05 * 0.95 / args.reps)
    print(f"\nfalse-claim rates under the null (5% target; binomial s.e. at 5%: {se:.3f})")
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))


if __name__ == "__main__":
    main()
