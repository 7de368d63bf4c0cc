"""How often trend labels are right, by simulation with known truth.

Each simulated study has *n* trials; a parameter ``x`` takes values drawn
uniformly from a grid of *k* values ``0, 1, ..., k - 1`` and the objective is
``f(x) + N(0, 0.015**2)``. Thousands of studies go into one trials frame and
``hi.classify_trend(trials, params="x", method=...)`` labels each of them;
the script prints how often each label comes out, for the settings of the
targets in ``docs/statistics.md`` ("Trend shapes"):

* no effect (``f = 0``), k = 3, 4, 5: any trend label is a false alarm
  (five times *reps* studies, the target being tight);
* monotone, ``f = r * x / (k - 1)`` (range r = 0.03, 0.015; and 0.0075 at
  n = 1,000): "increasing" is right;
* inverted U over k = 5, ``f = -s * ((x - 2) / 2) ** 2`` (swing s = 0.06,
  0.015: the middle value beats the ends by s): "peaked" is right.

Both methods are run: ``"shape"`` (the tests) and ``"endpoints"`` (tol 0.01).
The last columns give how often ``hi.suggestions`` finds some value "worse"
than the best (with no effect: a false alarm) and suggests widening the range
at the largest value ("edge"; right for an increasing effect), one call per
study on the first ``--suggestion-studies`` studies of a setting (the claims
of ``hi.findings``, whose error budget is the page of one study).

Run: ``python bench/trend_sim.py [--reps 4000] [--seed 0]`` (a few minutes;
n = 1,000 settings use reps / 4 studies).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import hpo_insights as hi

SD = 0.015


def simulate(f, k: int, n: int, reps: int, rng: np.random.Generator) -> pd.DataFrame:
    """*reps* studies of *n* trials each, x uniform on the grid 0..k-1, objective f(x) + noise."""
    x = rng.integers(0, k, (reps, n))
    y = f(x, k) + rng.normal(0.0, SD, (reps, n))
    return pd.DataFrame({
        "study": np.repeat(np.arange(reps), n),
        "number": np.tile(np.arange(n), reps),
        "state": "COMPLETE",
        "value": 0.7 + y.ravel(),
        "params_x": x.ravel(),
        "study_direction": "maximize",
    })


def none(x, k):
    return np.zeros(x.shape)


def monotone(r):
    return lambda x, k: r * x / (k - 1)


def inverted_u(s):
    return lambda x, k: -s * ((x - (k - 1) / 2) / ((k - 1) / 2)) ** 2


TREND = ("increasing", "decreasing", "peaked", "valley")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=4000, help="studies per setting")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--suggestion-studies", type=int, default=200,
                    help="studies per setting given to hi.suggestions, one call each")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    settings = [
        *[("no effect", none, k, 50, "any trend", "<= 0.05") for k in (3, 4, 5)],
        *[(f"monotone {r}", monotone(r), k, 50, "increasing", target)
          for r, target in ((0.03, ">= 0.95"), (0.015, ">= 0.60")) for k in (3, 4, 5)],
        ("inverted U 0.06", inverted_u(0.06), 5, 50, "peaked", ">= 0.80"),
        ("inverted U 0.015", inverted_u(0.015), 5, 50, "peaked", ">= 0.45"),
        *[("monotone 0.0075", monotone(0.0075), k, 1000, "increasing", ">= 0.95")
          for k in (3, 4, 5)],
    ]
    rows = []
    start = time.perf_counter()
    for name, f, k, n, right, target in settings:
        # the no-effect rates are held to a tight target: five times the studies there
        reps = args.reps * 5 if f is none else args.reps if n <= 50 else max(args.reps // 4, 1)
        trials = simulate(f, k, n, reps, rng)
        row = {"setting": name, "k": k, "n": n, "studies": reps, "counted": right,
               "target": target}
        for method in ("shape", "endpoints"):
            labels = hi.classify_trend(trials, params="x", method=method)["trend"]
            rate = labels.isin(TREND).mean() if right == "any trend" else (labels == right).mean()
            row[method] = round(float(rate), 4)
            if method == "shape":
                counts = labels.value_counts(normalize=True)
                row["shape labels"] = ", ".join(f"{lab} {v:.3f}" for lab, v in counts.items())
        # suggestions are the claims of hi.findings, whose error budget is the page: one
        # call per study (the first SUGGESTION_STUDIES of the setting)
        m = min(reps, args.suggestion_studies)
        worse = edge = 0
        for study in range(m):
            sg = hi.suggestions(trials[trials.study == study], params="x")
            worse += bool((sg.kind == "worse").any())
            edge += bool(((sg.kind == "edge") & (sg.value == k - 1)).any())
        row["any worse"] = round(worse / m, 4)
        row["edge at max"] = round(edge / m, 4)
        rows.append(row)
    out = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_colwidth", 90):
        print(out.to_string(index=False))
    print(f"\n{time.perf_counter() - start:.1f} s; Monte-Carlo sd of a rate p over m studies: "
          "sqrt(p (1 - p) / m), e.g. 0.0034 at p = 0.05, m = 4000.")


if __name__ == "__main__":
    main()
