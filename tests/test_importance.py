"""Tests for variance_explained (exact one-way eta squared)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hpo_insights as hi


def _eta2(y: np.ndarray, x: np.ndarray) -> float:
    """Independent eta squared: between-group over total sum of squares."""
    frame = pd.DataFrame({"y": y, "x": x})
    grand = frame.y.mean()
    g = frame.groupby("x").y.agg(["count", "mean"])
    return float((g["count"] * (g["mean"] - grand) ** 2).sum() / ((frame.y - grand) ** 2).sum())


def test_tiny_known_answer(tiny_trials):
    """By hand: lr SS_between 0.075 / SS_total 0.1; optimizer 0.008333 / 0.1."""
    ve = hi.variance_explained(tiny_trials)
    assert list(ve.columns) == [
        "study", "param", "share", "share_corrected", "ci_low", "ci_high", "p_value",
        "share_adjusted", "p_partial", "matters", "confounded_with", "cramers_v", "n_trials",
        "n_values", "n_excluded",
    ]
    assert list(ve.param) == ["lr", "optimizer"]  # share descending
    np.testing.assert_allclose(ve.share, [0.75, 0.025 / 3 / 0.1])
    assert list(ve.n_trials) == [5, 5] and list(ve.n_values) == [3, 2]


def test_matches_numpy_per_study(rng):
    """Per study, equal to an independent pandas computation; studies in order of appearance."""
    n = 400
    trials = pd.DataFrame({
        "study": np.repeat(["z", "a"], n // 2), "number": np.arange(n),
        "state": rng.choice(["COMPLETE", "COMPLETE", "PRUNED"], n),
        "value": rng.normal(0, 1, n), "params_k": rng.choice([1, 2, 3, 4], n),
        "params_c": rng.choice(["u", "v"], n),
    })
    trials["value"] += trials.params_k * 0.5
    ve = hi.variance_explained(trials)
    assert list(ve.study) == ["z", "z", "a", "a"]
    assert ve.share.iloc[0] >= ve.share.iloc[1] and ve.share.iloc[2] >= ve.share.iloc[3]
    for row in ve.itertuples():
        done = trials[(trials.state == "COMPLETE") & (trials.study == row.study)]
        assert row.share == pytest.approx(_eta2(done.value.to_numpy(),
                                                 done["params_" + row.param].to_numpy()))
        assert row.n_trials == len(done)


def test_binned_floats_use_value_table_bins(rng):
    """A continuous float is binned exactly as value_table bins it."""
    n = 500
    x = 10 ** rng.uniform(-5, -2, n)
    trials = pd.DataFrame({"study": "s", "number": range(n), "state": "COMPLETE",
                           "value": np.log10(x) + rng.normal(0, 1, n), "params_lr": x})
    ve = hi.variance_explained(trials, params="lr", bins=4)
    vt = hi.value_table(trials, params="lr", bins=4)
    labels = pd.cut(x, np.r_[vt.low, vt.high.iloc[-1]], right=False, include_lowest=True)
    labels = np.where(x == x.max(), len(vt) - 1, labels.codes)
    assert ve.n_values.iloc[0] == 4
    assert ve.share.iloc[0] == pytest.approx(_eta2(trials.value.to_numpy(), labels))


def test_degenerate_gives_nan_and_one_warning(tiny_trials):
    """A single-valued parameter or a constant objective: NaN share and one TrialsWarning."""
    t = tiny_trials.assign(params_const=1)
    with pytest.warns(hi.TrialsWarning, match="1 with a single value") as record:
        ve = hi.variance_explained(t)
    assert len(record) == 1
    assert np.isnan(ve.set_index("param").share["const"]) and ve.param.iloc[-1] == "const"
    single = ve.set_index("param").loc["const"]
    assert np.isnan(single.share_adjusted) and pd.isna(single.matters)
    assert np.isnan(single.ci_low) and np.isnan(single.p_value)
    with pytest.warns(hi.TrialsWarning, match="constant objective"):
        ve = hi.variance_explained(tiny_trials.assign(value=0.3))
    assert ve.share.isna().all() and ve.share_corrected.isna().all()
    assert ve.share_adjusted.isna().all() and ve.p_value.isna().all() and ve.ci_high.isna().all()
    assert ve.matters.isna().all() and ve.confounded_with.isna().all()


def test_pooled_and_errors(tiny_trials):
    """by=None has no group column; unknown params are named with the existing ones."""
    assert "study" not in hi.variance_explained(tiny_trials, by=None).columns
    with pytest.raises(hi.TrialsError, match="Unknown parameter 'lr2'.*lr, optimizer"):
        hi.variance_explained(tiny_trials, params=["lr2"])
    with pytest.raises(hi.TrialsError, match="must be numeric"):
        hi.variance_explained(tiny_trials.assign(value="x"))


def test_pure(tiny_trials):
    """The input frame is never modified."""
    before = tiny_trials.copy(deep=True)
    hi.variance_explained(tiny_trials)
    pd.testing.assert_frame_equal(tiny_trials, before)


def _frame(rng, n=120, studies=("s",)):
    """Random trials of several studies: a 3-level categorical with an effect, a 4-level
    integer without, a log-uniform float with a peaked effect (binned), a 2-level one."""
    parts = []
    for i, name in enumerate(studies):
        lr = 10 ** rng.uniform(-5, -3, n)
        opt = rng.choice(["adam", "sgd", "rms"], n)
        layers = rng.choice([2, 4, 6, 8], n)
        flag = rng.choice([True, False], n)
        y = (0.7 + 0.02 * (opt == "adam") - 0.06 * (np.log10(lr) + 4) ** 2
             + rng.normal(0, 0.01 + 0.005 * i, n))
        parts.append(pd.DataFrame({
            "study": name, "number": range(n), "state": "COMPLETE", "value": y,
            "params_lr": lr, "params_opt": opt, "params_layers": layers, "params_flag": flag,
        }))
    return pd.concat(parts, ignore_index=True)


def _levels(trials, param):
    """The levels the analysis uses, via value_table (the shared binning rule)."""
    vt = hi.value_table(trials, params=param,
                        bins=hi.importance._binning.default_bins(len(trials)))
    x = trials["params_" + param]
    if not vt.binned.any():
        return x.to_numpy()
    edges = np.r_[vt.low.to_numpy(), vt.high.iloc[-1]]
    return np.clip(np.searchsorted(edges, x.to_numpy(), side="right") - 1, 0, len(vt) - 1)


def test_f_test_and_epsilon_squared_by_hand(rng):
    """p_value is scipy's one-way ANOVA; share_corrected is epsilon^2 by its formula."""
    from scipy import stats

    trials = _frame(rng, n=90)
    ve = hi.variance_explained(trials).set_index("param")
    y = trials.value.to_numpy()
    for param in ["lr", "opt", "layers", "flag"]:
        lev = _levels(trials, param)
        groups = [y[lev == v] for v in pd.unique(lev)]
        assert ve.p_value[param] == pytest.approx(stats.f_oneway(*groups).pvalue, rel=1e-9)
        k, n = len(groups), len(y)
        ss_t = ((y - y.mean()) ** 2).sum()
        ss_w = sum(((g - g.mean()) ** 2).sum() for g in groups)
        eps = (ss_t - ss_w - (k - 1) * ss_w / (n - k)) / ss_t
        assert ve.share_corrected[param] == pytest.approx(eps, rel=1e-9)
        assert ve.share[param] == pytest.approx((ss_t - ss_w) / ss_t, rel=1e-9)
        assert ve.n_values[param] == k


