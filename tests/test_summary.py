"""Tests for summarize and best_trial."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hpo_insights as hi


def _two_studies() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "study": ["b", "b", "b", "a", "a", "a", "a"],
            "number": [0, 1, 2, 0, 1, 2, 3],
            "state": ["COMPLETE", "COMPLETE", "RUNNING"] + ["COMPLETE"] * 3 + ["WAITING"],
            "value": [3.0, 1.0, np.nan, 2.0, 2.0, 5.0, np.nan],
            "params_x": [1, 2, 3, 4, 5, 6, 7],
            "study_direction": ["minimize"] * 3 + ["maximize"] * 4,
        }
    )


def test_summarize_tiny_known_answer(tiny_trials):
    """Counts per state and best/mean/std over the five COMPLETE trials, by hand and numpy."""
    s = hi.summarize(tiny_trials)
    assert list(s.columns) == [
        "study", "n_trials", "n_complete", "n_pruned", "n_fail", "n_running", "n_waiting",
        "n_used", "n_infeasible", "best", "mean", "std", "direction",
    ]
    row = s.iloc[0]
    assert (row.n_trials, row.n_complete, row.n_pruned, row.n_fail) == (7, 5, 1, 1)
    assert (row.n_running, row.n_waiting, row.n_used) == (0, 0, 5)
    used = np.array([0.5, 0.7, 0.8, 0.9, 0.6])
    assert row.best == pytest.approx(0.9)  # the PRUNED 0.99 never counts
    assert row["mean"] == pytest.approx(used.mean())
    assert row["std"] == pytest.approx(used.std(ddof=1))
    assert row.direction == "maximize"
    assert isinstance(s.index, pd.RangeIndex)


def test_summarize_groups_in_order_of_appearance_with_own_direction():
    """Each study keeps its own direction; rows follow first appearance."""
    s = hi.summarize(_two_studies())
    assert list(s.study) == ["b", "a"]
    assert list(s.best) == [1.0, 5.0]
    assert list(s.n_running) == [1, 0] and list(s.n_waiting) == [0, 1]
    assert list(s.direction) == ["minimize", "maximize"]


def test_summarize_pooled_and_direction_override():
    """by=None pools everything and has no group column; direction= overrides the frame."""
    s = hi.summarize(_two_studies(), by=None, direction="minimize")
    assert "study" not in s.columns and len(s) == 1
    assert s.best.iloc[0] == 1.0 and s.n_trials.iloc[0] == 7 and s.n_used.iloc[0] == 5


def test_summarize_mixed_directions_pooled_asks_for_direction():
    """Pooling studies with different directions is ambiguous: an error asks for direction=."""
    with pytest.raises(hi.TrialsError, match="direction="):
        hi.summarize(_two_studies(), by=None)


def test_summarize_group_without_completed_trials_warns():
    """A study with no used trial gets NaN and one TrialsWarning naming it."""
    t = _two_studies()
    t.loc[t.study == "b", "state"] = "FAIL"
    with pytest.warns(hi.TrialsWarning, match="b"):
        s = hi.summarize(t)
    assert s.loc[0, "n_used"] == 0 and np.isnan(s.loc[0, "best"]) and s.loc[0, "n_fail"] == 3


def test_summarize_single_trial_std_nan(tiny_trials):
    """std uses ddof=1, so one used trial gives NaN."""
    s = hi.summarize(tiny_trials.iloc[[0]])
    assert s.n_used.iloc[0] == 1 and np.isnan(s["std"].iloc[0])


def test_best_trial_tiny(tiny_trials):
    """The best trial is number 3 (0.9) with its parameters."""
    b = hi.best_trial(tiny_trials)
    assert list(b.columns) == ["study", "number", "value", "direction", "params_lr",
                               "params_optimizer"]
    assert b.number.iloc[0] == 3 and b.params_lr.iloc[0] == 0.01
    assert b.params_optimizer.iloc[0] == "adam"


def test_best_trial_ties_go_to_lower_number():
    """Equal best values: the lower trial number wins, whatever the row order."""
    t = _two_studies()
    b = hi.best_trial(t.iloc[::-1].reset_index(drop=True))
    assert list(b.study) == ["a", "b"]  # order of appearance in the reversed frame
    t2 = pd.DataFrame({"study": "s", "number": [5, 2, 9], "state": "COMPLETE",
                       "value": [1.0, 1.0, 0.0], "study_direction": "maximize",
                       "params_p": [10, 20, 30]})
    assert hi.best_trial(t2).number.iloc[0] == 2


def test_best_trial_minimize_and_pooled():
    """Minimize picks the lowest value; by=None returns one row without a group column."""
    b = hi.best_trial(_two_studies())
    assert list(b.number) == [1, 2] and list(b.value) == [1.0, 5.0]
    p = hi.best_trial(_two_studies(), by=None, direction="minimize")
    assert "study" not in p.columns and p.value.iloc[0] == 1.0 and p.params_x.iloc[0] == 2


def test_by_alias_study_user_attrs():
    """by='budget' groups by study_user_attrs_budget."""
    t = _two_studies().assign(study_user_attrs_budget=["2M"] * 3 + ["20M"] * 4)
    s = hi.summarize(t, by="budget")
    assert list(s.columns[:2]) == ["budget", "n_trials"] and list(s.budget) == ["2M", "20M"]


@pytest.mark.parametrize("func", [hi.summarize, hi.best_trial])
def test_errors(func, tiny_trials):
    """Clear errors: non-DataFrame, unknown objective, no completed trial, non-numeric objective."""
    with pytest.raises(TypeError, match="DataFrame"):
        func([1, 2])
    with pytest.raises(hi.TrialsError, match="Unknown objective 'auc'"):
        func(tiny_trials, objective="auc")
    with pytest.raises(hi.TrialsError, match="No completed trials"):
        func(tiny_trials.assign(state="PRUNED"))
    with pytest.raises(hi.TrialsError, match="must be numeric"):
        func(tiny_trials.assign(value="high"))
    with pytest.raises(hi.TrialsError, match="direction"):
        func(tiny_trials.drop(columns="study_direction"))
    with pytest.raises(hi.TrialsError, match="Cannot group by 'nope'"):
        func(tiny_trials, by="nope")


@pytest.mark.parametrize("func", [hi.summarize, hi.best_trial])
def test_pure(func, tiny_trials):
    """The input frame is never modified."""
    before = tiny_trials.copy(deep=True)
    func(tiny_trials)
    pd.testing.assert_frame_equal(tiny_trials, before)
