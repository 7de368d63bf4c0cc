"""Tests for sampling_association (Cramér's V between parameters, chi-square test)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hpo_insights as hi


def _trials(rng, n=200):
    a = rng.choice(["x", "y", "z"], n)
    b = np.where(rng.random(n) < 0.6, np.where(a == "x", 1, 2), rng.choice([1, 2, 3], n))
    c = rng.choice([0.1, 0.2], n)
    frames = []
    for s in ("s1", "s2"):
        frames.append(pd.DataFrame({
            "study": s, "number": range(n), "state": "COMPLETE", "value": rng.normal(0, 1, n),
            "params_a": a, "params_b": b, "params_c": c}))
    out = pd.concat(frames, ignore_index=True)
    out.loc[5, "state"] = "PRUNED"  # does not count
    return out


def test_matches_scipy(rng):
    """V is scipy's Cramér's V; the p-value is scipy's chi-square test without correction."""
    from scipy.stats import chi2_contingency
    from scipy.stats.contingency import association

    trials = _trials(rng)
    res = hi.sampling_association(trials)
    assert list(res.columns) == ["study", "param_a", "param_b", "cramers_v", "n_trials", "p_value"]
    assert len(res) == 6 and list(res.study) == ["s1"] * 3 + ["s2"] * 3
    for row in res.itertuples():
        done = trials[(trials.study == row.study) & (trials.state == "COMPLETE")]
        table = pd.crosstab(done["params_" + row.param_a], done["params_" + row.param_b])
        assert row.cramers_v == pytest.approx(association(table.to_numpy(), method="cramer"))
        p = chi2_contingency(table.to_numpy(), correction=False).pvalue
        assert row.p_value == pytest.approx(p, rel=1e-9)
        assert row.n_trials == len(done)
    ab = res[(res.param_a == "a") & (res.param_b == "b")]
    assert (ab.cramers_v > 0.4).all() and (ab.p_value < 1e-6).all()


def test_binned_floats_and_pooling(rng):
    """Continuous floats are tabulated by the shared bins; by=None pools every trial."""
    n = 300
    x = rng.uniform(0, 1, n)
    t = pd.DataFrame({"study": "s", "number": range(n), "state": "COMPLETE",
                      "value": rng.normal(0, 1, n), "params_x": x,
                      "params_w": x + 0.1 * rng.random(n)})
    res = hi.sampling_association(t, by=None)
    assert "study" not in res.columns and len(res) == 1
    assert res.cramers_v.iloc[0] > 0.6  # nearly the same parameter


def test_degenerate_and_missing(rng):
    """A single-valued parameter gives NaN and one warning; missing values are left out."""
    t = _trials(rng).assign(params_d=1.0)
    t.loc[t.index[:10], "params_a"] = None
    with pytest.warns(hi.TrialsWarning, match="single value"):
        res = hi.sampling_association(t, params=["a", "b", "d"])
    assert res[res.param_b == "d"].cramers_v.isna().all()
    ab = res[(res.param_a == "a") & (res.param_b == "b") & (res.study == "s1")]
    assert ab.n_trials.iloc[0] == 200 - 10  # rows 0-9 miss a (the PRUNED row 5 among them)


def test_errors_and_purity(tiny_trials):
    """Unknown parameters are named; the input is never modified."""
    before = tiny_trials.copy(deep=True)
    hi.sampling_association(tiny_trials)
    pd.testing.assert_frame_equal(tiny_trials, before)
    with pytest.raises(hi.TrialsError, match="Unknown parameter 'nope'"):
        hi.sampling_association(tiny_trials, params=["lr", "nope"])
    with pytest.raises(TypeError):
        hi.sampling_association([1, 2])


def test_example_collapsed_left_out(example):
    """Like variance_explained, collapsed trials are left out unless asked."""
    a = hi.sampling_association(example, params=["learning_rate", "dropout"])
    b = hi.sampling_association(example, params=["learning_rate", "dropout"],
                                exclude_collapsed=False)
    assert a.set_index("study").n_trials["transformer-200M"] == 44
    assert b.set_index("study").n_trials["transformer-200M"] == 46
    ve = hi.variance_explained(example).set_index(["study", "param"])
    flagged = ve[ve.confounded_with.notna()]
    pairs = hi.sampling_association(example)
    for (study, param), row in flagged.iterrows():
        hit = pairs[(pairs.study == study)
                    & (((pairs.param_a == param) & (pairs.param_b == row.confounded_with))
                       | ((pairs.param_b == param) & (pairs.param_a == row.confounded_with)))]
        assert hit.cramers_v.iloc[0] == pytest.approx(row.cramers_v)
