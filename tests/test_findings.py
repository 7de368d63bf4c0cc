"""hi.findings: the page's claims, the adjusted model's tests against independent fits."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import hpo_insights as hi
from hpo_insights.findings import COLUMNS

FLOAT01 = json.dumps({"name": "FloatDistribution",
                      "attributes": {"low": 0.0, "high": 1.0, "step": None, "log": False}})


def _two_studies(rng, n=60, shift=0.0, inter=0.0):
    """Two studies: x uniform on [0, 1] (recorded linear), c in 3 levels, an x effect."""
    rows = []
    for s, name in enumerate(["small", "large"]):
        x = rng.uniform(0, 1, n)
        c = rng.choice(["a", "b", "c"], n)
        y = 0.7 + 0.01 * x + (inter * s) * x**2 + 0.004 * (c == "b") + shift * s
        y = y + rng.normal(0, 0.01, n)
        rows.append(pd.DataFrame({
            "study": name, "number": np.arange(n), "state": "COMPLETE", "value": y,
            "params_x": x, "params_c": c, "distributions_x": FLOAT01,
            "study_direction": "maximize"}))
    return pd.concat(rows, ignore_index=True)


def _rss(X, y):
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    r = y - X @ beta
    return float(r @ r), int(np.linalg.matrix_rank(X))


def _f_p(rss_r, rank_r, rss_f, rank_f, n):
    from scipy import stats

    df1, df2 = rank_f - rank_r, n - rank_f
    return stats.f.sf(((rss_r - rss_f) / df1) / (rss_f / df2), df1, df2)


def test_columns_and_contract(example):
    """The contract's columns, in order; claims only where p_adjusted < alpha."""
    f = hi.findings(example)
    assert list(f.columns) == COLUMNS
    assert f["claim"].isin(["matters", "shape", "edge", "worse", "scaling", "consistency",
                            "collapse", "pruning", "plateau"]).all()
    tested = f[~f.claim.isin(["collapse", "pruning", "plateau"])]
    assert (tested.claimed == (tested.p_adjusted < 0.05)).all()
    assert (f.p_adjusted.dropna() >= f.p_value[f.p_adjusted.notna()] - 1e-12).all()


def test_interaction_and_pooled_tests_match_lstsq(rng):
    """Consistency and pooled-matters p-values equal F tests of lstsq fits built here by hand."""
    trials = _two_studies(rng, inter=0.02)
    f = hi.findings(trials)
    n = len(trials)
    y = trials["value"].to_numpy()
    s = (trials["study"] == "large").to_numpy().astype(float)
    x = trials["params_x"].to_numpy()
    cb = (trials["params_c"] == "b").to_numpy().astype(float)
    cc = (trials["params_c"] == "c").to_numpy().astype(float)
    one = np.ones(n)
    per_study = [v * w for w in (1 - s, s) for v in (one, x, x**2, cb, cc)]
    full = np.column_stack(per_study)
    common_x = np.column_stack([*(v * w for w in (1 - s, s) for v in (one, cb, cc)), x, x**2])
    rf, kf = _rss(full, y)
    rc, kc = _rss(common_x, y)
    p_int = _f_p(rc, kc, rf, kf, n)

    # pooled "matters": every parameter shared by the budgets, the budget as a block
    shared = np.column_stack([1 - s, s, x, x**2, cb, cc])
    r_sh, k_sh = _rss(shared, y)
    r_sh0, k_sh0 = _rss(shared[:, [0, 1, 4, 5]], y)
    p_pool = _f_p(r_sh0, k_sh0, r_sh, k_sh, n)
    # "matters in some budget": x's terms per budget, the other parameters shared
    by_budget = np.column_stack([1 - s, s, x * (1 - s), x**2 * (1 - s), x * s, x**2 * s, cb, cc])
    r_b, k_b = _rss(by_budget, y)
    p_budgets = _f_p(r_sh0, k_sh0, r_b, k_b, n)
    row = f[(f.claim == "consistency") & (f.param == "x")].iloc[0]
    assert row.p_value == pytest.approx(p_int, rel=1e-6)
    row = f[(f.claim == "matters") & (f.param == "x") & (f.study == "small, large")].iloc[0]
    # the node's p: weighted Bonferroni of the two tests (shares 0.95 and 0.05)
    assert row.p_value == pytest.approx(min(1.0, p_pool / 0.95, p_budgets / 0.05), rel=1e-6)
    # per-study: the study's own model with and without x
    m = s == 0
    Xs = np.column_stack([one, x, x**2, cb, cc])[m]
    rf1, kf1 = _rss(Xs, y[m])
    rr1, kr1 = _rss(Xs[:, [0, 3, 4]], y[m])
    row = f[(f.claim == "matters") & (f.param == "x") & (f.study == "small")].iloc[0]
    assert row.p_value == pytest.approx(_f_p(rr1, kr1, rf1, kf1, m.sum()), rel=1e-6)


