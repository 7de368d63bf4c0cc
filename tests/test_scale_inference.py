"""Kind and scale of a parameter: the same from an Optuna storage and from its CSV export.

The storage records each parameter's distribution; ``study.trials_dataframe()`` written
to CSV does not, so there the values decide (``_binning.param_kind`` and
``_binning.is_log_scale``). The levels (values or bins) and the scales must agree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hpo_insights as hi
from hpo_insights import _binning

optuna = pytest.importorskip("optuna")
optuna.logging.set_verbosity(optuna.logging.WARNING)


def _search(tmp_path, n: int, seed: int):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    study = optuna.create_study(study_name="s", storage=url, direction="maximize",
                                sampler=optuna.samplers.RandomSampler(seed=seed))

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-5, 1e-2, log=True)
        drop = trial.suggest_float("dropout", 0.0, 0.5, step=0.1)
        wd = trial.suggest_categorical("weight_decay", [0.0, 1e-5, 1e-4, 1e-3])
        layers = trial.suggest_int("n_layers", 2, 8)
        width = trial.suggest_int("width", 16, 1024, log=True)
        mom = trial.suggest_float("momentum", 0.5, 0.99)
        trial.suggest_categorical("optimizer", ["adam", "sgd"])
        return -(np.log10(lr) + 3) ** 2 - drop + 100 * wd + 0.01 * layers + mom + 1e-4 * width

    study.optimize(objective, n_trials=n)
    csv = tmp_path / "trials.csv"
    study.trials_dataframe().to_csv(csv, index=False)
    return url, csv


@pytest.mark.parametrize(("n", "seed"), [(30, 0), (60, 1), (150, 2)])
def test_storage_and_csv_give_the_same_levels_and_scales(tmp_path, n, seed):
    """Same values or bins, counts and log/linear scale; only the CSV says "inferred"."""
    url, csv = _search(tmp_path, n, seed)
    cols = ["param", "value", "low", "high", "binned", "n_trials"]
    # (a CSV orders its columns by name: compare parameter by parameter)
    stored = hi.value_table(hi.load(url)).sort_values("param", kind="stable")
    read = hi.value_table(hi.load(csv)).sort_values("param", kind="stable")
    pd.testing.assert_frame_equal(stored[cols].reset_index(drop=True),
                                  read[cols].reset_index(drop=True))
    assert not stored.scale_inferred.any() and read.scale_inferred.all()
    numeric = ~stored.scale.isin(["categorical"]).to_numpy()  # (a categorical of numbers:
    assert (stored.scale.to_numpy()[numeric] == read.scale.to_numpy()[numeric]).all()  # levels)
    # the weight decay is 4 levels from either source, never a bin such as [0.0001, 0.001]
    wd = read[read.param == "weight_decay"]
    assert not wd.binned.any() and set(wd.value) <= {0.0, 1e-5, 1e-4, 1e-3}
    lr = read[read.param == "lr"]
    assert lr.binned.all() and (lr.scale == "log").all()


@pytest.mark.parametrize("values", [
    [0.0, 1e-5, 1e-4, 1e-3], [0.1, 0.2, 0.5], np.round(np.arange(0, 0.55, 0.05), 2).tolist()])
def test_repeated_few_values_are_levels(values):
    """A float taking at most 12 values with repeats is a grid (levels), not continuous."""
    rng = np.random.default_rng(0)
    x = rng.choice(values, 40)
    assert _binning.param_kind(x) == "levels"
    assert _binning.param_kind(rng.uniform(0, 1, 40)) == "continuous"
    assert _binning.param_kind(rng.uniform(0, 1, 8)) == "continuous"  # no repeat: continuous
