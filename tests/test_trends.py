"""Tests for value_table and classify_trend."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import hpo_insights as hi


def _random_trials(rng: np.random.Generator, n: int = 300, studies=("a", "b")) -> pd.DataFrame:
    k = len(studies)
    return pd.DataFrame(
        {
            "study": np.repeat(studies, n // k),
            "number": np.tile(np.arange(n // k), k),
            "state": rng.choice(["COMPLETE", "COMPLETE", "COMPLETE", "PRUNED", "FAIL"], n),
            "value": rng.normal(0.7, 0.05, n),
            "params_layers": rng.choice([2, 4, 6, 8], n),
            "params_act": rng.choice(["relu", "gelu", "tanh"], n),
            "params_lr": 10.0 ** rng.uniform(-5, -2, n),
            "study_direction": "maximize",
        }
    )


def test_value_table_tiny_known_answer(tiny_trials):
    """lr=0.001: [0.6]; 0.01: [0.8, 0.9]; 0.1: [0.5, 0.7]; PRUNED/FAIL never count."""
    vt = hi.value_table(tiny_trials, params="lr")
    assert list(vt.columns) == ["study", "param", "value", "low", "high", "binned", "count",
                                "mean", "std", "sem", "ci_low", "ci_high"]
    assert list(vt.value) == [0.001, 0.01, 0.1]
    assert list(vt["count"]) == [1, 2, 2]
    np.testing.assert_allclose(vt["mean"], [0.6, 0.85, 0.6])
    assert np.isnan(vt["std"].iloc[0]) and np.isnan(vt.ci_low.iloc[0])
    s = np.std([0.8, 0.9], ddof=1)
    assert vt["std"].iloc[1] == pytest.approx(s)
    half = stats.t.ppf(0.975, 1) * s / np.sqrt(2)
    assert vt.ci_low.iloc[1] == pytest.approx(0.85 - half)
    assert vt.ci_high.iloc[1] == pytest.approx(0.85 + half)
    assert (vt.low == vt.value).all() and (vt.high == vt.value).all() and not vt.binned.any()
    assert (vt.param == "lr").all() and isinstance(vt.index, pd.RangeIndex)


def test_value_table_categorical_strings(tiny_trials):
    """String values in natural order, NaN low/high."""
    vt = hi.value_table(tiny_trials, params="params_optimizer")
    assert list(vt.value) == ["adam", "sgd"] and list(vt["count"]) == [3, 2]
    np.testing.assert_allclose(vt["mean"], [np.mean([0.5, 0.8, 0.9]), np.mean([0.7, 0.6])])
    assert vt.low.isna().all() and vt.high.isna().all()


def test_value_table_matches_pandas_groupby(rng):
    """Count, mean, std and the t-interval equal an independent pandas computation."""
    trials = _random_trials(rng)
    vt = hi.value_table(trials, params=["layers", "act"], confidence=0.9)
    done = trials[trials.state == "COMPLETE"]
    for p in ["layers", "act"]:
        ref = done.groupby(["study", "params_" + p]).value.agg(["count", "mean", "std"])
        got = vt[vt.param == p].set_index(["study", "value"])
        got.index.names = ref.index.names
        np.testing.assert_allclose(got.loc[ref.index, "mean"], ref["mean"])
        np.testing.assert_allclose(got.loc[ref.index, "std"], ref["std"])
        np.testing.assert_array_equal(got.loc[ref.index, "count"], ref["count"])
        half = stats.t.ppf(0.95, ref["count"] - 1) * ref["std"] / np.sqrt(ref["count"])
        np.testing.assert_allclose(got.loc[ref.index, "ci_high"], ref["mean"] + half)
    assert list(pd.unique(vt.study)) == ["a", "b"]


def test_value_table_bins_log_floats_at_quantiles(rng):
    """A log-spread float is cut at quantiles of log10 values; labels read as intervals."""
    trials = _random_trials(rng, studies=("a",))
    vt = hi.value_table(trials, params="lr", bins=5)
    done = trials[trials.state == "COMPLETE"]
    assert vt.binned.all() and len(vt) == 5 and vt["count"].sum() == len(done)
    edges = 10 ** np.quantile(np.log10(done.params_lr), np.linspace(0, 1, 6))
    np.testing.assert_allclose(np.r_[vt.low, vt.high.iloc[-1]], edges, rtol=1e-12)
    assert all(re.fullmatch(r"\[\S+, \S+\)", v) for v in vt.value.iloc[:-1])
    assert vt.value.iloc[-1].endswith("]")
    x = done.params_lr.to_numpy()
    counts = np.histogram(x, bins=edges)[0]  # numpy's last bin is closed too
    np.testing.assert_array_equal(vt["count"], counts)


def test_value_table_label_format():
    """Edges print with few significant digits: '[1e-05, 3.2e-05)'."""
    x = np.geomspace(1e-5, 1e-3, 101)
    trials = pd.DataFrame({"study": "s", "number": range(101), "state": "COMPLETE",
                           "value": np.arange(101.0), "params_lr": x})
    vt = hi.value_table(trials, params="lr", bins=4)
    assert vt.value.iloc[0] == "[1e-05, 3.2e-05)" and vt.value.iloc[-1] == "[0.00032, 0.001]"


def test_integers_and_few_floats_never_binned():
    """Integer params and floats with at most `bins` distinct values keep one row per value."""
    n = 60
    trials = pd.DataFrame({"study": "s", "number": range(n), "state": "COMPLETE",
                           "value": np.linspace(0, 1, n), "params_units": np.arange(n),
                           "params_drop": np.tile([0.1, 0.3, 0.5], n // 3),
                           "params_width": np.arange(n) * 1.0})
    vt = hi.value_table(trials, params=["units", "drop", "width"])
    assert (vt.param == "units").sum() == n and (vt.param == "drop").sum() == 3
    assert (vt.param == "width").sum() == n  # whole numbers stored as float are integers
    assert not vt.binned.any()


def test_int_distribution_float_column_not_binned():
    """An IntDistribution param stored as float (NaN elsewhere) is not binned."""
    n = 40
    dist = '{"name": "IntDistribution", "attributes": {"low": 1, "high": 100, "log": false}}'
    trials = pd.DataFrame({"study": "s", "number": range(n), "state": "COMPLETE",
                           "value": np.linspace(0, 1, n),
                           "params_k": np.r_[np.arange(n - 1) + 0.5, np.nan],
                           "distributions_k": dist})
    vt = hi.value_table(trials, params="k")
    assert len(vt) == n - 1 and not vt.binned.any()  # the trial without k is left out


def test_duplicate_edges_collapse():
    """Heavily tied floats give fewer, non-empty bins."""
    x = np.r_[np.full(50, 0.5), np.linspace(0.01, 0.99, 20) + 0.001]
    trials = pd.DataFrame({"study": "s", "number": range(len(x)), "state": "COMPLETE",
                           "value": x, "params_p": x})
    vt = hi.value_table(trials, params="p", bins=10)
    assert vt.binned.all() and len(vt) < 10 and (vt["count"] > 0).all()
    assert vt["count"].sum() == len(x) and (np.diff(vt.low) > 0).all()


def test_unorderable_values_keep_order_of_appearance():
    """Mixed value types that cannot be sorted keep the order they first appear in."""
    trials = pd.DataFrame({"study": "s", "number": range(4), "state": "COMPLETE",
                           "value": [1.0, 2.0, 3.0, 4.0],
                           "params_p": pd.Series(["b", 2, "a", 2], dtype=object)})
    vt = hi.value_table(trials, params="p")
    assert list(vt.value) == ["b", 2, "a"]


def test_value_table_pooled(tiny_trials):
    """by=None: no group column, every study pooled."""
    t = pd.concat([tiny_trials, tiny_trials.assign(study="t")], ignore_index=True)
    vt = hi.value_table(t, params="lr", by=None)
    assert "study" not in vt.columns and list(vt["count"]) == [2, 4, 4]


def test_value_table_errors(tiny_trials):
    """Unknown parameter lists existing ones; bad confidence/bins; non-DataFrame."""
    with pytest.raises(hi.TrialsError, match="Unknown parameter 'momentum'.*lr, optimizer"):
        hi.value_table(tiny_trials, params="momentum")
    with pytest.raises(hi.TrialsError, match="confidence"):
        hi.value_table(tiny_trials, params="lr", confidence=95)
    with pytest.raises(hi.TrialsError, match="bins"):
        hi.value_table(tiny_trials, params="lr", bins=0)
    with pytest.raises(TypeError):
        hi.value_table(tiny_trials.to_dict(), params="lr")
    with pytest.raises(hi.TrialsError, match="No completed"):
        hi.value_table(tiny_trials.assign(state="FAIL"), params="lr")


def test_classify_trend_tiny(tiny_trials):
    """lr: mean 0.6 at both ends -> flat; best 0.01; worst tie (0.6) -> the smaller value."""
    ct = hi.classify_trend(tiny_trials)
    assert list(ct.columns) == ["study", "param", "trend", "method", "delta", "best_value",
                                "best_mean", "worst_value", "worst_mean", "n_values"]
    lr = ct.set_index("param").loc["lr"]
    assert lr.trend == "flat" and lr.delta == pytest.approx(0.0) and lr.method == "endpoints"
    assert lr.best_value == 0.01 and lr.best_mean == pytest.approx(0.85)
    assert lr.worst_value == 0.001 and lr.n_values == 3
    opt = ct.set_index("param").loc["optimizer"]
    assert opt.trend == "unordered" and np.isnan(opt.delta)
    assert opt.best_value == "adam" and opt.worst_value == "sgd"


def _line(slope: float) -> pd.DataFrame:
    x = np.array([1, 2, 3, 1, 2, 3])
    return pd.DataFrame({"study": "s", "number": range(6), "state": "COMPLETE",
                         "value": 0.5 + slope * x, "params_x": x, "study_direction": "maximize"})


@pytest.mark.parametrize(
    ("slope", "tol", "label"),
    [(0.1, 0.01, "increasing"), (-0.1, 0.01, "decreasing"), (0.004, 0.01, "flat"),
     (0.004, 0.001, "increasing"), (-0.004, 0.0, "decreasing")],
)
def test_classify_trend_tolerance(slope, tol, label):
    """delta = 2 * slope is compared with tol in objective units."""
    ct = hi.classify_trend(_line(slope), params="x", tol=tol)
    assert ct.trend.iloc[0] == label and ct.delta.iloc[0] == pytest.approx(2 * slope)


def test_classify_trend_minimize_swaps_best_and_worst():
    """When minimizing the lowest mean is best."""
    ct = hi.classify_trend(_line(0.1), params="x", direction="minimize")
    assert ct.best_value.iloc[0] == 1 and ct.worst_value.iloc[0] == 3
    assert ct.trend.iloc[0] == "increasing"  # the trend is about the objective, not quality


def test_classify_trend_single_value_is_flat():
    """One value: flat with NaN delta."""
    t = _line(0.1).assign(params_x=7)
    ct = hi.classify_trend(t, params="x")
    assert ct.trend.iloc[0] == "flat" and np.isnan(ct.delta.iloc[0]) and ct.n_values.iloc[0] == 1


def test_classify_trend_matches_value_table(rng):
    """Endpoints, best and worst agree with the value table, per study and param."""
    trials = _random_trials(rng)
    ct = hi.classify_trend(trials, params=["layers", "lr"], tol=0.005)
    vt = hi.value_table(trials, params=["layers", "lr"])
    assert list(zip(ct.study, ct.param, strict=True)) == [("a", "layers"), ("a", "lr"),
                                                          ("b", "layers"), ("b", "lr")]
    for row in ct.itertuples():
        t = vt[(vt.study == row.study) & (vt.param == row.param)]
        delta = t["mean"].iloc[-1] - t["mean"].iloc[0]
        assert row.delta == pytest.approx(delta)
        label = "increasing" if delta > 0.005 else "decreasing" if delta < -0.005 else "flat"
        assert row.trend == label
        assert row.best_value == t.value.iloc[t["mean"].argmax()]
        assert row.worst_value == t.value.iloc[t["mean"].argmin()]


def test_classify_trend_errors(tiny_trials):
    """Unknown method lists the methods; negative tol is refused."""
    with pytest.raises(hi.TrialsError, match="Unknown trend method 'spearman'.*endpoints"):
        hi.classify_trend(tiny_trials, method="spearman")
    with pytest.raises(hi.TrialsError, match="tol"):
        hi.classify_trend(tiny_trials, tol=-1)
    with pytest.raises(hi.TrialsError, match="Unknown parameter"):
        hi.classify_trend(tiny_trials, params="nope")


@pytest.mark.parametrize(
    "call",
    [lambda t: hi.value_table(t, params="lr"), lambda t: hi.classify_trend(t),
     lambda t: hi.value_table(t, params="lr", by=None, bins=2)],
)
def test_pure(call, rng):
    """The input frame is never modified."""
    trials = _random_trials(rng)
    before = trials.copy(deep=True)
    call(trials)
    pd.testing.assert_frame_equal(trials, before)


def test_large_frames_agree_with_pandas(rng):
    """Past the fast-path sizes (floats with few values, wide and negative int ranges)."""
    n = 20_000
    wd = rng.choice([0.0, 1e-5, 1e-4, 1e-3], n)
    wd[-5:] = 0.5  # a value the first rows never show: the general path must take over
    trials = pd.DataFrame({
        "study": "s", "number": range(n), "state": "COMPLETE", "value": rng.normal(size=n),
        "params_wd": wd, "params_seed": rng.integers(-(2**40), 2**40, n) // 1000 * 1000,
        "params_k": rng.integers(-3, 4, n), "params_f": rng.choice([0.25, 0.75], n),
    })
    vt = hi.value_table(trials, params=["wd", "seed", "k", "f"])
    for p in ["wd", "seed", "k", "f"]:
        ref = trials.groupby("params_" + p).value.agg(["count", "mean", "std"])
        got = vt[vt.param == p]
        assert list(got.value) == list(ref.index)
        np.testing.assert_array_equal(got["count"], ref["count"])
        np.testing.assert_allclose(got["mean"], ref["mean"])
        np.testing.assert_allclose(got["std"], ref["std"])
