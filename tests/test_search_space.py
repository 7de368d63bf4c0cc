"""Search-space importance: known answers computed here, independently of the estimator."""

from __future__ import annotations

import math
import warnings

import numpy as np
import optuna
import pandas as pd
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from scipy import integrate

import hpo_insights as hi

optuna.logging.set_verbosity(optuna.logging.WARNING)

LR_LOW, LR_HIGH = 1e-5, 1e-1
DISTS = {
    "a": IntDistribution(0, 3),
    "b": CategoricalDistribution(["x", "y", "z"]),
    "lr": FloatDistribution(LR_LOW, LR_HIGH, log=True),
}
FA = np.array([0.0, 2.0, -1.0, 3.0])
FB = {"x": 0.0, "y": 1.5, "z": -0.5}


def g_lr(u: np.ndarray | float) -> np.ndarray | float:
    """A cubic in u, the position of log(lr) in [log(low), log(high)]."""
    return 4.0 * u**3 - 3.0 * u + 0.5 * u**2


def _u(lr: float) -> float:
    return (math.log(lr) - math.log(LR_LOW)) / (math.log(LR_HIGH) - math.log(LR_LOW))


def _frame(records: list[tuple[dict, float]], dists: dict, name: str = "s") -> pd.DataFrame:
    """A trials frame written by Optuna itself (distributions_<p> columns included)."""
    study = optuna.create_study(study_name=name, direction="maximize")
    study.add_trials(
        [optuna.trial.create_trial(params=p, distributions=dists, value=v) for p, v in records]
    )
    return hi.from_optuna(study)


def _factorial(lr_points: np.ndarray, f) -> list[tuple[dict, float]]:
    out = []
    for a in range(4):
        for b in ("x", "y", "z"):
            for lr in lr_points:
                out.append(({"a": a, "b": b, "lr": float(lr)}, f(a, b, float(lr))))
    return out


def _var_discrete(values) -> float:
    v = np.asarray(values, dtype=float)
    return float(np.mean((v - v.mean()) ** 2))


def _var_cubic() -> float:
    m1 = integrate.quad(g_lr, 0, 1)[0]
    m2 = integrate.quad(lambda u: g_lr(u) ** 2, 0, 1)[0]
    return m2 - m1 * m1


def test_additive_grid_known_shares():
    """Exactly additive objective on a factorial grid: shares = Var(f_j) / sum Var (by quad)."""
    lr_points = np.geomspace(LR_LOW, LR_HIGH, 7)
    trials = _frame(
        _factorial(lr_points, lambda a, b, lr: FA[a] + FB[b] + g_lr(_u(lr))), DISTS
    )
    res = hi.search_space_importance(trials)
    var = {"a": _var_discrete(FA), "b": _var_discrete(list(FB.values())), "lr": _var_cubic()}
    total = sum(var.values())
    got = dict(zip(res["param"], res["share"], strict=True))
    for k, v in var.items():
        assert got[k] == pytest.approx(v / total, abs=1e-9)
    got_var = dict(zip(res["param"], res["variance"], strict=True))
    assert got_var["lr"] == pytest.approx(var["lr"], rel=1e-9)
    assert res["r2"].iloc[0] == pytest.approx(1.0)
    assert set(res["source"]) == {"distribution"}
    assert list(res.columns) == ["study", "param", "share", "share_corrected", "ci_low",
                                 "ci_high", "variance", "variance_chance", "coverage",
                                 "n_trials", "n_excluded", "n_eff", "r2", "source"]
    np.testing.assert_allclose(res["coverage"], 1.0)
    assert (res["n_excluded"] == 0).all()
    np.testing.assert_allclose(res["share_corrected"], res["share"], atol=1e-9)  # no noise
    assert res["share"].is_monotonic_decreasing
    assert (res["n_trials"] == 84).all()


def test_log_scale_is_used():
    """A component linear in log(lr) is fitted exactly at degree 1; on the raw scale it is not."""
    lr_points = np.geomspace(LR_LOW, LR_HIGH, 9)
    trials = _frame(
        _factorial(lr_points, lambda a, b, lr: FA[a] + 2.0 * _u(lr)), DISTS
    )
    res = hi.search_space_importance(trials, degree=1)
    assert res["r2"].iloc[0] == pytest.approx(1.0, abs=1e-12)
    got = dict(zip(res["param"], res["variance"], strict=True))
    assert got["lr"] == pytest.approx(4.0 / 12.0, rel=1e-9)  # Var(2U), U ~ uniform(0, 1)
    assert got["b"] == pytest.approx(0.0, abs=1e-12)


