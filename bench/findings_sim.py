"""How often the page's claims are wrong: ``hi.findings`` on searches made by Optuna, known truth.

A simulated report is three budgets ("2M", "20M", "200M") of *n* trials each
(default 50), searched by Optuna over six parameters: ``lr`` (float, log, 1e-5
to 1e-1), ``dropout`` (float 0 to 0.3, step 0.05), ``n_layers`` (int 1 to 4),
``optimizer`` (categorical, 3), ``wd`` (categorical 0, 1e-5, 1e-4, 1e-3) and
``warmup`` (float 0 to 0.1). The objective (maximized) is
``0.70 + gain * step + f(params) + N(0, 0.015**2)``. Cells:

* ``null-uniform``, ``null-tpe``: nothing matters (``f = 0``, gain 0), Optuna's
  RandomSampler / TPESampler.
* ``null-tpe-pruner``: as ``null-tpe``, with a MedianPruner; each trial
  reports 5 intermediate values (a rising curve, the last one the objective).
* ``null-tpe-diverged``: as ``null-tpe``; each trial diverges (objective 0.5)
  with probability 2 / n (about two per study).
* ``two-uniform``, ``two-tpe``: two parameters matter: ``lr`` peaked in log
  space, ``f_lr = -0.03 ((u - 0.6) / 0.6)**2`` with ``u`` the position of
  ``log10 lr`` in its range, and ``dropout`` decreasing, ``-0.015 dropout / 0.3``;
  gain 0.02 per budget step (scaling holds).
* ``moving-uniform``: as ``two-uniform`` but dropout's optimum moves with the
  budget, ``-0.01 |dropout - o_b| / 0.1``, ``o_b`` = 0, 0.15, 0.3 (dropout
  inconsistent across budgets).
* ``tpe-200``: the two-parameter truth with gain 0 (equal budgets), TPE,
  200 trials per budget.
* ``pruner-rank``: ``two-tpe`` with a MedianPruner. With both pruner cells
  the findings are made twice: the default (``pruned="auto"``, which is ranks
  when more than 20% of a study's trials were pruned, as here),
  ``pruned="drop"`` (pruned trials left out) and ``pruned="last"`` (pruned
  trials with their last reported value).

A claimed row is false when: "matters" for a parameter without effect; a shape
other than the truth ("peaked" for lr, "decreasing" for dropout; any for the
rest), or "flat" for lr/dropout; any "edge" (lr's optimum is inside its range,
dropout's best is its natural bound 0); "worse" for a parameter without
effect; "inconsistent" except for dropout in ``moving-uniform``; scaling
"violated", or "holds" with equal budgets; any "plateau" (the search-progress
rows are on the page: every objective here carries N(0, 0.015**2) noise, and
the estimated gain of 50 more trials, ``min_plateau_gain`` below, stays
several times above the tolerance of 1% of the interdecile range, about
0.0004). Winner rows ("best_better") need per-fold scores, which these
searches do not have: they are simulated in ``bench/compare_top_sim.py``.

Generated searches are cached (``--cache``, one pickle per cell and rep), so
the analysis can be rerun on the same searches after a code change.

Run: ``nice python bench/findings_sim.py --cells null-uniform,null-tpe --reps 200``
(TPE: about 3 s per report of 150 trials on one core; ``tpe-200`` about 30 s).
"""

from __future__ import annotations

import os

# one core per simulation: threaded BLAS on a busy machine makes each small fit ~20x slower
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import pickle  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
import zlib  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import hpo_insights as hi  # noqa: E402

