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
    assert list(vt.columns) == ["study", "param", "value", "low", "high", "binned", "scale",
                                "scale_inferred", "n_trials", "mean", "std", "sem", "ci_low",
                                "ci_high", "n_excluded"]
    assert vt.scale_inferred.all()  # (no distributions_lr column: inferred from the values)
    assert (vt.n_excluded == 0).all()
    assert list(vt.value) == [0.001, 0.01, 0.1]
    assert list(vt["n_trials"]) == [1, 2, 2]
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
    assert list(vt.value) == ["adam", "sgd"] and list(vt["n_trials"]) == [3, 2]
    np.testing.assert_allclose(vt["mean"], [np.mean([0.5, 0.8, 0.9]), np.mean([0.7, 0.6])])
    assert vt.low.isna().all() and vt.high.isna().all()


def test_value_table_matches_pandas_groupby(rng):
    """Count, mean, std and the t-interval equal an independent pandas computation."""
    trials = _random_trials(rng)
    vt = hi.value_table(trials, params=["layers", "act"], alpha=0.1)
    done = trials[trials.state == "COMPLETE"]
    for p in ["layers", "act"]:
        ref = done.groupby(["study", "params_" + p]).value.agg(["count", "mean", "std"])
        got = vt[vt.param == p].set_index(["study", "value"])
        got.index.names = ref.index.names
        np.testing.assert_allclose(got.loc[ref.index, "mean"], ref["mean"])
        np.testing.assert_allclose(got.loc[ref.index, "std"], ref["std"])
        np.testing.assert_array_equal(got.loc[ref.index, "n_trials"], ref["count"])
        half = stats.t.ppf(0.95, ref["count"] - 1) * ref["std"] / np.sqrt(ref["count"])
        np.testing.assert_allclose(got.loc[ref.index, "ci_high"], ref["mean"] + half)
    assert list(pd.unique(vt.study)) == ["a", "b"]


def test_value_table_bins_log_floats_at_quantiles(rng):
    """A log-spread float is cut at quantiles of log10 values; labels read as intervals."""
    trials = _random_trials(rng, studies=("a",))
    vt = hi.value_table(trials, params="lr", bins=5)
    done = trials[trials.state == "COMPLETE"]
    assert vt.binned.all() and len(vt) == 5 and vt["n_trials"].sum() == len(done)
    edges = 10 ** np.quantile(np.log10(done.params_lr), np.linspace(0, 1, 6))
    np.testing.assert_allclose(np.r_[vt.low, vt.high.iloc[-1]], edges, rtol=1e-12)
    assert all(re.fullmatch(r"\[\S+, \S+\)", v) for v in vt.value.iloc[:-1])
    assert vt.value.iloc[-1].endswith("]")
    x = done.params_lr.to_numpy()
    counts = np.histogram(x, bins=edges)[0]  # numpy's last bin is closed too
    np.testing.assert_array_equal(vt["n_trials"], counts)


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
    assert vt.binned.all() and len(vt) < 10 and (vt["n_trials"] > 0).all()
    assert vt["n_trials"].sum() == len(x) and (np.diff(vt.low) > 0).all()


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
    assert "study" not in vt.columns and list(vt["n_trials"]) == [2, 4, 4]


def test_value_table_errors(tiny_trials):
    """Unknown parameter lists existing ones; bad alpha/bins; non-DataFrame."""
    with pytest.raises(hi.TrialsError, match="Unknown parameter 'momentum'.*lr, optimizer"):
        hi.value_table(tiny_trials, params="momentum")
    with pytest.raises(hi.TrialsError, match="alpha"):
        hi.value_table(tiny_trials, params="lr", alpha=95)
    with pytest.raises(hi.TrialsError, match="bins"):
        hi.value_table(tiny_trials, params="lr", bins=0)
    with pytest.raises(TypeError):
        hi.value_table(tiny_trials.to_dict(), params="lr")
    with pytest.raises(hi.TrialsError, match="No completed"):
        hi.value_table(tiny_trials.assign(state="FAIL"), params="lr")


def test_classify_trend_tiny(tiny_trials):
    """lr: mean 0.6 at both ends -> flat; best 0.01; worst tie (0.6) -> the smaller value."""
    ct = hi.classify_trend(tiny_trials, method="endpoints")
    assert list(ct.columns) == ["study", "param", "trend", "method", "delta", "effect",
                                "effect_low", "effect_high", "p_value", "best_value",
                                "best_mean", "worst_value", "worst_mean", "n_values", "n_excluded"]
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
    ct = hi.classify_trend(_line(slope), params="x", method="endpoints", tolerance=tol)
    assert ct.trend.iloc[0] == label and ct.delta.iloc[0] == pytest.approx(2 * slope)