def test_noncentral_f_interval_inverts_the_distribution(rng):
    """At the bounds, the observed F is the 97.5% and 2.5% quantile of the noncentral F."""
    from scipy import stats

    trials = _frame(rng, n=60)
    ve = hi.variance_explained(trials).set_index("param")
    y = trials.value.to_numpy()
    for param in ["lr", "opt"]:
        lev = _levels(trials, param)
        res = stats.f_oneway(*[y[lev == v] for v in pd.unique(lev)])
        k, n = len(pd.unique(lev)), len(y)
        lo, hi_ = ve.ci_low[param], ve.ci_high[param]
        assert 0 < lo < ve.share_corrected[param] < hi_ < 1
        for bound, p in ((lo, 0.975), (hi_, 0.025)):
            lam = n * bound / (1 - bound)
            assert stats.ncf.cdf(res.statistic, k - 1, n - k, lam) == pytest.approx(p, abs=1e-6)
    weak = ve.loc["layers"]  # no effect: the lower bound is 0 when F is below its 97.5% point
    if weak.p_value > 0.025:
        assert weak.ci_low == 0.0


def test_interval_holds_the_estimate_and_is_reproducible(rng):
    """Both intervals contain the (clipped) corrected share; the bootstrap repeats per seed."""
    trials = _frame(rng, n=80, studies=("a", "b"))
    for ci in (True, "bootstrap"):
        ve = hi.variance_explained(trials, ci=ci)
        point = ve.share_corrected.clip(lower=0)
        if ci is True:
            assert ((ve.ci_low <= point) & (point <= ve.ci_high)).all()
        else:
            assert ((ve.ci_low <= ve.share_corrected) & (ve.share_corrected <= ve.ci_high)).all()
    a = hi.variance_explained(trials, ci="bootstrap", seed=3, n_resamples=200)
    b = hi.variance_explained(trials, ci="bootstrap", seed=3, n_resamples=200)
    c = hi.variance_explained(trials, ci="bootstrap", seed=4, n_resamples=200)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a.ci_low, c.ci_low)
    off = hi.variance_explained(trials, ci=False)
    assert off.ci_low.isna().all() and off.ci_high.isna().all()
    np.testing.assert_allclose(off.share_adjusted, a.share_adjusted)


