"""Tests for the cross-budget analyses: compare_budgets, scaling_check, param_consistency."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import hpo_insights as hi
from hpo_insights.budgets import ScalingCheck, budget_order, parse_size

# The reference report's best trials per budget (AUC, dropout, learning_rate, weight_decay).
REFERENCE = {
    "2M": (0.7173, 0.1, 1e-05, 1e-05),
    "20M": (0.7189, 0.7, 0.0005, 0.001),
    "200M": (0.7152, 0.5, 1e-05, 1e-05),
}


D_MODEL_RANGE = {"2M": (32, 96), "20M": (64, 192), "200M": (128, 384)}
DISTRIBUTIONS = {
    "distributions_dropout": '{"name": "FloatDistribution", "attributes": '
    '{"step": 0.2, "low": 0.1, "high": 0.7, "log": false}}',
    "distributions_learning_rate": '{"name": "FloatDistribution", "attributes": '
    '{"step": null, "low": 1e-05, "high": 0.001, "log": true}}',
    "distributions_weight_decay": '{"name": "CategoricalDistribution", "attributes": '
    '{"choices": [0.0, 1e-05, 0.0001, 0.001]}}',
}


def _int_dist(low: int, high: int) -> str:
    return (
        '{"name": "IntDistribution", "attributes": '
        f'{{"log": false, "step": 16, "low": {low}, "high": {high}}}}}'
    )


def _reference_frame() -> pd.DataFrame:
    """Three studies (listed largest first) whose bests are the reference's; worse trials around."""
    rows = []
    for budget in ["200M", "2M", "20M"]:
        auc, dropout, lr, wd = REFERENCE[budget]
        for number, delta in enumerate([-0.02, 0.0, -0.01]):
            other = number != 1
            rows.append(
                {
                    "study": f"transformer-{budget}",
                    "number": number,
                    "state": "COMPLETE",
                    "value": auc + delta,
                    "params_d_model": {"2M": 96, "20M": 64, "200M": 320}[budget] + 16 * other,
                    "params_dropout": 0.3 if other else dropout,
                    "params_learning_rate": 1e-4 if other else lr,
                    "params_weight_decay": 1e-4 if other else wd,
                    "study_direction": "maximize",
                    "study_user_attrs_budget": budget,
                    **DISTRIBUTIONS,
                    "distributions_d_model": _int_dist(*D_MODEL_RANGE[budget]),
                }
            )
    # a pruned trial with a higher intermediate value must never count
    rows.append({**rows[0], "number": 3, "state": "PRUNED", "value": 0.99})
    return pd.DataFrame(rows)


def test_parse_size_known_values():
    """Suffixes K/M/B/G/T, any case, decimals and plain numbers; NaN when unreadable."""
    assert parse_size("500K") == 5e5
    assert parse_size("2m") == 2e6
    assert parse_size("1.5B") == 1.5e9
    assert parse_size("3G") == 3e9
    assert parse_size("1t") == 1e12
    assert parse_size("128") == 128.0
    assert (
        np.isnan(parse_size("large")) and np.isnan(parse_size("2MB")) and np.isnan(parse_size(None))
    )


def test_budget_order_mixed():
    """Readable sizes first by size; unreadable after, in order of appearance."""
    assert budget_order(["base", "200M", "2M", "tiny", "1.5B", "20M", "2M"]) == [
        "2M",
        "20M",
        "200M",
        "1.5B",
        "base",
        "tiny",
    ]


