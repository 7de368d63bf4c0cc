"""importance_by_budget: shares per budget in size order, Spearman agreement vs scipy."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import hpo_insights as hi


def test_budgets_in_size_order_and_shares_match_variance_explained(example):
    # Put the biggest budget first: the result must still read smallest first.
    shuffled = pd.concat(
        [example[example["study_user_attrs_budget"] == b] for b in ("200M", "2M", "20M")],
        ignore_index=True,
    )
    res = hi.importance_by_budget(shuffled)
    assert list(pd.unique(res.table["budget"])) == ["2M", "20M", "200M"]
    assert res.table["size"].is_monotonic_increasing
    for budget in ("2M", "20M", "200M"):
        sub = shuffled[shuffled["study_user_attrs_budget"] == budget]
        ve = hi.variance_explained(sub, by=None)
        got = res.table[res.table["budget"] == budget]
        assert got["param"].tolist() == ve["param"].tolist()
        np.testing.assert_allclose(got["share"], ve["share"])
        np.testing.assert_array_equal(got["n_trials"], ve["n_trials"])


def test_spearman_matches_scipy(example):
    res = hi.importance_by_budget(example)
    wide = res.table.pivot(index="param", columns="budget", values="share")
    assert len(res.agreement) == 3
    for (a, b), row in zip(
        itertools.combinations(["2M", "20M", "200M"], 2), res.agreement.itertuples(), strict=True
    ):
        assert (row.budget_a, row.budget_b) == (a, b)
        expected = stats.spearmanr(wide[a], wide[b]).statistic
        assert row.spearman == pytest.approx(expected, abs=1e-12)
        assert row.n_params == 7


def test_spearman_with_ties_matches_scipy():
    """Tied shares get average ranks, as scipy does."""
    from hpo_insights.importance_budgets import _spearman

    a = np.array([0.1, 0.1, 0.3, 0.5, 0.2])
    b = np.array([0.4, 0.2, 0.2, 0.9, 0.1])
    assert _spearman(a, b) == pytest.approx(stats.spearmanr(a, b).statistic, abs=1e-12)


def test_budget_argument_and_pure(example):
    before = example.copy(deep=True)
    a = hi.importance_by_budget(example, budget="budget", params=["dropout", "learning_rate"])
    b = hi.importance_by_budget(example, budget="study_user_attrs_budget",
                                params=["dropout", "learning_rate"])
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(example, before)
    assert set(a.table["param"]) == {"dropout", "learning_rate"}
    pd.testing.assert_frame_equal(a.table, hi.importance_by_budget(
        example, params=["dropout", "learning_rate"]).table)


def test_without_budget_attribute_uses_the_study(example):
    res = hi.importance_by_budget(example.drop(columns="study_user_attrs_budget"))
    assert set(res.table["budget"]) == set(example["study"])
    assert res.table["size"].isna().all()


def test_unknown_budget_column_is_named(example):
    with pytest.raises(hi.TrialsError, match="'model_size'"):
        hi.importance_by_budget(example, budget="model_size")


def test_single_budget_has_no_pairs(example):
    one = example[example["study_user_attrs_budget"] == "2M"]
    res = hi.importance_by_budget(one)
    assert res.agreement.empty
    assert list(res.agreement.columns) == ["budget_a", "budget_b", "spearman", "n_params"]


def test_plot_draws_the_result(example):
    import matplotlib

    matplotlib.use("Agg")
    res = hi.importance_by_budget(example)
    ax = hi.plot.importance_by_budget(res)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2M", "20M", "200M"]
    assert len(ax.get_lines()) == res.table["param"].nunique()
    rho = res.agreement["spearman"].iloc[0]
    assert f"2M-20M {rho:.2f}" in ax.get_title()
    # The line of a parameter goes through its shares.
    line = next(ln for ln in ax.get_lines() if ln.get_label() == "dropout")
    want = res.table[res.table["param"] == "dropout"]["share"].to_numpy()
    np.testing.assert_allclose(line.get_ydata(), want)


def test_studies_selects_like_filtering_first(example):
    names = ["transformer-200M", "transformer-2M"]
    got = hi.importance_by_budget(example, studies=names)
    want = hi.importance_by_budget(pd.concat([example[example["study"] == n] for n in names]))
    pd.testing.assert_frame_equal(got.table, want.table)
    pd.testing.assert_frame_equal(got.agreement, want.agreement)
    assert list(pd.unique(got.table["budget"])) == ["2M", "200M"]
    with pytest.raises(TypeError, match="budget must be a column name"):
        hi.importance_by_budget(example, budget=3)
