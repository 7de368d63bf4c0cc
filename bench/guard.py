"""What the guard at the door costs each analysis call.

Every public analysis first checks its trials (type, labels, rows, trial
numbers, duplicate (study, number) pairs) and adapts odd parameter values
(a categorical choice None, dicts, booleans mixed with numbers). This times
that door on frames of N trials x 8 parameters, three ways:

* ``clean``: a trials frame as ``hi.load`` returns it (nothing to adapt);
* ``odd``: the same with one categorical holding the choice None (recorded
  in ``distributions_<name>``) and one column mixing booleans and 0/1;
* ``summarize``: a whole ``hi.summarize`` call on the clean frame, for scale.

Prints the median of a few repeats, in milliseconds.

Run: ``python bench/guard.py [--sizes 10000 100000 1000000] [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd

import hpo_insights as hi
from hpo_insights import _guard


def make_trials(n: int, seed: int = 0) -> pd.DataFrame:
    """One study of *n* COMPLETE trials with eight parameters."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "study": "s",
        "number": np.arange(n),
        "state": "COMPLETE",
        "value": rng.normal(size=n),
        "params_d_model": rng.choice([64, 128, 256], n),
        "params_n_layers": rng.integers(2, 13, n),
        "params_optimizer": rng.choice(np.array(["adam", "sgd"], dtype=object), n),
        "params_lr": 10 ** rng.uniform(-5, -2, n),
        "params_dropout": rng.uniform(0, 0.5, n),
        "params_heads": rng.choice([2, 4, 8], n),
        "params_wd": 10 ** rng.uniform(-6, -3, n),
        "params_act": rng.choice(np.array(["relu", "gelu"], dtype=object), n),
        "study_direction": "maximize",
    })
    return frame


def make_odd(clean: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    """The clean frame plus a None choice and a bool/int column."""
    rng = np.random.default_rng(seed)
    n = len(clean)
    depth = rng.choice(np.array([None, 3, 5], dtype=object), n)
    flags = np.array([True, 1, False, 0], dtype=object)[rng.integers(0, 4, n)]
    dist = json.dumps({"name": "CategoricalDistribution",
                       "attributes": {"choices": [None, 3, 5]}})
    return clean.assign(params_max_depth=pd.Series(depth, dtype=object).astype(float),
                        distributions_max_depth=dist,
                        params_flag=pd.Series(flags, dtype=object))


def timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"{'trials':>10} {'clean ms':>10} {'odd ms':>10} {'summarize ms':>13}")
    for n in args.sizes:
        clean = make_trials(n)
        odd = make_odd(clean)
        t_clean = timed(lambda c=clean: _guard.frame(c), args.repeats)
        t_odd = timed(lambda o=odd: _guard.frame(o), args.repeats)
        t_sum = timed(lambda c=clean: hi.summarize(c), args.repeats)
        print(f"{n:>10} {t_clean:>10.2f} {t_odd:>10.1f} {t_sum:>13.1f}")


if __name__ == "__main__":
    main()