def test_bootstrap_matches_a_loop_over_resamples(rng):
    """The matrix-product bootstrap equals resampling the trials one resample at a time."""
    trials = _frame(rng, n=40)
    ve = hi.variance_explained(trials, params=["opt"], ci="bootstrap", seed=11, n_resamples=50)
    # the same draws: a multinomial resample as uniform indices from default_rng(seed)
    draws = np.random.default_rng(11).integers(0, 40, size=(50, 40), dtype=np.int32)
    y, opt = trials.value.to_numpy(), trials.params_opt.to_numpy()
    eps = []
    for idx in draws:  # an independent, slow reference computation
        yy, oo = y[idx], opt[idx]
        groups = [yy[oo == v] for v in pd.unique(oo)]
        k, n = len(groups), len(yy)
        ss_t = ((yy - yy.mean()) ** 2).sum()
        ss_w = sum(((g - g.mean()) ** 2).sum() for g in groups)
        eps.append((ss_t - ss_w - (k - 1) * ss_w / (n - k)) / ss_t)
    np.testing.assert_allclose([ve.ci_low[0], ve.ci_high[0]],
                               np.quantile(eps, [0.025, 0.975]), rtol=1e-9)


def _design(trials, param):
    """Independent design columns: one-hot (drop first) or a centred quadratic in log10."""
    x = trials["params_" + param]
    if param == "lr":
        z = np.log10(x.to_numpy())
        z = (z - z.mean()) / z.std()
        return np.column_stack([z, z * z - (z * z).mean()])
    if param == "layers":  # integer with four values: one column per value but the first
        return pd.get_dummies(x.astype(str), drop_first=True).to_numpy(dtype=float)
    return pd.get_dummies(x.astype(str), drop_first=True).to_numpy(dtype=float)


def test_adjusted_type_ii_by_least_squares(rng):
    """share_adjusted and p_partial from an independent lstsq fit of a hand-built design."""
    from scipy import stats

    trials = _frame(rng, n=150)
    ve = hi.variance_explained(trials).set_index("param")
    y = trials.value.to_numpy()
    names = ["lr", "opt", "layers", "flag"]
    blocks = {p: _design(trials, p) for p in names}
    ones = np.ones((len(y), 1))

    def rss(cols):
        x = np.hstack([ones, *cols])
        beta = np.linalg.lstsq(x, y, rcond=None)[0]
        return ((y - x @ beta) ** 2).sum(), x.shape[1]

    full, p_full = rss([blocks[p] for p in names])
    ms_res = full / (len(y) - p_full)
    ss_t = ((y - y.mean()) ** 2).sum()
    for p in names:
        reduced, p_red = rss([blocks[q] for q in names if q != p])
        df = p_full - p_red
        ss2 = reduced - full
        assert ve.share_adjusted[p] == pytest.approx((ss2 - df * ms_res) / ss_t, rel=1e-7)
        pv = stats.f.sf(ss2 / df / ms_res, df, len(y) - p_full)
        assert ve.p_partial[p] == pytest.approx(pv, rel=1e-7, abs=1e-300)
        assert ve.matters[p] == (pv < 0.05)
    assert bool(ve.matters["lr"]) and bool(ve.matters["opt"])


