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


def _pooled(groups):
    """Pooled within-value variance and its degrees of freedom."""
    df = sum(len(g) for g in groups.values()) - len(groups)
    return sum(((g - g.mean()) ** 2).sum() for g in groups.values()) / df, df


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_edge_when_best_at_the_end_and_trend_toward_it(rng, direction):
    """Objective rising with x: the end value against its neighbour, computed by hand."""
    x = np.tile([0.1, 0.3, 0.5, 0.7], 15)
    y = 0.7 + 0.05 * x + rng.normal(0, 0.002, len(x))
    t = _frame(rng, x, y, direction=direction)
    sg = hi.suggestions(t)
    assert list(sg.columns) == COLUMNS
    edge = sg[sg.kind == "edge"].iloc[0]
    groups = {v: y[x == v] for v in (0.1, 0.3, 0.5, 0.7)}
    s2, df = _pooled(groups)
    end, nb = (0.7, 0.5) if direction == "maximize" else (0.1, 0.3)
    sign = 1.0 if direction == "maximize" else -1.0
    d = sign * (groups[end].mean() - groups[nb].mean())
    se = np.sqrt(s2 * (1 / 15 + 1 / 15))
    q = stats.t.ppf(0.975, df)
    assert edge.value == end
    assert ("above" in edge.detail) == (direction == "maximize")
    assert (edge.difference, edge.ci_low, edge.ci_high) == pytest.approx(
        (d, d - q * se, d + q * se), rel=1e-6)
    assert edge.p_value >= stats.t.sf(d / se, df) and edge.p_value < 0.05
    assert edge.n_trials == 60 and pd.isna(edge.other_param)


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


def test_worse_matches_hand_computed_tests(rng):
    """Worse than another value (one-sided t, Bonferroni over the k - 1 others), gated by the
    one-way F test, then Holm among the values (the page's graph for one parameter)."""
    x = np.repeat(["a", "b", "c", "d"], [8, 10, 12, 9])
    means = {"a": 0.70, "b": 0.69, "c": 0.66, "d": 0.705}
    y = np.array([means[v] for v in x]) + rng.normal(0, 0.01, len(x))
    t = _frame(rng, x.astype(object), y)
    sg = hi.suggestions(t, alpha=0.1)
    groups = {v: y[x == v] for v in "abcd"}
    best = max(groups, key=lambda v: groups[v].mean())
    s2, df = _pooled(groups)
    p_matters = stats.f_oneway(*groups.values()).pvalue
    raw, gap = {}, {}
    for v, g in groups.items():
        if v == best:
            continue
        ps = [stats.t.sf((h.mean() - g.mean()) / np.sqrt(s2 * (1 / len(g) + 1 / len(h))), df)
              for u, h in groups.items() if u != v]
        raw[v] = min(1.0, 3 * min(ps))
        d = g.mean() - groups[best].mean()
        se = np.sqrt(s2 * (1 / len(g) + 1 / len(groups[best])))
        q = stats.t.ppf(1 - 0.1 / (2 * 3), df)
        gap[v] = (d, d - q * se, d + q * se)
    order = sorted(raw, key=raw.get)
    adjusted, running = {}, p_matters
    for i, v in enumerate(order):  # Holm among the 3 values, after the gate
        running = max(running, min(1.0, (3 - i) * raw[v]))
        adjusted[v] = running
    expected = {v for v in raw if adjusted[v] < 0.1}
    worse = sg[sg.kind == "worse"].set_index("value")
    assert set(worse.index) == expected and len(expected) >= 1
    for v in expected:
        row = worse.loc[v]
        assert (row.difference, row.ci_low, row.ci_high) == pytest.approx(gap[v], rel=1e-6)
        assert row.p_value == pytest.approx(adjusted[v], rel=1e-6)
        assert row.other_value == best and row.n_trials == len(groups[v])


def test_no_worse_below_the_minimum_trials(rng):
    """A value tried 5 times is never called worse, however bad it looks."""
    x = np.repeat(["a", "b", "c"], [30, 30, 5])
    y = np.where(x == "c", 0.5, 0.7) + rng.normal(0, 0.01, len(x))
    sg = hi.suggestions(_frame(rng, x.astype(object), y))
    assert "c" not in set(sg[sg.kind == "worse"].value)


def test_sparse_one_line_per_pair_that_matters(rng):
    """One line per pair of parameters that matter: thin cells near the best, by hand."""
    a = rng.choice([1, 2, 3, 4, 5], 80)
    b = rng.choice([10, 20, 30], 80)
    c = rng.choice(["u", "v"], 80)  # no effect: no line with it
    y = 0.7 - 0.01 * np.abs(a - 3) - 0.01 * np.abs(b - 20) / 10 + rng.normal(0, 0.002, 80)
    t = _frame(rng, a, y, b=b, c=c)
    sg = hi.suggestions(t, min_trials=5)
    best = t.loc[t.value.idxmax()]
    counts = pd.crosstab(t.params_x, t.params_b)
    ia = list(counts.index).index(best.params_x)
    ib = list(counts.columns).index(best.params_b)
    cells = [counts.iloc[ia + da, ib + db] for da, db in itertools.product([-1, 0, 1], repeat=2)
             if 0 <= ia + da < len(counts.index) and 0 <= ib + db < len(counts.columns)]
    thin = [n for n in cells if n < 5]
    sparse = sg[sg.kind == "sparse"]
    assert thin and len(sparse) == 1
    row = sparse.iloc[0]
    assert (row.param, row.other_param) == ("x", "b")
    assert row.value == len(thin) and row.n_trials == min(thin)
    assert f"of the {len(cells)} combinations" in row.detail


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
