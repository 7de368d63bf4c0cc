"""Tests of hi.validate: one test per defect, both error modes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hpo_insights as hi

DIST = (
    '{"name": "FloatDistribution", '
    '"attributes": {"step": null, "low": 0.001, "high": 0.1, "log": true}}'
)


@pytest.fixture
def good(tiny_trials) -> pd.DataFrame:
    """tiny_trials plus the optional columns a loaded frame has."""
    return tiny_trials.assign(
        distributions_lr=DIST,
        datetime_start=pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(7), unit="min"),
        datetime_complete=pd.Timestamp("2024-01-01 00:00:30")
        + pd.to_timedelta(np.arange(7), unit="min"),
        study_user_attrs_budget="2M",
    )


def _problems(trials: pd.DataFrame) -> pd.DataFrame:
    return hi.validate(trials, errors="report")


def _only(report: pd.DataFrame, column: str, fragment: str) -> pd.Series:
    rows = report[report["column"] == column]
    assert len(rows) == 1, report
    assert fragment in rows["problem"].iloc[0], rows["problem"].iloc[0]
    return rows.iloc[0]


def test_valid_frame_returns_it_unchanged(good):
    """A valid frame is returned as is, and the report is empty with its columns."""
    before = good.copy(deep=True)
    assert hi.validate(good) is good
    pd.testing.assert_frame_equal(good, before)
    report = _problems(good)
    assert report.empty
    assert list(report.columns) == ["column", "problem", "n_rows", "fix"]


@pytest.mark.parametrize("col", ["study", "number", "state"])
def test_missing_required_column(good, col):
    """Each missing required column is named with a fix."""
    row = _only(_problems(good.drop(columns=col)), col, "required column is missing")
    assert row["fix"]


def test_missing_values_in_required(good):
    """Missing study names are counted."""
    bad = good.copy()
    bad.loc[[0, 1], "study"] = None
    assert _only(_problems(bad), "study", "missing values")["n_rows"] == 2


def test_unknown_state(good):
    """States outside Optuna's vocabulary are listed and counted."""
    bad = good.assign(state=["COMPLETE"] * 5 + ["done", "finished"])
    row = _only(_problems(bad), "state", "unknown state values: done, finished")
    assert row["n_rows"] == 2


def test_number_not_integer(good):
    """Fractional trial numbers are a defect."""
    bad = good.assign(number=[0, 1, 2, 3, 4, 5, 6.5])
    assert _only(_problems(bad), "number", "integers")["n_rows"] == 1


def test_duplicate_study_number(good):
    """The same number twice within a study is a defect; across studies it is fine."""
    bad = good.assign(number=[0, 1, 2, 3, 4, 5, 5])
    assert _only(_problems(bad), "number", "duplicate (study, number)")["n_rows"] == 2
    two = pd.concat([good, good.assign(study="t")], ignore_index=True)
    assert _problems(two).empty


def test_no_objective(good):
    """A frame without value/values_* is a defect."""
    _only(_problems(good.drop(columns="value")), "value", "no objective column")


def test_objective_not_numeric(good):
    """Text objectives are a defect counting the non-numeric rows."""
    bad = good.assign(value=["0.5", "0.7", "high", "0.9", "0.6", "0.99", None])
    assert _only(_problems(bad), "value", "not numeric")["n_rows"] == 1


def test_non_finite_objective_in_complete(good):
    """NaN/inf objectives of COMPLETE trials are counted (FAIL's NaN is fine)."""
    bad = good.assign(value=[0.5, np.inf, np.nan, 0.9, 0.6, 0.99, np.nan])
    assert _only(_problems(bad), "value", "non-finite")["n_rows"] == 2


def test_no_params(good):
    """A frame without params_* columns is a defect."""
    bad = good.drop(columns=["params_lr", "params_optimizer", "distributions_lr"])
    _only(_problems(bad), "params_<name>", "no parameter columns")


def test_single_valued_param(good):
    """A parameter taking one value explains nothing."""
    _only(_problems(good.assign(params_optimizer="adam")), "params_optimizer", "single value")


