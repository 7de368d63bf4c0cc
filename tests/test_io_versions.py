"""Storages and journals written by Optuna 3.x and 4.x (tests/fixtures/make_optuna_storages.py).

The SQL reader must read them (no fallback warning) to the frame Optuna's own API
gives for the same file, and journals must replay to the same trials.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

import hpo_insights as hi

optuna = pytest.importorskip("optuna")
optuna.logging.set_verbosity(optuna.logging.WARNING)

DATA = Path(__file__).parent / "data"
WRITERS = sorted(p.name for p in DATA.glob("optuna[0-9]*") if (p / "studies.db").exists())


@pytest.fixture(params=WRITERS)
def written(request, tmp_path) -> Path:
    """A private copy of the files one Optuna version wrote."""
    folder = tmp_path / request.param
    folder.mkdir()
    for name in ("studies.db", "journal.log"):
        (folder / name).write_bytes((DATA / request.param / name).read_bytes())
    return folder


def test_fixtures_cover_optuna_3_and_4():
    assert WRITERS == ["optuna3", "optuna4"]
    for name in WRITERS:
        assert (DATA / name / "VERSIONS").read_text().startswith(f"optuna {name[-1]}.")


def test_storage_of_older_optuna_read_with_sql(written):
    url = f"sqlite:///{written / 'studies.db'}"
    with warnings.catch_warnings():
        warnings.simplefilter("error", hi.TrialsWarning)  # the SQL reader, no fallback
        ours = hi.load(url)
    studies = [optuna.load_study(study_name=n, storage=url) for n in ("big", "multi")]
    pd.testing.assert_frame_equal(ours, hi.from_optuna(studies))
    assert ours["value"].max() == float("inf")
    multi = ours[ours["study"] == "multi"]
    assert multi["system_attrs_constraints"].notna().all()
    assert {"values_loss", "values_acc"} <= set(multi.columns)


def test_journal_of_older_optuna(written):
    """The journal holds the same searches as the storage (same seeds)."""
    from_journal = hi.load(written / "journal.log")
    from_storage = hi.load(written / "studies.db")
    cols = [c for c in from_storage.columns
            if c.startswith(("params_", "value", "user_attrs_")) or c in ("study", "number",
                                                                         "state")]
    pd.testing.assert_frame_equal(from_journal[cols], from_storage[cols])
    curves = hi.load_curves(written / "journal.log")
    pd.testing.assert_frame_equal(curves, hi.load_curves(written / "studies.db"))
