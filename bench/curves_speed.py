"""Speed of the curve analyses: 1,000 trials x 100 steps (target: all of it under 1 s).

Times ``hi.fidelity_correlation``, ``hi.pruning_audit`` (Optuna's MedianPruner,
SuccessiveHalvingPruner and a KeepTop rule, each replayed on the curves) and
``hi.search_progress`` on the 1,000 trials (also its first call for n = 1,000,
which calibrates the band), best of *repeat* runs each, and their sum (with the
first call of ``search_progress``); apart from the sum, ``pruning_audit`` with
``rule=None`` on a study whose pruner stopped trials (it first identifies the
pruner from the recorded decisions). Half the trials keep improving, so the
median rule stops about half.

Run: ``python bench/curves_speed.py [--trials 1000] [--steps 100] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import optuna
import pandas as pd

import hpo_insights as hi
from hpo_insights.progress import order_statistic_band


def curves_frame(n: int, s: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    level = rng.normal(0, 1, (n, 1))
    steps = np.arange(s)
    values = level + 2.0 / (1 + steps) + rng.normal(0, 0.3, (n, s)) / np.sqrt(1 + steps)
    curves = pd.DataFrame({"study": "s", "number": np.repeat(np.arange(n), s),
                           "state": "COMPLETE", "step": np.tile(steps, n),
                           "value": values.ravel()})
    trials = pd.DataFrame({"study": "s", "number": np.arange(n), "state": "COMPLETE",
                           "value": values[:, -1], "study_direction": "minimize"})
    return curves, trials


IDENTIFY = "pruning_audit(rule=None), pruned study"


def _pruned_by(curves: pd.DataFrame, spec: str) -> pd.DataFrame:
    """The curves as a study pruned by *spec* would have recorded them: each stopped
    trial's curve cut at its stop and marked PRUNED (a stopped trial never counts for
    later ones, so the cut curves replay to the same stops)."""
    audit = hi.pruning_audit(curves, rule=spec, direction="minimize", n_resamples=1)
    stop = audit.trials.set_index("number")["pruned_at"].astype("Float64")
    at = curves["number"].map(stop).to_numpy(dtype=float, na_value=np.inf)
    cut = curves[curves["step"].to_numpy() <= at].copy()
    cut.loc[np.isfinite(at[curves["step"].to_numpy() <= at]), "state"] = "PRUNED"
    return cut


def best_time(fn, repeat: int) -> tuple[float, float]:
    """The shortest wall-clock and CPU (process) time of *repeat* calls."""
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    curves, trials = curves_frame(args.trials, args.steps)
    calls = {
        "fidelity_correlation": lambda: hi.fidelity_correlation(curves),
        "pruning_audit(MedianPruner())": lambda: hi.pruning_audit(
            curves, rule=optuna.pruners.MedianPruner(), direction="minimize"),
        "pruning_audit(SuccessiveHalvingPruner())": lambda: hi.pruning_audit(
            curves, rule=optuna.pruners.SuccessiveHalvingPruner(), direction="minimize"),
        "pruning_audit(KeepTop(step=10))": lambda: hi.pruning_audit(
            curves, rule=hi.pruning.KeepTop(step=10), direction="minimize"),
        "search_progress": lambda: hi.search_progress(trials),
    }
    # the band's calibration for n trials is computed once per (n, alpha) and cached;
    # the first call for an n pays for it
    calls["search_progress, first call for n"] = lambda: (
        order_statistic_band.cache_clear(), hi.search_progress(trials))
    # the replay's worst case: every trial better than the ones before, none stopped, so
    # every trial is compared with all earlier ones at every step
    worst = curves.assign(value=curves["value"] - 10.0 * curves["number"] / args.trials)
    calls["pruning_audit(MedianPruner()), none stopped"] = lambda: hi.pruning_audit(
        worst, rule=optuna.pruners.MedianPruner(), direction="minimize")
    # a study whose pruner stopped trials (the median rule with n_warmup_steps=3, curves cut
    # where it stopped them): pruning_audit(rule=None) first identifies the pruner
    pruned = _pruned_by(curves, "median:n_warmup_steps=3")
    calls["pruning_audit(rule=None), pruned study"] = lambda: hi.pruning_audit(
        pruned, direction="minimize")
    for fn in calls.values():  # warm up: imports of scipy and optuna
        fn()
    total = [0.0, 0.0]
    worst_case = "pruning_audit(MedianPruner()), none stopped"
    print(f"{args.trials} trials x {args.steps} steps ({len(curves):,} curve rows), "
          f"best of {args.repeat}; wall / CPU")
    for name, fn in calls.items():
        t = best_time(fn, args.repeat)
        if name not in (worst_case, "search_progress", IDENTIFY):
            total = [total[0] + t[0], total[1] + t[1]]
        print(f"  {name:<42} {t[0] * 1000:8.1f} ms {t[1] * 1000:8.1f} ms")
    audit = hi.pruning_audit(curves, rule=optuna.pruners.MedianPruner(), direction="minimize")
    print(f"  {'all of it (one median replay, first call)':<42} {total[0] * 1000:8.1f} ms "
          f"{total[1] * 1000:8.1f} ms  (target < 1000 ms)")
    print(f"  median rule stops {int(audit.summary.n_stopped.iloc[0])} trials, saves "
          f"{audit.summary.share_saved.iloc[0]:.1%} of the steps")


if __name__ == "__main__":
    main()
