"""hi.load and hi.load_folds on scikit-learn searches: tool-written CSVs and live objects.

The CSVs and ``truth.json`` in ``tests/data/tools/sklearn/`` are written by
``tests/fixtures/make_sklearn.py`` with scikit-learn (versions in ``VERSIONS``
there); the truth holds scikit-learn's own ``cv_results_`` entries.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hpo_insights as hi

DATA = Path(__file__).parent / "data" / "tools" / "sklearn"
TRUTH = json.loads((DATA / "truth.json").read_text())


def _load(name: str, **kw) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hi.TrialsWarning)
        return hi.load(DATA / f"{name}.csv", **kw)


def _objective(truth: dict) -> str:
    return truth["refit"] or truth["scorers"][0]


def _row_of(trials: pd.DataFrame, truth: dict, i: int) -> pd.Series:
    """The frame's row for truth row *i*: rows are in study order, then candidate number."""
    row = truth["rows"][i]
    if "iter" not in row:
        return trials.loc[trials["number"] == i].iloc[0]
    # halving: the candidate's number is the order of first appearance of its params
    firsts = []
    for r in truth["rows"]:
        if r["params"] not in firsts:
            firsts.append(r["params"])
    number = firsts.index(row["params"])
    hit = trials[(trials["study"] == f"iter{row['iter']}") & (trials["number"] == number)]
    assert len(hit) == 1
    return hit.iloc[0]


@pytest.mark.parametrize("name", ["grid", "random", "halving_grid", "halving_random"])
def test_fixture_matches_truth(name):
    """Each tool-written cv_results_ CSV loads as scikit-learn recorded it: candidates,
    parameters with their types, scores, failures, direction and budgets."""
    truth = TRUTH[name]
    target = _objective(truth)  # a table alone does not say which scorer refit used
    trials = _load(name, objective=target)
    assert len(trials) == truth["n_candidates"]
    names = sorted({k for r in truth["rows"] for k in r["params"]})
    assert sorted(c[len("params_"):] for c in trials if c.startswith("params_")) == names
    for i, row in enumerate(truth["rows"]):
        got = _row_of(trials, truth, i)
        assert got["state"] == ("FAIL" if row["failed"] else "COMPLETE")
        want = row["mean_test"][target]
        assert (math.isnan(got["value"]) if want is None
                else math.isclose(got["value"], want, rel_tol=1e-12))
        for p in names:
            val = got[f"params_{p}"]
            dist = got.get(f"distributions_{p}")
            if p not in row["params"]:  # masked: not in this candidate's grid
                assert pd.isna(val) and (dist is None or pd.isna(dist))
            elif row["params"][p] is None:  # the choice None: missing, with its distribution
                assert pd.isna(val)
                assert None in json.loads(dist)["attributes"]["choices"]
            else:
                want_v = row["params"][p]
                assert val == want_v, (p, val, want_v)
                kind = row["param_types"][p]
                col = trials[f"params_{p}"]
                if kind == "int":
                    assert col.dtype == "int64" or (col.dtype == "float64" and col.isna().any())
                elif kind == "float":
                    assert col.dtype == "float64"
                elif kind == "str":
                    assert pd.api.types.is_string_dtype(col)
        if "iter" in row:
            assert got["study_user_attrs_budget"] == row["n_resources"]
    assert set(trials["study_direction"]) == {"maximize"}
    # a single scorer is stored as mean_test_score: its name is lost with the search object
    assert set(trials["study_metric_name"]) == {target}
    if "n_resources_" in truth:
        per_study = trials.groupby("study", sort=False)["study_user_attrs_budget"].first()
        assert list(per_study) == truth["n_resources_"]
        assert list(trials.groupby("study", sort=False).size()) == truth["n_candidates_"]
        assert list(per_study.index) == [f"iter{k}" for k in range(len(truth["n_resources_"]))]


@pytest.mark.parametrize("name", ["grid", "random", "halving_grid", "halving_random"])
def test_fixture_folds_match_truth(name):
    """load_folds gives scikit-learn's split<k>_test scores, keyed like hi.load's rows."""
    truth = TRUTH[name]
    target = _objective(truth)
    trials = _load(name, objective=target)
    folds = hi.load_folds(DATA / f"{name}.csv", objective=target)
    assert list(folds.columns) == ["study", "number", "state", "fold", "value",
                                   "study_direction"]
    assert len(folds) == truth["n_candidates"] * truth["n_splits"]
    for i, row in enumerate(truth["rows"]):
        got = _row_of(trials, truth, i)
        sub = folds[(folds["study"] == got["study"]) & (folds["number"] == got["number"])]
        assert list(sub["fold"]) == list(range(truth["n_splits"]))
        want = row["split_test"][target]
        assert all((math.isnan(g) if w is None else g == w)
                   for g, w in zip(sub["value"], want, strict=True))
        assert set(sub["state"]) == {got["state"]}


