"""The report renders for the new sources: a scikit-learn search (a conditional pipeline
grid with two scorers and failed fits), a successive-halving search and a KerasTuner
Hyperband folder, all written by the tools (``tests/data/tools/``)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import hpo_insights as hi

TOOLS = Path(__file__).parent / "data" / "tools"


@pytest.mark.parametrize(
    ("source", "options", "studies"),
    [
        (TOOLS / "sklearn" / "grid.csv", {"objective": "accuracy"}, ["grid"]),
        (TOOLS / "sklearn" / "halving_grid.csv", {}, ["iter0", "iter1", "iter2", "iter3"]),
        (TOOLS / "keras_tuner" / "hyperband", {},
         ["hyperband/epochs1", "hyperband/epochs2", "hyperband/epochs4"]),
    ],
    ids=["sklearn-grid", "sklearn-halving", "keras-tuner-hyperband"],
)
def test_report_renders(tmp_path, source, options, studies):
    """build() runs every section and writes the Markdown; each study has its section and
    several budgets get the cross-budget part."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hi.TrialsWarning)
        out = hi.report.build(source, tmp_path / "r", formats=("md",), **options)
    text = out["md"].read_text()
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    for name in studies:
        assert any(name in h for h in headings), (name, headings)
    assert ("## Across budgets" in text) == (len(studies) > 1)
    assert "Traceback" not in text
    # folds exist for scikit-learn searches: the winner's margin is tested in each study
    sklearn = "sklearn" in str(source)
    assert ("The winner's margin" in text) == sklearn
    if sklearn:
        assert text.count("corrected resampled t-test") == len(studies)
