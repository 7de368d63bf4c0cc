"""hi.fidelity_correlation and hi.budget_correlation: Spearman per step against scipy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import hpo_insights as hi


def _curves(rng, n=40, s=6, *, pruned=0, nan_share=0.0):
    final = rng.normal(size=n)
    steps = np.arange(s)
    values = final[:, None] + rng.normal(size=(n, s)) * (s - 1 - steps) / 2
    values = np.round(values, 1)  # ties
    if nan_share:
        values[rng.random((n, s)) < nan_share] = np.nan
    values[:, -1] = np.round(final, 1)
    frame = pd.DataFrame({"study": "s", "number": np.repeat(np.arange(n), s),
                          "state": "COMPLETE", "step": np.tile(steps * 10, n),
                          "value": values.ravel()})
    if pruned:  # the first `pruned` trials stop after step 20
        frame.loc[frame["number"] < pruned, "state"] = "PRUNED"
        frame = frame[(frame["number"] >= pruned) | (frame["step"] <= 20)]
    return frame.reset_index(drop=True), values


def _interval(x, y, z=1.959963984540054):
    """Fisher z with the influence-function variance, by explicit double sums."""
    n = len(x)
    u = stats.rankdata(x) / n
    v = stats.rankdata(y) / n
    s1 = np.array([np.mean(v * (u >= ui)) for ui in u])
    s2 = np.array([np.mean(u * (v >= vi)) for vi in v])
    inf = 12 * (u * v + s1 + s2 - 3 * np.mean(u * v))
    rho = stats.spearmanr(x, y).statistic
    se = np.sqrt(np.var(inf, ddof=1) / (n - 3)) / (1 - rho**2)
    return np.tanh(np.arctanh(rho) - z * se), np.tanh(np.arctanh(rho) + z * se)


def test_rho_and_interval_known_answer(rng):
    """rho is scipy's spearmanr over COMPLETE trials finite at the step; the interval is
    Fisher z with the influence-function variance."""
    frame, values = _curves(rng, pruned=5, nan_share=0.1)
    result = hi.fidelity_correlation(frame)
    assert list(result.columns) == ["study", "step", "n_trials", "rho", "ci_low", "ci_high",
                                    "settled"]
    done = values[5:]
    final = done[:, -1]
    for j, row in result.iterrows():
        ok = np.isfinite(done[:, j]) & np.isfinite(final)
        assert row.n_trials == ok.sum()
        rho = stats.spearmanr(done[ok, j], final[ok]).statistic
        assert row.rho == pytest.approx(rho, abs=1e-12)
        if abs(rho) < 1 - 1e-12:
            low, high = _interval(done[ok, j], final[ok])
            assert row.ci_low == pytest.approx(low)
            assert row.ci_high == pytest.approx(high)
        else:
            assert row.ci_low == row.ci_high == row.rho == pytest.approx(rho)


def test_settled_is_from_the_first_step_that_stays_above(rng):
    """settled holds from the first step whose interval stays above the threshold."""
    frame, _ = _curves(rng, n=200)
    result = hi.fidelity_correlation(frame, threshold=0.5)
    ok = (result["ci_low"] >= 0.5).to_numpy()
    first = next(i for i in range(len(ok)) if ok[i:].all())
    assert result["settled"].tolist() == [i >= first for i in range(len(ok))]


def test_purity_and_errors(rng):
    """The input is not modified; a frame without curves columns is a clear error."""
    frame, _ = _curves(rng)
    before = frame.copy(deep=True)
    hi.fidelity_correlation(frame)
    pd.testing.assert_frame_equal(frame, before)
    with pytest.raises(hi.TrialsError, match="no 'value' column"):
        hi.fidelity_correlation(frame.drop(columns="value"))
    with pytest.raises(hi.TrialsError, match="no COMPLETE trial"):
        hi.fidelity_correlation(frame.assign(state="PRUNED"))


def test_budget_correlation_known_answer(rng):
    """Configurations seen at two budgets: rho is spearmanr of their objectives."""
    lr = rng.permutation(np.arange(30))
    small = lr + rng.normal(0, 5, size=30)
    large = lr + rng.normal(0, 1, size=30)
    trials = pd.DataFrame({
        "study": ["a"] * 30 + ["b"] * 30, "number": list(range(60)), "state": "COMPLETE",
        "params_lr": np.concatenate([lr, lr]), "value": np.concatenate([small, large]),
        "study_user_attrs_budget": [1] * 30 + [10] * 30})
    result = hi.budget_correlation(trials)
    assert result["budget"].tolist() == [1, 10]
    assert result["rho"].iloc[0] == pytest.approx(stats.spearmanr(small, large).statistic)
    assert result["n_trials"].tolist() == [30, 30]
