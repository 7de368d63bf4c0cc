"""Tests for detect_collapse and collapse_summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import hpo_insights as hi


def _frame() -> pd.DataFrame:
    """Two studies; a: trial 1 collapsed by range, trial 3 by std only; b: none collapsed."""
    return pd.DataFrame(
        {
            "study": ["a"] * 5 + ["b"] * 3,
            "number": [0, 1, 2, 3, 4, 0, 1, 2],
            "state": ["COMPLETE"] * 4 + ["PRUNED"] + ["COMPLETE"] * 3,
            "value": [0.7, 0.6, 0.8, 0.65, 0.9, 0.7, 0.71, 0.72],
            "user_attrs_pred_min": [0.1, 0.30, np.nan, np.nan, 0.5, 0.1, 0.2, 0.0],
            "user_attrs_pred_max": [0.9, 0.32, np.nan, np.nan, 0.5, 0.8, 0.9, 1.0],
            "user_attrs_pred_std": [0.2, 0.005, np.nan, 0.001, 0.0, 0.2, 0.2, 0.3],
            "user_attrs_recall": [0.5, 0.0, 0.4, 0.1, 0.0, 0.6, 0.5, 0.4],
            "study_direction": "maximize",
        }
    )


def test_detect_collapse_flags_by_range_then_std():
    """Range rule when min and max recorded, std fallback, <NA> when nothing measured."""
    t = _frame()
    dc = hi.detect_collapse(t)
    assert list(dc.columns) == [
        "study",
        "number",
        "value",
        "pred_min",
        "pred_max",
        "pred_range",
        "pred_std",
        "recall",
        "collapsed",
    ]
    assert str(dc["collapsed"].dtype) == "boolean"
    # PRUNED trial 4 of study a is not looked at
    assert dc[["study", "number"]].to_numpy().tolist() == [
        ["a", 0],
        ["a", 1],
        ["a", 2],
        ["a", 3],
        ["b", 0],
        ["b", 1],
        ["b", 2],
    ]
    done = t[t.state == "COMPLETE"]
    rng = (done.user_attrs_pred_max - done.user_attrs_pred_min).to_numpy()
    np.testing.assert_allclose(dc["pred_range"].to_numpy(), rng)
    assert dc["collapsed"].tolist() == [False, True, pd.NA, True, False, False, False]


def test_detect_collapse_thresholds_are_keywords():
    """Raising min_range flags a wider range; min_std governs the std-only trial."""
    t = _frame()
    dc = hi.detect_collapse(t, min_range=0.75, min_std=0.0001)
    # ranges: 0.8, 0.02, -, -, 0.7, 0.7, 1.0 ; trial a/3 std 0.001 >= 0.0001
    assert dc["collapsed"].tolist() == [False, True, pd.NA, False, True, True, False]


def test_collapse_summary_known_answer():
    """True/False/<NA> with counts, range and recall over the collapsed trials only."""
    t = _frame()
    cs = hi.collapse_summary(t)
    assert list(cs.columns) == [
        "study",
        "collapse",
        "n_collapsed",
        "n_measured",
        "pred_min",
        "pred_max",
        "mean_recall",
    ]
    assert cs["collapse"].tolist() == [True, False] and cs["collapse"].dtype == "boolean"
    assert cs["n_collapsed"].tolist() == [2, 0]
    assert cs["n_measured"].tolist() == [3, 3]
    # collapsed in a: trial 1 (min .30, max .32, recall 0) and trial 3 (no min/max, recall .1)
    assert cs.loc[0, "pred_min"] == pytest.approx(0.30)
    assert cs.loc[0, "pred_max"] == pytest.approx(0.32)
    assert cs.loc[0, "mean_recall"] == pytest.approx(np.mean([0.0, 0.1]))
    assert cs.loc[1, ["pred_min", "pred_max", "mean_recall"]].isna().all()


def test_collapse_summary_pooled():
    """by=None pools every study into one row without a group column."""
    cs = hi.collapse_summary(_frame(), by=None)
    assert list(cs.columns)[0] == "collapse"
    assert len(cs) == 1 and cs.loc[0, "n_collapsed"] == 2 and cs.loc[0, "n_measured"] == 6


def test_unknown_when_default_columns_absent():
    """No prediction statistics recorded: <NA>, never False."""
    t = _frame().drop(columns=["user_attrs_pred_min", "user_attrs_pred_max", "user_attrs_pred_std"])
    assert hi.detect_collapse(t)["collapsed"].isna().all()
    cs = hi.collapse_summary(t)
    assert cs["collapse"].isna().all()
    assert cs["n_measured"].tolist() == [0, 0]


def test_study_without_complete_trials_is_unknown():
    """A study whose trials were all pruned still gets a row, <NA>."""
    t = _frame()
    extra = t.iloc[[4]].assign(study="c")
    cs = hi.collapse_summary(pd.concat([t, extra], ignore_index=True))
    assert cs["study"].tolist() == ["a", "b", "c"]
    assert cs["collapse"].isna().tolist() == [False, False, True] and cs.loc[2, "n_measured"] == 0


def test_named_missing_column_is_an_error():
    """A column given explicitly that does not exist names it and lists user_attrs_."""
    with pytest.raises(hi.TrialsError, match=r"pred_min='user_attrs_lo'.*user_attrs_pred_max"):
        hi.detect_collapse(_frame(), pred_min="user_attrs_lo")


def test_columns_without_prefix_and_none():
    """Statistic names work without user_attrs_; None means not recorded."""
    t = _frame()
    a = hi.detect_collapse(t, pred_min="pred_min", pred_max="pred_max")
    pd.testing.assert_frame_equal(a, hi.detect_collapse(t))
    b = hi.detect_collapse(t, pred_min=None)
    # without the range, the std rule decides: stds .2 .005 nan .001 .2 .2 .3
    assert b["collapsed"].tolist() == [False, True, pd.NA, True, False, False, False]


def test_purity():
    """The input frame is left untouched."""
    t = _frame()
    before = t.copy(deep=True)
    hi.detect_collapse(t)
    hi.collapse_summary(t, by=None)
    pd.testing.assert_frame_equal(t, before)


def test_example_has_a_collapsed_study(example):
    """The bundled example collapses somewhere, and the counts match detect_collapse."""
    dc = hi.detect_collapse(example)
    cs = hi.collapse_summary(example)
    n = dc.groupby("study", sort=False)["collapsed"].sum()
    assert cs["n_collapsed"].tolist() == n.tolist()
    assert cs["collapse"].any()


@given(st.permutations(list(range(8))))
def test_summary_row_order_invariant(order):
    """Shuffling rows keeps each study's verdict and counts."""
    t = _frame()
    a = hi.collapse_summary(t).set_index("study").sort_index()
    b = hi.collapse_summary(t.iloc[list(order)]).set_index("study").sort_index()
    pd.testing.assert_frame_equal(a, b)