def _interaction(a: int, b: str) -> float:
    bi = "xyz".index(b)
    return FA[a] + FB[b] + 1.5 * (a - 1.5) * (bi - 1.0) ** 2


def _uniform_answer() -> dict[str, float]:
    """Main-effect variances of the interaction objective on the uniform 4 x 3 design."""
    table = np.array([[_interaction(a, b) for b in "xyz"] for a in range(4)])
    va = _var_discrete(table.mean(axis=1))
    vb = _var_discrete(table.mean(axis=0))
    return {"a": va / (va + vb), "b": vb / (va + vb)}


def _skewed_records(reps_a, reps_b, scale: int) -> list[tuple[dict, float]]:
    out = []
    for a in range(4):
        for bi, b in enumerate("xyz"):
            out += [({"a": a, "b": b}, _interaction(a, b))] * (reps_a[a] * reps_b[bi] * scale)
    return out


def test_reweighting_recovers_the_uniform_design():
    """A deliberately non-uniform sample of a non-additive objective: the weights undo it."""
    dists = {"a": DISTS["a"], "b": DISTS["b"]}
    truth = _uniform_answer()
    trials = _frame(_skewed_records([1, 2, 3, 6], [1, 4, 2], scale=20), dists)
    res = hi.search_space_importance(trials, reweight=True)
    got = dict(zip(res["param"], res["share"], strict=True))
    for k in truth:
        assert got[k] == pytest.approx(truth[k], abs=0.01)
    assert res["n_eff"].iloc[0] < len(trials) / 2  # the weights are far from uniform
    # Without the weights (the default) the same sample gives a clearly different answer.
    flat = hi.search_space_importance(trials)
    got_flat = dict(zip(flat["param"], flat["share"], strict=True))
    assert abs(got_flat["a"] - truth["a"]) > 0.05
    # And a uniform sample gives the truth exactly.
    uniform = _frame(_skewed_records([1, 1, 1, 1], [1, 1, 1], scale=2), dists)
    res_u = hi.search_space_importance(uniform, reweight=True)
    got_u = dict(zip(res_u["param"], res_u["share"], strict=True))
    assert got_u["a"] == pytest.approx(truth["a"], abs=1e-9)


def test_chance_part_of_a_balanced_one_way_design(rng):
    """One 4-level parameter, 5 trials per level: the chance part is (K-1)/K * s^2 / r."""
    k, r = 4, 5
    level = np.repeat(np.arange(k), r)
    y = 0.3 * level + rng.normal(0, 1.0, k * r)
    trials = _frame([({"a": int(a)}, float(v)) for a, v in zip(level, y, strict=True)],
                    {"a": DISTS["a"]})
    res = hi.search_space_importance(trials)
    means = np.array([y[level == i].mean() for i in range(k)])
    s2 = sum(((y[level == i] - means[i]) ** 2).sum() for i in range(k)) / (k * r - k)
    assert res["variance"].iloc[0] == pytest.approx(np.mean((means - means.mean()) ** 2))
    assert res["variance_chance"].iloc[0] == pytest.approx((k - 1) / k * s2 / r)


def test_observed_range_without_distribution():
    """No distributions_<p> column: the observed values stand in for the search space."""
    a, b = np.meshgrid(np.arange(4), np.arange(3), indexing="ij")
    trials = pd.DataFrame({"study": "s", "number": range(12), "state": "COMPLETE",
                           "value": (3.0 * a + b).ravel().astype(float),
                           "params_a": a.ravel(), "params_b": b.ravel()})
    res = hi.search_space_importance(trials)
    va, vb = 9 * _var_discrete(range(4)), _var_discrete(range(3))
    got = dict(zip(res["param"], res["share"], strict=True))
    assert got["a"] == pytest.approx(va / (va + vb))
    assert set(res["source"]) == {"observed"}


def test_continuous_without_distribution_uses_observed_range(rng):
    """A float without a recorded distribution: uniform over [min, max] seen (linear scale)."""
    x = np.linspace(0.0, 2.0, 41)
    trials = pd.DataFrame({"study": "s", "number": range(41), "state": "COMPLETE",
                           "value": 3.0 * x, "params_x": x,
                           "params_c": np.tile(["p", "q"], 21)[:41]})
    res = hi.search_space_importance(trials, by=None)
    got = dict(zip(res["param"], res["variance"], strict=True))
    assert got["x"] == pytest.approx(9.0 * 4.0 / 12.0, rel=1e-9)  # Var(3X), X ~ U(0, 2)
    assert "study" not in res.columns