def test_classify_trend_minimize_swaps_best_and_worst():
    """When minimizing the lowest mean is best."""
    ct = hi.classify_trend(_line(0.1), params="x", method="endpoints",
                           direction="minimize")
    assert ct.best_value.iloc[0] == 1 and ct.worst_value.iloc[0] == 3
    assert ct.trend.iloc[0] == "increasing"  # the trend is about the objective, not quality


def test_classify_trend_single_value_is_flat():
    """One value: flat with NaN delta."""
    t = _line(0.1).assign(params_x=7)
    ct = hi.classify_trend(t, params="x", method="endpoints")
    assert ct.trend.iloc[0] == "flat" and np.isnan(ct.delta.iloc[0]) and ct.n_values.iloc[0] == 1


def test_classify_trend_matches_value_table(rng):
    """Endpoints, best and worst agree with the value table, per study and param."""
    trials = _random_trials(rng)
    ct = hi.classify_trend(trials, params=["layers", "lr"], method="endpoints",
                           tolerance=0.005)
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
    """Unknown method lists the methods; negative tolerance is refused."""
    with pytest.raises(hi.TrialsError, match="Unknown trend method 'spearman'.*endpoints"):
        hi.classify_trend(tiny_trials, method="spearman")
    with pytest.raises(hi.TrialsError, match="tolerance"):
        hi.classify_trend(tiny_trials, tolerance=-1)
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
        np.testing.assert_array_equal(got["n_trials"], ref["count"])
        np.testing.assert_allclose(got["mean"], ref["mean"])
        np.testing.assert_allclose(got["std"], ref["std"])


# --- the statistics behind method="shape" (known answers computed independently) -------------
def _levels_of(codes: np.ndarray, y: np.ndarray, k: int):
    n = np.bincount(codes, minlength=k).astype(float)
    m = np.bincount(codes, weights=y, minlength=k) / n
    ss = np.bincount(codes, weights=(y - m[codes]) ** 2, minlength=k)
    return n, m, ss


def test_shape_tests_match_least_squares(rng):
    """Linear and curvature t tests equal lstsq fits on every trial with the ANOVA variance."""
    from hpo_insights._trend_stats import shape_tests

    x_levels = np.log10([1e-5, 1e-4, 3e-4, 1e-3])  # unequal spacing (log positions)
    codes = rng.integers(0, 4, 41)
    y = 0.6 + 0.02 * codes - 0.01 * (codes - 1.5) ** 2 + rng.normal(0, 0.02, 41)
    n, m, ss = _levels_of(codes, y, 4)
    got = shape_tests(np.zeros(4, dtype=int), x_levels, n, m, ss, 1)
    # independent: u in [-1, 1], fits on the 41 trials, residual variance of the per-level model
    mid, half = (x_levels[0] + x_levels[-1]) / 2, (x_levels[-1] - x_levels[0]) / 2
    u = (x_levels[codes] - mid) / half
    s2 = sum(((y[codes == j] - y[codes == j].mean()) ** 2).sum() for j in range(4)) / (41 - 4)
    line = np.linalg.lstsq(np.c_[np.ones(41), u], y, rcond=None)[0]
    suu = ((u - u.mean()) ** 2).sum()
    t_lin = line[1] / np.sqrt(s2 / suu)
    design = np.c_[np.ones(41), u, u**2]
    quad = np.linalg.lstsq(design, y, rcond=None)[0]
    se_c = np.sqrt(s2 * np.linalg.inv(design.T @ design)[2, 2])
    assert got["linear"][0] == pytest.approx(2 * line[1], rel=1e-10)
    assert got["p_linear"][0] == pytest.approx(2 * stats.t.sf(abs(t_lin), 37), rel=1e-8)
    assert got["bulge"][0] == pytest.approx(-quad[2], rel=1e-10)
    assert got["p_curvature"][0] == pytest.approx(
        2 * stats.t.sf(abs(quad[2] / se_c), 37), rel=1e-8)
    assert got["vertex"][0] == pytest.approx(-quad[1] / (2 * quad[2]), rel=1e-10)
    assert got["df"][0] == 37 and got["k"][0] == 4


