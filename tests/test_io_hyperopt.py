"""hi.load on hyperopt Trials: the tool-written pickle and live objects.

``tests/data/tools/hyperopt/`` is written by ``tests/fixtures/make_hyperopt.py``
(versions in ``VERSIONS``); ``truth.json`` holds hyperopt's own records, including
``space_eval`` of each trial's point.
"""

from __future__ import annotations

import json
import math
import pickle
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hpo_insights as hi

DATA = Path(__file__).parent / "data" / "tools" / "hyperopt"
TRUTH = json.loads((DATA / "truth.json").read_text())
hyperopt = pytest.importorskip("hyperopt", reason="hyperopt is not installed")
from hpo_insights.io.hyperopt import load_hyperopt  # noqa: E402


def _space():
    with open(DATA / "space.pkl", "rb") as fh:
        return pickle.load(fh)


def _expected(row: dict) -> dict:
    """What each parameter should be, from hyperopt's own space_eval point."""
    point = row["point"]
    model = point["model"]
    return {
        "lr": point["lr"],
        "optimizer": point["optimizer"],
        "model": json.dumps({"type": model["type"]}),
        "C": model.get("C"),
        "depth": model.get("depth"),
    }


def test_pickle_needs_opt_in():
    """A pickle path is refused unless allow_pickle=True, and hi.load says why."""
    with pytest.raises(hi.TrialsError, match="runs code"):
        hi.load(DATA / "trials.pkl")
    with pytest.raises(hi.TrialsError, match="allow_pickle=True"):
        load_hyperopt(DATA / "trials.pkl")


def test_fixture_matches_truth():
    """The pickled Trials, decoded with its space, gives hyperopt's records: every trial
    (also the evaluation that raised), states, losses, decoded parameters, inactive ones
    missing, direction minimize."""
    trials = load_hyperopt(DATA / "trials.pkl", allow_pickle=True, space=_space())
    assert len(trials) == TRUTH["n_trials"]
    assert set(trials["study_direction"]) == {"minimize"}
    by_number = trials.set_index("number")
    for row in TRUTH["trials"]:
        got = by_number.loc[row["tid"]]
        if row["state"] == 3:
            want_state = "FAIL"
        else:
            want_state = {"ok": "COMPLETE", "fail": "FAIL"}[row["status"]]
        assert got["state"] == want_state
        if want_state == "COMPLETE":
            assert got["value"] == row["loss"]
        else:
            assert math.isnan(got["value"])
        for name, want in _expected(row).items():
            val = got[f"params_{name}"]
            if want is None:
                assert pd.isna(val), (name, val)
            else:
                assert val == want, (name, val, want)
        if row["error"]:
            assert got["user_attrs_error"] == row["error"]
    assert trials["params_lr"].dtype == "float64"
    assert pd.api.types.is_string_dtype(trials["params_optimizer"])


def test_fixture_without_space_keeps_indices_and_warns():
    """Without the space, hp.choice indices stay as stored and a TrialsWarning says so."""
    with open(DATA / "trials.pkl", "rb") as fh:
        obj = pickle.load(fh)
    with pytest.warns(hi.TrialsWarning, match="'optimizer'"):
        trials = hi.load(obj)
    by_number = trials.set_index("number")
    for row in TRUTH["trials"]:
        assert by_number.loc[row["tid"], "params_optimizer"] == row["vals"]["optimizer"][0]


def test_live_trials():
    """fmin in-process: the frame equals what Trials records; STATUS_FAIL is FAIL; the
    input is left as it was."""
    from hyperopt import STATUS_FAIL, STATUS_OK, Trials, fmin, hp, rand

    space = {"x": hp.uniform("x", -2, 2), "kind": hp.choice("kind", ["a", "b"])}

    def objective(p):
        if p["x"] > 1.5:
            return {"status": STATUS_FAIL}
        return {"status": STATUS_OK, "loss": p["x"] ** 2 + (p["kind"] == "b")}

    trials = Trials()
    fmin(objective, space, algo=rand.suggest, max_evals=25, trials=trials,
         rstate=np.random.default_rng(0), show_progressbar=False)
    before = [dict(t["result"]) for t in trials.trials]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # with the space: no warning
        frame = hi.load(trials, space=space)
    assert [dict(t["result"]) for t in trials.trials] == before
    assert list(frame["number"]) == [t["tid"] for t in trials.trials]
    for t, (_, row) in zip(trials.trials, frame.iterrows(), strict=True):
        if t["result"]["status"] == "ok":
            assert row["state"] == "COMPLETE" and row["value"] == t["result"]["loss"]
        else:
            assert row["state"] == "FAIL" and math.isnan(row["value"])
        assert row["params_kind"] == ["a", "b"][t["misc"]["vals"]["kind"][0]]
        assert row["params_x"] == t["misc"]["vals"]["x"][0]
    with pytest.raises(hi.TrialsError, match="contradicts"):
        hi.load(trials, space=space, direction="maximize")
    with pytest.raises(hi.TrialsError, match="space= applies to a hyperopt"):
        hi.load(pd.DataFrame({"params_x": [1], "value": [1.0]}), space=space)
    with pytest.raises(hi.TrialsError, match="holds no trials"):
        hi.load(Trials())