def test_space_search_is_wired_into_variance_explained(example):
    a = hi.variance_explained(example, space="search")
    b = hi.search_space_importance(example)
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(hi.TrialsError, match="space"):
        hi.variance_explained(example, space="design")


def test_groups_fit_separately(example):
    both = hi.search_space_importance(example)
    one = hi.search_space_importance(example[example["study"] == "transformer-20M"])
    part = both[both["study"] == "transformer-20M"].reset_index(drop=True)
    pd.testing.assert_frame_equal(part, one)
    assert list(pd.unique(both["study"])) == list(pd.unique(example["study"]))
    assert np.allclose(both.groupby("study")["share"].sum(), 1.0)


def test_pure_and_deterministic(example):
    before = example.copy(deep=True)
    first = hi.search_space_importance(example)
    pd.testing.assert_frame_equal(example, before)
    pd.testing.assert_frame_equal(first, hi.search_space_importance(example))


def test_outside_the_search_space_is_left_out_with_a_warning():
    lr_points = np.geomspace(LR_LOW, LR_HIGH, 3)
    trials = _frame(_factorial(lr_points, lambda a, b, lr: FA[a] + FB[b]), DISTS)
    trials.loc[0, "params_lr"] = 10.0  # above high
    with pytest.warns(hi.TrialsWarning, match="1 trial.*outside the recorded search space"):
        res = hi.search_space_importance(trials)
    assert (res["n_trials"] == len(trials) - 1).all()


def test_constant_objective_gives_nan_and_a_warning():
    trials = _frame(_factorial(np.geomspace(LR_LOW, LR_HIGH, 3), lambda a, b, lr: 0.5), DISTS)
    with pytest.warns(hi.TrialsWarning, match="constant"):
        res = hi.search_space_importance(trials)
    assert res["share"].isna().all()


def test_too_few_trials_gives_nan_and_a_warning():
    recs = [({"a": a, "b": "x", "lr": lr}, float(a)) for a, lr in enumerate((1e-4, 1e-3, 1e-2))]
    trials = _frame(recs, DISTS)
    with pytest.warns(hi.TrialsWarning, match="fewer usable trials than model coefficients"):
        res = hi.search_space_importance(trials, params=["a", "lr"])
    assert res["share"].isna().all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"params": ["nope"]}, "Unknown parameter 'nope'"),
        ({"objective": "loss"}, "Unknown objective 'loss'"),
        ({"degree": 0}, "degree must be a positive integer"),
        ({"max_levels": 1}, "max_levels"),
        ({"max_weight": 0.5}, "max_weight"),
        ({"by": "budget_x"}, "Cannot group by 'budget_x'"),
    ],
)
def test_bad_input(example, kwargs, match):
    with pytest.raises(hi.TrialsError, match=match):
        hi.search_space_importance(example, **kwargs)


def test_not_a_frame():
    with pytest.raises(TypeError):
        hi.search_space_importance([1, 2, 3])


def test_no_warning_on_the_example(example):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hi.search_space_importance(example)


def test_studies_selects_like_filtering_first(example):
    names = ["transformer-200M", "transformer-2M"]
    got = hi.search_space_importance(example, studies=names)
    want = hi.search_space_importance(
        pd.concat([example[example["study"] == n] for n in names]))
    pd.testing.assert_frame_equal(got, want)
    with pytest.raises(hi.TrialsError, match="Unknown study 'nope'"):
        hi.search_space_importance(example, studies=["nope"])
    pd.testing.assert_frame_equal(
        hi.variance_explained(example, studies=names, space="search"), got)


def test_collapsed_trials_are_left_out_and_counted(example):
    from hpo_insights._mask import collapsed as _collapsed_mask

    mask = _collapsed_mask(example)
    assert mask.sum() == 2  # both in transformer-200M
    res = hi.search_space_importance(example)
    want = hi.search_space_importance(example[~mask], exclude_collapsed=False)
    pd.testing.assert_frame_equal(res.drop(columns="n_excluded"), want.drop(columns="n_excluded"))
    counts = res.groupby("study", sort=False)["n_excluded"].first().to_dict()
    assert counts == {"transformer-2M": 0, "transformer-20M": 0, "transformer-200M": 2}
    kept = hi.search_space_importance(example, exclude_collapsed=False)
    assert (kept["n_excluded"] == 0).all()
    pooled = hi.search_space_importance(example, by=None, params=["learning_rate", "dropout"])
    assert (pooled["n_excluded"] == 2).all()
    assert (pooled["n_trials"] == mask.size - 2 - (example["state"] != "COMPLETE").sum()).all()