BUDGETS = ("2M", "20M", "200M")
SD = 0.015
NO_EFFECT = ["n_layers", "optimizer", "wd", "warmup"]
CELLS = {
    # name: (sampler, truth, gain, n, pruner, diverged)
    "null-uniform": ("random", "null", 0.0, 50, False, False),
    "null-tpe": ("tpe", "null", 0.0, 50, False, False),
    "null-tpe-pruner": ("tpe", "null", 0.0, 50, True, False),
    "null-tpe-diverged": ("tpe", "null", 0.0, 50, False, True),
    "two-uniform": ("random", "two", 0.02, 50, False, False),
    "two-tpe": ("tpe", "two", 0.02, 50, False, False),
    "moving-uniform": ("random", "moving", 0.02, 50, False, False),
    "tpe-200": ("tpe", "two", 0.0, 200, False, False),
    "pruner-rank": ("tpe", "two", 0.02, 50, True, False),
}
OPTIMA = (0.0, 0.15, 0.3)


def f_params(truth: str, step: int, lr: float, dropout: float) -> float:
    if truth == "null":
        return 0.0
    u = (np.log10(lr) + 5) / 4
    out = -0.03 * ((u - 0.6) / 0.6) ** 2
    if truth == "two":
        out += -0.015 * dropout / 0.3
    else:
        out += -0.01 * abs(dropout - OPTIMA[step]) / 0.1
    return out


def one_search(cell: str, rep: int) -> pd.DataFrame:
    import optuna

    sampler_kind, truth, gain, n, pruner, diverged = CELLS[cell]
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    studies = []
    for step, budget in enumerate(BUDGETS):
        seed = 1_000_003 * rep + 7919 * step + zlib.crc32(cell.encode()) % 1000
        rng = np.random.default_rng(seed)
        sampler = (optuna.samplers.TPESampler(seed=seed) if sampler_kind == "tpe"
                   else optuna.samplers.RandomSampler(seed=seed))
        study = optuna.create_study(
            study_name=budget, direction="maximize", sampler=sampler,
            pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1)
            if pruner else optuna.pruners.NopPruner())
        study.set_user_attr("budget", budget)

        def objective(trial, step=step, rng=rng):
            lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
            dropout = trial.suggest_float("dropout", 0.0, 0.3, step=0.05)
            trial.suggest_int("n_layers", 1, 4)
            trial.suggest_categorical("optimizer", ["adam", "sgd", "rmsprop"])
            trial.suggest_categorical("wd", [0.0, 1e-5, 1e-4, 1e-3])
            trial.suggest_float("warmup", 0.0, 0.1)
            y = 0.70 + gain * step + f_params(truth, step, lr, dropout) + rng.normal(0, SD)
            if diverged and rng.uniform() < 2 / n:
                return 0.5
            if pruner:
                for k in range(5):
                    v = y - 0.02 * (4 - k) / 4 + (rng.normal(0, 0.003) if k < 4 else 0.0)
                    trial.report(v, k)
                    if trial.should_prune():
                        raise optuna.TrialPruned()
            return y

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            study.optimize(objective, n_trials=n)
        studies.append(study)
    return hi.from_optuna(studies)


def searches(cell: str, reps: int, cache: str | None):
    for rep in range(reps):
        path = os.path.join(cache, f"{cell}-{rep}.pkl") if cache else None
        if path and os.path.exists(path):
            with open(path, "rb") as fh:
                yield pickle.load(fh)
            continue
        trials = one_search(cell, rep)
        if path:
            os.makedirs(cache, exist_ok=True)
            with open(path, "wb") as fh:
                pickle.dump(trials, fh)
        yield trials


def false_rows(f: pd.DataFrame, cell: str) -> pd.Series:
    _, truth, gain, *_ = CELLS[cell]
    effect = {"lr", "dropout"} if truth != "null" else set()
    shape = {"lr": "peaked", "dropout": "decreasing"} if truth == "two" else {"lr": "peaked"}
    c = f[f.claimed]
    bad = pd.Series(False, index=c.index)
    m = c.claim == "matters"
    bad |= m & ~c.param.isin(effect)
    s = c.claim == "shape"
    bad |= s & (c.value == "flat") & c.param.isin(effect)
    bad |= s & (c.value != "flat") & (c.value != c.param.map(shape).fillna("-"))
    if truth == "moving":  # dropout's shape differs by budget: only peaked/flat are wrong
        bad &= ~(s & (c.param == "dropout") & (c.value != "flat"))
    bad |= c.claim == "edge"
    bad |= (c.claim == "worse") & ~c.param.isin(effect)
    incons = (c.claim == "consistency") & (c.value == "inconsistent")
    bad |= incons & ~((c.param == "dropout") & (truth == "moving"))
    sc = c.claim == "scaling"
    bad |= sc & (c.value == "violated")
    bad |= sc & (c.value == "holds") & (gain == 0)
    bad |= c.claim == "plateau"
    return bad


