"""One name per idea: every public argument and result column is in the glossary of
docs/trials-frame.md."""

from __future__ import annotations

import dataclasses
import inspect
import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

import hpo_insights as hi

DOC = Path(__file__).resolve().parents[1] / "docs" / "trials-frame.md"


def _glossary(heading: str) -> list[re.Pattern]:
    """The names in the first cell of each row of the glossary table under *heading*."""
    text = DOC.read_text(encoding="utf-8")
    part = text.split("## Glossary", 1)[1].split("\n## ", 1)[0]
    table = part.split(f"### {heading}", 1)[1].split("\n### ", 1)[0]
    names = []
    for line in table.splitlines():
        if line.startswith("| `"):
            first = line.split("|")[1]
            names += re.findall(r"`([^`]+)`", first)
    return [re.compile(re.escape(n).replace(re.escape("<name>"), r".+") + r"\Z") for n in names]


ARGUMENTS = _glossary("Arguments")
COLUMNS = _glossary("Result columns")


def _known(name: str, patterns: list[re.Pattern]) -> bool:
    return any(p.match(name) for p in patterns)


def _public_functions():
    import hpo_insights.plot as plot
    import hpo_insights.report as report

    for prefix, module in (("hi", hi), ("hi.plot", plot), ("hi.report", report)):
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                yield f"{prefix}.{name}", obj


def test_the_glossary_is_read():
    """The glossary tables parse (guards the tests below against an empty list)."""
    assert _known("trials", ARGUMENTS) and _known("alpha", ARGUMENTS)
    assert _known("params_lr", COLUMNS) and _known("ci_low", COLUMNS)
    assert not _known("confidence", ARGUMENTS) and not _known("p_perm", COLUMNS)


def test_every_argument_is_in_the_glossary():
    """inspect.signature of every public function (hi, hi.plot, hi.report) uses glossary names."""
    unknown = sorted({f"{name}({p})" for name, func in _public_functions()
                      for p in inspect.signature(func).parameters
                      if p not in ("args", "kwargs") and not _known(p, ARGUMENTS)})
    assert not unknown, "arguments missing from the glossary of docs/trials-frame.md: " + \
        ", ".join(unknown)


# Every analysis of hi.__all__ that runs on the bundled example, with the arguments it needs.
# (The learning-curve and fold analyses read curves and folds, which the example does not hold.)
NEEDS = {"coverage_crosstab": {"params": ("dropout", "n_layers")}}
NOT_ON_TRIALS = {"compare_top", "curve_findings", "fidelity_correlation", "from_optuna",
                 "identify_pruner", "load_curves", "load_folds", "pruning_audit"}


def _results():
    example = hi.datasets.example()
    for name in hi.__all__:
        func = getattr(hi, name)
        if not inspect.isfunction(func) or name in NOT_ON_TRIALS:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = func(example, **NEEDS.get(name, {}))
        if isinstance(result, pd.DataFrame):
            yield name, result
        elif dataclasses.is_dataclass(result):
            for field in dataclasses.fields(result):
                value = getattr(result, field.name)
                if isinstance(value, pd.DataFrame):
                    yield f"{name}.{field.name}", value


@pytest.fixture(scope="module")
def results():
    return dict(_results())


def test_every_analysis_is_run(results):
    """Each function of hi.__all__ is either run here or listed as not taking a trials frame."""
    ran = {name.split(".")[0] for name in results}
    functions = {n for n in hi.__all__ if inspect.isfunction(getattr(hi, n))}
    assert functions - NOT_ON_TRIALS - ran == set()


def test_every_result_column_is_in_the_glossary(results):
    """Every column of every result on the bundled example is a glossary name."""
    unknown = sorted({f"{name}: {col}" for name, frame in results.items()
                      for col in frame.columns if not _known(str(col), COLUMNS)})
    assert not unknown, "columns missing from the glossary of docs/trials-frame.md: " + \
        ", ".join(unknown)
