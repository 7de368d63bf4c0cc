"""One argument vocabulary: studies= selects, params= is keyword-only, budget= names budgets."""

from __future__ import annotations

import pandas as pd
import pytest

import hpo_insights as hi

# Every analysis that takes studies=, with the keyword arguments it needs.
ANALYSES = {
    "summarize": (hi.summarize, {}),
    "best_trial": (hi.best_trial, {}),
    "value_table": (hi.value_table, {"params": "dropout"}),
    "variance_explained": (hi.variance_explained, {"params": ["dropout", "n_layers"]}),
    "classify_trend": (hi.classify_trend, {"params": "dropout"}),
    "coverage_crosstab": (hi.coverage_crosstab, {"params": ("dropout", "n_layers")}),
    "detect_collapse": (hi.detect_collapse, {}),
    "collapse_summary": (hi.collapse_summary, {}),
    "forced_extremes": (hi.forced_extremes, {}),
    "compare_budgets": (hi.compare_budgets, {}),
    "param_consistency": (hi.param_consistency, {"params": "dropout"}),
    "collapse_by_budget": (hi.collapse_by_budget, {}),
}


def _by_hand(example: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """The named studies' rows in the named order, selected without the library."""
    return pd.concat([example[example["study"] == n] for n in names])


@pytest.mark.parametrize("name", ANALYSES)
def test_studies_selects_like_filtering_first(example, name):
    func, kwargs = ANALYSES[name]
    names = ["transformer-200M", "transformer-2M"]
    got = func(example, studies=names, **kwargs)
    want = func(_by_hand(example, names), **kwargs)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))


def test_scaling_check_takes_studies(example):
    sc = hi.scaling_check(example, studies=["transformer-2M", "transformer-200M"])
    assert sc.statement == "2M > 200M"


@pytest.mark.parametrize("name", ANALYSES)
def test_unknown_study_has_one_message(example, name):
    func, kwargs = ANALYSES[name]
    with pytest.raises(hi.TrialsError, match=r"Unknown study 'nope' in the trials frame\. "
                       r"Studies there: transformer-2M, transformer-20M, transformer-200M"):
        func(example, studies=["transformer-2M", "nope"], **kwargs)


@pytest.mark.parametrize("bad", [[], ()])
def test_empty_studies_is_an_error(example, bad):
    with pytest.raises(hi.TrialsError, match=r"studies=\[\] selects no study"):
        hi.summarize(example, studies=bad)


@pytest.mark.parametrize("bad", [123, 1.5, {"a": 1}, {"transformer-2M"}])
def test_studies_of_the_wrong_type(example, bad):
    with pytest.raises(TypeError, match="studies must be a study name"):
        hi.variance_explained(example, studies=bad)


@pytest.mark.parametrize("func", [hi.value_table, hi.classify_trend, hi.coverage_crosstab])
def test_params_is_keyword_only(example, func):
    with pytest.raises(TypeError, match="positional argument"):
        func(example, "dropout")


def test_coverage_needs_a_pair(example):
    with pytest.raises(TypeError, match="pair of parameter names"):
        hi.coverage_crosstab(example, params="dropout")


def test_budget_names_the_budget_column(example):
    a = hi.compare_budgets(example, budget="budget")
    b = hi.compare_budgets(example, budget="study_user_attrs_budget")
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(TypeError, match="budget must be a column name"):
        hi.compare_budgets(example, budget=3)
    with pytest.raises(hi.TrialsError, match="Cannot group by 'size'"):
        hi.scaling_check(example, budget="size")


def test_collapse_reads_the_named_objective(example):
    two = example.assign(values_auc=example["value"]).drop(columns=["value"])
    two = two.assign(values_loss=1 - two["values_auc"])
    with pytest.raises(hi.TrialsError, match="objectives"):
        hi.detect_collapse(two)
    got = hi.detect_collapse(two, objective="loss")
    want = 1 - hi.detect_collapse(example)["value"]
    assert got["value"].tolist() == pytest.approx(want.tolist())