def run_cell(cell: str, reps: int, cache: str | None, **kw) -> dict:
    t0 = time.time()
    stats = []
    for trials in searches(cell, reps, cache):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f = hi.findings(trials, **kw)
        bad = false_rows(f, cell)
        c = f[f.claimed]
        matters = c[c.claim == "matters"]
        shapes = c[(c.claim == "shape") & (c.param == "lr")]
        incons = c[(c.claim == "consistency") & (c.value == "inconsistent")]
        scaling = f[f.claim == "scaling"]["value"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            top = hi.scaling_check(trials, method="top", n_resamples=500).verdict
        stats.append({
            "false": int(bad.sum()),
            "lr": "lr" in set(matters.param),
            "dropout": "dropout" in set(matters.param),
            "lr_shapes": len(shapes), "lr_peaked": int((shapes.value == "peaked").sum()),
            **{f"inc_{p}": p in set(incons.param) for p in ["lr", "dropout", *NO_EFFECT]},
            "scaling": scaling.iloc[0] if len(scaling) else "",
            "top": top,
            "n_pruned": int(trials.state.eq("PRUNED").sum()),
            "plateau": int((c.claim == "plateau").sum()),
            "plateau_gain": f.loc[f.claim == "plateau", "effect"].min(),
        })
    s = pd.DataFrame(stats)
    out = {
        "cell": cell, "reps": len(s),
        "any_false": s["false"].gt(0).mean(), "mean_false": s["false"].mean(),
        "lr_matters": s["lr"].mean(), "dropout_matters": s["dropout"].mean(),
        "lr_peaked_of_shapes": (s.lr_peaked.sum() / s.lr_shapes.sum()) if s.lr_shapes.sum()
        else np.nan,
        "inc_no_effect_max": max(s[f"inc_{p}"].mean() for p in NO_EFFECT),
        "inc_lr": s["inc_lr"].mean(), "inc_dropout": s["inc_dropout"].mean(),
        "holds": s.scaling.eq("holds").mean(), "violated": s.scaling.eq("violated").mean(),
        "top_holds": s.top.eq("holds").mean(), "top_violated": s.top.eq("violated").mean(),
        "pruned_per_report": s.n_pruned.mean(),
        "plateau_reports": s.plateau.gt(0).mean(), "min_plateau_gain": s.plateau_gain.min(),
        "seconds": round(time.time() - t0, 1),
    }
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", default=",".join(c for c in CELLS if c != "tpe-200"))
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--cache", default=os.path.join("bench", "_out", "findings_cache"))
    ap.add_argument("--generate-only", action="store_true")
    args = ap.parse_args(argv)
    pd.set_option("display.width", 200)
    for cell in args.cells.split(","):
        if args.generate_only:
            t0 = time.time()
            for _ in searches(cell, args.reps, args.cache):
                pass
            print(f"{cell}: {args.reps} searches in {time.time() - t0:.0f} s", flush=True)
            continue
        res = [run_cell(cell, args.reps, args.cache)]
        if cell in ("pruner-rank", "null-tpe-pruner"):  # the default is ranks here ("auto")
            for mode in ("drop", "last"):
                res.append({**run_cell(cell, args.reps, args.cache, pruned=mode),
                            "cell": f"{cell} (pruned='{mode}')"})
        for r in res:
            print("  ".join(f"{k}={v:.3g}" if k == "min_plateau_gain" else
                            f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                            for k, v in r.items()), flush=True)


if __name__ == "__main__":
    main()