def test_coverage_is_the_tried_share_of_the_space():
    """lr tried only in the lower half of its log range: the bins holding a trial, by hand."""
    lr_points = np.geomspace(LR_LOW, 1e-3, 7)  # log range [1e-5, 1e-3] of [1e-5, 1e-1]: half
    trials = _frame(_factorial(lr_points, lambda a, b, lr: FA[a] + FB[b] + _u(lr)), DISTS)
    res = hi.search_space_importance(trials)
    cov = dict(zip(res["param"], res["coverage"], strict=True))
    cells = round(1.5 * 84 ** (1 / 3))  # equal-width bins of log(lr) at 84 trials
    t = 2 * np.array([_u(x) for x in lr_points]) - 1
    tried = np.unique(np.minimum(((t + 1) / 2 * cells).astype(int), cells - 1))
    assert cov["lr"] == pytest.approx(len(tried) / cells)
    assert cov["lr"] < 0.7
    assert cov["a"] == pytest.approx(1.0) and cov["b"] == pytest.approx(1.0)


def test_a_group_without_the_parameter_gives_nan_rows(example):
    """A parameter one study never had: that study's rows are NaN (warned), others fitted."""
    two = example.copy()
    two.loc[two["study"] == "transformer-2M", "params_dropout"] = np.nan
    with pytest.warns(hi.TrialsWarning, match="transformer-2M"):
        res = hi.search_space_importance(two, params=["dropout", "learning_rate"])
    small = res[res["study"] == "transformer-2M"]
    assert small["share"].isna().all() and (small["n_trials"] == 0).all()
    assert res[res["study"] != "transformer-2M"]["share"].notna().all()
    with pytest.raises(hi.TrialsError, match="No completed trial has a value for every"):
        hi.search_space_importance(two, studies="transformer-2M", params="dropout")