def test_shape_tests_labels_and_blocks():
    """Several blocks at once: exact lines, a parabola, no effect, too few values, no replicate."""
    from hpo_insights._trend_stats import shape_tests

    noise = np.array([0.01, -0.01])  # two trials per level: within-level sd 0.014
    def block(means):
        codes = np.repeat(np.arange(len(means)), 2)
        return codes, (np.asarray(means, dtype=float)[codes] + np.tile(noise, len(means)))
    cases = [[0.5, 0.6, 0.7, 0.8], [0.8, 0.7, 0.6, 0.5], [0.5, 0.8, 0.8, 0.5],
             [0.8, 0.5, 0.5, 0.8], [0.6, 0.6, 0.6, 0.6], [0.5, 0.9]]
    parts = []
    for b, means in enumerate(cases):
        codes, y = block(means)
        n, m, ss = _levels_of(codes, y, len(means))
        parts.append((np.full(len(means), b), np.arange(len(means), dtype=float), n, m, ss))
    # a block whose three values were each tried once: no residual degrees of freedom
    parts.append((np.full(3, 6), np.arange(3.0), np.ones(3), np.array([0.1, 0.5, 0.9]),
                  np.zeros(3)))
    cat = [np.concatenate(p) for p in zip(*parts, strict=True)]
    got = shape_tests(*cat, 7)
    assert list(got["trend"]) == ["increasing", "decreasing", "peaked", "valley",
                                  "no evidence", "inconclusive", "inconclusive"]
    assert got["effect"][0] == pytest.approx(0.3) and got["effect"][1] == pytest.approx(-0.3)
    assert got["effect"][2] > 0 > got["effect"][3]  # the middle above / below the ends
    assert got["effect_low"][0] < 0.3 < got["effect_high"][0]
    assert got["p_value"][4] == pytest.approx(1.0) and np.isnan(got["p_value"][5])


def test_top_mean_permutation_exact_matches_enumeration():
    """Every split of a tiny case enumerated by hand gives the same exact p-values."""
    import itertools

    from hpo_insights._stats import top_mean_permutation

    a = np.array([0.70, 0.72, 0.69, 0.71])
    b = np.array([0.74, 0.73, 0.70, 0.75])
    pooled = np.r_[a, b]
    def topk(v, k):
        return np.sort(v)[-k:].mean()
    for k in (1, 2, 3):
        obs = topk(b, k) - topk(a, k)
        null = []
        for ia in itertools.combinations(range(8), 4):
            ib = [i for i in range(8) if i not in ia]
            null.append(topk(pooled[ib], k) - topk(pooled[list(ia)], k))
        null = np.array(null)
        diff, p_gt, p_lt, exact = top_mean_permutation(a, b, k, n_perm=100)
        assert exact and diff == pytest.approx(obs)
        assert p_gt == pytest.approx(np.mean(null >= obs - 1e-12))
        assert p_lt == pytest.approx(np.mean(null <= obs + 1e-12))


def test_top_mean_permutation_monte_carlo_is_seeded_and_close(rng):
    """Random splits: the same seed gives the same answer, close to the exact p-value."""
    from hpo_insights._stats import top_mean_permutation

    a, b = rng.normal(0.7, 0.02, 7), rng.normal(0.72, 0.02, 7)  # 3432 splits
    exact = top_mean_permutation(a, b, 2, n_perm=5000)
    mc = top_mean_permutation(a, b, 2, n_perm=2000, seed=3)
    assert exact[3] and not mc[3]
    assert mc == top_mean_permutation(a, b, 2, n_perm=2000, seed=3)
    assert abs(mc[1] - exact[1]) < 4 * np.sqrt(exact[1] * (1 - exact[1]) / 2000) + 1e-3


# --- classify_trend(method="shape") and collapsed trials ---------------------------------------
def _grid_trials(rng, means, n=60, study="s", direction="maximize", sd=0.01, values=None):
    k = len(means)
    codes = np.arange(n) % k
    values = np.arange(k) if values is None else np.asarray(values)
    return pd.DataFrame({"study": study, "number": range(n), "state": "COMPLETE",
                         "value": np.asarray(means)[codes] + rng.normal(0, sd, n),
                         "params_x": values[codes], "study_direction": direction})