def test_scale_free(rng):
    """The objective times 1e-300 or 1e300 gives the same tests and claims."""
    trials = _two_studies(rng, shift=0.01)
    base = hi.findings(trials)
    for k in (1e-300, 1e300):
        t = trials.copy()
        t["value"] = (t["value"] - 0.7) * k
        got = hi.findings(t)
        np.testing.assert_allclose(got.p_value, base.p_value, rtol=1e-6)
        assert got.claimed.tolist() == base.claimed.tolist()
        np.testing.assert_allclose(got.effect / k, base.effect, rtol=1e-6)


def test_pure_and_deterministic(example):
    """findings does not mutate its input, and the same seed gives the same frame."""
    before = example.copy(deep=True)
    a = hi.findings(example, seed=3)
    pd.testing.assert_frame_equal(example, before)
    pd.testing.assert_frame_equal(a, hi.findings(example, seed=3))


def test_gatekeeping(example):
    """No shape, edge or worse claim for a parameter whose matters claim is not made."""
    f = hi.findings(example)
    made = {(r.study, r.param) for r in f[(f.claim == "matters") & f.claimed].itertuples()}
    for r in f[f.claim.isin(["shape", "edge", "worse"]) & f.claimed].itertuples():
        assert (r.study, r.param) in made


def test_no_edge_at_natural_bound(rng):
    """Best at dropout 0 (a natural bound): no "edge" claim however strong the trend."""
    n = 120
    x = rng.choice(np.round(np.arange(0, 0.55, 0.05), 2), n)
    y = 0.7 - 0.1 * x + rng.normal(0, 0.005, n)
    t = pd.DataFrame({"study": "s", "number": np.arange(n), "state": "COMPLETE", "value": y,
                      "params_dropout": x, "study_direction": "maximize"})
    f = hi.findings(t)
    assert f[(f.claim == "matters") & f.claimed].shape[0] == 1
    assert not ((f.claim == "edge") & f.claimed).any()
    # the same trend, best at the tried end 0.2 of a range that could go lower: an edge
    t2 = t.assign(params_dropout=x + 0.2)
    f2 = hi.findings(t2)
    e = f2[(f2.claim == "edge") & f2.claimed]
    assert e["value"].tolist() == ["low"]


def test_diverged_trials_left_out_and_counted(rng):
    """Two diverged trials (value 0.5 among 0.7s) are left out, said in n_outliers."""
    t = _two_studies(rng)
    t.loc[[3, 10], "value"] = 0.5
    f = hi.findings(t)
    assert f[f.study == "small"]["n_outliers"].eq(2).all()
    assert f[f.study == "large"]["n_outliers"].eq(0).all()


