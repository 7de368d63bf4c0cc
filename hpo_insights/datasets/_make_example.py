"""Generate the bundled example: three seeded Optuna TPE studies of a simulated objective.

Run ``python -m hpo_insights.datasets._make_example [--out DIR]`` to write
``example.db`` (one Optuna SQLite storage holding the three studies) and
``example.csv`` (its trials frame, as ``hi.load`` reads it) into *DIR*
(default: the package's ``datasets/data`` folder).

Everything is deterministic: the sampler is ``TPESampler(seed=SEED + study
index)``, the pruner a ``PercentilePruner`` (a function of the trials so far),
the one failure a fixed trial, and the simulated noise of a trial comes from
``numpy.random.default_rng((SEED, study index, trial number))``. Re-running
gives the same parameters, values and states (timestamps differ), as long as
Optuna's TPE sampler draws the same numbers: the shipped files were written
with Optuna :data:`OPTUNA_VERSION`.

The truth behind the objective is :data:`hpo_insights.datasets.EXAMPLE_TRUTH`;
``docs/example-data.md`` explains it.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hpo_insights.datasets import DATA_DIR, EXAMPLE_CSV, EXAMPLE_DB, EXAMPLE_TRUTH

SEED = 20240611
N_TRIALS = 50
OPTUNA_VERSION = "5.0.0"  # the version that wrote the shipped files
HARDWARE = "a100"
BUDGETS = ("2M", "20M", "200M")

# Search spaces: (low, high, step) for ints, a list for categoricals.
ARCHITECTURE: dict[str, dict[str, Any]] = {
    "2M": {"d_model": (32, 96, 16), "n_layers": (2, 6, 1), "n_heads": [2, 4, 8]},
    "20M": {"d_model": (64, 192, 32), "n_layers": (4, 8, 1), "n_heads": [4, 8]},
    "200M": {"d_model": (128, 384, 64), "n_layers": (6, 12, 2), "n_heads": [8, 16]},
}
D_FF_RATIO = [2, 4]
LEARNING_RATE = (1e-5, 1e-3)  # log scale
DROPOUT = (0.1, 0.7, 0.2)
WEIGHT_DECAY = [0.0, 1e-5, 1e-4, 1e-3]

# Training simulation.
EPOCHS = 5
PRUNE_AFTER_EPOCH = 2  # the single pruning check
PRUNE_PERCENTILE = 90.0  # PercentilePruner keeps the top 90% after epoch 2
PRUNE_STARTUP = 10  # ... once 10 trials have completed
POSITIVE_RATE = 0.3  # share of positives: where a collapsed model's scores sit
FAIL_TRIAL = ("20M", 27)  # a simulated hardware fault (the study's only FAIL)
EXTREMES = ("d_model", "n_layers", "n_heads")


class HardwareFault(RuntimeError):
    """The simulated infrastructure failure of one trial (caught by ``optimize``)."""


def grid(budget: str, param: str) -> list:
    """The values a parameter can take in *budget* (endpoints for learning_rate)."""
    arch = ARCHITECTURE[budget]
    if param in ("d_model", "n_layers"):
        low, high, step = arch[param]
        return list(range(low, high + 1, step))
    if param == "n_heads":
        return list(arch["n_heads"])
    if param == "d_ff_ratio":
        return list(D_FF_RATIO)
    if param == "weight_decay":
        return list(WEIGHT_DECAY)
    if param == "dropout":
        low, high, step = DROPOUT
        # Optuna's own grid for a stepped float: low + k * step (0.30000000000000004).
        return [low + k * step for k in range(round((high - low) / step) + 1)]
    if param == "learning_rate":
        return list(LEARNING_RATE)
    raise KeyError(param)


def position(budget: str, param: str, value: float) -> float:
    """Where *value* sits in the parameter's range, in [0, 1] (see EXAMPLE_TRUTH)."""
    if param == "learning_rate":
        low, high = LEARNING_RATE
        return (math.log10(value) - math.log10(low)) / (math.log10(high) - math.log10(low))
    values = grid(budget, param)
    if param in ("n_heads", "d_ff_ratio", "weight_decay"):
        return values.index(value) / (len(values) - 1)
    low, high = values[0], values[-1]
    return (value - low) / (high - low)


def contribution(budget: str, param: str, value: float) -> float:
    """The parameter's true contribution to the AUC (<= 0; 0 at its best value)."""
    truth = EXAMPLE_TRUTH["budgets"][budget]["params"][param]
    amp, shape = truth["amplitude"], truth["shape"]
    u = position(budget, param, value)
    if shape == "none":
        return 0.0
    if shape == "increasing":
        return -amp * (1.0 - u)
    if shape == "decreasing":
        return -amp * u
    if shape == "peaked":
        u_opt = position(budget, param, truth["optimum"])
        return -amp * ((u - u_opt) / max(u_opt, 1.0 - u_opt)) ** 2
    raise ValueError(f"unknown shape {shape!r}")


