"""Shared fixtures: small hand-built trials, the bundled example, a seeded rng."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import settings

# Property tests: no per-example deadline (shared CI machines stall), and a fixed
# seed so a run is reproducible; set HYPOTHESIS_PROFILE=explore for fresh examples.
settings.register_profile("default", deadline=None, derandomize=True)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# The fixture generators run once, by hand, in an environment with each tool installed
# (versions recorded beside each fixture in tests/data/); they are not tests, and
# importing them here would need the tools.
collect_ignore_glob = ["fixtures/make_*.py"]


@pytest.fixture
def tiny_trials() -> pd.DataFrame:
    """Seven hand-built trials of one study (answers worked out on paper in the tests).

    COMPLETE values: lr=0.1 -> 0.5, 0.7; lr=0.01 -> 0.8, 0.9; lr=0.001 -> 0.6.
    One PRUNED trial carries a last intermediate value (0.99) that must never count;
    one FAIL trial has no value.
    """
    return pd.DataFrame(
        {
            "study": ["s"] * 7,
            "number": range(7),
            "state": ["COMPLETE", "COMPLETE", "COMPLETE", "COMPLETE", "COMPLETE", "PRUNED", "FAIL"],
            "value": [0.5, 0.7, 0.8, 0.9, 0.6, 0.99, np.nan],
            "params_lr": [0.1, 0.1, 0.01, 0.01, 0.001, 0.1, 0.01],
            "params_optimizer": ["adam", "sgd", "adam", "adam", "sgd", "sgd", "adam"],
            "study_direction": ["maximize"] * 7,
        }
    )


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator, so every random test is reproducible."""
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def close_figs():
    """Close every matplotlib figure a test opened (only if matplotlib was imported)."""
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture
def example() -> pd.DataFrame:
    """The bundled 3-budget example (a fresh copy each time)."""
    import hpo_insights as hi

    return hi.datasets.example()