def test_repeated_index_and_study_attribute_grouping():
    """A repeated row index is fine; by='budget' reads study_user_attrs_budget."""
    t = _frame().assign(study_user_attrs_budget=["2M"] * 5 + ["20M"] * 3)
    t.index = [7] * len(t)
    dc = hi.detect_collapse(t, by="budget")
    assert list(dc.columns[:2]) == ["budget", "number"]
    assert dc["budget"].tolist() == ["2M"] * 4 + ["20M"] * 3
    cs = hi.collapse_summary(t, by="budget")
    assert cs["collapse"].tolist() == [True, False] and cs["collapse"].dtype == "boolean"


def test_collapsed_mask_matches_detect_collapse(example):
    """_mask.collapsed flags exactly the rows detect_collapse flags (positional)."""
    import numpy as np

    from hpo_insights._mask import collapsed as _collapsed_mask

    shuffled = example.sample(frac=1.0, random_state=3)
    mask = _collapsed_mask(shuffled)
    flags = hi.detect_collapse(shuffled)
    done = shuffled[(shuffled["state"] == "COMPLETE") & np.isfinite(shuffled["value"])]
    expected = np.zeros(len(shuffled), dtype=bool)
    pos = np.flatnonzero(shuffled.index.isin(done.index))
    expected[pos] = flags["collapsed"].fillna(False).to_numpy(dtype=bool)
    assert mask.sum() == 2
    np.testing.assert_array_equal(mask, expected)
    bare = shuffled.drop(columns=["user_attrs_pred_min", "user_attrs_pred_max",
                                  "user_attrs_pred_std"])
    assert not _collapsed_mask(bare).any()