def true_auc(budget: str, params: dict[str, Any]) -> float:
    """The noise-free AUC of a configuration (ignoring collapse)."""
    base = EXAMPLE_TRUTH["budgets"][budget]["best_auc"]
    return base + sum(contribution(budget, p, v) for p, v in params.items())


def collapses(budget: str, params: dict[str, Any]) -> bool:
    """True when training diverges (the budget's collapse rule)."""
    rule = EXAMPLE_TRUTH["budgets"][budget]["collapse"]
    if rule is None:
        return False
    return (
        params["learning_rate"] >= rule["learning_rate_at_least"]
        and params["dropout"] <= rule["dropout_at_most"] + 1e-9
    )


def simulate(budget: str, number: int, params: dict[str, Any]) -> dict[str, Any]:
    """Simulated training of one trial: AUC per epoch and prediction statistics.

    All randomness comes from one generator keyed by (SEED, study, trial),
    drawn in a fixed order whatever happens, so a trial's outcome depends only
    on its study, number and parameters.
    """
    rng = np.random.default_rng((SEED, BUDGETS.index(budget), number))
    noise_sd = EXAMPLE_TRUTH["noise_sd"]
    final_noise = rng.normal(0.0, noise_sd)
    epoch_noise = rng.normal(0.0, 0.003, EPOCHS)
    collapse_noise = rng.normal(0.0, 0.004)
    z = rng.normal(0.0, 1.0, 4)
    u = rng.uniform(0.0, 1.0, 3)

    collapsed = collapses(budget, params)
    auc = 0.5 + collapse_noise if collapsed else true_auc(budget, params) + final_noise
    # Learning curve: low learning rates learn slowly (and are the ones pruned).
    rate = 0.8 * (params["learning_rate"] / 1e-4) ** 0.15
    epochs = np.arange(1, EPOCHS + 1)
    learned = (1.0 - np.exp(-rate * epochs)) / (1.0 - np.exp(-rate * EPOCHS))
    healthy = true_auc(budget, params) + final_noise
    curve = 0.5 + (healthy - 0.5) * learned + epoch_noise
    if collapsed:
        # Fine for three epochs, then the loss blows up and the scores flatten.
        curve[3:] = 0.5 + collapse_noise
    curve[-1] = auc

    if collapsed:
        center = POSITIVE_RATE + 0.01 * z[0]
        stats = {
            "pred_min": center - 0.002 - 0.008 * u[0],
            "pred_max": center + 0.002 + 0.008 * u[1],
            "pred_std": 0.001 + 0.003 * u[2],
            "recall": 0.0,  # every score is below the 0.5 threshold
        }
    else:
        stats = {
            "pred_min": 0.01 + 0.05 * u[0],
            "pred_max": 0.85 + 0.12 * u[1],
            "pred_std": 0.10 + 1.0 * (auc - 0.60) + 0.01 * z[1],
            "recall": float(np.clip(0.25 + 2.5 * (auc - 0.60) + 0.03 * z[2], 0.0, 1.0)),
        }
    # Logged like a training script would: four decimals.
    return {"auc": float(auc), "curve": [float(c) for c in curve], "collapsed": collapsed,
            "stats": {k: round(float(v), 4) for k, v in stats.items()}}


def suggest(trial: Any, budget: str) -> dict[str, Any]:
    """Ask the trial for every parameter, in a fixed order."""
    arch = ARCHITECTURE[budget]
    low, high, step = arch["d_model"]
    d_model = trial.suggest_int("d_model", low, high, step=step)
    low, high, step = arch["n_layers"]
    n_layers = trial.suggest_int("n_layers", low, high, step=step)
    return {
        "d_model": d_model,
        "n_layers": n_layers,
        "n_heads": trial.suggest_categorical("n_heads", arch["n_heads"]),
        "d_ff_ratio": trial.suggest_categorical("d_ff_ratio", D_FF_RATIO),
        "learning_rate": trial.suggest_float("learning_rate", *LEARNING_RATE, log=True),
        "dropout": trial.suggest_float("dropout", DROPOUT[0], DROPOUT[1], step=DROPOUT[2]),
        "weight_decay": trial.suggest_categorical("weight_decay", WEIGHT_DECAY),
    }


