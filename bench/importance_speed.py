"""Speed of variance_explained: the bootstrap on a large study, all figures on the example.

Prints seconds per call (best of 3, after one warm-up call that pays the imports):

* 10,000 trials x 7 parameters, one study, 1,000 bootstrap resamples of every
  share (``ci="bootstrap"``): target under 1 s;
* the same frame with the default interval (noncentral F);
* the bundled example (3 studies x 50 trials), every figure: target under 0.5 s.

    python bench/importance_speed.py
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd

import hpo_insights as hi


def big_frame(n: int = 10_000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lr = 10 ** rng.uniform(-5, -3, n)
    frame = pd.DataFrame({
        "study": "big", "number": np.arange(n), "state": "COMPLETE",
        "params_learning_rate": lr,
        "params_dropout": rng.choice([0.0, 0.1, 0.2, 0.3, 0.4, 0.5], n),
        "params_weight_decay": rng.choice([0.0, 1e-5, 1e-4, 1e-3], n),
        "params_n_layers": rng.integers(2, 9, n),
        "params_d_ff_ratio": rng.choice([2, 4], n),
        "params_warmup": rng.uniform(0, 0.2, n),
        "params_optimizer": rng.choice(["adam", "sgd", "adamw"], n),
    })
    u = (np.log10(lr) + 5) / 2
    frame["value"] = (0.7 - 0.03 * ((u - 0.6) / 0.6) ** 2 - 0.03 * frame.params_dropout
                      + rng.normal(0, 0.005, n))
    return frame


def best_of(fn, repeat: int = 3) -> float:
    fn()  # warm-up: imports, caches
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    big = big_frame()
    example = hi.datasets.example()
    warnings.simplefilter("ignore", hi.TrialsWarning)
    rows = [
        ("10,000 trials x 7 params, ci='bootstrap' (1,000 resamples)", 1.0,
         lambda: hi.variance_explained(big, ci="bootstrap", n_resamples=1000)),
        ("10,000 trials x 7 params, default (noncentral F)", None,
         lambda: hi.variance_explained(big)),
        ("example (3 x 50 trials), every figure", 0.5,
         lambda: hi.variance_explained(example)),
        ("example, ci='bootstrap'", None,
         lambda: hi.variance_explained(example, ci="bootstrap")),
        ("example, sampling_association", None,
         lambda: hi.sampling_association(example)),
    ]
    print(f"{'case':62s} {'seconds':>8s}  target")
    for name, target, fn in rows:
        sec = best_of(fn)
        mark = "" if target is None else f"< {target} s: {'met' if sec < target else 'MISSED'}"
        print(f"{name:62s} {sec:8.3f}  {mark}")


if __name__ == "__main__":
    main()
