"""Every public analysis runs on every study of the bundled example without a warning."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import hpo_insights as hi
from hpo_insights import _frame

PER_STUDY = [
    hi.summarize,
    hi.best_trial,
    hi.variance_explained,
    hi.detect_collapse,
    hi.collapse_summary,
    hi.forced_extremes,
]
ACROSS = [hi.compare_budgets, hi.param_consistency, hi.collapse_by_budget, hi.scaling_check]


@pytest.mark.parametrize("func", PER_STUDY + ACROSS, ids=lambda f: f.__name__)
def test_runs_without_warnings(example, func):
    """Functions taking only the frame answer for all three studies, silently."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = func(example)
    if isinstance(result, pd.DataFrame) and "study" in result.columns:
        assert set(result["study"]) == set(example["study"])


@pytest.mark.parametrize("func", [hi.value_table, hi.classify_trend], ids=lambda f: f.__name__)
def test_per_parameter_functions_run_without_warnings(example, func):
    """value_table and classify_trend answer for every parameter of every study."""
    for param in _frame.param_names(example):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            result = func(example, params=param)
        assert list(pd.unique(result["study"])) == list(pd.unique(example["study"]))


def test_coverage_runs_without_warnings(example):
    """The reference report's three coverage pairs, for every study."""
    for row, col in [("d_model", "n_layers"), ("d_model", "n_heads"), ("learning_rate", "dropout")]:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            result = hi.coverage_crosstab(example, params=(row, col))
        assert set(result["study"]) == set(example["study"])