def test_inconsistent_direction(good):
    """study_direction must be one value per study."""
    bad = good.assign(study_direction=["maximize"] * 6 + ["minimize"])
    assert _only(_problems(bad), "study_direction", "differs within a study")["n_rows"] == 7


def test_unknown_direction(good):
    """Directions other than maximize/minimize are listed."""
    bad = good.assign(study_direction="up")
    _only(_problems(bad), "study_direction", "unknown directions: up")


def test_study_attr_differs_within_study(good):
    """Study user attributes are study-level facts."""
    bad = good.assign(study_user_attrs_budget=["2M"] * 3 + ["20M"] * 4)
    _only(_problems(bad), "study_user_attrs_budget", "differs within a study")


def test_bad_distribution_json(good):
    """Distribution columns must hold Optuna distribution JSON."""
    bad = good.assign(distributions_lr=[DIST] * 5 + ["{not json", '{"low": 1}'])
    assert _only(_problems(bad), "distributions_lr", "distribution JSON")["n_rows"] == 2


def test_datetime_as_text(good):
    """Datetimes stored as text are flagged with the conversion to apply."""
    bad = good.assign(datetime_start=good["datetime_start"].astype(str))
    row = _only(_problems(bad), "datetime_start", "not a datetime column")
    assert "pd.to_datetime" in row["fix"]


def test_raise_lists_every_defect(good):
    """errors='raise' raises one TrialsError with one line per defect."""
    bad = good.drop(columns="value").assign(state=["COMPLETE"] * 6 + ["done"])
    with pytest.raises(hi.TrialsError) as info:
        hi.validate(bad)
    lines = str(info.value).splitlines()
    assert lines[0].startswith("The trials frame has 2 defects")
    assert lines[1].startswith("- state: unknown state values: done (1 row). Fix:")
    assert lines[2].startswith("- value: no objective column")


def test_loaded_frames_are_valid(tiny_trials):
    """What hi.load returns passes validation."""
    assert _problems(hi.load(tiny_trials)).empty


def test_bad_arguments(good):
    """Non-frames are TypeErrors, unknown modes ValueErrors."""
    with pytest.raises(TypeError, match="pandas DataFrame"):
        hi.validate([1, 2])
    with pytest.raises(ValueError, match="errors must be"):
        hi.validate(good, errors="ignore")


@pytest.mark.parametrize("seed", range(6))
def test_row_counts_equal_plain_pandas(seed):
    """Duplicate pairs, mixed study-level values and directions count as plain pandas counts."""
    rng = np.random.default_rng(seed)
    n = 400
    number = rng.integers(0, 150, n) * (10**13 if seed == 5 else 1)  # last: a wide span
    t = pd.DataFrame({
        "study": rng.choice(["a", "b", "c", None], n, p=[0.3, 0.3, 0.3, 0.1]),
        "number": number, "state": "COMPLETE", "value": rng.normal(size=n),
        "params_x": rng.integers(0, 3, n),
        "study_direction": rng.choice(["maximize", "minimize", "up", None], n,
                                      p=[0.6, 0.1, 0.05, 0.25]),
        "study_user_attrs_budget": rng.choice([1, "1", 2.5, None], n),
    })
    report = hi.validate(t, errors="report").set_index("column")
    dup = t.duplicated(["study", "number"], keep=False).sum()
    rows = report.loc[report.problem.str.contains("duplicate"), "n_rows"]
    assert (rows.iloc[0] if len(rows) else 0) == dup
    for col in ("study_direction", "study_user_attrs_budget"):
        per = t[col].astype("str").where(t[col].notna()).groupby(t.study).nunique()
        expect = int(t.study.isin(per[per > 1].index).sum())
        rows = report.loc[report.index == col]
        rows = rows[rows.problem.str.contains("differs within")]
        assert (rows.n_rows.iloc[0] if len(rows) else 0) == expect
    bad = t.study_direction.notna() & ~t.study_direction.isin(["maximize", "minimize"])
    rows = report[report.problem.str.startswith("unknown directions")]
    assert (rows.n_rows.iloc[0] if len(rows) else 0) == bad.sum()
