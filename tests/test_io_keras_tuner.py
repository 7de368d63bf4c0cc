"""hi.load on KerasTuner project folders written by KerasTuner itself.

``tests/data/tools/keras_tuner/`` is written by ``tests/fixtures/make_keras_tuner.py``
(versions in ``VERSIONS``); ``truth.json`` holds KerasTuner's own trial records
(``tuner.oracle.trials``: status, values, which are active, score, the objective).
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

import hpo_insights as hi

DATA = Path(__file__).parent / "data" / "tools" / "keras_tuner"
TRUTH = json.loads((DATA / "truth.json").read_text())
STATE = {"COMPLETED": "COMPLETE", "FAILED": "FAIL", "INVALID": "FAIL", "RUNNING": "RUNNING",
         "IDLE": "WAITING", "STOPPED": "PRUNED"}


@pytest.mark.parametrize("name", ["random_search", "bayesian", "hyperband"])
def test_fixture_matches_truth(name):
    """Every trial as KerasTuner recorded it: number, state, score, active parameters with
    their types (inactive ones missing), direction, objective name, Hyperband budgets."""
    truth = TRUTH[name]
    trials = hi.load(DATA / name)
    assert len(trials) == truth["n_trials"]
    want_dir = {"max": "maximize", "min": "minimize"}[truth["direction"]]
    assert set(trials["study_direction"]) == {want_dir}
    assert set(trials["study_metric_name"]) == {truth["objective"]}
    by_number = trials.set_index("number")
    for row in truth["trials"]:
        got = by_number.loc[int(row["trial_id"])]
        assert got["state"] == STATE[row["status"]]
        if row["score"] is None or got["state"] == "FAIL":
            assert math.isnan(got["value"])
        else:
            assert got["value"] == row["score"]
        for key, value in row["values"].items():
            if key.startswith("tuner/"):
                assert got[f"user_attrs_{key}"] == value
            elif key in row["active"]:
                assert got[f"params_{key}"] == value
            else:
                assert pd.isna(got[f"params_{key}"])
        if name == "hyperband":
            epochs = row["values"]["tuner/epochs"]
            assert got["study"] == f"hyperband/epochs{epochs}"
            assert got["study_user_attrs_budget"] == epochs
        else:
            assert got["study"] == name
    assert trials["params_units"].dtype == "int64"
    assert trials["params_lr"].dtype == "float64"
    assert trials["params_use_dropout"].dtype == "bool"
    lr = json.loads(trials["distributions_lr"].iloc[0])
    assert lr == {"name": "FloatDistribution",
                  "attributes": {"low": 1e-4, "high": 0.1, "log": True, "step": None}}


def test_hyperband_budgets_feed_cross_budget_analyses():
    """Hyperband's studies are ordered by epochs and compare_budgets reads them."""
    trials = hi.load(DATA / "hyperband")
    budgets = hi.compare_budgets(trials)
    epochs = sorted({r["values"]["tuner/epochs"] for r in TRUTH["hyperband"]["trials"]})
    assert list(budgets["budget"]) == epochs


def test_folder_of_projects_and_objective(tmp_path):
    """The tuner's directory gives one study per project; objective= reads another metric;
    a project whose score matches no metric asks for objective=."""
    trials = hi.load(DATA)
    assert set(trials["study"]) == {"random_search", "bayesian", "hyperband/epochs1",
                                    "hyperband/epochs2", "hyperband/epochs4"}
    acc = hi.load(DATA / "bayesian", objective="val_accuracy")
    want = {int(r["trial_id"]): r["metrics"].get("val_accuracy", {}).get("best")
            for r in TRUTH["bayesian"]["trials"]}
    for _, row in acc.iterrows():
        w = want[row["number"]]
        assert (math.isnan(row["value"]) if w is None else row["value"] == pytest.approx(w))
    assert set(acc["study_direction"]) == {"maximize"}
    copy = tmp_path / "proj"
    shutil.copytree(DATA / "random_search", copy)
    for path in copy.glob("trial_*/trial.json"):
        doc = json.loads(path.read_text())
        if doc["score"] is not None:
            doc["score"] = -1.0
        path.write_text(json.dumps(doc))
    with pytest.raises(hi.TrialsError, match="no metric equals the trials' score. Pass objective="):
        hi.load(copy)
    with pytest.raises(hi.TrialsError, match="not a metric"):
        hi.load(DATA / "bayesian", objective="f1")