def test_errors(example):
    """Bad arguments name what was expected."""
    with pytest.raises(hi.TrialsError, match="alpha"):
        hi.findings(example, alpha=1.5)
    with pytest.raises(hi.TrialsError, match="Unknown parameter 'lr'"):
        hi.findings(example, params=["lr"])
    with pytest.raises(hi.TrialsError, match="min_effect"):
        hi.findings(example, min_effect=-1.0)


def _objective(trial):
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    dropout = trial.suggest_float("dropout", 0.0, 0.5, step=0.05)
    opt = trial.suggest_categorical("optimizer", ["adam", "sgd", "rmsprop"])
    trial.suggest_categorical("wd", [0.0, 1e-5, 1e-4, 1e-3])
    rng = np.random.default_rng(trial.number)
    return (0.7 - 0.02 * (np.log10(lr) + 3) ** 2 / 4 - 0.05 * dropout
            + 0.0 * (opt == "sgd") + rng.normal(0, 0.01))


def test_same_findings_from_storage_memory_and_csv(tmp_path):
    """A study written by Optuna gives the same claims from its storage, in memory and from its
    trials_dataframe() CSV."""
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    studies = []
    for name, seed in (("2M", 1), ("20M", 2)):
        study = optuna.create_study(study_name=name, storage=url, direction="maximize",
                                    sampler=optuna.samplers.TPESampler(seed=seed))
        study.set_user_attr("budget", name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            study.optimize(_objective, n_trials=60)
        studies.append(study)
    a = hi.findings(hi.load(url))
    b = hi.findings(hi.from_optuna(studies))
    cols = ["study", "param", "claim", "value", "claimed", "n_trials"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    np.testing.assert_allclose(a.p_value, b.p_value, rtol=1e-9)
    assert ((a.param == "lr") & (a.claim == "matters") & a.claimed).any()
    # the CSV of trials_dataframe() (no distributions recorded): the same claims
    path = tmp_path / "2M.csv"
    studies[0].trials_dataframe().to_csv(path, index=False)
    from_csv = hi.findings(hi.load(str(path), direction="maximize"))
    from_db = hi.findings(hi.load(url, studies="2M"))
    cols = ["param", "claim", "value", "claimed", "n_trials"]

    def ordered(f):  # the CSV orders its parameter columns by name
        return f[cols].sort_values(cols[:2], ignore_index=True)

    pd.testing.assert_frame_equal(ordered(from_csv), ordered(from_db))


def _every_kth_pruned(rng, n: int, k: int) -> pd.DataFrame:
    """One minimized study of *n* trials, the objective rising a little with x, every k-th
    trial PRUNED."""
    x = rng.uniform(0, 1, n)
    y = 0.7 + 0.02 * x + rng.normal(0, 0.01, n)
    state = np.where(np.arange(n) % k == 0, "PRUNED", "COMPLETE")
    return pd.DataFrame({"study": "s", "number": np.arange(n), "state": state, "value": y,
                         "params_x": x, "distributions_x": FLOAT01,
                         "study_direction": "minimize"})


def test_pruned_rank_scores_by_hand(rng):
    """pruned="rank" equals the default on a frame whose objective is the hand-made scores."""
    from scipy import stats

    n = 40
    t = _every_kth_pruned(rng, n, 5)
    y, state = t["value"].to_numpy(), t["state"].to_numpy()
    got = hi.findings(t, pruned="rank")
    # by hand: minimize, so the lowest completed value is the best (highest rank);
    # the 8 pruned trials share ranks 1..8 (4.5), the 32 completed ranks 9..40
    comp = state == "COMPLETE"
    r = np.empty(n)
    r[~comp] = 4.5
    r[comp] = 8 + stats.rankdata(-y[comp])
    score = stats.norm.ppf((r - 0.5) / n)
    by_hand = t.assign(value=score, state="COMPLETE", study_direction="maximize")
    want = hi.findings(by_hand)
    np.testing.assert_allclose(got.p_value[got.claim == "matters"],
                               want.p_value[want.claim == "matters"], rtol=1e-9)
    assert (got.n_pruned == 8).all()


def test_plateau_rows_read_the_objective_under_ranks(rng):
    """With pruned="rank" the plateau rows are still about the completed trials' objective
    (in its units and direction), not about the normal scores the other claims use."""
    t = _every_kth_pruned(rng, 60, 3)
    state = t["state"].to_numpy()
    got = hi.findings(t, pruned="rank")
    plateau = got[got.claim == "plateau"].iloc[0]
    want = hi.search_progress(t[state == "COMPLETE"]).summary.iloc[0]
    assert plateau.n_trials == (state == "COMPLETE").sum()
    assert plateau.effect == pytest.approx(want["gain"], rel=1e-9)
    assert plateau.effect_high == pytest.approx(want["gain_high"], rel=1e-9)


def test_pruned_last_counts_pruned_trials_with_their_last_value(rng):
    """pruned="last": the parameter claims equal those of a frame where the PRUNED trials are
    COMPLETE with the same value; scaling and plateau stay on the completed trials."""
    rows = []
    for s, name in enumerate(["small", "large"]):
        x = rng.uniform(0, 1, 60)
        y = 0.7 + 0.02 * x + 0.01 * s + rng.normal(0, 0.01, 60)
        state = np.where(np.arange(60) % 3 == 0, "PRUNED", "COMPLETE")
        rows.append(pd.DataFrame({
            "study": name, "number": np.arange(60), "state": state, "value": y,
            "params_x": x, "distributions_x": FLOAT01, "study_direction": "maximize"}))
    t = pd.concat(rows, ignore_index=True)
    got = hi.findings(t, pruned="last")
    as_complete = hi.findings(t.assign(state="COMPLETE"))
    kinds = ["matters", "consistency"]
    np.testing.assert_allclose(got.p_value[got.claim.isin(kinds)],
                               as_complete.p_value[as_complete.claim.isin(kinds)], rtol=1e-9)
    dropped = hi.findings(t, pruned="drop")
    for claim in ("scaling", "plateau"):
        np.testing.assert_allclose(got.effect[got.claim == claim],
                                   dropped.effect[dropped.claim == claim], rtol=1e-9)
    assert (got.n_pruned[got.claim == "matters"] > 0).all()


def test_pruning_depends_on_a_parameter_with_median_pruner():
    """Optuna's MedianPruner on a search where lr decides the curve: pruning depends on lr only."""
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        trial.suggest_categorical("optimizer", ["adam", "sgd"])
        rng = np.random.default_rng(trial.number)
        y = 0.7 - 0.03 * ((np.log10(lr) + 3) / 2) ** 2 + rng.normal(0, 0.005)
        for k in range(5):
            trial.report(y - 0.02 * (4 - k) / 4, k)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return y

    study = optuna.create_study(direction="maximize",
                                sampler=optuna.samplers.RandomSampler(seed=0),
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=5))
    study.optimize(objective, n_trials=80)
    f = hi.findings(hi.from_optuna(study))
    pr = f[f.claim == "pruning"].set_index("param")
    n_pruned = sum(t.state.name == "PRUNED" for t in study.trials)
    assert n_pruned > 10
    assert pr.loc["lr", "value"] == "depends"
    assert pr.loc["optimizer", "value"] == "no evidence"
    assert not pr.claimed.any()
    assert (f[f.claim == "matters"].n_pruned == n_pruned).all()


def test_many_claims_use_the_tree_and_claim_no_more(example, monkeypatch):
    """Past GRAPH_MAX claims the tree without recycling: p_adjusted never below the graph's."""
    import sys

    F = sys.modules["hpo_insights.findings"]
    full = hi.findings(example)
    monkeypatch.setattr(F, "GRAPH_MAX", 0)
    tree = hi.findings(example)
    both = full.merge(tree, on=["study", "param", "claim", "value"], how="inner",
                      suffixes=("", "_tree"))
    assert len(both) >= len(tree) - 2  # rows whose value flips to "no evidence" drop out
    ok = both.p_adjusted.notna()
    assert (both.p_adjusted_tree[ok] >= both.p_adjusted[ok] - 1e-12).all()
    assert tree.claimed.sum() <= full.claimed.sum()


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_shape_labels_describe_the_objective(rng, direction):
    """A best value inside the range: "peaked" when maximizing, "valley" of the objective when
    minimizing; a rise over the whole range: "increasing" either way."""
    n = 150
    x = rng.uniform(0, 1, n)
    sign = 1.0 if direction == "maximize" else -1.0
    inside = 0.7 + sign * (-0.1 * (x - 0.5) ** 2 + rng.normal(0, 0.002, n))
    rising = 0.7 + 0.05 * x + rng.normal(0, 0.002, n)
    for y, want in ((inside, "peaked" if sign > 0 else "valley"), (rising, "increasing")):
        t = pd.DataFrame({"study": "s", "number": np.arange(n), "state": "COMPLETE", "value": y,
                          "params_x": x, "distributions_x": FLOAT01,
                          "study_direction": direction})
        f = hi.findings(t)
        shape = f[(f.claim == "shape") & f.claimed]
        assert shape.value.tolist() == [want]
        if want == "increasing":
            assert shape.effect.iloc[0] == pytest.approx(0.05, abs=0.01)


def test_effect_that_cancels_when_pooled_is_found_and_inconsistent():
    """x helps in one budget and hurts in the other: the shared effect is about zero, so the
    common-effect test sees nothing; the budget-specific test (its share of the pooled node)
    makes "matters" and opens the consistency claim, which says "inconsistent"."""
    rng = np.random.default_rng(3)
    rows = []
    for s, (name, slope) in enumerate([("small", 0.03), ("large", -0.03)]):
        x = rng.uniform(0, 1, 80)
        c = rng.choice(["a", "b", "c"], 80)
        y = 0.7 + slope * x + 0.01 * s + rng.normal(0, 0.01, 80)
        rows.append(pd.DataFrame({
            "study": name, "number": np.arange(80), "state": "COMPLETE", "value": y,
            "params_x": x, "params_c": c, "distributions_x": FLOAT01,
            "study_direction": "maximize"}))
    f = hi.findings(pd.concat(rows, ignore_index=True))
    made = f[f.claimed]
    pooled = made[(made.claim == "matters") & (made.param == "x")
                  & (made.study == "small, large")]
    assert len(pooled) == 1
    assert "at least one budget" in pooled.detail.iloc[0]
    assert np.isnan(pooled.effect.iloc[0])  # the shared curve does not describe it
    cons = made[(made.claim == "consistency") & (made.param == "x")]
    assert cons.value.tolist() == ["inconsistent"]
    per_budget = made[(made.claim == "matters") & (made.param == "x")].study
    assert set(per_budget) == {"small", "large", "small, large"}
    assert "c" not in set(made.param)


def test_key_findings_state_what_the_error_rate_covers():
    """The closing sentence covers the graph's claims; plateau/winner/collapse lines are named
    as outside it."""
    from hpo_insights.report.answers import key_findings

    f = pd.DataFrame({"study": ["a", "a"], "param": ["lr", ""], "claim": ["matters", "plateau"],
                      "value": ["yes", "plateau"], "claimed": [True, False],
                      "p_adjusted": [0.01, np.nan], "detail": ["lr matters in a.", "x"]})
    assert "(family-wise, over the page)." in key_findings(f)
    assert "outside" not in key_findings(f)
    f.loc[1, "claimed"] = True
    text = key_findings(f, alpha=0.1)
    assert "parameters or budgets is false is held at 10%" in text
    assert "plateau lines rest on a bootstrap bound at 90% per study" in text
    assert "winner" not in text