def test_balanced_design_type_ii_equals_one_way():
    """Textbook: in a balanced crossed design the type-II SS of a factor is its one-way SS."""
    a = np.repeat(["a1", "a2", "a3"], 8)
    b = np.tile(np.repeat(["b1", "b2"], 4), 3)
    y = np.array([3.0, 4, 5, 3, 6, 7, 6, 8, 5, 5, 6, 7, 8, 9, 7, 8, 2, 3, 2, 4, 5, 6, 6, 5])
    trials = pd.DataFrame({"study": "s", "number": range(24), "state": "COMPLETE", "value": y,
                           "params_a": a, "params_b": b})
    ve = hi.variance_explained(trials).set_index("param")
    ss_t = ((y - y.mean()) ** 2).sum()
    ss_a = sum(8 * (y[a == v].mean() - y.mean()) ** 2 for v in ["a1", "a2", "a3"])
    ss_b = sum(12 * (y[b == v].mean() - y.mean()) ** 2 for v in ["b1", "b2"])
    ms_res = (ss_t - ss_a - ss_b) / (24 - 1 - 2 - 1)
    assert ve.share_adjusted["a"] == pytest.approx((ss_a - 2 * ms_res) / ss_t)
    assert ve.share_adjusted["b"] == pytest.approx((ss_b - 1 * ms_res) / ss_t)
    assert ve.share["a"] == pytest.approx(ss_a / ss_t)


def test_confounded_parameter_is_named(rng):
    """A no-effect parameter sampled together with an effective one is flagged, with its V."""
    from scipy.stats.contingency import association

    n = 300
    lr = rng.choice([1, 2, 3], n)
    twin = np.where(rng.random(n) < 0.8, lr, rng.choice([1, 2, 3], n))  # sampled together
    other = rng.choice(["u", "v"], n)
    y = 0.1 * lr + rng.normal(0, 0.05, n)
    trials = pd.DataFrame({"study": "s", "number": range(n), "state": "COMPLETE", "value": y,
                           "params_lr": lr, "params_twin": twin, "params_other": other})
    ve = hi.variance_explained(trials).set_index("param")
    assert ve.share["twin"] > 0.3 and ve.p_value["twin"] < 1e-6  # one-way: looks important
    assert abs(ve.share_adjusted["twin"]) < 0.02 and not ve.matters["twin"]
    assert ve.confounded_with["twin"] == "lr"
    table = pd.crosstab(twin, lr).to_numpy()
    assert ve.cramers_v["twin"] == pytest.approx(association(table, method="cramer"))
    # lr keeps a large adjusted share and matters; its marginal share is partly twin's too
    assert ve.confounded_with.fillna("")["lr"] in ("twin", "")
    assert ve.confounded_with.isna()["other"]
    assert bool(ve.matters["lr"]) and ve.share_adjusted["lr"] > 0.2


def test_collapsed_trials_left_out(example):
    """By default the trials detect_collapse flags are left out and counted per block."""
    flags = hi.detect_collapse(example)
    gone = flags[flags.collapsed.fillna(False)]
    ve = hi.variance_explained(example, params=["dropout"]).set_index("study")
    assert ve.n_excluded.to_dict() == {"transformer-2M": 0, "transformer-20M": 0,
                                       "transformer-200M": len(gone)}
    keep = ~(example.study.isin(gone.study) & example.number.isin(gone.number))
    manual = hi.variance_explained(example[keep], params=["dropout"], exclude_collapsed=False)
    np.testing.assert_allclose(ve.share.to_numpy(), manual.share.to_numpy())
    both = hi.variance_explained(example, params=["dropout"], exclude_collapsed=False)
    assert (both.n_excluded == 0).all()
    assert both.set_index("study").n_trials["transformer-200M"] == 46