def test_multi_metric_fixture_needs_objective_and_takes_each():
    """A two-scorer table without its search names no refit metric: objective= picks one,
    two give values_<scorer>; the negated loss warns."""
    truth = TRUTH["grid"]
    with pytest.raises(hi.TrialsError, match=r"scores 2 metrics \(accuracy, neg_log_loss\)"):
        hi.load(DATA / "grid.csv")
    with pytest.warns(hi.TrialsWarning, match="negates"):
        loss = hi.load(DATA / "grid.csv", objective="neg_log_loss")
    want = [r["mean_test"]["neg_log_loss"] for r in truth["rows"]]
    got = loss.sort_values("number")["value"].tolist()
    assert all((math.isnan(g) if w is None else math.isclose(g, w))
               for g, w in zip(got, want, strict=True))
    both = _load("grid", objective=["accuracy", "mean_test_neg_log_loss"])
    assert {"values_accuracy", "values_neg_log_loss"} <= set(both.columns)
    assert set(both["study_direction"]) == {"maximize,maximize"}
    with pytest.raises(hi.TrialsError, match="not a scorer"):
        hi.load(DATA / "grid.csv", objective="f1")


def test_fixture_grid_is_analysable():
    """The conditional grid feeds the analyses: a value table per clf__max_depth level,
    the None choice a level of its own, the failed candidates left out."""
    trials = _load("grid", objective="accuracy")
    assert (trials["state"] == "FAIL").sum() == sum(r["failed"] for r in TRUTH["grid"]["rows"])
    table = hi.value_table(trials, params="clf__max_depth")
    assert "None" in set(table["value"].astype(str))
    summary = hi.summarize(trials)
    assert int(summary["n_complete"].iloc[0]) == int((trials["state"] == "COMPLETE").sum())


# --- live objects --------------------------------------------------------------------------------
sklearn = pytest.importorskip("sklearn", reason="scikit-learn is not installed")


def _grid_search(**kw):
    from sklearn.datasets import make_classification
    from sklearn.model_selection import GridSearchCV
    from sklearn.tree import DecisionTreeClassifier

    X, y = make_classification(n_samples=90, random_state=1)
    grid = {"max_depth": [None, 1, 3], "min_samples_split": [1, 2]}  # 1 is invalid: FAIL
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return GridSearchCV(DecisionTreeClassifier(random_state=0), grid, cv=3,
                            error_score=np.nan, **kw).fit(X, y)


def test_live_search_equals_its_table_and_csv(tmp_path):
    """hi.load(search) = hi.load(cv_results_) = hi.load(DataFrame) = hi.load(CSV)."""
    search = _grid_search()
    a = hi.load(search)
    b = hi.load(search.cv_results_)
    c = hi.load(pd.DataFrame(search.cv_results_), studies="search")
    pd.DataFrame(search.cv_results_).to_csv(tmp_path / "search.csv", index=False)
    d = hi.load(tmp_path / "search.csv", studies="search")
    for other in (b, c, d):
        pd.testing.assert_frame_equal(a, other, check_dtype=False)
    res = search.cv_results_
    failed = np.isnan(res["mean_test_score"])
    assert failed.sum() == 3
    assert (a["state"] == np.where(failed, "FAIL", "COMPLETE")).all()
    np.testing.assert_array_equal(a["value"].to_numpy(), res["mean_test_score"])
    assert a["params_min_samples_split"].dtype == "int64"


def test_live_search_is_not_mutated():
    """Loading leaves cv_results_ as it was (masks and values)."""
    search = _grid_search()
    before = {k: (np.ma.copy(v) if isinstance(v, np.ma.MaskedArray) else
                  (list(v) if k == "params" else np.array(v, copy=True)))
              for k, v in search.cv_results_.items()}
    hi.load(search)
    hi.load_folds(search)
    for k, v in search.cv_results_.items():
        if k == "params":
            assert list(v) == before[k]
        elif isinstance(v, np.ma.MaskedArray):
            assert (np.ma.getmaskarray(v) == np.ma.getmaskarray(before[k])).all()
        else:
            np.testing.assert_array_equal(v, before[k])


def test_live_halving_budgets_and_numbers():
    """A halving search: one study per iteration with n_resources as the budget; a candidate
    keeps its number in every iteration it survives to."""
    from sklearn.datasets import make_classification
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.model_selection import HalvingRandomSearchCV
    from sklearn.tree import DecisionTreeClassifier

    X, y = make_classification(n_samples=120, random_state=2)
    search = HalvingRandomSearchCV(DecisionTreeClassifier(random_state=0),
                                   {"max_depth": list(range(1, 9)), "min_samples_leaf": [1, 3, 9]},
                                   n_candidates=8, factor=2, cv=3, random_state=0).fit(X, y)
    trials = hi.load(search)
    res = search.cv_results_
    assert list(trials.groupby("study", sort=False).size()) == list(search.n_candidates_)
    assert list(trials.groupby("study", sort=False)["study_user_attrs_budget"].first()) == \
        list(search.n_resources_)
    key = [tuple(sorted(p.items())) for p in res["params"]]
    first = list(dict.fromkeys(key))
    for i, k in enumerate(key):
        row = trials[(trials["study"] == f"iter{res['iter'][i]}")
                     & (trials["number"] == first.index(k))]
        assert len(row) == 1 and row["value"].iloc[0] == res["mean_test_score"][i]
    assert list(hi.compare_budgets(trials)["budget"]) == list(search.n_resources_)
    assert list(hi.load(search, studies=["iter1"])["study"].unique()) == ["iter1"]


