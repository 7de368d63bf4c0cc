"""hi.load on Ax's summarize() table and JSON snapshot, both written by Ax itself.

``tests/data/tools/ax/`` is written by ``tests/fixtures/make_ax.py`` (versions in
``VERSIONS``); ``truth.json`` holds the client's experiment: trial statuses, arm
parameters and the data Ax holds (``experiment.lookup_data().df``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

import hpo_insights as hi

DATA = Path(__file__).parent / "data" / "tools" / "ax"
TRUTH = json.loads((DATA / "truth.json").read_text())
STATE = {"COMPLETED": "COMPLETE", "FAILED": "FAIL", "ABANDONED": "FAIL",
         "EARLY_STOPPED": "PRUNED", "RUNNING": "RUNNING"}
PARAMS = ["lr", "n_layers", "optimizer"]


def _metric(index: int, metric: str) -> float | None:
    """The metric's value Ax holds for a trial: its last step (progression), if any."""
    rows = [r for r in TRUTH["data"] if r["trial_index"] == index and r["metric_name"] == metric]
    if not rows:
        return None
    rows.sort(key=lambda r: -math.inf if r.get("step") is None else r["step"])
    return rows[-1]["mean"]


def _check(trials: pd.DataFrame) -> None:
    assert len(trials) == TRUTH["n_trials"]
    by_number = trials.set_index("number")
    for t in TRUTH["trials"]:
        got = by_number.loc[t["index"]]
        assert got["state"] == STATE[t["status"]]
        assert got["user_attrs_arm_name"] == t["arm"]
        for p in PARAMS:
            assert got[f"params_{p}"] == t["parameters"][p]
        want = _metric(t["index"], "loss")
        if want is None or got["state"] == "FAIL":
            assert math.isnan(got["value"])
        else:
            assert got["value"] == pytest.approx(want, rel=1e-9)
    assert trials["params_n_layers"].dtype == "int64"
    assert set(trials["study_direction"]) == {"minimize"}
    assert set(trials["study_metric_name"]) == {"loss"}


def test_snapshot_matches_truth():
    """The JSON snapshot, read without Ax: arms, statuses (FAILED, ABANDONED, EARLY_STOPPED,
    RUNNING), values, the objective and its direction (-loss), the search space."""
    trials = hi.load(DATA / "snapshot.json")
    _check(trials)
    assert set(trials["study"]) == {"ax_demo"}
    lr = json.loads(trials["distributions_lr"].iloc[0])
    assert lr["name"] == "FloatDistribution" and lr["attributes"]["log"] is True


def test_summary_table_matches_truth():
    """summarize().to_csv: the same rows once params= names the parameters; objective and
    direction are not in the table."""
    with pytest.raises(hi.TrialsError, match="Pass params="):
        hi.load(DATA / "summary.csv")
    with pytest.raises(hi.TrialsError, match="Pass objective="):
        hi.load(DATA / "summary.csv", params=PARAMS)
    trials = hi.load(DATA / "summary.csv", params=PARAMS, objective="loss",
                     direction="minimize")
    _check(trials)
    snap = hi.load(DATA / "snapshot.json")
    cols = ["number", "state", "value", *(f"params_{p}" for p in PARAMS)]
    pd.testing.assert_frame_equal(trials[cols], snap[cols])


def test_snapshot_other_objective_and_errors(tmp_path):
    """objective= reads a tracking metric; a JSON file that is not a snapshot is a table."""
    acc = hi.load(DATA / "snapshot.json", objective="acc", direction="maximize")
    done = acc[acc["state"] == "COMPLETE"]
    for _, row in done.iterrows():
        assert row["value"] == pytest.approx(_metric(int(row["number"]), "acc"))
    with pytest.raises(hi.TrialsError, match="bad"):
        frame = pd.read_csv(DATA / "summary.csv")
        frame.loc[0, "trial_status"] = "bad"
        hi.load(frame, params=PARAMS, objective="loss")