def test_tiny_and_bad_options(tiny_trials):
    """No residual degrees of freedom: NaN and a warning, never a crash; bad options named."""
    t = tiny_trials.iloc[[0, 2, 4]]  # three trials, three lr values
    with pytest.warns(hi.TrialsWarning, match="too few trials"):
        ve = hi.variance_explained(t, params="lr")
    row = ve.iloc[0]
    assert row.share == pytest.approx(1.0) or np.isfinite(row.share)
    assert np.isnan(row.p_value) and np.isnan(row.ci_low) and np.isnan(row.share_corrected)
    assert np.isnan(row.share_adjusted) and pd.isna(row.matters)
    for kwargs, word in [({"ci": "percentile"}, "ci"), ({"alpha": 1.5}, "alpha"),
                         ({"n_resamples": 3}, "n_resamples"), ({"bins": 0}, "bins")]:
        with pytest.raises(hi.TrialsError, match=word):
            hi.variance_explained(tiny_trials, **kwargs)


def test_default_bins_follow_the_number_of_trials(rng):
    """bins=None: n // 10 bins, 3 to 10; the log scale comes from the distribution."""
    from hpo_insights import _binning

    assert [_binning.default_bins(n) for n in (5, 30, 48, 50, 99, 100, 5000)] == [
        3, 3, 4, 5, 9, 10, 10]
    x = rng.uniform(0, 1, 200)
    assert not _binning.is_log_scale(x)
    assert _binning.is_log_scale(10 ** rng.uniform(-5, -3, 50))
    assert _binning.is_log_scale(x, {"name": "FloatDistribution", "attributes": {"log": True}})
    assert not _binning.is_log_scale(10 ** rng.uniform(-5, -3, 50),
                                     {"name": "FloatDistribution", "attributes": {"log": False}})
    trials = _frame(rng, n=48)
    assert hi.variance_explained(trials, params="lr").n_values.iloc[0] == 4


def test_pure_all_options(tiny_trials, example):
    """No option modifies the input frame."""
    for frame in (tiny_trials, example):
        before = frame.copy(deep=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", hi.TrialsWarning)
            hi.variance_explained(frame, ci="bootstrap", n_resamples=20)
            hi.variance_explained(frame, by=None, exclude_collapsed=False)
        pd.testing.assert_frame_equal(frame, before)


# --- properties ---------------------------------------------------------------
@st.composite
def _frames(draw):
    n = draw(st.integers(4, 40))
    x = draw(st.lists(st.sampled_from([1, 2, 3, 5]), min_size=n, max_size=n))
    y = draw(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=n, max_size=n))
    c = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n))
    return pd.DataFrame({"study": "s", "number": range(n), "state": "COMPLETE",
                         "value": y, "params_x": x, "params_c": c})


def _shares(frame: pd.DataFrame) -> pd.Series:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hi.TrialsWarning)
        return hi.variance_explained(frame).set_index("param").share.sort_index()


SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(_frames())
def test_share_in_unit_interval(frame):
    """eta^2 is in [0, 1] (or NaN when undefined)."""
    s = _shares(frame).dropna()
    assert ((s >= 0) & (s <= 1)).all()


@SETTINGS
@given(_frames(), st.randoms(use_true_random=False))
def test_row_order_does_not_matter(frame, random):
    """Shuffling the rows leaves every share unchanged."""
    order = list(range(len(frame)))
    random.shuffle(order)
    pd.testing.assert_series_equal(_shares(frame), _shares(frame.iloc[order]), rtol=1e-9)


@SETTINGS
@given(_frames(), st.floats(0.01, 100) | st.floats(-100, -0.01),
       st.floats(-1e3, 1e3))
def test_affine_invariance(frame, a, b):
    """a*y + b (a != 0) explains the same shares."""
    s0 = _shares(frame)
    s1 = _shares(frame.assign(value=a * frame.value + b))
    both = s0.notna() & s1.notna()
    np.testing.assert_allclose(s0[both], s1[both], rtol=1e-6, atol=1e-9)


@SETTINGS
@given(_frames())
def test_function_of_param_explains_everything(frame):
    """When the objective is a function of the parameter, eta^2 is 1."""
    f = frame.assign(value=frame.params_x.map({1: 0.1, 2: 0.7, 3: -2.0, 5: 9.0}))
    if f.params_x.nunique() > 1:
        assert _shares(f)["x"] == pytest.approx(1.0, abs=1e-12)