def test_live_multimetric_refit_and_sign():
    """refit's scorer is the objective; a neg_ loss warns once and stays maximized."""
    with pytest.warns(hi.TrialsWarning, match="'neg_log_loss' is a loss"):
        search = _grid_search(scoring=["accuracy", "neg_log_loss"], refit="neg_log_loss")
        trials = hi.load(search)
    np.testing.assert_array_equal(trials["value"], search.cv_results_["mean_test_neg_log_loss"])
    assert "user_attrs_mean_test_accuracy" in trials.columns
    assert set(trials["study_metric_name"]) == {"neg_log_loss"}
    with pytest.raises(hi.TrialsError, match="contradicts"), warnings.catch_warnings():
        warnings.simplefilter("ignore", hi.TrialsWarning)
        hi.load(search, direction="minimize")
    single = _grid_search(scoring="neg_log_loss")
    with pytest.warns(hi.TrialsWarning, match="negates"):
        t = hi.load(single)
    assert set(t["study_metric_name"]) == {"neg_log_loss"}
    no_refit = _grid_search(scoring=["accuracy", "f1"], refit=False)
    with pytest.raises(hi.TrialsError, match="pass objective="):
        hi.load(no_refit)
    assert set(hi.load(no_refit, objective="f1")["study_metric_name"]) == {"f1"}


def test_live_pipeline_names_and_masks():
    """Pipeline parameter names are kept; a masked entry (other branch of the grid) is
    missing and has no distribution; None is a choice."""
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.tree import DecisionTreeClassifier

    X, y = make_classification(n_samples=90, random_state=1)
    pipe = Pipeline([("clf", LogisticRegression())])
    grid = [{"clf": [LogisticRegression()], "clf__C": [0.1, 1.0]},
            {"clf": [DecisionTreeClassifier(random_state=0)], "clf__max_depth": [None, 3]}]
    search = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    trials = hi.load(search)
    assert trials["params_clf__C"].isna().tolist() == [False, False, True, True]
    assert trials["distributions_clf__max_depth"].isna().tolist() == [True, True, False, False]
    assert trials["params_clf"].tolist() == [str(LogisticRegression())] * 2 + [
        str(DecisionTreeClassifier(random_state=0))] * 2
    levels = hi.value_table(trials, params="clf__max_depth")["value"].astype(str).tolist()
    assert sorted(levels) == ["3", "None"]


def test_live_folds():
    """load_folds: one row per (candidate, fold), the split scores; means give mean_test."""
    search = _grid_search()
    folds = hi.load_folds(search)
    res = search.cv_results_
    assert len(folds) == len(res["params"]) * search.n_splits_
    for k in range(search.n_splits_):
        got = folds.loc[folds["fold"] == k].sort_values("number")["value"].to_numpy()
        np.testing.assert_array_equal(got, res[f"split{k}_test_score"])
    with pytest.raises(hi.TrialsError, match="not a scorer"):
        hi.load_folds(search, objective="f1")


def test_unfitted_search_and_bad_inputs(tmp_path):
    """An unfitted search, a folds call on a non-search: clear errors."""
    from sklearn.model_selection import GridSearchCV
    from sklearn.tree import DecisionTreeClassifier

    with pytest.raises(hi.TrialsError, match="has not been fitted"):
        hi.load(GridSearchCV(DecisionTreeClassifier(), {"max_depth": [1]}))
    with pytest.raises(TypeError, match="load_folds takes"):
        hi.load_folds(123)
    plain = tmp_path / "t.csv"
    pd.DataFrame({"params_x": [1, 2], "value": [0.1, 0.2]}).to_csv(plain, index=False)
    with pytest.raises(hi.TrialsError, match="no per-fold scores"):
        hi.load_folds(plain)


def test_halving_fixture_as_curves():
    """load_curves of a halving table: one curve per candidate, step = n_resources, value =
    its mean test score; survivors to the last iteration COMPLETE, the others PRUNED."""
    truth = TRUTH["halving_random"]
    table = pd.read_csv(DATA / "halving_random.csv")
    curves = hi.load_curves(table)
    assert len(curves) == truth["n_candidates"]
    last = max(r["iter"] for r in truth["rows"])
    firsts, reached = [], {}
    for r in truth["rows"]:
        key = json.dumps(r["params"], sort_keys=True)
        if key not in firsts:
            firsts.append(key)
        reached[key] = max(reached.get(key, 0), r["iter"])
        got = curves[(curves["number"] == firsts.index(key))
                     & (curves["step"] == r["n_resources"])]
        assert len(got) == 1 and got["value"].iloc[0] == r["mean_test"]["score"]
    for key, it in reached.items():
        states = set(curves.loc[curves["number"] == firsts.index(key), "state"])
        assert states == {"COMPLETE" if it == last else "PRUNED"}
    assert set(curves["study"]) == {"search"}
