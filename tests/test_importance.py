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
    assert list(ve.columns) == ["study", "param", "share", "n_trials", "n_values"]
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
    with pytest.warns(hi.TrialsWarning, match="constant objective"):
        ve = hi.variance_explained(tiny_trials.assign(value=0.3))
    assert ve.share.isna().all()


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
