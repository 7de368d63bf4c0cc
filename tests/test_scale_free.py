"""Scale-free arithmetic: the same answers for an objective times any factor, 1e-300 to 1e300.

One test per root cause: sums of squares that overflow (values past ~1e154) or underflow
(past ~1e-154), a "constant objective" test with an absolute floor, tolerances of the
permutation and interaction tests in objective units, and numbers printed with fixed
decimals. Frames are drawn at random (a seed per example), factors over the whole range.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hpo_insights as hi
from hpo_insights.report import _format

SETTINGS = settings(max_examples=12, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
# a factor m * 10**k; |objective| stays below 10, so |objective * factor| < 1e301
FACTORS = st.builds(lambda m, k: m * 10.0**k, st.floats(1.0, 9.99), st.integers(-300, 300))


def _trials(seed: int, n: int = 60, studies: tuple[str, ...] = ("s",)) -> pd.DataFrame:
    """A random search: lr log-uniform (matters), layers 2..8, opt with 3 choices."""
    rng = np.random.default_rng(seed)
    parts = []
    for i, s in enumerate(studies):
        lr = 10 ** rng.uniform(-5, -2, n)
        layers = rng.integers(2, 9, n)
        opt = rng.choice(["adam", "sgd", "rms"], n)
        y = (0.7 - 0.02 * (np.log10(lr) + 3.5) ** 2 + 0.005 * (opt == "adam") + 0.01 * i
             + rng.normal(0, rng.choice([0.002, 0.01, 0.03]), n))
        parts.append(pd.DataFrame({
            "study": s, "number": range(n), "state": "COMPLETE", "value": y,
            "params_lr": lr, "params_layers": layers, "params_opt": opt,
            "study_direction": "maximize", "study_user_attrs_budget": f"{i + 1}M"}))
    return pd.concat(parts, ignore_index=True)


def _quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hi.TrialsWarning)
        return func(*args, **kwargs)


def _same(a: np.ndarray, b: np.ndarray) -> None:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert (np.isnan(a) == np.isnan(b)).all()
    np.testing.assert_allclose(a[~np.isnan(a)], b[~np.isnan(b)], rtol=1e-7, atol=1e-10)


@SETTINGS
@given(st.integers(0, 10_000), FACTORS)
def test_objective_scale_invariance_shares(seed, factor):
    """Shares, their intervals, p-values and adjusted shares (trials and search space) do not
    depend on the objective's unit: sums of squares neither overflow nor underflow."""
    t = _trials(seed)
    scaled = t.assign(value=t.value * factor)
    figures = ["share", "share_corrected", "ci_low", "ci_high", "p_value", "share_adjusted",
               "p_partial"]
    base = _quiet(hi.variance_explained, t).set_index("param").sort_index()
    other = _quiet(hi.variance_explained, scaled).set_index("param").sort_index()
    for col in figures:
        _same(base[col], other[col])
    assert base.share.notna().all() and (base.matters == other.matters).all()
    space = _quiet(hi.variance_explained, t, space="search").set_index("param").sort_index()
    space2 = _quiet(hi.variance_explained, scaled, space="search").set_index("param").sort_index()
    _same(space.share, space2.share)
    _same(space.share_corrected, space2.share_corrected)


