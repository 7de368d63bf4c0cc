"""hi.search_progress: the expected best of k against brute-force enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import hpo_insights as hi
from hpo_insights.progress import expected_best, gain_bound


def _trials(values, direction="maximize", study="s"):
    return pd.DataFrame({"study": study, "number": range(len(values)), "state": "COMPLETE",
                         "value": values, "study_direction": direction})


def test_expected_best_is_the_mean_over_all_k_subsets(rng):
    """Brute force: the mean of the best of every k-subset of the trials."""
    y = np.round(rng.normal(size=9), 1)  # ties included
    for k in range(1, 10):
        brute = np.mean([max(c) for c in itertools.combinations(y, k)])
        assert expected_best(y, [k])[0] == pytest.approx(brute)


def test_curve_known_answer_minimize(rng):
    """Minimizing: the expected best is the mean minimum of k-subsets; best_so_far is the
    running minimum in trial order; PRUNED and FAIL trials do not count."""
    y = rng.normal(size=12)
    trials = _trials(np.concatenate([y, [-99.0, np.nan]]), "minimize")
    trials.loc[12, "state"] = "PRUNED"
    trials.loc[13, "state"] = "FAIL"
    sp = hi.search_progress(trials)
    curve = sp.curve
    assert curve["k"].tolist() == list(range(1, 13))
    for k, row in zip(curve["k"], curve.itertuples(), strict=True):
        brute = np.mean([min(c) for c in itertools.combinations(y, k)])
        assert row.expected_best == pytest.approx(brute)
        assert row.best_so_far == y[:k].min()
        assert row.band_low <= row.band_high
    assert curve["expected_best"].iloc[0] == pytest.approx(y.mean())
    row = sp.summary.iloc[0]
    assert row.n_trials == 12 and row.best == y.min() and row.direction == "minimize"
    assert row.p_improve == pytest.approx(50 / 62)


def test_gain_bound_known_answer(rng):
    """gain = more/m * (best - expected best of n - m), m = n // 2, by enumeration."""
    y = rng.normal(size=8)
    m = 4
    brute = np.mean([max(c) for c in itertools.combinations(y, 8 - m)])
    assert gain_bound(np.sort(y), 10)[0] == pytest.approx(10 / m * (y.max() - brute))
    sp = hi.search_progress(_trials(y), more=10, tolerance=0.0)
    assert sp.summary["gain"].iloc[0] == pytest.approx(10 / m * (y.max() - brute))
    assert sp.summary["gain_high"].iloc[0] >= sp.summary["gain"].iloc[0]
    assert not sp.summary["plateau"].iloc[0]  # nothing is below a tolerance of 0


def test_plateau_when_the_gain_bound_is_below_the_tolerance():
    """A study whose best values are all tied has no gain left: plateau."""
    y = np.concatenate([np.linspace(0, 1, 40), np.ones(20)])
    sp = hi.search_progress(_trials(y), tolerance=0.01)
    assert sp.summary["gain_high"].iloc[0] < 1e-6 and sp.summary["plateau"].iloc[0]


def test_purity_determinism_and_errors(rng):
    """The input is kept, a seed gives the same band, bad arguments are clear errors."""
    trials = _trials(rng.normal(size=30))
    before = trials.copy(deep=True)
    a = hi.search_progress(trials, seed=3)
    pd.testing.assert_frame_equal(trials, before)
    pd.testing.assert_frame_equal(a.curve, hi.search_progress(trials, seed=3).curve)
    with pytest.raises(hi.TrialsError, match="more must be an integer >= 1"):
        hi.search_progress(trials, more=0)
    with pytest.raises(hi.TrialsError, match="No COMPLETE trial|No completed"):
        hi.search_progress(trials.assign(state="FAIL"))


def test_scale_free(rng):
    """Objectives of magnitude 1e200 or 1e-200 give the same answer, scaled, no overflow."""
    import warnings

    y = rng.normal(size=40)
    base = hi.search_progress(_trials(y))
    for factor in (1e200, 1e-200):
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            sp = hi.search_progress(_trials(y * factor))
        for col in ("expected_best", "band_low", "band_high", "best_so_far"):
            np.testing.assert_allclose(sp.curve[col] / factor, base.curve[col], rtol=1e-9)
        for col in ("gain", "gain_high", "tolerance"):
            assert sp.summary[col].iloc[0] / factor == pytest.approx(base.summary[col].iloc[0],
                                                                     rel=1e-9)
        assert sp.summary["plateau"].iloc[0] == base.summary["plateau"].iloc[0]