def test_shape_through_the_api_matches_least_squares(rng):
    """Effect, interval and p-value of a log-distributed parameter equal an lstsq fit."""
    lr = np.array([1e-5, 1e-4, 1e-3, 1e-2])
    t = _grid_trials(rng, [0.70, 0.72, 0.73, 0.735], n=40, values=lr)
    t = t.rename(columns={"params_x": "params_lr"})
    ct = hi.classify_trend(t, params="lr", method="shape").iloc[0]
    x = np.log10(t.params_lr.to_numpy())
    u = (x - (-3.5)) / 1.5
    y = t.value.to_numpy()
    codes = np.searchsorted(lr, t.params_lr.to_numpy())
    s2 = sum(((y[codes == j] - y[codes == j].mean()) ** 2).sum() for j in range(4)) / (40 - 4)
    slope = np.polyfit(u, y, 1)[0]
    se = np.sqrt(s2 / ((u - u.mean()) ** 2).sum())
    half = stats.t.ppf(0.975, 36) * 2 * se
    assert ct.trend == "increasing" and ct.method == "shape"
    assert ct.effect == pytest.approx(2 * slope, rel=1e-10)
    assert ct.effect_low == pytest.approx(2 * slope - half, rel=1e-8)
    assert ct.effect_high == pytest.approx(2 * slope + half, rel=1e-8)
    design = np.c_[np.ones(40), u, u**2]
    c = np.linalg.lstsq(design, y, rcond=None)[0][2]
    p_c = 2 * stats.t.sf(abs(c) / np.sqrt(s2 * np.linalg.inv(design.T @ design)[2, 2]), 36)
    p_l = 2 * stats.t.sf(abs(slope / se), 36)
    assert ct.p_value == pytest.approx(min(1, p_l / 0.8, p_c / 0.15), rel=1e-7)


@pytest.mark.parametrize(
    ("means", "direction", "label"),
    [([0.70, 0.71, 0.72, 0.73, 0.74], "maximize", "increasing"),
     ([0.70, 0.71, 0.72, 0.73, 0.74], "minimize", "increasing"),
     ([0.74, 0.73, 0.72, 0.71, 0.70], "maximize", "decreasing"),
     ([0.70, 0.73, 0.74, 0.73, 0.70], "maximize", "peaked"),
     ([0.74, 0.71, 0.70, 0.71, 0.74], "minimize", "valley"),
     ([0.72, 0.72, 0.72, 0.72, 0.72], "maximize", "no evidence")],
)
def test_shape_labels_follow_the_objective(rng, means, direction, label):
    """Clear shapes (noise sd 0.002) get their label; labels describe the objective."""
    t = _grid_trials(rng, means, sd=0.002, direction=direction)
    ct = hi.classify_trend(t, params="x", method="shape").iloc[0]
    assert ct.trend == label
    best = np.argmax(means) if direction == "maximize" else np.argmin(means)
    if label != "no evidence":
        assert ct.best_value == best and ct.p_value < 0.001
        assert ct.effect_low <= ct.effect <= ct.effect_high
    else:
        assert ct.p_value > 0.05 and ct.effect_low < 0 < ct.effect_high
        # "flat" only as an equivalence statement: the effect shown below a stated margin
        wide = hi.classify_trend(t, params="x", method="shape", min_effect=0.01).iloc[0]
        assert wide.trend == "flat"
        half_width = max(abs(ct.effect_low), abs(ct.effect_high))
        narrow = hi.classify_trend(t, params="x", method="shape",
                                   min_effect=half_width / 4).iloc[0]
        assert narrow.trend == "no evidence"


def test_shape_inconclusive_and_unordered(rng):
    """Two values or no replicate: inconclusive; strings: unordered (NaN effect)."""
    two = _grid_trials(rng, [0.5, 0.9])
    ct = hi.classify_trend(two, params="x", method="shape").iloc[0]
    assert ct.trend == "inconclusive" and np.isnan(ct.p_value)
    assert ct.effect == pytest.approx(ct.delta)  # the line through two values
    once = _grid_trials(rng, [0.5, 0.6, 0.9], n=3)
    assert hi.classify_trend(once, params="x", method="shape").trend.iloc[0] == "inconclusive"
    cat = _grid_trials(rng, [0.5, 0.6, 0.9], values=np.array(["a", "b", "c"], dtype=object))
    ct = hi.classify_trend(cat, params="x", method="shape").iloc[0]
    assert ct.trend == "unordered" and np.isnan(ct.effect) and ct.best_value == "c"


def test_shape_reads_a_zero_including_grid_by_rank(rng):
    """0, 1e-5, 1e-4, 1e-3: read by rank, so a steady rise per step is increasing and linear."""
    t = _grid_trials(rng, [0.70, 0.71, 0.72, 0.73], sd=0.001,
                     values=np.array([0.0, 1e-5, 1e-4, 1e-3]))
    ct = hi.classify_trend(t, params="x", method="shape").iloc[0]
    assert ct.trend == "increasing" and ct.effect == pytest.approx(0.03, abs=0.002)


