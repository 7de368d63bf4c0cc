"""Tests for suggestions: edges of the range, values worse with confidence, thin spots."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import hpo_insights as hi

COLUMNS = ["study", "param", "kind", "value", "other_param", "other_value", "difference",
           "ci_low", "ci_high", "p_value", "n_trials", "detail"]


def _frame(rng, x, y, direction="maximize", **params) -> pd.DataFrame:
    n = len(y)
    return pd.DataFrame({"study": "s", "number": range(n), "state": "COMPLETE", "value": y,
                         "params_x": x, **{f"params_{k}": v for k, v in params.items()},
                         "study_direction": direction})


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_edge_when_best_at_the_end_and_trend_toward_it(rng, direction):
    """Objective rising with x: the largest x is best when maximizing, the smallest otherwise."""
    x = np.tile([0.1, 0.3, 0.5, 0.7], 15)
    y = 0.7 + 0.05 * x + rng.normal(0, 0.002, len(x))
    t = _frame(rng, x, y, direction=direction)
    sg = hi.suggestions(t)
    assert list(sg.columns) == COLUMNS
    edge = sg[sg.kind == "edge"].iloc[0]
    ct = hi.classify_trend(t, params="x", method="shape").iloc[0]
    assert ct.trend == "increasing"  # about the objective, whatever the direction
    if direction == "maximize":
        assert edge.value == 0.7 and "largest" in edge.detail and "above" in edge.detail
        assert edge.difference == pytest.approx(ct.effect)
        assert (edge.ci_low, edge.ci_high) == pytest.approx((ct.effect_low, ct.effect_high))
    else:
        assert edge.value == 0.1 and "smallest" in edge.detail and "below" in edge.detail
        # lower is better: moving down from the largest x lowers the objective by the effect
        assert edge.difference == pytest.approx(ct.effect)
        assert (edge.ci_low, edge.ci_high) == pytest.approx((ct.effect_low, ct.effect_high))
    assert edge.difference > 0 and edge.p_value == pytest.approx(ct.p_value)
    assert edge.n_trials == 15 and pd.isna(edge.other_param)


def test_no_edge_without_evidence_or_at_zero(rng):
    """A peak inside, no effect, or a best value of 0 at the low end: no edge suggestion."""
    x = np.tile([0.1, 0.3, 0.5, 0.7], 15)
    peak = _frame(rng, x, 0.7 - (x - 0.4) ** 2 + rng.normal(0, 0.002, len(x)))
    flat = _frame(rng, x, 0.7 + rng.normal(0, 0.01, len(x)))
    wd = np.tile([0.0, 1e-5, 1e-4, 1e-3], 15)
    zero = _frame(rng, wd, 0.7 - 0.003 * np.searchsorted([0.0, 1e-5, 1e-4, 1e-3], wd)
                  + rng.normal(0, 0.001, len(wd)))
    for t in (peak, flat, zero):
        assert not (hi.suggestions(t).kind == "edge").any()
    assert hi.classify_trend(zero, params="x", method="shape").trend.iloc[0] == "decreasing"


def test_worse_matches_hand_computed_simultaneous_intervals(rng):
    """Differences to the best value, pooled variance, Bonferroni t over all 6 pairs of values."""
    x = np.repeat(["a", "b", "c", "d"], [8, 10, 12, 9])
    means = {"a": 0.70, "b": 0.69, "c": 0.66, "d": 0.705}
    y = np.array([means[v] for v in x]) + rng.normal(0, 0.01, len(x))
    t = _frame(rng, x.astype(object), y)
    sg = hi.suggestions(t, alpha=0.1)
    groups = {v: y[x == v] for v in "abcd"}
    best = max(groups, key=lambda v: groups[v].mean())
    df = len(y) - 4
    s2 = sum(((g - g.mean()) ** 2).sum() for g in groups.values()) / df
    q = stats.t.ppf(1 - 0.1 / (2 * 6), df)
    expected = {}
    for v, g in groups.items():
        if v == best:
            continue
        d = g.mean() - groups[best].mean()
        se = np.sqrt(s2 * (1 / len(g) + 1 / len(groups[best])))
        if d + q * se < 0:
            expected[v] = (d, d - q * se, d + q * se, min(1, 6 * 2 * stats.t.sf(abs(d / se), df)))
    worse = sg[sg.kind == "worse"].set_index("value")
    assert set(worse.index) == set(expected) and len(expected) >= 1
    for v, (d, lo, hi_, p) in expected.items():
        row = worse.loc[v]
        assert (row.difference, row.ci_low, row.ci_high, row.p_value) == pytest.approx(
            (d, lo, hi_, p), rel=1e-8)
        assert row.other_value == best and row.n_trials == len(groups[v])


def test_sparse_cells_next_to_the_best_trial(rng):
    """3 x 3 neighbourhood of the best trial's values; counts from a hand crosstab."""
    a = rng.choice([1, 2, 3, 4, 5], 80)
    b = rng.choice([10, 20, 30], 80)
    y = 0.7 - 0.01 * np.abs(a - 3) - 0.01 * np.abs(b - 20) / 10 + rng.normal(0, 0.002, 80)
    t = _frame(rng, a, y, b=b)
    sg = hi.suggestions(t, min_trials=5)
    best = t.loc[t.value.idxmax()]
    counts = pd.crosstab(t.params_x, t.params_b)
    ia = list(counts.index).index(best.params_x)
    ib = list(counts.columns).index(best.params_b)
    expected = set()
    for da, db in itertools.product([-1, 0, 1], repeat=2):
        if 0 <= ia + da < len(counts.index) and 0 <= ib + db < len(counts.columns):
            n = counts.iloc[ia + da, ib + db]
            if n < 5:
                expected.add((counts.index[ia + da], counts.columns[ib + db], n))
    got = {(r.value, r.other_value, r.n_trials) for r in sg[sg.kind == "sparse"].itertuples()}
    assert got == expected
    assert (sg[sg.kind == "sparse"].other_param == "b").all()


