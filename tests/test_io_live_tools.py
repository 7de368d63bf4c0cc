"""Live runs of KerasTuner, SMAC3 and Ax in-process, where they are installed.

They are not dependencies (not even of the dev extra: each pulls a deep-learning or
Bayesian-optimisation stack), so these tests skip with a reason in the usual test
environment; the fixture tests (``test_io_keras_tuner.py``, ``test_io_smac.py``,
``test_io_ax.py``) cover the files. Run them where the tools are installed.
"""

from __future__ import annotations

import math

import pytest

import hpo_insights as hi


def test_keras_tuner_live(tmp_path, monkeypatch):
    """A RandomSearch run now: hi.load of its folder equals the oracle's trials."""
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    pytest.importorskip("torch", reason="KerasTuner runs here on Keras 3 with torch")
    kt = pytest.importorskip("keras_tuner", reason="keras-tuner is not installed")
    keras = pytest.importorskip("keras")
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype("float32")
    y = (X[:, 0] > 0).astype("float32")

    def build(hp):
        model = keras.Sequential([keras.Input((3,)),
                                  keras.layers.Dense(hp.Int("units", 2, 8, step=2)),
                                  keras.layers.Dense(1, activation="sigmoid")])
        model.compile(keras.optimizers.Adam(hp.Float("lr", 1e-3, 1e-1, sampling="log")),
                      "binary_crossentropy", metrics=["accuracy"])
        return model

    tuner = kt.RandomSearch(build, objective="val_loss", max_trials=3, seed=1,
                            directory=str(tmp_path), project_name="p")
    tuner.search(X, y, validation_split=0.25, epochs=1, verbose=0)
    trials = hi.load(tmp_path / "p").set_index("number")
    assert len(trials) == len(tuner.oracle.trials)
    for tid, trial in tuner.oracle.trials.items():
        row = trials.loc[int(tid)]
        assert row["value"] == trial.score
        assert row["params_units"] == trial.hyperparameters.values["units"]
    assert set(trials["study_direction"]) == {"minimize"}


def test_smac_live(tmp_path):
    """A SMAC3 run now: hi.load of its output folder equals its RunHistory."""
    smac = pytest.importorskip("smac", reason="smac is not installed")
    from ConfigSpace import ConfigurationSpace, Float

    cs = ConfigurationSpace(seed=0)
    cs.add([Float("x", (-2.0, 2.0))])
    scenario = smac.Scenario(cs, deterministic=True, n_trials=6, output_directory=tmp_path,
                             name="live", seed=1)
    facade = smac.RandomFacade(scenario, lambda config, seed=0: config["x"] ** 2,
                               overwrite=True)
    facade.optimize()
    trials = hi.load(tmp_path / "live" / "1")
    rh = facade.runhistory
    assert len(trials) == len(rh)
    by_config = trials.set_index("user_attrs_config_id")
    for key, value in rh.items():
        assert by_config.loc[key.config_id, "value"] == value.cost
        assert by_config.loc[key.config_id, "params_x"] == rh.get_config(key.config_id)["x"]


def test_ax_live(tmp_path):
    """An Ax client now: its JSON snapshot and summarize() load to the same trials."""
    ax = pytest.importorskip("ax", reason="ax-platform is not installed")
    client = ax.Client(random_seed=0)
    client.configure_experiment(name="live", parameters=[
        ax.RangeParameterConfig(name="x", parameter_type="float", bounds=(-2.0, 2.0))])
    client.configure_optimization(objective="-y")
    for index, p in client.get_next_trials(max_trials=4).items():
        client.complete_trial(index, raw_data={"y": p["x"] ** 2})
    client.save_to_json_file(str(tmp_path / "s.json"))
    snap = hi.load(tmp_path / "s.json")
    table = hi.load(client.summarize(), params=["x"], objective="y", direction="minimize")
    # the snapshot stores each mean as JSON text with 10 significant digits
    assert list(snap["value"]) == pytest.approx(list(table["value"]), rel=1e-9)
    assert all(math.isclose(v, x ** 2, rel_tol=1e-9) for v, x in zip(
        snap["value"], snap["params_x"], strict=True))
    assert set(snap["study_direction"]) == {"minimize"}
