"""The bundled example: three Optuna TPE studies of a simulated transformer objective.

:func:`example` returns the trials frame of three studies (``transformer-2M``,
``transformer-20M``, ``transformer-200M``, 50 trials each), and
:func:`example_storage` the path of the Optuna SQLite storage they were
written to. Both were produced by a real, seeded Optuna TPE search
(``python -m hpo_insights.datasets._make_example``) against a simulated
objective whose true structure is :data:`EXAMPLE_TRUTH`, so an analysis of the
example can be checked against the truth. ``docs/example-data.md`` tells the
whole story.

Reading the example needs neither Optuna nor anything heavier than pandas.

Examples
--------
>>> import hpo_insights as hi
>>> truth = hi.datasets.EXAMPLE_TRUTH
>>> truth["noise_sd"], truth["scaling"]
(0.004, ('20M', '2M', '200M'))
>>> truth["budgets"]["200M"]["params"]["dropout"]
{'effect': 'large', 'shape': 'increasing', 'optimum': 0.7, 'amplitude': 0.025}
>>> sorted({b["params"]["d_ff_ratio"]["effect"] for b in truth["budgets"].values()})
['none']
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["EXAMPLE_TRUTH", "example", "example_storage"]

DATA_DIR = Path(__file__).resolve().parent / "data"
EXAMPLE_CSV = "example.csv"
EXAMPLE_DB = "example.db"

# The true structure of the simulated objective (see docs/example-data.md).
#
# The true AUC of a configuration is ``best_auc`` of its budget plus one
# contribution per parameter, each <= 0 and 0 at the parameter's best value.
# A parameter's *position* u in [0, 1] is its place in the search range:
# log scale for learning_rate, linear for the other numbers, the index in
# the list of choices for categoricals. Its contribution is
#   "increasing": -amplitude * (1 - u)
#   "decreasing": -amplitude * u
#   "peaked":     -amplitude * ((u - u_opt) / max(u_opt, 1 - u_opt)) ** 2,
#                 u_opt the position of ``optimum``
#   "none":       0
# so ``amplitude`` is the true AUC difference between the parameter's best and
# worst value in the range. ``effect`` labels it: "none" (0), "small"
# (<= 0.006, at most 1.5 noise standard deviations) or "large" (>= 0.012).
# The observed AUC adds Gaussian noise of standard deviation ``noise_sd``.
# A trial matching its budget's ``collapse`` rule diverges instead: near-
# constant predictions and AUC 0.5 + noise (see ``collapse``).
EXAMPLE_TRUTH: dict[str, Any] = {
    "metric": "AUC",
    "direction": "maximize",
    "noise_sd": 0.004,
    "effect_sizes": {"none": 0.0, "small": 0.006, "large": 0.012},
    "scaling": ("20M", "2M", "200M"),
    "budgets": {
        "2M": {
            "study": "transformer-2M",
            "best_auc": 0.716,
            "story": "Small model, capacity-limited: wants a high learning rate, "
            "no dropout and as much width and depth as the grid allows.",
            "params": {
                "learning_rate": {"effect": "large", "shape": "peaked", "optimum": 3e-4,
                                  "amplitude": 0.030},
                "dropout": {"effect": "large", "shape": "decreasing", "optimum": 0.1,
                            "amplitude": 0.015},
                "d_model": {"effect": "small", "shape": "increasing", "optimum": 96,
                            "amplitude": 0.006},
                "n_layers": {"effect": "small", "shape": "increasing", "optimum": 6,
                             "amplitude": 0.004},
                "n_heads": {"effect": "small", "shape": "increasing", "optimum": 8,
                            "amplitude": 0.003},
                "weight_decay": {"effect": "small", "shape": "peaked", "optimum": 1e-4,
                                 "amplitude": 0.004},
                "d_ff_ratio": {"effect": "none", "shape": "none", "optimum": None,
                               "amplitude": 0.0},
            },
            "collapse": None,
        },
        "20M": {
            "study": "transformer-20M",
            "best_auc": 0.722,
            "story": "The sweet spot: a moderate learning rate and a little dropout; "
            "architecture barely matters.",
            "params": {
                "learning_rate": {"effect": "large", "shape": "peaked", "optimum": 1.5e-4,
                                  "amplitude": 0.030},
                "dropout": {"effect": "large", "shape": "peaked", "optimum": 0.3,
                            "amplitude": 0.012},
                "d_model": {"effect": "small", "shape": "peaked", "optimum": 128,
                            "amplitude": 0.005},
                "n_layers": {"effect": "small", "shape": "increasing", "optimum": 8,
                             "amplitude": 0.004},
                "n_heads": {"effect": "small", "shape": "increasing", "optimum": 8,
                            "amplitude": 0.003},
                "weight_decay": {"effect": "small", "shape": "peaked", "optimum": 1e-4,
                                 "amplitude": 0.004},
                "d_ff_ratio": {"effect": "none", "shape": "none", "optimum": None,
                               "amplitude": 0.0},
            },
            "collapse": None,
        },
        "200M": {
            "study": "transformer-200M",
            "best_auc": 0.712,
            "story": "Too big for the data: overfits (more dropout and weight decay "
            "help, width and depth hurt a little), wants a low learning rate and "
            "diverges with a high one and little dropout.",
            "params": {
                "learning_rate": {"effect": "large", "shape": "peaked", "optimum": 3e-5,
                                  "amplitude": 0.035},
                "dropout": {"effect": "large", "shape": "increasing", "optimum": 0.7,
                            "amplitude": 0.025},
                "d_model": {"effect": "small", "shape": "decreasing", "optimum": 128,
                            "amplitude": 0.005},
                "n_layers": {"effect": "small", "shape": "decreasing", "optimum": 6,
                             "amplitude": 0.004},
                "n_heads": {"effect": "small", "shape": "increasing", "optimum": 16,
                            "amplitude": 0.003},
                "weight_decay": {"effect": "small", "shape": "increasing", "optimum": 1e-3,
                                 "amplitude": 0.006},
                "d_ff_ratio": {"effect": "none", "shape": "none", "optimum": None,
                               "amplitude": 0.0},
            },
            # Training diverges: predictions collapse to a near-constant score.
            "collapse": {"learning_rate_at_least": 3e-4, "dropout_at_most": 0.3},
        },
    },
}


@lru_cache(maxsize=1)
def _example_frame() -> pd.DataFrame:
    from hpo_insights.io import load

    return load(DATA_DIR / EXAMPLE_CSV)


def example() -> pd.DataFrame:
    """The bundled example trials: three studies of 50 trials, one per model budget.

    A real Optuna TPE search (seeded) over a simulated transformer objective
    whose true structure is :data:`EXAMPLE_TRUTH`; ``docs/example-data.md``
    describes how it was made and what a correct analysis finds.

    Returns
    -------
    pandas.DataFrame
        A trials frame (``docs/trials-frame.md``) of 150 rows: studies
        ``transformer-2M``, ``transformer-20M`` and ``transformer-200M`` (in
        that order, trials by number), objective ``value`` (AUC, maximize), the
        seven ``params_*`` with their ``distributions_*``, the user attributes
        ``extreme_type`` (trials 0-5), ``pred_min``, ``pred_max``,
        ``pred_std``, ``recall``, ``system_attrs_fixed_params`` (enqueued
        trials) and the study attributes ``study_user_attrs_budget`` and
        ``study_user_attrs_hardware``. A new frame on every call.

    See Also
    --------
    example_storage : the Optuna SQLite storage the frame was read from.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> trials = hi.datasets.example()
    >>> trials.groupby("study", sort=False).size()
    study
    transformer-2M      50
    transformer-20M     50
    transformer-200M    50
    dtype: int64
    >>> trials.loc[trials["number"] < 2, ["study", "number", "user_attrs_extreme_type"]].head(2)
                study  number user_attrs_extreme_type
    0  transformer-2M       0             min_d_model
    1  transformer-2M       1             max_d_model
    """
    return _example_frame().copy(deep=True)


def example_storage() -> Path:
    """Path of the bundled Optuna SQLite storage holding the three example studies.

    Open it read-only, with :func:`hpo_insights.load` (which never writes) or
    with Optuna itself (``optuna.load_study(study_name=..., storage=f"sqlite:///{path}")``
    on a copy, since Optuna may write to a storage it opens). Besides what
    :func:`example` holds, it has each trial's intermediate values (AUC per
    epoch, used for pruning).

    Returns
    -------
    pathlib.Path
        The shipped ``example.db`` file.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> path = hi.datasets.example_storage()
    >>> path.name
    'example.db'
    >>> trials = hi.load(path)  # read-only; needs optuna
    >>> counts = trials.groupby("study", sort=False)["state"].value_counts()
    >>> counts.unstack(fill_value=0)[["COMPLETE", "PRUNED", "FAIL"]]
    state             COMPLETE  PRUNED  FAIL
    study
    transformer-2M          48       2     0
    transformer-20M         44       5     1
    transformer-200M        46       4     0
    """
    return DATA_DIR / EXAMPLE_DB
