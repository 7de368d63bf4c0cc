"""Curve analyses on a real scikit-learn successive-halving search (budgets as steps)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hpo_insights as hi

sklearn = pytest.importorskip("sklearn")


@pytest.fixture(scope="module")
def halving():
    from sklearn.datasets import load_digits
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.model_selection import HalvingRandomSearchCV
    from sklearn.tree import DecisionTreeClassifier

    x, y = load_digits(return_X_y=True)
    search = HalvingRandomSearchCV(
        DecisionTreeClassifier(random_state=0),
        {"max_depth": list(range(1, 12)), "min_samples_leaf": list(range(1, 20))},
        n_candidates=40, factor=2, min_resources=100, cv=3, random_state=0)
    return search.fit(x, y)


def test_halving_candidates_as_pruned_trials(halving):
    """Candidates dropped by halving are PRUNED trials: where they stopped and how they
    stood against the candidates that reached the last budget, from cv_results_."""
    curves = hi.load_curves(halving)
    audit = hi.pruning_audit(curves, direction="maximize")
    res = pd.DataFrame(halving.cv_results_)
    last_iter = res["iter"].max()
    # a candidate is one parameter combination; its rows are its budgets
    key = res["params"].astype(str)
    final = res[res["iter"] == last_iter]
    survivors = set(key[res["iter"] == last_iter])
    dropped = res[~key.isin(survivors)].sort_values("iter").groupby(key, sort=False).last()
    assert len(audit.pruned) == len(dropped)
    for _, row in audit.pruned.iterrows():
        match = dropped[np.isclose(dropped["mean_test_score"], row["value"])
                        & (dropped["n_resources"] == row["pruned_at"])]
        assert len(match) >= 1
        at = res[key.isin(survivors) & (res["n_resources"] == row["pruned_at"])]
        assert row["n_compared"] == len(at)
        beaten = (at["mean_test_score"] < row["value"]).mean() if len(at) else np.nan
        assert row["share_beaten"] == pytest.approx(beaten, nan_ok=True)
    assert len(final) == audit.summary["n_trials"].iloc[0]


def test_halving_fidelity(halving):
    """Each budget against the last, over the candidates that reached the last budget."""
    curves = hi.load_curves(halving)
    fc = hi.fidelity_correlation(curves)
    assert fc["step"].tolist() == sorted(curves["step"].unique())
    assert fc["n_trials"].iloc[-1] == (curves["state"] == "COMPLETE").sum() / (
        curves[curves["state"] == "COMPLETE"]["step"].nunique())