def test_shape_errors(tiny_trials):
    """Bad alpha and unknown methods are refused with the names of the choices."""
    with pytest.raises(hi.TrialsError, match="alpha"):
        hi.classify_trend(tiny_trials, method="shape", alpha=5)
    with pytest.raises(hi.TrialsError, match="'shape'.*'endpoints'|shape, endpoints"):
        hi.classify_trend(tiny_trials, method="linear")


def _with_collapse(rng):
    t = _grid_trials(rng, [0.70, 0.72, 0.74], n=30)
    t["user_attrs_pred_min"] = 0.1
    t["user_attrs_pred_max"] = 0.9
    flagged = [0, 4, 8]  # x = 0, 1, 2: one collapsed trial per value, objective 0.5
    t.loc[flagged, "user_attrs_pred_max"] = 0.12
    t.loc[flagged, "value"] = 0.5
    return t, flagged


def test_collapsed_trials_left_out_by_default(rng):
    """Flagged trials are left out and counted; exclude_collapsed=False keeps them."""
    t, flagged = _with_collapse(rng)
    assert hi.detect_collapse(t).set_index("number").loc[flagged, "collapsed"].all()
    vt = hi.value_table(t, params="x")
    kept = t.drop(index=flagged)
    np.testing.assert_allclose(vt["mean"], kept.groupby("params_x").value.mean())
    assert list(vt["n_trials"]) == [9, 9, 9] and (vt.n_excluded == 3).all()
    vt_all = hi.value_table(t, params="x", exclude_collapsed=False)
    assert list(vt_all["n_trials"]) == [10, 10, 10] and (vt_all.n_excluded == 0).all()
    ct = hi.classify_trend(t, params="x", method="shape").iloc[0]
    assert ct.n_excluded == 3 and ct.best_mean == pytest.approx(
        kept[kept.params_x == 2].value.mean())
    with pytest.raises(TypeError, match="exclude_collapsed"):
        hi.value_table(t, params="x", exclude_collapsed="yes")


def test_collapse_exclusion_equals_dropping_the_rows(rng):
    """Leaving collapsed trials out (no copy of the kept rows) equals dropping them by hand,
    including a study whose every trial collapsed (absent from the result)."""
    t, flagged = _with_collapse(rng)
    gone = t.assign(study="all-collapsed", user_attrs_pred_max=0.12)
    both = pd.concat([t, gone, t.assign(study="later")], ignore_index=True)
    mask = hi.detect_collapse(both).collapsed.fillna(False).to_numpy()
    kept = both[~mask]
    for func, kw in ((hi.value_table, {}), (hi.classify_trend, {"method": "shape"}),
                     (hi.classify_trend, {"method": "endpoints"})):
        got = func(both, **kw).drop(columns="n_excluded")
        want = func(kept, exclude_collapsed=False, **kw).drop(columns="n_excluded")
        assert "all-collapsed" not in set(got.study)
        pd.testing.assert_frame_equal(got, want)


def test_shape_is_pure_and_seedless(rng):
    """The input frame is never modified; the same input gives the same answer."""
    t, _ = _with_collapse(rng)
    before = t.copy(deep=True)
    a = hi.classify_trend(t, method="shape")
    pd.testing.assert_frame_equal(t, before)
    pd.testing.assert_frame_equal(a, hi.classify_trend(t, method="shape"))


def test_shape_reads_log_choices_on_a_log_scale(rng):
    """Categorical choices 1e-5, 1e-4, 1e-3, 1e-2 sit at their log10: a steady rise per decade
    is a straight line (no curvature), and the effect is the whole rise."""
    dist = ('{"name": "CategoricalDistribution", "attributes": '
            '{"choices": [1e-05, 0.0001, 0.001, 0.01]}}')
    t = _grid_trials(rng, [0.70, 0.71, 0.72, 0.73], sd=0.001,
                     values=np.array([1e-5, 1e-4, 1e-3, 1e-2])).assign(distributions_x=dist)
    ct = hi.classify_trend(t, params="x", method="shape").iloc[0]
    assert ct.trend == "increasing" and ct.effect == pytest.approx(0.03, abs=0.002)
    vt = hi.value_table(t, params="x")
    assert (vt.scale == "categorical").all()  # the table's axis; the trend still reads log10


def test_combinations_array_matches_itertools():
    """The vectorized enumeration of splits equals itertools.combinations, in order."""
    import itertools

    from hpo_insights._stats import combinations_array

    for n in range(1, 10):
        for k in range(1, n + 1):
            expected = np.array(list(itertools.combinations(range(n), k)), dtype=np.intp)
            np.testing.assert_array_equal(combinations_array(n, k), expected)