def test_order_statistic_band_is_simultaneous():
    """Fresh uniform samples (another seed than the calibration's) fall inside the band at
    every constrained order statistic in about 1 - alpha of them; the band is monotone."""
    from hpo_insights.progress import order_statistic_band

    rng = np.random.default_rng(123)
    for n, alpha in [(30, 0.05), (400, 0.1)]:
        idx, low, high = order_statistic_band(n, alpha)
        u = np.sort(rng.uniform(size=(4000, n)), axis=1)[:, idx - 1]
        inside = ((u >= low) & (u <= high)).all(axis=1).mean()
        assert abs(inside - (1 - alpha)) < 0.025
        assert np.all(np.diff(low) > 0) and np.all(np.diff(high) > 0) and np.all(low < high)


def test_band_is_the_integral_of_the_cdf_band_to_the_power_k(rng):
    """Independent computation: integrate the band's highest and lowest CDF (step functions
    between the order statistics) to the power k on a fine grid."""
    from hpo_insights.progress import best_of_k_band, order_statistic_band

    y = np.sort(np.round(rng.normal(size=15), 1))  # ties included
    a, b = -4.0, 4.0
    ks = np.array([1, 2, 5, 15, 40])
    low, high = best_of_k_band(y, ks, (a, b), 0.05)
    _, lo_i, hi_i = order_statistic_band(15, 0.05)  # every order statistic when n = 15
    x = np.linspace(a, b, 800_001)[:-1] + 0.5e-5
    n_below = np.searchsorted(y, x, side="right")  # i: x in [x_(i), x_(i+1))
    f_low = np.r_[0.0, lo_i][n_below]
    f_high = np.r_[hi_i, 1.0][n_below]
    dx = (b - a) / 800_000
    for j, k in enumerate(ks):
        assert low[j] == pytest.approx(b - (f_high**k).sum() * dx, abs=1e-4)
        assert high[j] == pytest.approx(b - (f_low**k).sum() * dx, abs=1e-4)


def test_band_holds_the_estimate_and_the_truth():
    """Uniform(0, 1) with bounds (0, 1): the truth k / (k + 1) and the estimate lie in the
    band, which stays within the bounds; minimizing the negated values mirrors it."""
    y = np.random.default_rng(7).uniform(size=200)
    c = hi.search_progress(_trials(y), bounds=(0, 1)).curve
    truth = c["k"] / (c["k"] + 1)
    assert ((c.band_low <= truth) & (truth <= c.band_high)).all()
    assert ((c.band_low <= c.expected_best) & (c.expected_best <= c.band_high)).all()
    assert c.band_low.min() >= 0 and c.band_high.max() <= 1
    m = hi.search_progress(_trials(-y, "minimize"), bounds=(-1, 0)).curve
    np.testing.assert_allclose(m.band_low, -c.band_high)
    np.testing.assert_allclose(m.band_high, -c.band_low)


def test_default_bounds_and_bad_bounds(rng):
    """The default bounds: a tenth of the range below, the larger of a tenth and
    max - upper quartile above; bounds that exclude a value or are malformed are errors."""
    from hpo_insights.progress import _bounds

    y = np.array([0.0, 1.0, 2.0, 3.0, 10.0])
    assert _bounds(y, 1.0, None, "s") == pytest.approx((-1.0, 10.0 + 7.0))
    y = np.linspace(0, 1, 101)
    assert _bounds(y, 1.0, None, "s") == pytest.approx((-0.1, 1.25))
    trials = _trials(rng.uniform(size=20))
    with pytest.raises(hi.TrialsError, match="bounds=.*must hold every counted value"):
        hi.search_progress(trials, bounds=(0.5, 1))
    for bad in [(1, 0), (0, np.inf), "01", (0, 1, 2)]:
        with pytest.raises(hi.TrialsError, match="bounds"):
            hi.search_progress(trials, bounds=bad)