def objective(trial: Any, budget: str) -> float:
    """Train (simulated) one configuration: report epochs, maybe prune or fail."""
    import optuna

    params = suggest(trial, budget)
    result = simulate(budget, trial.number, params)
    for epoch, auc in enumerate(result["curve"], start=1):
        if (budget, trial.number) == FAIL_TRIAL and epoch == 2:
            raise HardwareFault("simulated hardware fault: lost the GPU during epoch 2")
        trial.report(auc, epoch)
        if epoch == PRUNE_AFTER_EPOCH and trial.should_prune():
            raise optuna.TrialPruned()
    for key, value in result["stats"].items():
        trial.set_user_attr(key, value)
    return result["auc"]


def middle(values: Sequence) -> Any:
    """The mid-grid value: the upper middle element."""
    return values[len(values) // 2]


def extremes(budget: str) -> list[tuple[str, dict[str, Any]]]:
    """The six forced trials: one architecture parameter at its min or max, all else mid-grid."""
    mid = {p: middle(grid(budget, p))
           for p in ("d_model", "n_layers", "n_heads", "d_ff_ratio", "dropout", "weight_decay")}
    low, high = LEARNING_RATE
    mid["learning_rate"] = math.sqrt(low * high)  # the middle of the log range: 1e-4
    out = []
    for param in EXTREMES:
        values = grid(budget, param)
        for side, value in (("min", values[0]), ("max", values[-1])):
            out.append((f"{side}_{param}", {**mid, param: value}))
    return out


def make_study(budget: str, storage: str) -> Any:
    """Create, seed and run the study of one budget in *storage*."""
    import optuna

    study = optuna.create_study(
        study_name=EXAMPLE_TRUTH["budgets"][budget]["study"],
        storage=storage,
        direction=EXAMPLE_TRUTH["direction"],
        sampler=optuna.samplers.TPESampler(seed=SEED + BUDGETS.index(budget)),
        pruner=optuna.pruners.PercentilePruner(PRUNE_PERCENTILE, n_startup_trials=PRUNE_STARTUP),
    )
    study.set_metric_names([EXAMPLE_TRUTH["metric"]])
    study.set_user_attr("budget", budget)
    study.set_user_attr("hardware", HARDWARE)
    for name, params in extremes(budget):
        study.enqueue_trial(params, user_attrs={"extreme_type": name})
    study.optimize(lambda t: objective(t, budget), n_trials=N_TRIALS, catch=(HardwareFault,))
    return study


def generate(out: str | Path = DATA_DIR) -> tuple[Path, Path]:
    """Write ``example.db`` and ``example.csv`` into *out*; return their paths."""
    import warnings

    import optuna

    from hpo_insights.io import load

    if optuna.__version__ != OPTUNA_VERSION:
        warnings.warn(
            f"Optuna {optuna.__version__} is running, the shipped example was written with "
            f"{OPTUNA_VERSION}: TPE may sample differently and the data may not match.",
            stacklevel=2,
        )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    db, csv = out / EXAMPLE_DB, out / EXAMPLE_CSV
    db.unlink(missing_ok=True)
    storage = optuna.storages.RDBStorage(f"sqlite:///{db}")
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        for budget in BUDGETS:
            make_study(budget, storage)
    storage.engine.dispose()
    trials = load(db)
    _check(trials)
    trials.to_csv(csv, index=False)
    return db, csv


def _check(trials: Any) -> None:
    """Fail loudly if the generated data lost a property the example promises."""
    states = trials["state"].value_counts()
    problems = []
    if states.get("FAIL", 0) != 1:
        problems.append(f"{states.get('FAIL', 0)} FAIL trials instead of 1")
    if states.get("PRUNED", 0) < 3:
        problems.append(f"only {states.get('PRUNED', 0)} PRUNED trials")
    done = trials[trials["state"] == "COMPLETE"]
    collapsed = done[(done["user_attrs_pred_max"] - done["user_attrs_pred_min"]) < 0.05]
    if collapsed.empty:
        problems.append("no collapsed trial")
    best = done.groupby("study_user_attrs_budget")["value"].max()
    order = tuple(best.sort_values(ascending=False).index)
    if order != EXAMPLE_TRUTH["scaling"]:
        problems.append(f"best AUC order {order} instead of {EXAMPLE_TRUTH['scaling']}")
    if problems:
        raise RuntimeError("The generated example does not hold: " + "; ".join(problems) + ".")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m hpo_insights.datasets._make_example [--out DIR]``."""
    parser = argparse.ArgumentParser(
        prog="python -m hpo_insights.datasets._make_example",
        description="Write the bundled example (example.db, example.csv) deterministically.",
    )
    parser.add_argument("--out", default=str(DATA_DIR),
                        help="folder to write into (default: the package's data folder)")
    args = parser.parse_args(argv)
    db, csv = generate(args.out)
    for path in (db, csv):
        print(f"wrote {path} ({path.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
