"""Tests for coverage_crosstab."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hpo_insights as hi

COLUMNS = ["study", "row_param", "row_value", "col_param", "col_value", "n_trials"]


def test_tiny_known_answer(tiny_trials):
    """COMPLETE trials only: every (lr, optimizer) combination, zeros included."""
    ct = hi.coverage_crosstab(tiny_trials, params=("lr", "optimizer"))
    assert list(ct.columns) == COLUMNS
    assert list(zip(ct.row_value, ct.col_value, ct.n_trials, strict=True)) == [
        (0.001, "adam", 0), (0.001, "sgd", 1),
        (0.01, "adam", 2), (0.01, "sgd", 0),
        (0.1, "adam", 1), (0.1, "sgd", 1),
    ]
    assert (ct.row_param == "lr").all() and (ct.col_param == "optimizer").all()


def test_states_option(tiny_trials):
    """states=('COMPLETE', 'PRUNED') adds the pruned (0.1, sgd) trial; FAIL stays out."""
    ct = hi.coverage_crosstab(tiny_trials, params=("lr", "optimizer"),
                              states=("COMPLETE", "PRUNED"))
    cell = ct[(ct.row_value == 0.1) & (ct.col_value == "sgd")]
    assert cell.n_trials.iloc[0] == 2 and ct.n_trials.sum() == 6


def test_matches_pandas_crosstab(rng):
    """Equal to pd.crosstab per study, with every combination listed once."""
    n = 300
    trials = pd.DataFrame({
        "study": np.repeat(["b", "a"], n // 2), "number": np.arange(n),
        "state": rng.choice(["COMPLETE", "PRUNED"], n), "value": rng.normal(size=n),
        "params_x": rng.choice([1, 2, 3], n), "params_y": rng.choice(["p", "q", "r", "s"], n),
    })
    ct = hi.coverage_crosstab(trials, params=("x", "y"))
    assert list(pd.unique(ct.study)) == ["b", "a"]
    for study, block in ct.groupby("study", sort=False):
        done = trials[(trials.study == study) & (trials.state == "COMPLETE")]
        ref = pd.crosstab(done.params_x, done.params_y)
        got = block.pivot(index="row_value", columns="col_value", values="n_trials")
        np.testing.assert_array_equal(got.to_numpy(), ref.to_numpy())
        assert list(got.index) == list(ref.index) and list(got.columns) == list(ref.columns)
        assert len(block) == len(ref.index) * len(ref.columns)


def test_categorical_choices_included_per_study():
    """Choices recorded in distributions_<name> show as zero rows, each study its own grid."""
    def dist(choices):
        return json.dumps({"name": "CategoricalDistribution", "attributes": {"choices": choices}})

    trials = pd.DataFrame({
        "study": ["s", "s", "t", "t"], "number": [0, 1, 0, 1], "state": "COMPLETE",
        "value": 0.5, "params_heads": [2, 4, 8, 8], "params_act": ["relu"] * 4,
        "distributions_heads": [dist([2, 4, 8])] * 2 + [dist([8, 16])] * 2,
    })
    ct = hi.coverage_crosstab(trials, params=("heads", "act"))
    s, t = ct[ct.study == "s"], ct[ct.study == "t"]
    assert list(s.row_value) == [2, 4, 8] and list(s.n_trials) == [1, 1, 0]
    assert list(t.row_value) == [8, 16] and list(t.n_trials) == [2, 0]


def test_continuous_params_are_binned(rng):
    """A continuous float is cut like value_table; counts add up to the trials counted."""
    n = 200
    trials = pd.DataFrame({"study": "s", "number": range(n), "state": "COMPLETE",
                           "value": 0.1, "params_lr": 10 ** rng.uniform(-5, -2, n),
                           "params_drop": rng.choice([0.1, 0.3], n)})
    ct = hi.coverage_crosstab(trials, params=("lr", "drop"), bins=5)
    vt = hi.value_table(trials, params="lr", bins=5)
    assert list(pd.unique(ct.row_value)) == list(vt.value)
    assert ct.n_trials.sum() == n and len(ct) == 10


def test_pooled(tiny_trials):
    """by=None: no group column."""
    ct = hi.coverage_crosstab(tiny_trials, params=("lr", "optimizer"), by=None)
    assert list(ct.columns) == COLUMNS[1:]


def test_errors(tiny_trials):
    """Unknown parameter or state; nothing to count; non-DataFrame input."""
    with pytest.raises(hi.TrialsError, match="Unknown parameter 'lrr'.*lr, optimizer"):
        hi.coverage_crosstab(tiny_trials, params=("lrr", "optimizer"))
    with pytest.raises(hi.TrialsError, match="Unknown state.*DONE"):
        hi.coverage_crosstab(tiny_trials, params=("lr", "optimizer"), states=("DONE",))
    with pytest.raises(hi.TrialsError, match="No trial in states RUNNING"):
        hi.coverage_crosstab(tiny_trials, params=("lr", "optimizer"), states=("RUNNING",))
    with pytest.raises(TypeError):
        hi.coverage_crosstab(None, params=("lr", "optimizer"))


def test_pure(tiny_trials):
    """The input frame is never modified."""
    before = tiny_trials.copy(deep=True)
    hi.coverage_crosstab(tiny_trials, params=("lr", "optimizer"), states=("COMPLETE", "PRUNED"))
    pd.testing.assert_frame_equal(tiny_trials, before)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([1, 2, 3]), st.sampled_from(["u", "v"]),
                          st.sampled_from(["COMPLETE", "PRUNED", "FAIL"])), min_size=1,
                max_size=30), st.randoms(use_true_random=False))
def test_counts_add_up_and_row_order_does_not_matter(rows, random):
    """Counts sum to the COMPLETE trials and do not depend on row order."""
    x, y, state = zip(*rows, strict=True)
    trials = pd.DataFrame({"study": "s", "number": range(len(rows)), "state": state,
                           "value": 0.0, "params_x": x, "params_y": y})
    if "COMPLETE" not in state:
        return
    ct = hi.coverage_crosstab(trials, params=("x", "y"))
    assert ct.n_trials.sum() == state.count("COMPLETE")
    order = list(range(len(rows)))
    random.shuffle(order)
    pd.testing.assert_frame_equal(ct, hi.coverage_crosstab(trials.iloc[order], params=("x", "y")))