def test_sparse_counts_empty_cells_and_categoricals(rng):
    """A neighbouring cell nobody tried counts 0; a categorical only at the best's value."""
    t = pd.DataFrame({"study": "s", "number": range(6), "state": "COMPLETE",
                      "value": [0.9, 0.5, 0.5, 0.5, 0.5, 0.5],
                      "params_x": [2, 1, 3, 2, 2, 1], "params_opt": ["adam"] * 3 + ["sgd"] * 3,
                      "study_direction": "maximize"})
    sg = hi.suggestions(t)
    rows = {(r.value, r.other_value): r.n_trials for r in sg[sg.kind == "sparse"].itertuples()}
    assert rows == {(1, "adam"): 1, (2, "adam"): 1, (3, "adam"): 1}


def test_order_pooling_errors_and_purity(rng):
    """Groups in order of appearance then kind; by=None pools; bad options are named."""
    x = np.tile([0.1, 0.3, 0.5, 0.7], 15)
    one = _frame(rng, x, 0.7 + 0.05 * x + rng.normal(0, 0.002, len(x)))
    two = pd.concat([one.assign(study="z"), one.assign(study="a")], ignore_index=True)
    before = two.copy(deep=True)
    sg = hi.suggestions(two)
    pd.testing.assert_frame_equal(two, before)
    assert list(pd.unique(sg.study)) == ["z", "a"]
    kinds = sg[sg.study == "z"].kind.tolist()
    assert kinds == sorted(kinds, key=["edge", "worse", "sparse"].index)
    pooled = hi.suggestions(two, by=None)
    assert "study" not in pooled.columns and (pooled.kind == "edge").sum() == 1
    with pytest.raises(hi.TrialsError, match="alpha"):
        hi.suggestions(one, alpha=0)
    with pytest.raises(hi.TrialsError, match="min_trials"):
        hi.suggestions(one, min_trials=0)
    with pytest.raises(hi.TrialsError, match="Unknown parameter"):
        hi.suggestions(one, params="nope")
