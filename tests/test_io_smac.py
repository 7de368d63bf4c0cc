"""hi.load on SMAC3 output folders written by SMAC3 itself.

``tests/data/tools/smac/`` is written by ``tests/fixtures/make_smac.py`` (versions in
``VERSIONS``); ``truth.json`` holds SMAC's own ``RunHistory`` records.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

import hpo_insights as hi

DATA = Path(__file__).parent / "data" / "tools" / "smac"
TRUTH = json.loads((DATA / "truth.json").read_text())
STATE = {"SUCCESS": "COMPLETE", "CRASHED": "FAIL", "TIMEOUT": "FAIL", "MEMORYOUT": "FAIL",
         "RUNNING": "RUNNING"}


@pytest.mark.parametrize("name", ["hpo", "hyperband"])
def test_fixture_matches_truth(name):
    """Every run as SMAC's RunHistory holds it: configuration (inactive parameters missing),
    seed, budget (one study per budget), cost (NaN for a crash), status, direction."""
    truth = TRUTH[name]
    trials = hi.load(DATA / name / "3")
    assert len(trials) == truth["n_trials"]
    assert set(trials["study_direction"]) == {"minimize"}
    key = ["user_attrs_config_id", "user_attrs_seed"]
    budget = trials["user_attrs_budget"].map(lambda b: "-" if pd.isna(b) else f"{float(b):g}")
    got = trials.set_index([*key, budget])
    assert got.index.is_unique
    names = ["lr", "n_layers", "optimizer", "momentum"]
    for row in truth["trials"]:
        b = "-" if row["budget"] is None else f"{row['budget']:g}"
        r = got.loc[(row["config_id"], row["seed"], b)]
        assert r["state"] == STATE[row["status"]]
        assert r["user_attrs_status"] == row["status"]
        if row["status"] == "SUCCESS":
            assert r["value"] == row["cost"]
        else:
            assert math.isnan(r["value"]) and r["user_attrs_cost"] == row["cost"]
        for p in names:
            if p in row["config"]:
                assert r[f"params_{p}"] == row["config"][p]
            else:
                assert pd.isna(r[f"params_{p}"])
        if row["budget"] is None:
            assert r["study"] == name
        else:
            assert r["study"] == f"{name}/budget{row['budget']:g}"
            assert r["study_user_attrs_budget"] == row["budget"]
    assert trials["params_n_layers"].dtype == "int64"
    lr = json.loads(trials["distributions_lr"].iloc[0])
    assert lr["name"] == "FloatDistribution" and lr["attributes"]["log"] is True


def test_output_tree_and_budgets():
    """The smac3_output folder gives every run; budgets order the studies and feed the
    cross-budget analyses."""
    trials = hi.load(DATA)
    assert list(dict.fromkeys(trials["study"])) == [
        "hpo", "hyperband/budget1", "hyperband/budget3", "hyperband/budget9"]
    hb = hi.load(DATA, studies=["hyperband/budget1", "hyperband/budget3", "hyperband/budget9"])
    assert list(hi.compare_budgets(hb)["budget"]) == [1.0, 3.0, 9.0]
    with pytest.raises(hi.TrialsError, match="contradicts"):
        hi.load(DATA / "hpo" / "3", direction="maximize")


def test_smac1_history_is_refused(tmp_path):
    """A SMAC 1.x run history (pairs of lists) is a clear error, not a wrong frame."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "configspace.json").write_text((DATA / "hpo" / "3" / "configspace.json").read_text())
    (run / "runhistory.json").write_text(json.dumps({"data": [[[1, None, 0, 0.0],
                                                               [0.5, 1.0, {"__enum__":
                                                                "StatusType.SUCCESS"}, 0, 1,
                                                                {}]]], "configs": {}}))
    with pytest.raises(hi.TrialsError, match="not a SMAC3 2.x run record"):
        hi.load(run)