def test_conditional_group_fits_the_shared_parameters():
    """No trial has every parameter (two branches): with params=None the group fits the
    parameters all its trials share, exactly as naming them does; the others are NaN."""
    rng = np.random.default_rng(3)
    n = 60
    branch = np.where(np.arange(n) % 2 == 0, "a", "b")
    x = rng.uniform(0, 1, n)
    trials = pd.DataFrame({
        "study": "s", "number": np.arange(n), "state": "COMPLETE",
        "value": x + (branch == "a") * 0.5 + rng.normal(0, 0.05, n),
        "params_x": x, "params_branch": branch,
        "params_only_a": np.where(branch == "a", rng.uniform(0, 1, n), np.nan),
        "params_only_b": np.where(branch == "b", rng.uniform(0, 1, n), np.nan),
        "study_direction": "maximize",
    })
    with pytest.warns(hi.TrialsWarning, match="no trial has every parameter"):
        got = hi.search_space_importance(trials)
    named = hi.search_space_importance(trials, params=["x", "branch"])
    shared = got[got["param"].isin(["x", "branch"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(shared, named.reset_index(drop=True), check_like=True)
    rest = got[got["param"].isin(["only_a", "only_b"])]
    assert rest["share"].isna().all() and (rest["n_trials"] == 0).all()
    with pytest.raises(hi.TrialsError, match="every parameter asked"):
        hi.search_space_importance(trials, params=["only_a", "only_b"])


# --- the bias correction and the interval (issue: the estimate keeps real effects) -----------

def _grid_trials(seed: int) -> pd.DataFrame:
    """A full 4 x 3 grid, twice, with noise: an additive objective, balanced design."""
    rng = np.random.default_rng(seed)
    a, b = np.meshgrid(np.arange(4), np.arange(3), indexing="ij")
    a, b = np.tile(a.ravel(), 2), np.tile(b.ravel(), 2)
    y = 0.3 * a + 0.2 * (b == 1) + rng.normal(0, 0.4, len(a))
    return pd.DataFrame({"study": "s", "number": range(len(a)), "state": "COMPLETE",
                         "value": y, "params_a": a, "params_b": b})


def _partial_f(y: np.ndarray, full: np.ndarray, reduced: np.ndarray) -> float:
    """Extra-sum-of-squares F of the columns in *full* but not in *reduced* (numpy lstsq)."""
    def rss(x):
        beta = np.linalg.lstsq(x, y, rcond=None)[0]
        return float(np.sum((y - x @ beta) ** 2))
    df1 = full.shape[1] - reduced.shape[1]
    df2 = len(y) - full.shape[1]
    return ((rss(reduced) - rss(full)) / df1) / (rss(full) / df2)


def test_share_corrected_shrinks_each_component_by_its_partial_f():
    t = _grid_trials(3)
    y = t["value"].to_numpy()
    one = np.ones((len(t), 1))
    da = (t["params_a"].to_numpy()[:, None] == np.arange(1, 4)).astype(float)
    db = (t["params_b"].to_numpy()[:, None] == np.arange(1, 3)).astype(float)
    f_a = _partial_f(y, np.hstack([one, da, db]), np.hstack([one, db]))
    f_b = _partial_f(y, np.hstack([one, da, db]), np.hstack([one, da]))
    # balanced grid: each fitted component is its level means less the grand mean
    v_a = t.groupby("params_a")["value"].mean().var(ddof=0)
    v_b = t.groupby("params_b")["value"].mean().var(ddof=0)
    c_a, c_b = v_a * max(1 - 1 / f_a, 0), v_b * max(1 - 1 / f_b, 0)
    got = hi.search_space_importance(t).set_index("param")
    assert got.loc["a", "variance"] == pytest.approx(v_a, rel=1e-9)
    assert got.loc["b", "variance"] == pytest.approx(v_b, rel=1e-9)
    assert got.loc["a", "share_corrected"] == pytest.approx(c_a / (c_a + c_b), rel=1e-9)
    assert got.loc["b", "share_corrected"] == pytest.approx(c_b / (c_a + c_b), rel=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_share_corrected_never_zeroes_a_parameter_that_matters(seed):
    """A real effect on a log parameter whose upper fifth was never tried: the adjusted test
    finds it, and the search-space estimate keeps it (it used to subtract an extrapolated
    chance variance larger than the effect)."""
    rng = np.random.default_rng(seed)
    n = 60
    lr = 10 ** rng.uniform(-5, -2 - 0.6, n)  # 20% of the log range [1e-5, 1e-2] never tried
    other = rng.uniform(0, 1, n)
    y = 0.7 - 0.004 * (np.log10(lr) + 4) ** 2 + rng.normal(0, 0.003, n)
    dist = ('{"name": "FloatDistribution", "attributes": {"low": 1e-05, "high": 0.01, '
            '"log": true, "step": null}}')
    dist_o = ('{"name": "FloatDistribution", "attributes": {"low": 0.0, "high": 1.0, '
              '"log": false, "step": null}}')
    t = pd.DataFrame({"study": "s", "number": range(n), "state": "COMPLETE", "value": y,
                      "params_lr": lr, "params_other": other, "distributions_lr": dist,
                      "distributions_other": dist_o, "study_direction": "maximize"})
    ve = hi.variance_explained(t).set_index("param")
    got = hi.search_space_importance(t).set_index("param")
    assert got.loc["lr", "coverage"] < 0.9
    if bool(ve.loc["lr", "matters"]):
        assert got.loc["lr", "share_corrected"] > 0
        assert got.loc["lr", "ci_high"] > got.loc["lr", "ci_low"]


def test_share_interval_widens_where_the_space_is_extrapolated():
    rng = np.random.default_rng(7)
    n = 80
    dist = ('{"name": "FloatDistribution", "attributes": {"low": 0.0, "high": 1.0, '
            '"log": false, "step": null}}')

    def width(upper: float) -> float:
        x = rng.uniform(0, upper, n)
        z = rng.uniform(0, 1, n)
        y = 0.5 * x + 0.2 * z + rng.normal(0, 0.05, n)
        t = pd.DataFrame({"study": "s", "number": range(n), "state": "COMPLETE", "value": y,
                          "params_x": x, "params_z": z, "distributions_x": dist,
                          "distributions_z": dist})
        r = hi.search_space_importance(t).set_index("param")
        return float(r.loc["x", "ci_high"] - r.loc["x", "ci_low"])

    assert width(0.5) > width(1.0)


def test_share_interval_is_seeded_and_optional():
    t = _grid_trials(1)
    a = hi.search_space_importance(t, seed=5)
    b = hi.search_space_importance(t, seed=5)
    pd.testing.assert_frame_equal(a, b)
    none = hi.search_space_importance(t, n_resamples=0)
    assert none[["ci_low", "ci_high"]].isna().all().all()
    with pytest.raises(hi.TrialsError, match="alpha"):
        hi.search_space_importance(t, alpha=1.5)


def test_example_learning_rate_keeps_its_search_space_share():
    r = hi.search_space_importance(hi.datasets.example(), studies="transformer-20M")
    lr = r.set_index("param").loc["learning_rate"]
    assert lr["coverage"] < 1 and lr["share_corrected"] > 0.1


def test_share_interval_draws_are_multivariate_t_with_the_residual_df():
    """The coefficient draws carry the noise variance's own uncertainty: their marginal
    quantiles are Student t's with the residual degrees of freedom (scipy's, not the code's)."""
    from scipy import stats

    from hpo_insights import _search_space

    beta, cov = np.array([1.0, -2.0]), np.array([[4.0, 1.0], [1.0, 1.0]])
    draws = _search_space._coefficient_draws(beta, cov, 400_000, seed=3, df=6)
    t = (draws - beta[:, None]) / np.sqrt(np.diag(cov))[:, None]
    for row in t:
        got = np.quantile(row, [0.025, 0.5, 0.975])
        assert got == pytest.approx(stats.t.ppf([0.025, 0.5, 0.975], 6), abs=0.03)
    # the correlation of the draws is the covariance's (a multivariate t shares one scale)
    assert np.corrcoef(draws)[0, 1] == pytest.approx(0.5, abs=0.01)
    normal = _search_space._coefficient_draws(beta, cov, 400_000, seed=3, df=0)
    assert np.quantile((normal[0] - 1.0) / 2.0, 0.975) == pytest.approx(1.96, abs=0.02)


def _partial_f_p(x_full: np.ndarray, x_reduced: np.ndarray, y: np.ndarray) -> float:
    """The partial F test's p-value from two least-squares fits (numpy lstsq, scipy F)."""
    from scipy import stats

    def rss(x: np.ndarray) -> float:
        beta = np.linalg.lstsq(x, y, rcond=None)[0]
        return float(np.sum((y - x @ beta) ** 2))

    n, p_full, p_red = len(y), x_full.shape[1], x_reduced.shape[1]
    df = p_full - p_red
    f = ((rss(x_reduced) - rss(x_full)) / df) / (rss(x_full) / (n - p_full))
    return float(stats.f.sf(f, df, n - p_full))


@pytest.mark.parametrize("seed", range(4))
def test_share_interval_reaches_zero_exactly_when_no_effect_is_not_rejected(seed):
    """ci_low is 0 for a parameter whose partial F test (an independent lstsq fit of the
    one-hot model with and without it) does not reject at alpha, and above 0 otherwise."""
    rng = np.random.default_rng(seed)
    n = 48
    a = rng.integers(0, 4, n)  # a real effect
    b = rng.integers(0, 3, n)  # none
    y = np.array([0.0, 1.0, 0.3, -0.8])[a] + rng.normal(0, 0.6, n)
    grid = '{"name": "IntDistribution", "attributes": {"low": 0, "high": %d, "log": false, ' \
           '"step": 1}}'
    t = pd.DataFrame({"study": "s", "number": range(n), "state": "COMPLETE", "value": y,
                      "params_a": a, "params_b": b, "distributions_a": grid % 3,
                      "distributions_b": grid % 2, "study_direction": "maximize"})
    got = hi.search_space_importance(t).set_index("param")

    def onehot(v: np.ndarray, k: int) -> np.ndarray:
        return (v[:, None] == np.arange(1, k)).astype(float)

    ones = np.ones((n, 1))
    full = np.hstack([ones, onehot(a, 4), onehot(b, 3)])
    p_a = _partial_f_p(full, np.hstack([ones, onehot(b, 3)]), y)
    p_b = _partial_f_p(full, np.hstack([ones, onehot(a, 4)]), y)
    for name, p in (("a", p_a), ("b", p_b)):
        if p > 0.05:
            assert got.loc[name, "ci_low"] == 0.0
        else:
            assert got.loc[name, "ci_low"] > 0.0
        assert got.loc[name, "ci_high"] > got.loc[name, "ci_low"]
    if seed == 0:  # the setting gives both cases
        assert p_a < 0.05 < p_b
