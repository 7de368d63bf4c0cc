"""Tests for forced_extremes."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import hpo_insights as hi

LEAD = ["study", "number", "extreme_type", "extreme_param", "extreme_side", "value", "state"]


def _frame() -> pd.DataFrame:
    """Study a labels its extremes in user_attrs; study b only has Optuna's enqueue marker."""
    fixed = [
        {"d_model": 32, "n_heads": 4},  # d_model at its distribution low
        json.dumps({"d_model": 64, "n_heads": 8}),  # n_heads at last choice (JSON text)
        {"d_model": 48, "n_heads": 4},  # nothing at an extreme: not a forced extreme
        None,
    ]
    return pd.DataFrame(
        {
            "study": ["a"] * 4 + ["b"] * 4,
            "number": [0, 1, 2, 3, 0, 1, 2, 3],
            "state": ["COMPLETE", "FAIL", "COMPLETE", "COMPLETE"] * 2,
            "value": [0.7, None, 0.8, 0.6, 0.5, 0.55, 0.6, 0.65],
            "params_d_model": [16, 128, 64, 64, 32, 64, 48, 96],
            "params_n_heads": [4, 4, 2, 4, 4, 8, 4, 2],
            "user_attrs_extreme_type": ["min_d_model", "max_d_model", "min_n_heads", None]
            + [None] * 4,
            "system_attrs_fixed_params": [None] * 4 + fixed,
            "distributions_d_model": [None] * 4
            + [
                '{"name": "IntDistribution", "attributes": {"low": 32, "high": 128, "step": 16,'
                ' "log": false}}'
            ]
            * 4,
            "distributions_n_heads": [None] * 4
            + ['{"name": "CategoricalDistribution", "attributes": {"choices": [2, 4, 8]}}'] * 4,
        }
    )


def test_known_answer():
    """Labels from user_attrs, then from the marker against the recorded distributions."""
    fe = hi.forced_extremes(_frame())
    assert list(fe.columns) == [*LEAD, "params_d_model", "params_n_heads"]
    assert fe[
        ["study", "number", "extreme_type", "extreme_param", "extreme_side"]
    ].to_numpy().tolist() == [
        ["a", 0, "min_d_model", "d_model", "min"],
        ["a", 1, "max_d_model", "d_model", "max"],
        ["a", 2, "min_n_heads", "n_heads", "min"],
        ["b", 0, "min_d_model", "d_model", "min"],
        ["b", 1, "max_n_heads", "n_heads", "max"],
    ]
    assert fe["state"].tolist() == ["COMPLETE", "FAIL", "COMPLETE", "COMPLETE", "FAIL"]
    assert fe["params_d_model"].tolist() == [16, 128, 64, 32, 64]
    assert pd.isna(fe.loc[1, "value"]) and fe.loc[4, "value"] == 0.55


def test_marker_uses_observed_bounds_without_distribution():
    """Without distributions, a fixed value at the study's observed min/max counts."""
    t = _frame().drop(columns=["distributions_d_model", "distributions_n_heads"])
    fe = hi.forced_extremes(t)
    b = fe[fe.study == "b"]
    # observed d_model in b: 32..96; n_heads: 2..8 -> trial 0 min_d_model, trial 1 max_n_heads
    assert b["extreme_type"].tolist() == ["min_d_model", "max_n_heads"]


def test_first_fixed_param_at_an_extreme_names_the_trial():
    """Several fixed params at an extreme: the first in the marker's order wins."""
    t = _frame()
    t.loc[4, "system_attrs_fixed_params"] = json.dumps({"n_heads": 2, "d_model": 32})
    fe = hi.forced_extremes(t)
    assert fe.loc[fe.study == "b", "extreme_type"].tolist()[0] == "min_n_heads"


def test_no_marker_anywhere_gives_empty_result():
    """A frame with neither column gives no rows but the documented columns."""
    t = _frame().drop(columns=["user_attrs_extreme_type", "system_attrs_fixed_params"])
    fe = hi.forced_extremes(t)
    assert len(fe) == 0
    assert list(fe.columns) == [*LEAD, "params_d_model", "params_n_heads"]


def test_pooled_has_no_group_column():
    """by=None leaves the study column out."""
    fe = hi.forced_extremes(_frame(), by=None)
    assert list(fe.columns[:2]) == ["number", "extreme_type"] and len(fe) == 5


def test_missing_required_column():
    """A frame without 'state' is a TrialsError naming it."""
    with pytest.raises(hi.TrialsError, match="'state'"):
        hi.forced_extremes(_frame().drop(columns=["state"]))


def test_purity():
    """The input frame is left untouched."""
    t = _frame()
    before = t.copy(deep=True)
    hi.forced_extremes(t)
    pd.testing.assert_frame_equal(t, before)


def test_example_marker_agrees_with_user_attrs(example):
    """On the example, the enqueue marker alone gives the same labels as user_attrs."""
    a = hi.forced_extremes(example)
    b = hi.forced_extremes(example.drop(columns=["user_attrs_extreme_type"]))
    assert len(a) == 18
    assert a["extreme_type"].tolist() == b["extreme_type"].tolist()
    first = a.groupby("study", sort=False)["number"].apply(list)
    assert all(v == [0, 1, 2, 3, 4, 5] for v in first)


def test_odd_label_and_duplicate_index():
    """A label not shaped <min|max>_<param> keeps NaN side/param; a repeated index is fine."""
    t = _frame()
    t.loc[2, "user_attrs_extreme_type"] = "edge_case"
    t.index = [0] * len(t)
    fe = hi.forced_extremes(t)
    assert fe["extreme_type"].tolist()[2] == "edge_case"
    assert pd.isna(fe.loc[2, "extreme_side"]) and pd.isna(fe.loc[2, "extreme_param"])
    assert fe["extreme_type"].tolist()[3:] == ["min_d_model", "max_n_heads"]