@given(
    st.lists(
        st.tuples(st.integers(1, 999), st.sampled_from(["", "K", "M", "B", "T", "k", "m", "g"])),
        min_size=1,
        max_size=12,
    )
)
def test_budget_order_matches_numeric_order(items):
    """Ordering labels equals ordering their numeric sizes."""
    mult = {"": 1, "k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12}
    labels = [f"{n}{s}" for n, s in items]
    sizes = [n * mult[s.lower()] for n, s in items]
    ordered = budget_order(labels)
    by_label = dict(zip(labels, sizes, strict=True))
    assert [by_label[x] for x in ordered] == sorted(by_label[x] for x in ordered)
    assert set(ordered) == set(labels)


def test_compare_budgets_reference():
    """Best per budget, smallest budget first, with the best trial's study and params."""
    cb = hi.compare_budgets(_reference_frame())
    assert list(cb.columns[:5]) == ["budget", "study", "size", "best", "number"]
    assert cb["budget"].tolist() == ["2M", "20M", "200M"]
    assert cb["study"].tolist() == ["transformer-2M", "transformer-20M", "transformer-200M"]
    assert cb["size"].tolist() == [2e6, 2e7, 2e8]
    np.testing.assert_allclose(cb["best"], [REFERENCE[b][0] for b in ["2M", "20M", "200M"]])
    assert cb["number"].tolist() == [1, 1, 1]
    assert cb["params_dropout"].tolist() == [0.1, 0.7, 0.5]


def test_compare_budgets_shared_label_pools():
    """Two studies with the same budget label pool: the better one wins."""
    t = _reference_frame()
    t.loc[t.study == "transformer-20M", "study_user_attrs_budget"] = "2M"
    cb = hi.compare_budgets(t)
    assert cb["budget"].tolist() == ["2M", "200M"]
    assert cb.loc[0, "study"] == "transformer-20M"


def test_compare_budgets_by_study_and_minimize():
    """by='study' keeps study order (unreadable sizes); minimize picks the lowest."""
    t = _reference_frame()
    cb = hi.compare_budgets(t, budget="study", direction="minimize")
    assert cb["budget"].tolist() == ["transformer-200M", "transformer-2M", "transformer-20M"]
    assert cb["size"].isna().all()
    expected = t[t.state == "COMPLETE"].groupby("study", sort=False)["value"].min()
    np.testing.assert_allclose(cb["best"], expected.to_numpy())


def test_scaling_check_reference_violated():
    """The reference: 20M > 2M > 200M, the scaling law does not hold."""
    sc = hi.scaling_check(_reference_frame())
    assert isinstance(sc, ScalingCheck)
    assert sc.holds is False
    assert sc.ranking == ("20M", "2M", "200M")
    assert sc.statement == "20M > 2M > 200M"
    assert list(sc.table.columns) == ["budget", "size", "best", "improved"]
    assert sc.table["improved"].tolist() == [pd.NA, True, False]


def test_scaling_check_holds():
    """Strictly better with every step up: holds."""
    t = _reference_frame()
    t.loc[t.study == "transformer-200M", "value"] += 0.01
    sc = hi.scaling_check(t)
    assert sc.holds is True
    assert sc.statement == "200M > 20M > 2M"


def test_scaling_check_unreadable_sizes_warn():
    """Budgets without a readable size warn that appearance order stands for size."""
    with pytest.warns(hi.TrialsWarning, match="3 of 3 budget labels"):
        hi.scaling_check(_reference_frame(), budget="study")


def test_param_consistency_reference():
    """All three shared-grid params are inconsistent, with the reference's dicts."""
    pc = hi.param_consistency(_reference_frame())
    assert list(pc.columns) == ["param", "consistent", "n_distinct", "values", "verdict",
                                "p_interaction", "p_effect", "n_trials"]
    # d_model's grid differs per budget, so it is left out by default
    assert pc["param"].tolist() == ["dropout", "learning_rate", "weight_decay"]
    assert pc["consistent"].tolist() == [False, False, False]
    assert pc["values"].tolist() == [
        {"2M": 0.1, "20M": 0.7, "200M": 0.5},
        {"2M": 1e-05, "20M": 0.0005, "200M": 1e-05},
        {"2M": 1e-05, "20M": 0.001, "200M": 1e-05},
    ]
    assert pc["n_distinct"].tolist() == [3, 2, 2]


def test_param_consistency_grid_from_values():
    """Without distributions, the grid is the set of values seen in each budget."""
    t = _reference_frame().drop(columns=[*DISTRIBUTIONS, "distributions_d_model"])
    t["params_dropout"] = np.tile([0.1, 0.3, 0.5], 3).tolist() + [0.1]
    pc = hi.param_consistency(t)
    # only dropout spans the same values {0.1, 0.3, 0.5} in every budget
    assert pc["param"].tolist() == ["dropout"]
    assert bool(pc.loc[0, "consistent"]) and pc.loc[0, "n_distinct"] == 1
    assert pc.loc[0, "values"] == {"2M": 0.3, "20M": 0.3, "200M": 0.3}


def test_param_consistency_isclose_and_explicit_params():
    """Floats equal up to rounding are consistent; params= picks any parameter."""
    t = _reference_frame()
    best = t["number"] == 1
    t.loc[best, "params_dropout"] = [0.1 + 2e-17, 0.1, 0.30000000000000004 - 0.2]
    pc = hi.param_consistency(t, params=["dropout", "params_d_model"])
    assert pc["param"].tolist() == ["dropout", "d_model"]
    assert pc["consistent"].tolist() == [True, False]


def test_param_consistency_unknown_param():
    """An unknown parameter is a TrialsError listing the known ones."""
    with pytest.raises(hi.TrialsError, match="Unknown parameter 'lr'.*dropout"):
        hi.param_consistency(_reference_frame(), params="lr")


def test_collapse_by_budget():
    """collapse_summary grouped by budget, smallest budget first."""
    t = _reference_frame()
    t["user_attrs_pred_min"] = 0.1
    t["user_attrs_pred_max"] = 0.9
    t.loc[(t.study == "transformer-20M") & (t.number == 2), "user_attrs_pred_max"] = 0.12
    cb = hi.collapse_by_budget(t)
    assert list(cb.columns) == [
        "budget",
        "collapse",
        "n_collapsed",
        "n_measured",
        "pred_min",
        "pred_max",
        "mean_recall",
    ]
    assert cb["budget"].tolist() == ["2M", "20M", "200M"]
    assert cb["collapse"].tolist() == [False, True, False]
    assert cb["n_measured"].tolist() == [3, 3, 3]
    assert cb.loc[1, "pred_max"] == pytest.approx(0.12)


def test_unknown_budget_column():
    """by= naming no column is a TrialsError listing the groupable columns."""
    with pytest.raises(hi.TrialsError, match="Cannot group by 'size'.*study_user_attrs_budget"):
        hi.compare_budgets(_reference_frame(), budget="size")


def test_purity():
    """No function changes its input."""
    t = _reference_frame()
    before = t.copy(deep=True)
    hi.compare_budgets(t)
    hi.scaling_check(t)
    hi.param_consistency(t)
    hi.collapse_by_budget(t)
    pd.testing.assert_frame_equal(t, before)


def test_example_budgets(example):
    """On the example: three budgets in size order, bests equal per-study maxima."""
    cb = hi.compare_budgets(example)
    assert cb["budget"].tolist() == ["2M", "20M", "200M"]
    done = example[example.state == "COMPLETE"]
    best = done.groupby("study_user_attrs_budget")["value"].max()
    np.testing.assert_allclose(cb["best"], best.loc[cb["budget"]].to_numpy())
    sc = hi.scaling_check(example)
    assert sc.statement == " > ".join(cb.sort_values("best", ascending=False)["budget"])


@given(st.permutations(list(range(10))))
def test_row_order_does_not_matter(order):
    """Shuffling the rows changes neither the best per budget nor the scaling verdict."""
    t = _reference_frame()
    shuffled = t.iloc[list(order)]
    a = hi.compare_budgets(t)
    b = hi.compare_budgets(shuffled)
    pd.testing.assert_frame_equal(a, b)
    assert hi.scaling_check(shuffled).statement == "20M > 2M > 200M"


# --- the interaction test behind param_consistency's verdict ---------------------------------
def test_interaction_f_balanced_matches_textbook_anova(rng):
    """Balanced 3 x 4 layout: F equals the classical two-way ANOVA sums of squares."""
    from scipy import stats

    from hpo_insights._stats import interaction_f

    r, c, reps = 3, 4, 5
    row = np.repeat(np.arange(r), c * reps)
    col = np.tile(np.repeat(np.arange(c), reps), r)
    y = 0.1 * row + 0.05 * col + 0.03 * (row * col == 2) + rng.normal(0, 0.05, len(row))
    cell = y.reshape(r, c, reps).mean(axis=2)
    rm, cm, gm = cell.mean(axis=1), cell.mean(axis=0), cell.mean()
    ss_int = reps * ((cell - rm[:, None] - cm[None, :] + gm) ** 2).sum()
    ss_err = ((y.reshape(r, c, reps) - cell[:, :, None]) ** 2).sum()
    f = (ss_int / ((r - 1) * (c - 1))) / (ss_err / (r * c * (reps - 1)))
    ss_col = r * reps * ((cm - gm) ** 2).sum()
    f_col = (ss_col / (c - 1)) / (ss_err / (r * c * (reps - 1)))
    got = interaction_f(y, row, col)
    assert got[0] == pytest.approx(f, rel=1e-9) and got[1:3] == (6.0, 48.0)
    assert got[3] == pytest.approx(stats.f.sf(f, 6, 48), rel=1e-8)
    assert got[4] == pytest.approx(f_col, rel=1e-9)


def test_interaction_f_unbalanced_matches_lstsq(rng):
    """Unbalanced, one empty cell: additive vs cell-means fits by lstsq on the trials."""
    from scipy import stats

    from hpo_insights._stats import interaction_f

    row = rng.integers(0, 3, 60)
    col = rng.integers(0, 3, 60)
    keep = ~((row == 2) & (col == 0))
    row, col = row[keep], col[keep]
    y = 0.2 * (row == 1) - 0.1 * (col == 2) + 0.1 * ((row == 2) & (col == 1)) + rng.normal(
        0, 0.05, len(row))
    def rss(design):
        beta = np.linalg.lstsq(design, y, rcond=None)[0]
        return ((y - design @ beta) ** 2).sum(), np.linalg.matrix_rank(design)
    dummies = lambda codes, k: (codes[:, None] == np.arange(k)).astype(float)  # noqa: E731
    additive = np.c_[dummies(row, 3), dummies(col, 3)[:, 1:]]
    full = dummies(row * 3 + col, 9)
    full = full[:, full.sum(axis=0) > 0]
    (ra, pa), (rf, pf) = rss(additive), rss(full)
    df1, df2 = pf - pa, len(y) - pf
    f = ((ra - rf) / df1) / (rf / df2)
    got = interaction_f(y, row, col)
    assert got[0] == pytest.approx(f, rel=1e-8) and got[1:3] == (df1, df2) == (3.0, len(y) - 8)
    assert got[3] == pytest.approx(stats.f.sf(f, df1, df2), rel=1e-7)



# --- noise-aware verdicts -------------------------------------------------------------------
def _budgets_frame(rng, gains, n=30, direction="maximize", sd=0.015, dropout_optima=None):
    """Budgets 2M, 20M, ... of n trials: objective = 0.7 + gain + dropout term + noise."""
    labels = ["2M", "20M", "200M", "2B"][: len(gains)]
    parts = []
    for j, (label, gain) in enumerate(zip(labels, gains, strict=True)):
        drop = rng.choice([0.0, 0.1, 0.2, 0.3], n)
        opt = 0.0 if dropout_optima is None else dropout_optima[j]
        y = 0.7 + gain - 0.1 * np.abs(drop - opt) + rng.normal(0, sd, n)
        parts.append(pd.DataFrame({
            "study": f"s-{label}", "number": range(n), "state": "COMPLETE",
            "value": y if direction == "maximize" else -y, "params_dropout": drop,
            "params_width": rng.choice([1, 2], n), "study_direction": direction,
            "study_user_attrs_budget": label}))
    return pd.concat(parts, ignore_index=True)


def test_scaling_verdict_pairs_match_enumeration():
    """Reference frame (3 trials per budget): every split enumerated by hand, top-1 and top-2."""
    import itertools

    t = _reference_frame()
    done = t[t.state == "COMPLETE"]
    for top, k in ((1, 1), (0.5, 2)):
        sc = hi.scaling_check(t, top=top, method="top")
        assert list(sc.pairs.columns) == [
            "budget_a", "budget_b", "n_trials_a", "n_trials_b", "top_k", "top_mean_a", "top_mean_b",
            "difference", "ci_low", "ci_high", "p_value", "p_adjusted", "exact", "step"]
        for row in sc.pairs.itertuples():
            a = np.sort(done[done.study_user_attrs_budget == row.budget_a].value.to_numpy())
            b = np.sort(done[done.study_user_attrs_budget == row.budget_b].value.to_numpy())
            obs = b[-k:].mean() - a[-k:].mean()
            pooled = np.r_[a, b]
            null = []
            for ia in itertools.combinations(range(6), 3):
                ib = [i for i in range(6) if i not in ia]
                null.append(np.sort(pooled[ib])[-k:].mean() - np.sort(pooled[list(ia)])[-k:].mean())
            null = np.array(null)
            p = min(1.0, 2 * min(np.mean(null >= obs - 1e-12), np.mean(null <= obs + 1e-12)))
            assert row.exact and row.top_k == k and row.difference == pytest.approx(obs)
            assert row.p_value == pytest.approx(p)
            assert row.p_adjusted == pytest.approx(min(1, 2 * p))
        # 20 splits: the smallest two-sided p is 0.1, never significant after Bonferroni
        assert sc.verdict == "not established" and (sc.pairs.step == "no evidence").all()


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_scaling_verdict_clear_cases(rng, direction):
    """Big steps up: holds; a big step down: violated; both directions."""
    for method in ("top", "adjusted"):
        up = hi.scaling_check(_budgets_frame(rng, [0.0, 0.05, 0.1], direction=direction),
                              method=method)
        assert up.verdict == "holds" and (up.pairs.step == "better").all()
        assert (up.pairs.difference > 0).all()
        down = hi.scaling_check(_budgets_frame(rng, [0.0, 0.05, 0.0], direction=direction),
                                method=method)
        assert down.verdict == "violated" and down.pairs.step.tolist() == ["better", "worse"]
    sign = 1 if direction == "maximize" else -1
    row = down.pairs.iloc[1]
    assert row.difference == pytest.approx(sign * (row.top_mean_b - row.top_mean_a))


def test_scaling_adjusted_steps_match_lstsq(rng):
    """method="adjusted": budget intercepts of the model with every parameter shared, by hand."""
    from scipy import stats

    t = _budgets_frame(rng, [0.0, 0.01, 0.0], n=40)
    sc = hi.scaling_check(t)
    y = t.value.to_numpy()
    row = pd.factorize(t.study_user_attrs_budget)[0]  # 2M, 20M, 200M in order
    budget = (row[:, None] == np.arange(3)).astype(float)
    drop = (t.params_dropout.to_numpy()[:, None] == np.array([0.1, 0.2, 0.3])).astype(float)
    wide = (t.params_width.to_numpy() == 2).astype(float)[:, None]
    X = np.c_[budget, drop, wide]
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    df = len(y) - X.shape[1]
    cov = np.linalg.inv(X.T @ X) * (resid @ resid / df)
    for k, step in enumerate(sc.steps.itertuples()):
        c = np.zeros(X.shape[1])
        c[k], c[k + 1] = -1.0, 1.0
        d, se = c @ beta, np.sqrt(c @ cov @ c)
        assert step.difference == pytest.approx(d, rel=1e-6)
        assert step.p_better == pytest.approx(stats.t.sf(d / se, df), rel=1e-6)
        assert step.p_worse == pytest.approx(stats.t.sf(-d / se, df), rel=1e-6)
    p_holds = max(sc.steps.p_better)
    p_viol = min(1.0, 2 * min(sc.steps.p_worse))
    expected = ("not established" if 2 * min(p_holds, p_viol) >= 0.05
                else "holds" if p_holds <= p_viol else "violated")
    assert sc.verdict == expected


def test_scaling_verdict_seeded(rng):
    """The same seed gives the same p-values; another seed gives close ones."""
    t = _budgets_frame(rng, [0.0, 0.006, 0.012])
    a = hi.scaling_check(t, seed=1).pairs
    pd.testing.assert_frame_equal(a, hi.scaling_check(t, seed=1).pairs)
    b = hi.scaling_check(t, seed=2).pairs
    np.testing.assert_allclose(a.p_value, b.p_value, atol=0.05)


def test_scaling_verdict_single_budget_and_errors(rng):
    """One budget: nothing to compare, not established; bad options are named."""
    one = _budgets_frame(rng, [0.0])
    sc = hi.scaling_check(one)
    assert sc.verdict == "not established" and sc.pairs.empty and sc.holds
    t = _budgets_frame(rng, [0.0, 0.01])
    for bad in (0, 1.5, True, "1"):
        with pytest.raises(hi.TrialsError, match="top"):
            hi.scaling_check(t, top=bad)
    with pytest.raises(hi.TrialsError, match="alpha"):
        hi.scaling_check(t, alpha=0)
    with pytest.raises(hi.TrialsError, match="n_resamples"):
        hi.scaling_check(t, n_resamples=0)


def test_param_consistency_verdict_matches_lstsq(rng):
    """p_interaction and p_effect equal F tests from lstsq fits of the adjusted model (by hand).

    Full: dropout (4 levels) and width (2) per budget; shared: dropout's indicators shared by
    the budgets, width and the intercept per budget; none: without dropout.
    """
    from scipy import stats

    t = _budgets_frame(rng, [0.0, 0.01, 0.02], dropout_optima=[0.0, 0.15, 0.3])
    pc = hi.param_consistency(t, params="dropout").iloc[0]
    y = t.value.to_numpy()
    row = pd.factorize(t.study_user_attrs_budget)[0]
    budget = (row[:, None] == np.arange(3)).astype(float)
    drop = (t.params_dropout.to_numpy()[:, None] == np.array([0.1, 0.2, 0.3])).astype(float)
    wide = (t.params_width.to_numpy() == 2).astype(float)[:, None]
    per_budget = np.hstack([budget[:, [b]] * np.c_[np.ones(len(y)), drop, wide]
                            for b in range(3)])
    rest = np.hstack([budget[:, [b]] * np.c_[np.ones(len(y)), wide] for b in range(3)])

    def rss(design):
        beta = np.linalg.lstsq(design, y, rcond=None)[0]
        return ((y - design @ beta) ** 2).sum()

    r_full, r_shared, r_none = rss(per_budget), rss(np.c_[rest, drop]), rss(rest)
    df_den = len(y) - 15
    f_int = ((r_shared - r_full) / 6) / (r_full / df_den)
    f_eff = ((r_none - r_shared) / 3) / (r_full / df_den)
    assert pc.p_interaction == pytest.approx(stats.f.sf(f_int, 6, df_den), rel=1e-6)
    assert pc.p_effect == pytest.approx(stats.f.sf(f_eff, 3, df_den), rel=1e-6)
    assert pc.verdict == "inconsistent" and pc.n_trials == len(y)


def test_param_consistency_verdicts(rng):
    """Same optimum everywhere: consistent; no effect: not established; one budget too."""
    t = _budgets_frame(rng, [0.0, 0.02, 0.04], n=60)
    pc = hi.param_consistency(t).set_index("param")
    assert pc.loc["dropout", "verdict"] == "consistent"
    assert pc.loc["width", "verdict"] == "not established"  # no effect at all
    one = hi.param_consistency(_budgets_frame(rng, [0.0]), params="dropout").iloc[0]
    assert one.verdict == "not established" and np.isnan(one.p_interaction)
    with pytest.raises(hi.TrialsError, match="alpha"):
        hi.param_consistency(t, alpha=1.0)
    before = t.copy(deep=True)
    hi.param_consistency(t)
    hi.scaling_check(t)
    pd.testing.assert_frame_equal(t, before)


def test_param_consistency_leaves_collapsed_trials_out(rng):
    """Three collapsed trials (AUC 0.5) in one budget x value cell make an interaction alone."""
    t = _budgets_frame(rng, [0.0, 0.02, 0.04], n=40)
    t["user_attrs_pred_min"] = 0.1
    t["user_attrs_pred_max"] = 0.9
    cell = np.flatnonzero((t.study_user_attrs_budget == "200M") & (t.params_dropout == 0.3))[:3]
    t.loc[cell, "user_attrs_pred_max"] = 0.11
    t.loc[cell, "value"] = 0.5
    kept = hi.param_consistency(t, params="dropout").iloc[0]
    everything = hi.param_consistency(t, params="dropout", exclude_collapsed=False).iloc[0]
    assert kept.n_trials == len(t) - 3 and everything.n_trials == len(t)
    assert kept.verdict == "consistent" and everything.verdict == "inconsistent"



def test_top_mean_bootstrap_matches_a_hand_loop(rng):
    """The interval equals percentiles of a loop over the same resampling indices."""
    from hpo_insights._stats import top_mean_bootstrap

    a, b = rng.normal(0.70, 0.02, 20), rng.normal(0.72, 0.02, 25)
    lo, hi_ = top_mean_bootstrap(a, b, 4, n_boot=300, seed=5)
    draw = np.random.default_rng(5)
    ia, ib = draw.integers(0, 20, (300, 20)), draw.integers(0, 25, (300, 25))
    diffs = [np.sort(b[ib[i]])[-4:].mean() - np.sort(a[ia[i]])[-4:].mean() for i in range(300)]
    assert (lo, hi_) == pytest.approx(tuple(np.quantile(diffs, [0.025, 0.975])))
    assert lo < np.sort(b)[-4:].mean() - np.sort(a)[-4:].mean() < hi_


def test_scaling_pairs_intervals_agree_with_the_steps(rng):
    """A clear gain: the interval lies above 0; a clear loss: below."""
    sc = hi.scaling_check(_budgets_frame(rng, [0.0, 0.05, 0.0]))
    better, worse = sc.pairs.iloc[0], sc.pairs.iloc[1]
    assert 0 < better.ci_low < better.difference < better.ci_high
    assert worse.ci_low < worse.difference < worse.ci_high < 0
