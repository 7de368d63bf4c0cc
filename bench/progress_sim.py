"""How right hi.search_progress is, by simulation with known truth.

Three parts (``docs/curves.md``, "Search progress"):

* ``best``: the expected best of k trials against its exact value on known
  distributions (uniform: k/(k+1); normal: numerical integration of
  ``x d Phi(x)^k``; a discrete 6-value distribution: exact sum), for searches
  of n = 20, 50, 100, 200, 500 trials (also exponential: harmonic numbers; the
  uniform and discrete ones also with their true bounds given). Prints the mean
  error and the mean absolute error as a share of the distribution's range
  (normal, exponential: the 0.1%-99.9% span), how often the band covers the
  truth, for k <= n/4, n/4 < k <= n/2, n/2 < k <= n and at every k of the
  curve at once, and the band's mean width at k = 1, n/4 and n.
* ``plateau``: random searches on random test functions (a random quadratic
  in 2-6 uniform parameters, random noise, half of them with a heavy-tailed
  bonus), n = 20, 50, 100, 200. The truth is the expected gain of 50 more
  trials, ``E[best of n+50] - E[best of n]``, computed from 200,000 draws of
  the same function. Prints how often the verdict says "plateau" while the
  true gain exceeds its stated tolerance X (the target: at most 10% of
  searches), the same among searches whose true gain exceeds X, and how
  often "plateau" is said when it is true.

Run: ``python bench/progress_sim.py [best|plateau] [--reps 400] [--seed 0]``.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from scipy import integrate, stats

import hpo_insights as hi
from hpo_insights.progress import _k_grid, best_of_k_weights

NS = (20, 50, 100, 200, 500)


def truth_uniform(ks):
    return ks / (ks + 1.0)


def truth_normal(ks):
    out = []
    for k in ks:
        f = lambda x, k=k: x * k * stats.norm.pdf(x) * stats.norm.cdf(x) ** (k - 1)  # noqa: E731
        out.append(integrate.quad(f, -12, 12, limit=200)[0])
    return np.array(out)


DISCRETE_V = np.array([0.0, 0.5, 0.6, 0.7, 0.72, 0.8])
DISCRETE_P = np.array([0.05, 0.2, 0.4, 0.25, 0.08, 0.02])


def truth_discrete(ks):
    cdf = np.cumsum(DISCRETE_P)
    prev = np.r_[0.0, cdf[:-1]]
    return np.array([(DISCRETE_V * (cdf**k - prev**k)).sum() for k in ks])


def truth_exponential(ks):
    return np.array([np.sum(1.0 / np.arange(1, k + 1)) for k in ks])  # harmonic numbers


# name: (draw, exact truth, span for the errors, bounds given to search_progress)
DISTS = {
    "uniform(0, 1)": (lambda rng, size: rng.uniform(0, 1, size), truth_uniform, 1.0, None),
    "uniform, bounds (0,1)": (lambda rng, size: rng.uniform(0, 1, size), truth_uniform, 1.0,
                              (0.0, 1.0)),
    "normal(0, 1)": (lambda rng, size: rng.normal(0, 1, size), truth_normal,
                     stats.norm.ppf(0.999) - stats.norm.ppf(0.001), None),
    "exponential(1)": (lambda rng, size: rng.exponential(1, size), truth_exponential,
                       stats.expon.ppf(0.999) - stats.expon.ppf(0.001), None),
    "discrete 6 values": (lambda rng, size: rng.choice(DISCRETE_V, size=size, p=DISCRETE_P),
                          truth_discrete, 0.8, None),
    "discrete, bounds (0,.8)": (lambda rng, size: rng.choice(DISCRETE_V, size=size,
                                                            p=DISCRETE_P),
                                truth_discrete, 0.8, (0.0, 0.8)),
}


def frame(values: np.ndarray, direction: str = "maximize") -> pd.DataFrame:
    reps, n = values.shape
    return pd.DataFrame({"study": np.repeat(np.arange(reps), n),
                         "number": np.tile(np.arange(n), reps), "state": "COMPLETE",
                         "value": values.ravel(), "study_direction": direction})


def _parts(ks: np.ndarray, n: int) -> list[np.ndarray]:
    return [ks <= n / 4, (ks > n / 4) & (ks <= n / 2), ks > n / 2]


def best(reps: int, rng: np.random.Generator) -> None:
    print("expected best of k: error / span, band coverage and mean width / span (95% band)")
    print(f"{'distribution':<24}{'n':>5}{'mean err':>10}{'mean |err|':>11}"
          f"{'cover k<=n/4':>14}{'n/4<k<=n/2':>12}{'k>n/2':>8}{'all k':>8}"
          f"{'width k=1':>11}{'k=n/4':>8}{'k=n':>8}")
    for name, (draw, truth, span, bounds) in DISTS.items():
        for n in NS:
            ks = _k_grid(n)
            true = truth(ks)
            sp = hi.search_progress(frame(draw(rng, (reps, n))), bounds=bounds,
                                    seed=int(rng.integers(2**31)))
            c = sp.curve
            est = c["expected_best"].to_numpy().reshape(reps, len(ks))
            low = c["band_low"].to_numpy().reshape(reps, len(ks))
            high = c["band_high"].to_numpy().reshape(reps, len(ks))
            err = (est - true) / span
            cover = (low <= true + 1e-12) & (true - 1e-12 <= high)
            cov = [cover[:, p].mean() for p in _parts(ks, n)]
            width = (high - low).mean(axis=0) / span
            at = [0, int(np.argmin(np.abs(ks - n / 4))), len(ks) - 1]
            print(f"{name:<24}{n:>5}{err.mean():>+10.2%}{np.abs(err).mean():>11.2%}"
                  f"{cov[0]:>14.1%}{cov[1]:>12.1%}{cov[2]:>8.1%}{cover.all(axis=1).mean():>8.1%}"
                  f"{width[at[0]]:>11.1%}{width[at[1]]:>8.1%}{width[at[2]]:>8.1%}")


def random_function(rng: np.random.Generator):
    d = int(rng.integers(2, 7))
    a = rng.uniform(0.2, 2.0, d)
    c = rng.uniform(0, 1, d)
    noise = rng.uniform(0.0, 0.1)
    heavy = rng.random() < 0.5

    def f(r, size):
        x = r.uniform(0, 1, (size, d))
        y = -(a * (x - c) ** 2).sum(axis=1) + r.normal(0, noise, size)
        if heavy:  # a rare large bonus: the tail a search of n trials may not have seen
            y = y + (r.random(size) < 0.01) * r.exponential(0.3, size)
        return y

    return f


def plateau(reps: int, rng: np.random.Generator, more: int = 50, n_functions: int = 40) -> None:
    print(f"plateau verdict (more={more}, default tolerance: 1% of the interdecile range)")
    print(f"{'n':>5}{'searches':>10}{'plateau said':>14}{'wrong (all)':>13}"
          f"{'wrong | gain>X':>16}{'right | gain<=X':>17}")
    for n in (20, 50, 100, 200):
        said, wrong, big, right, small, total = 0, 0, 0, 0, 0, 0
        for _ in range(n_functions):
            f = random_function(rng)
            pop = np.sort(f(rng, 200_000))
            w = best_of_k_weights(len(pop), np.array([n, n + more]))
            e_n, e_nm = pop @ w
            gain = e_nm - e_n
            sp = hi.search_progress(frame(f(rng, reps * n).reshape(reps, n)), more=more,
                                    seed=int(rng.integers(2**31)))
            s = sp.summary
            plat = s["plateau"].astype(bool).to_numpy()
            exceeds = gain > s["tolerance"].to_numpy()
            total += reps
            said += plat.sum()
            wrong += (plat & exceeds).sum()
            big += exceeds.sum()
            right += (plat & ~exceeds).sum()
            small += (~exceeds).sum()
        print(f"{n:>5}{total:>10}{said / total:>14.1%}{wrong / total:>13.1%}"
              f"{(wrong / big if big else np.nan):>16.1%}"
              f"{(right / small if small else np.nan):>17.1%}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("part", nargs="?", choices=["best", "plateau", "all"], default="all")
    ap.add_argument("--reps", type=int, default=400)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    if args.part in ("best", "all"):
        best(args.reps, rng)
    if args.part in ("plateau", "all"):
        plateau(max(args.reps // 8, 10), rng)


if __name__ == "__main__":
    main()
