"""compare_top: the best configuration against the next ones, with the corrected t-test.

Known answers are computed independently: scipy's paired t-test (``ttest_rel``)
rescaled by the Nadeau & Bengio factor, and the formula written out with numpy.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import hpo_insights as hi
from hpo_insights.findings import COLUMNS as FINDINGS_COLUMNS
from hpo_insights.winner import compare_top_findings


def _folds(scores: np.ndarray, study="s", direction="maximize", numbers=None) -> pd.DataFrame:
    n, j = scores.shape
    numbers = np.arange(n) if numbers is None else np.asarray(numbers)
    return pd.DataFrame({"study": study, "number": np.repeat(numbers, j),
                         "fold": np.tile(np.arange(j), n), "value": scores.reshape(-1),
                         "study_direction": direction})


def test_hand_example():
    """Five folds worked on paper: d = (.01, .02, 0, .03, .02), mean .016, s² = 1.3e-4,
    corrected variance (1/5 + 1/4)·s², t = 2.0919 on 4 df."""
    scores = np.array([[.90, .92, .91, .93, .90], [.89, .90, .91, .90, .88]])
    top = hi.compare_top(_folds(scores))
    row = top.iloc[0]
    assert row["difference"] == pytest.approx(0.016)
    se = math.sqrt((1 / 5 + 1 / 4) * 1.3e-4)
    assert row["t"] == pytest.approx(0.016 / se)
    assert row["t"] == pytest.approx(2.0919, abs=1e-4)
    assert row["p_value"] == pytest.approx(2 * stats.t.sf(0.016 / se, 4))
    q = stats.t.ppf(0.975, 4)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((0.016 - q * se, 0.016 + q * se))
    assert row["df"] == 4 and row["n_folds"] == 5 and row["test_train_ratio"] == 0.25
    assert not row["better"]


def test_matches_ttest_rel_rescaled(rng):
    """Against scipy's paired t-test: the corrected t is ttest_rel's t times
    sqrt((1/J) / (1/J + ratio)); k runners-up, Holm over them; several studies, minimize."""
    frames, want = [], []
    for s, (direction, ratio) in enumerate([("maximize", None), ("minimize", 0.3)]):
        scores = rng.normal(0, 1, (7, 10)) + rng.normal(0, 0.5, (7, 1)) + rng.normal(0, 1, 10)
        frames.append(_folds(scores, study=f"s{s}", direction=direction,
                             numbers=rng.permutation(7) + 100))
        sign = 1 if direction == "maximize" else -1
        means = scores.mean(axis=1)
        order = np.argsort(-sign * means)
        J = scores.shape[1]
        r = 1 / (J - 1) if ratio is None else ratio
        ps = []
        for o in order[1:4]:
            res = stats.ttest_rel(sign * scores[order[0]], sign * scores[o])
            t = res.statistic * math.sqrt((1 / J) / (1 / J + r))
            ps.append(2 * stats.t.sf(abs(t), J - 1))
            want.append((f"s{s}", t, ps[-1], sign * (scores[order[0]] - scores[o]).mean()))
        holm = []
        srt = np.argsort(ps)
        acc = 0.0
        adj = np.empty(3)
        for i, idx in enumerate(srt):
            acc = max(acc, (3 - i) * ps[idx])
            adj[idx] = min(acc, 1.0)
        holm.extend(adj)
        want[-3:] = [w + (a,) for w, a in zip(want[-3:], holm, strict=True)]
    folds = pd.concat(frames, ignore_index=True)
    got = pd.concat([hi.compare_top(folds, k=3, studies="s0"),
                     hi.compare_top(folds, k=3, studies="s1", test_train_ratio=0.3)])
    assert list(got["rank"]) == [2, 3, 4, 2, 3, 4]
    for (_, row), (study, t, p, d, padj) in zip(got.iterrows(), want, strict=True):
        assert row["study"] == study
        assert row["t"] == pytest.approx(t)
        assert row["p_value"] == pytest.approx(p)
        assert row["difference"] == pytest.approx(d)
        assert row["difference"] > 0  # the best is best in its own direction
        assert row["p_adjusted"] == pytest.approx(padj)


def test_clear_winner_is_established_and_equal_scores_are_not():
    """A best configuration 0.05 above on every noisy fold is 'better'; identical scores
    give difference 0, p = 1."""
    base = np.array([.80, .82, .79, .81, .83, .80])
    scores = np.vstack([base + .05 + np.array([0, .001, -.001, .002, 0, .001]), base, base])
    top = hi.compare_top(_folds(scores), k=2)
    assert bool(top["better"].iloc[0]) and top["p_value"].iloc[0] < 1e-4
    same = top.iloc[1]
    assert same["other"] == 2 and same["rank"] == 3
    tie = hi.compare_top(_folds(np.vstack([base, base])))
    assert tie["difference"].iloc[0] == 0 and tie["p_value"].iloc[0] == 1.0
    assert not tie["better"].iloc[0]


def test_failed_and_incomplete_configurations_are_left_out():
    """A FAIL configuration and one with a missing fold take no part (n_trials counts the
    rest); the findings rows count them in n_pruned."""
    scores = np.array([[.9, .9, .8], [.7, .8, .7], [.99, .99, .99], [.95, np.nan, .95]])
    folds = _folds(scores)
    folds["state"] = np.where(folds["number"] == 2, "FAIL", "COMPLETE")
    top = hi.compare_top(folds)
    assert (top["best"].iloc[0], top["other"].iloc[0], top["n_trials"].iloc[0]) == (0, 1, 2)
    rows = compare_top_findings(folds)
    assert rows["n_pruned"].iloc[0] == 2


def test_trials_frame_of_a_search_equals_its_folds():
    """hi.compare_top(hi.load(search)) = hi.compare_top(hi.load_folds(search))."""
    pytest.importorskip("sklearn")
    from sklearn.datasets import make_classification
    from sklearn.model_selection import GridSearchCV
    from sklearn.tree import DecisionTreeClassifier

    X, y = make_classification(n_samples=120, random_state=0)
    search = GridSearchCV(DecisionTreeClassifier(random_state=0),
                          {"max_depth": [1, 2, 3, 4]}, cv=5).fit(X, y)
    trials = hi.load(search)
    a = hi.compare_top(trials, k=2)
    b = hi.compare_top(hi.load_folds(search), k=2)
    pd.testing.assert_frame_equal(a, b)
    order = np.argsort(-search.cv_results_["mean_test_score"], kind="stable")
    assert a["best"].iloc[0] == order[0]


def test_findings_carries_the_winners_margin_of_a_search():
    """hi.findings(hi.load(search)) holds compare_top's verdicts (k=2), so the report's
    winner section and its key findings say the same thing."""
    pytest.importorskip("sklearn")
    from sklearn.datasets import make_classification
    from sklearn.model_selection import GridSearchCV
    from sklearn.tree import DecisionTreeClassifier

    X, y = make_classification(n_samples=150, random_state=1)
    search = GridSearchCV(DecisionTreeClassifier(random_state=0),
                          {"max_depth": [1, 2, 3, 5], "min_samples_leaf": [1, 8]},
                          cv=5).fit(X, y)
    trials = hi.load(search)
    top = hi.compare_top(trials, k=2)
    found = hi.findings(trials)
    rows = found[found["claim"] == "best_better"].reset_index(drop=True)
    assert len(rows) == len(top) == 2
    assert (rows["section"] == "winner").all() and (rows["param"] == "").all()
    np.testing.assert_allclose(rows["effect"], top["difference"], rtol=1e-12)
    np.testing.assert_allclose(rows["p_adjusted"], top["p_adjusted"], rtol=1e-12)
    assert list(rows["claimed"]) == list(top["better"])
    assert list(found.columns) == FINDINGS_COLUMNS
    without = trials.drop(columns=[c for c in trials.columns if "_test_" in c and "split" in c])
    assert "best_better" not in set(hi.findings(without)["claim"])


def test_pure_and_deterministic(rng):
    """The input is left as it was; two calls give the same frame."""
    folds = _folds(rng.normal(size=(5, 4)))
    before = folds.copy(deep=True)
    a = hi.compare_top(folds, k=4)
    pd.testing.assert_frame_equal(folds, before)
    pd.testing.assert_frame_equal(a, hi.compare_top(folds, k=4))
    assert list(a.columns) == ["study", "best", "other", "rank", "best_value", "other_value",
                               "difference", "ci_low", "ci_high", "t", "df", "p_value",
                               "p_adjusted", "better", "n_folds", "test_train_ratio",
                               "n_trials"]


def test_findings_rows_follow_the_contract():
    """compare_top_findings: the findings columns, in order, one row per comparison."""
    scores = np.array([[.90, .92, .91, .93, .90], [.89, .90, .91, .90, .88]])
    rows = compare_top_findings(_folds(scores))
    assert list(rows.columns) == [c for c in FINDINGS_COLUMNS if c != "n_outliers"]
    row = rows.iloc[0]
    assert (row["claim"], row["value"], row["section"]) == ("best_better", "not established",
                                                           "winner")
    assert row["best_value"] == pytest.approx(.912)
    se = math.sqrt(0.45 * np.var([.90, .92, .91, .93, .90], ddof=1))
    q = stats.t.ppf(0.975, 4)
    assert (row["best_low"], row["best_high"]) == pytest.approx((.912 - q * se, .912 + q * se))


def test_bad_inputs():
    """No folds, a bad k, duplicated folds, a missing direction: clear errors."""
    trials = pd.DataFrame({"study": "s", "number": [0, 1], "state": "COMPLETE",
                           "value": [0.1, 0.2], "params_x": [1, 2],
                           "study_direction": "maximize"})
    with pytest.raises(hi.TrialsError, match="needs per-fold scores"):
        hi.compare_top(trials)
    folds = _folds(np.ones((2, 3)))
    with pytest.raises(hi.TrialsError, match="k must be an integer >= 1"):
        hi.compare_top(folds, k=0)
    with pytest.raises(hi.TrialsError, match="several scores for one"):
        hi.compare_top(pd.concat([folds, folds]))
    with pytest.raises(hi.TrialsError, match="direction"):
        hi.compare_top(folds.drop(columns="study_direction"))
    with pytest.raises(TypeError, match="compare_top takes"):
        hi.compare_top([1, 2])
    with pytest.raises(hi.TrialsError, match="no 'number'"):
        hi.compare_top(folds.drop(columns="number"))
