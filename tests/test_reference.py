"""Known answers from the reference report (``tests/data/reference-report.md``).

For every study section and parameter, trials are rebuilt from the report's
per-value table (``reference_tables.trials_for_table``: each value's count,
mean and std reproduced exactly). Our analyses must give back the report's
numbers and labels from those trials.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from reference_tables import load_reference, trials_for_coverage, trials_for_table

import hpo_insights as hi

REF = load_reference()
CASES = [(b, p) for b, s in REF.studies.items() for p in s.trends]
COVERAGE = [(b, pair) for b, s in REF.studies.items() for pair in s.coverage]


def _rebuilt(budget: str, param: str) -> pd.DataFrame:
    return trials_for_table(REF.studies[budget].trends[param].table, param,
                            study=f"transformer-{budget}")


def test_reference_parsed_completely():
    """Three studies, six trend tables, seven importances and three coverage matrices each."""
    assert list(REF.studies) == ["2M", "20M", "200M"]
    for s in REF.studies.values():
        assert s.n_trials == 50 and len(s.trends) == 6 and len(s.importance) == 7
        assert len(s.coverage) == 3 and len(s.best_config) == 7
        for t in s.trends.values():
            assert t.table["count"].sum() == s.n_trials


@pytest.mark.parametrize(("budget", "param"), CASES)
def test_value_table_reproduces_report(budget, param):
    """Values in the report's order, counts exact, mean and std equal to the printed ones."""
    table = REF.studies[budget].trends[param].table
    vt = hi.value_table(_rebuilt(budget, param), params=param)
    assert list(vt.value) == list(table.value)
    np.testing.assert_array_equal(vt["n_trials"], table["count"])
    np.testing.assert_allclose(vt["mean"], table["mean"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(vt["std"], table["std"], rtol=0, atol=1e-12)
    assert (vt.study == f"transformer-{budget}").all()


@pytest.mark.parametrize(("budget", "param"), CASES)
def test_trend_reproduces_report(budget, param):
    """Every trend label, best and worst value (and their means) of the report."""
    trend = REF.studies[budget].trends[param]
    ct = hi.classify_trend(_rebuilt(budget, param), params=param,
                           method="endpoints").iloc[0]
    assert ct.trend == trend.label
    assert ct.best_value == trend.best_value and ct.worst_value == trend.worst_value
    assert ct.best_mean == pytest.approx(trend.best_mean, abs=1e-12)
    assert ct.worst_mean == pytest.approx(trend.worst_mean, abs=1e-12)


@pytest.mark.parametrize(("budget", "param"), CASES)
def test_importance_reproduces_report(budget, param):
    """The report's importance equals our eta^2 * (n - 1) / n within 0.002.

    The report divided a between-value variance with ddof=0 (SS_between / n)
    by the total variance with ddof=1 (SS_total / (n - 1)), i.e. it printed
    eta^2 * (n - 1) / n; we report exact eta^2. The rebuilt trials reproduce
    each value's count, mean and std, hence SS_between and SS_within, hence
    SS_total, up to the report's 4-decimal rounding of means and stds; that
    rounding (not a difference of definition) is what the 0.002 absorbs.
    Computing SS_total from the report's overall std instead would add its
    own rounding (up to 0.0022 on these studies), so the check uses our
    function on the rebuilt trials for both sums of squares.
    """
    section = REF.studies[budget]
    n = section.n_trials
    ve = hi.variance_explained(_rebuilt(budget, param), params=param)
    assert ve.n_trials.iloc[0] == n
    assert ve.share.iloc[0] * (n - 1) / n == pytest.approx(section.importance[param], abs=0.002)


@pytest.mark.parametrize("budget", list(REF.studies))
def test_importance_ranking_of_rebuilt_shares(budget):
    """Ranking the six rebuilt shares gives the report's order of those parameters."""
    section = REF.studies[budget]
    ours = {p: hi.variance_explained(_rebuilt(budget, p), params=p).share.iloc[0]
            for p in section.trends}
    expected = [p for p in section.importance if p in ours]
    assert sorted(ours, key=ours.get, reverse=True) == expected


@pytest.mark.parametrize(("budget", "param"), CASES)
def test_summary_reproduces_report(budget, param):
    """Trial count exact; mean and std within the report's rounding (two 4-decimal roundings)."""
    section = REF.studies[budget]
    s = hi.summarize(_rebuilt(budget, param)).iloc[0]
    assert s.n_trials == section.n_trials and s.n_used == section.n_trials
    assert s["mean"] == pytest.approx(section.mean, abs=1e-4 + 1e-12)
    assert s["std"] == pytest.approx(section.std, abs=1e-4 + 1e-12)


@pytest.mark.parametrize(("budget", "pair"), COVERAGE)
def test_coverage_reproduces_report(budget, pair):
    """Each coverage matrix, zeros and row/column order included."""
    matrix = REF.studies[budget].coverage[pair]
    ct = hi.coverage_crosstab(trials_for_coverage(matrix), params=pair)
    got = ct.pivot(index="row_value", columns="col_value", values="n_trials")
    assert list(got.index) == list(matrix.index) and list(got.columns) == list(matrix.columns)
    np.testing.assert_array_equal(got.to_numpy(), matrix.to_numpy())
    assert len(ct) == matrix.size