@SETTINGS
@given(_frames(), st.lists(st.sampled_from(["FAIL", "PRUNED", "RUNNING", "WAITING"]),
                           min_size=1, max_size=5))
def test_other_states_do_not_count(frame, states):
    """Adding FAIL/PRUNED/RUNNING/WAITING rows (even with values) changes nothing."""
    extra = pd.DataFrame({"study": "s", "number": range(100, 100 + len(states)),
                          "state": states, "value": 1e6, "params_x": 5, "params_c": "a"})
    pd.testing.assert_series_equal(_shares(frame), _shares(pd.concat([frame, extra])))


FIGURES = ["share", "share_corrected", "ci_low", "ci_high", "p_value", "share_adjusted",
           "p_partial"]


def _figures(frame: pd.DataFrame) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hi.TrialsWarning)
        return hi.variance_explained(frame).set_index("param")[FIGURES].sort_index()


@SETTINGS
@given(_frames(), st.floats(0.01, 100) | st.floats(-100, -0.01), st.floats(-1e3, 1e3),
       st.randoms(use_true_random=False))
def test_every_figure_ignores_scale_and_row_order(frame, a, b, random):
    """Every figure is unchanged by a*y + b (a != 0) and by shuffling the rows."""
    base = _figures(frame)
    if (frame.value - frame.value.mean()).abs().max() < 1e-6 * max(1.0, frame.value.abs().max()):
        return  # (nearly) constant objective: rounding decides
    order = list(range(len(frame)))
    random.shuffle(order)
    for other in (_figures(frame.assign(value=a * frame.value + b)), _figures(frame.iloc[order])):
        both = base.notna() & other.notna()
        assert (base.notna() == other.notna()).all().all()
        np.testing.assert_allclose(base[both].to_numpy(dtype=float),
                                   other[both].to_numpy(dtype=float), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("value", [0.1, 0.123456789, 1e6 + 0.1])
@pytest.mark.parametrize("n", [7, 101])
def test_constant_objective_is_nan_whatever_its_value(value, n):
    """A constant objective gives NaN (and a warning), not a share of rounding noise."""
    t = pd.DataFrame({"study": "s", "number": range(n), "state": "COMPLETE", "value": value,
                      "params_x": np.arange(n) % 3, "params_z": np.arange(n) % 2})
    with pytest.warns(hi.TrialsWarning, match="constant objective"):
        ve = hi.variance_explained(t)
    assert ve[FIGURES].isna().all().all()


def test_conditional_parameter_keeps_its_parent(rng):
    """A parameter present only with one optimizer does not take the optimizer's share."""
    n = 300
    opt = rng.choice(["adam", "sgd"], n)
    mom = np.where(opt == "sgd", rng.uniform(0.5, 0.99, n), np.nan)
    y = 0.7 + 0.02 * (opt == "adam") + 0.05 * np.nan_to_num(mom - 0.75) + rng.normal(0, 0.01, n)
    t = pd.DataFrame({"study": "s", "number": range(n), "state": "COMPLETE", "value": y,
                      "params_opt": opt, "params_momentum": mom})
    ve = hi.variance_explained(t).set_index("param")
    assert ve.n_trials["momentum"] == (opt == "sgd").sum()
    assert bool(ve.matters["opt"]) and bool(ve.matters["momentum"])
    # by hand: the momentum columns are centred among SGD trials and 0 for Adam trials
    has = opt == "sgd"
    z = np.where(has, mom, 0.0)
    z = (z - z[has].mean()) / z[has].std()
    quad = z * z - (z * z)[has].mean()
    mcols = np.where(has[:, None], np.column_stack([z, quad]), 0.0)
    ones = np.ones((n, 1))
    ocol = (opt == "sgd").astype(float)[:, None]

    def rss(x):
        beta = np.linalg.lstsq(x, y, rcond=None)[0]
        return ((y - x @ beta) ** 2).sum()

    full = rss(np.hstack([ones, ocol, mcols]))
    ms = full / (n - 4)
    ss_t = ((y - y.mean()) ** 2).sum()
    expect_opt = (rss(np.hstack([ones, mcols])) - full - ms) / ss_t
    expect_mom = (rss(np.hstack([ones, ocol])) - full - 2 * ms) / ss_t
    assert ve.share_adjusted["opt"] == pytest.approx(expect_opt, rel=1e-7)
    assert ve.share_adjusted["momentum"] == pytest.approx(expect_mom, rel=1e-7)


def _type_ii_by_lstsq(y: np.ndarray, blocks: dict[str, np.ndarray]) -> dict[str, tuple]:
    """Independent type-II sums of squares: numpy lstsq on the full n x p design, per block."""
    from scipy import stats

    n = len(y)
    ones = np.ones((n, 1))

    def fit(names):
        x = np.hstack([ones, *(blocks[q] for q in names)])
        beta, _, rank, _ = np.linalg.lstsq(x, y, rcond=None)
        return float(((y - x @ beta) ** 2).sum()), int(rank)

    names = list(blocks)
    full, rank = fit(names)
    ms = full / (n - rank)
    sst = float(((y - y.mean()) ** 2).sum())
    out = {}
    for q in names:
        reduced, rank_q = fit([o for o in names if o != q])
        df = rank - rank_q
        ss = reduced - full
        out[q] = ((ss - df * ms) / sst, stats.f.sf(ss / df / ms, df, n - rank)) if df else (
            np.nan, np.nan)
    return out


def _smooth_block(x: np.ndarray, log: bool) -> np.ndarray:
    """z and z**2 (centred) of the values on their scale, over the trials that have one;
    0 elsewhere (a conditional parameter), the docs/statistics.md definition."""
    has = ~np.isnan(x)
    u = np.log10(x[has]) if log else x[has]
    z = (u - u.mean()) / u.std()
    block = np.zeros((len(x), 2))
    block[has, 0] = z
    block[has, 1] = z * z - (z * z).mean()
    return block


@pytest.mark.parametrize("n", [400, 5000])
def test_adjusted_equals_lstsq_to_1e9(rng, n, monkeypatch):
    """The fast path (cross-products summed over row blocks) equals a dense lstsq of the
    design to 1e-9: smooth log and linear terms, categoricals, a conditional parameter, an
    aliased twin (not separable: NaN), two studies, several row blocks."""
    from hpo_insights import importance

    monkeypatch.setattr(importance, "CHUNK", 777)
    frames, expect = [], {}
    for s in ("a", "b"):
        lr = 10 ** rng.uniform(-5, -2, n)
        drop = rng.uniform(0, 0.5, n)
        opt = rng.choice(["adam", "sgd", "rms"], n)
        layers = rng.choice([2, 4, 8], n)
        mom = np.where(opt == "sgd", rng.uniform(0.5, 0.99, n), np.nan)
        y = (-(np.log10(lr) + 3.5) ** 2 * 0.01 - 0.03 * drop + 0.004 * (opt == "adam")
             + 0.01 * np.nan_to_num(mom) + rng.normal(0, 0.01, n))
        frames.append(pd.DataFrame({
            "study": s, "number": range(n), "state": "COMPLETE", "value": y,
            "params_lr": lr, "params_drop": drop, "params_opt": opt, "params_layers": layers,
            "params_twin": layers, "params_mom": mom}))
        dummies = {q: pd.get_dummies(v.astype(str), drop_first=True).to_numpy(dtype=float)
                   for q, v in (("opt", opt), ("layers", layers), ("twin", layers))}
        blocks = {"lr": _smooth_block(lr, True), "drop": _smooth_block(drop, False),
                  **dummies, "mom": _smooth_block(mom, False)}
        expect[s] = _type_ii_by_lstsq(y, blocks)
    trials = pd.concat(frames, ignore_index=True)
    ve = hi.variance_explained(trials, ci=False)
    for row in ve.itertuples():
        share, p = expect[row.study][row.param]
        if np.isnan(share):
            assert np.isnan(row.share_adjusted) and np.isnan(row.p_partial)
            continue
        assert row.share_adjusted == pytest.approx(share, abs=1e-9)
        assert row.p_partial == pytest.approx(p, rel=1e-9, abs=1e-300)
    assert ve.set_index(["study", "param"]).share_adjusted.isna().sum() == 4  # layers, twin