@SETTINGS
@given(st.integers(0, 10_000), FACTORS)
def test_objective_scale_invariance_trend_shapes(seed, factor):
    """Trend shapes and their p-values are the same at any unit; effects, means and standard
    deviations are in objective units (times the factor), never inf or 0 from rounding."""
    t = _trials(seed)
    scaled = t.assign(value=t.value * factor)
    a = _quiet(hi.classify_trend, t, method="shape")
    b = _quiet(hi.classify_trend, scaled, method="shape")
    assert list(a.trend) == list(b.trend)
    _same(a.p_value, b.p_value)
    _same(a.effect * factor, b.effect)
    _same(a.effect_low * factor, b.effect_low)
    va, vb = _quiet(hi.value_table, t), _quiet(hi.value_table, scaled)
    for col in ("mean", "std", "ci_low", "ci_high"):
        _same(va[col] * factor, vb[col])
    sa, sb = _quiet(hi.summarize, t), _quiet(hi.summarize, scaled)
    _same(sa["mean"] * factor, sb["mean"])
    _same(sa["std"] * factor, sb["std"])
    assert np.isfinite(sb["std"]).all() and (sb["std"] > 0).all()


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), FACTORS)
def test_objective_scale_invariance_budget_tests_and_suggestions(seed, factor):
    """The permutation test of the scaling check, the interaction test of parameter
    consistency and the suggestions use tolerances relative to the objective, not 1.0."""
    t = _trials(seed, n=40, studies=("a", "b", "c"))
    scaled = t.assign(value=t.value * factor)
    assert _quiet(hi.scaling_check, t).verdict == _quiet(hi.scaling_check, scaled).verdict
    pa, pb = _quiet(hi.param_consistency, t), _quiet(hi.param_consistency, scaled)
    assert list(pa.verdict) == list(pb.verdict)
    _same(pa.p_interaction, pb.p_interaction)
    ga, gb = _quiet(hi.suggestions, t), _quiet(hi.suggestions, scaled)
    cols = ["study", "param", "kind", "value"]
    pd.testing.assert_frame_equal(ga[cols], gb[cols])
    _same(ga.p_value, gb.p_value)
    _same(ga.difference * factor, gb.difference)


@pytest.mark.parametrize("size", [1e-30, 1e-150, 1e-300])
def test_tiny_objective_is_not_constant(size):
    """An objective that varies at size 1e-30 (or 1e-300) is not "constant": the zero test is
    relative to the values, with no absolute floor."""
    t = _trials(3)
    tiny = t.assign(value=(t.value - 0.7) * size)
    with warnings.catch_warnings():
        warnings.simplefilter("error", hi.TrialsWarning)
        ve = hi.variance_explained(tiny)
    assert ve.share.notna().all() and ve.p_value.notna().all()
    constant = t.assign(value=0.0)  # really constant (every value 0): still NaN and warned
    with pytest.warns(hi.TrialsWarning, match="constant objective"):
        assert hi.variance_explained(constant).share.isna().all()


@pytest.mark.parametrize("size", [1e155, 1e250, 1e300])
def test_huge_objective_sums_do_not_overflow(size):
    """Values past 1e154 square past the float range: means, standard deviations, shares and
    the search-space variances stay finite (the variances themselves overflow at 1e300 and say
    inf, the shares from them do not)."""
    t = _trials(4)
    huge = t.assign(value=t.value * size)
    s = _quiet(hi.summarize, huge).iloc[0]
    assert np.isfinite(s["mean"]) and np.isfinite(s["std"]) and s["std"] > 0
    assert _quiet(hi.variance_explained, huge).share.notna().all()
    space = _quiet(hi.variance_explained, huge, space="search")
    assert space.share.notna().all() and space.share.sum() == pytest.approx(1.0)


@given(st.floats(1.0, 9.999), st.integers(-300, 300), st.sampled_from([1.0, -1.0]))
def test_huge_values_print_significant_digits(mantissa, exponent, sign):
    """Any magnitude prints with 4 significant digits and no more than a dozen characters:
    never 300 digits for 1e300, never 0.0000 for 3e-30; 4 decimals from 1e-4 to 1e6."""
    x = sign * mantissa * 10.0**exponent
    text = _format.number(x)
    assert len(text) <= 12
    back = float(text)
    if abs(x) >= 1e-4:
        assert back == pytest.approx(x, rel=5e-4 if abs(x) < 1e6 else 5e-4, abs=5e-5)
    else:
        assert back != 0 and back == pytest.approx(x, rel=5e-4)
