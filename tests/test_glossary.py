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


# Names whose annotation differs between public functions on purpose, and why. Any other
# argument name has one annotation everywhere (docs/trials-frame.md, "One name has one type").
TYPED_APART = {
    "trials": "optional beside curves in the curve analyses (curve_findings, pruning_audit)",
    "curves": "required by the curve analyses, optional in the report",
    "result": "each figure takes its own analysis's result",
    "source": "hi.load takes a path or frame; the report and load_curves/load_folds more",
    "studies": "from_optuna takes study objects, not names",
    "objective": "hi.load takes several objective columns of a multi-objective table",
    "params": "hi.load and the report take names only; coverage_crosstab needs two",
    "direction": "hi.load takes one per objective; the mapping form is keyed by each "
                 "function's groups (studies or budgets)",
    "space": "variance_explained's 'trials'/'search'; hi.load's Hyperopt search space",
    "method": "each function's documented methods",
    "layout": "the report builder takes a layout name; the notebook writer also a Page",
    "threshold": "a figure reads it from its result when None",
    "min_range": "a figure reads it from its result when None",
    "tolerance": "search_progress scales its default to the objective (None)",
    "timeout": "seconds of a read (float) or of a notebook cell (int, nbclient's type)",
    "out_dir": "export_notebook writes beside the notebook when None",
    "title": "export always writes a title; the other report functions make one when None",
}


def _annotations() -> dict[str, dict[str, list[str]]]:
    """argument name -> annotation -> the public functions that use it."""
    out: dict[str, dict[str, list[str]]] = {}
    for name, func in _public_functions():
        for p in inspect.signature(func).parameters.values():
            if p.name in ("args", "kwargs"):
                continue
            out.setdefault(p.name, {}).setdefault(str(p.annotation), []).append(name)
    return out


def test_one_annotation_per_argument_name():
    """The same argument name has the same type hint in every public function."""
    drift = {name: by_type for name, by_type in _annotations().items()
             if len(by_type) > 1 and name not in TYPED_APART}
    assert not drift, "argument names typed differently (one name, one type): " + "; ".join(
        f"{n}: " + ", ".join(f"{t} in {', '.join(fs)}" for t, fs in by_type.items())
        for n, by_type in drift.items())


def test_the_exceptions_still_differ():
    """Each listed exception is real (a name typed alike everywhere leaves the list)."""
    annotations = _annotations()
    stale = [n for n in TYPED_APART if len(annotations.get(n, {})) < 2]
    assert not stale, f"typed alike now, drop from TYPED_APART: {stale}"


def _defaults(arg: str) -> dict[str, object]:
    return {name: inspect.signature(func).parameters[arg].default
            for name, func in _public_functions()
            if arg in inspect.signature(func).parameters}


def test_seed_is_optional_and_zero_everywhere():
    """seed: int | None = 0 wherever a function resamples (None: fresh entropy)."""
    found = _defaults("seed")
    assert len(found) >= 8
    assert {n: d for n, d in found.items() if d != 0} == {}
    assert set(_annotations()["seed"]) == {"int | None"}


def test_none_never_means_find_the_column():
    """by=None pools; a default that finds a column is "auto" (budget), never None."""
    assert set(_defaults("by").values()) <= {"study"}
    budgets = _defaults("budget")
    assert len(budgets) >= 7 and set(budgets.values()) == {"auto"}


def test_old_budget_none_still_works_with_a_warning():
    example = hi.datasets.example()
    with pytest.warns(FutureWarning, match=r"budget=None is now budget='auto'"):
        old = hi.compare_budgets(example, budget=None)
    pd.testing.assert_frame_equal(old, hi.compare_budgets(example))
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        hi.compare_budgets(example, budget="auto")


def test_seed_none_takes_fresh_entropy_and_bad_seeds_are_named():
    example = hi.datasets.example()
    hi.importance_by_budget(example, params=["dropout"], seed=None)
    with pytest.raises(hi.TrialsError, match="seed must be an integer"):
        hi.scaling_check(example, seed=1.5)
    with pytest.raises(hi.TrialsError, match="seed must be an integer"):
        hi.findings(example, seed="0")


def test_unused_bins_of_param_consistency_warns():
    example = hi.datasets.example()
    with pytest.warns(FutureWarning, match="bins= is not used"):
        hi.param_consistency(example, params=["dropout"], bins=4)


def test_every_budget_function_reads_the_old_none():
    """Each function with budget= turns budget=None into "auto" with a FutureWarning (the
    warning comes before any work: an empty frame then fails as it would anyway)."""
    empty = hi.datasets.example().iloc[:0]
    found = []
    for name, func in _public_functions():
        if "budget" not in inspect.signature(func).parameters:
            continue
        found.append(name)
        with pytest.warns(FutureWarning, match=r"budget=None is now budget='auto'"), \
                pytest.raises(hi.TrialsError):
            func(empty, budget=None)
    assert len(found) >= 7, found
