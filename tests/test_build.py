"""hi.report.build: checks first, parameters as data, one call per analysis, re-runnable."""

from __future__ import annotations

import importlib
import json
import os
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from nbclient import NotebookClient

import hpo_insights as hi
from hpo_insights.report import _notebook, layouts
from hpo_insights.report import sections as S

build_module = importlib.import_module("hpo_insights.report._build")
INJECTION = 'x"); import os; os.system("touch pwned") #'
SCRIPT = "<script>alert(1)</script>"
ANALYSES = ("summarize", "best_trial", "collapse_summary", "detect_collapse",
            "variance_explained", "classify_trend", "value_table", "coverage_crosstab",
            "forced_extremes", "compare_budgets", "optimization_history", "scaling_check",
            "param_consistency", "collapse_by_budget", "sampling_association",
            "search_space_importance", "suggestions", "importance_by_budget", "findings")


def tiny_trials(names):
    """Two small studies with two parameters, built by hand."""
    rows = []
    for name in names:
        for i in range(12):
            rows.append({"study": name, "number": i, "state": "COMPLETE",
                         "value": 0.5 + 0.01 * (i % 4) + 0.02 * (i % 3),
                         "params_a": [1, 2, 3][i % 3], "params_b": ["x", "y", "z", "w"][i % 4],
                         "study_direction": "maximize"})
    return pd.DataFrame(rows)


class _Scan(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    """One report over studies named to inject code and markup (one kernel run)."""
    out = tmp_path_factory.mktemp("hostile")
    cwd = os.getcwd()
    os.chdir(out)
    messages: list[str] = []
    try:
        paths = hi.report.build(tiny_trials([INJECTION, SCRIPT]), out / "report",
                                title=SCRIPT, progress=messages.append)
    finally:
        os.chdir(cwd)
    return out, paths, messages


def test_injected_parameters_are_json_data():
    """The parameters cell only parses JSON: a hostile study name is a string."""
    values = {"source": None, "studies": [INJECTION], "objective": None, "direction": None,
              "params": None, "title": SCRIPT, "trials_file": "t.pkl", "pruner": INJECTION}
    source = _notebook.parameters_source(values)
    namespace: dict = {}
    exec(source, namespace)  # the cell only assigns names from parsed JSON
    assert namespace["studies"] == [INJECTION] and namespace["title"] == SCRIPT
    assert namespace["pruner"] == INJECTION
    assert "os.system" not in source.split("json.loads(")[0]


def test_no_data_in_code_cells():
    """Study names and titles never appear in code: only in the parameters and Markdown."""
    trials = tiny_trials([INJECTION, SCRIPT])
    nb = hi.report.notebook(trials, dict.fromkeys(_notebook.PARAMETER_NAMES), title=SCRIPT)
    code = [c.source for c in nb.cells if c.cell_type == "code"
            and "parameters" not in c.metadata["tags"]]
    assert code and not any("os.system" in c or "<script" in c for c in code)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "<script" not in markdown and "&lt;script&gt;" in markdown


def test_injection_runs_nothing(hostile_report):
    """The hostile names end up as text in the report; nothing was executed."""
    out, paths, _ = hostile_report
    assert not list(out.rglob("pwned")) and not Path("pwned").exists()
    assert not (Path(os.path.expanduser("~")) / "pwned").exists()
    assert INJECTION in paths["md"].read_text()
    html = paths["html"].read_text()
    assert INJECTION.replace('"', "&quot;") in html or INJECTION in html


def test_script_name_is_text_not_markup(hostile_report):
    """A study named <script> is displayed, never run."""
    _, paths, _ = hostile_report
    scan = _Scan()
    scan.feed(paths["html"].read_text())
    assert all("alert(1)" not in s for s in scan.scripts)
    assert SCRIPT in "".join(scan.text)
    assert SCRIPT not in paths["md"].read_text().replace("`" + SCRIPT + "`", "")


def test_progress_names_studies_and_sections(hostile_report):
    """Progress names each study's sections, in order, ending with the export."""
    _, _, messages = hostile_report
    assert f"study {INJECTION}: importance" in messages
    assert any(m.startswith(f"study {SCRIPT}:") for m in messages)
    assert messages.index("loading the trials") < messages.index(f"study {INJECTION}: summary")
    assert messages[-1].startswith("exporting")


def test_outputs_notebook_html_markdown(hostile_report):
    """report.ipynb (executed, no errors), report.html and report.md; no code in the exports."""
    _, paths, _ = hostile_report
    assert sorted(paths) == ["html", "ipynb", "md"]
    nb = nbformat.read(paths["ipynb"], as_version=4)
    nbformat.validate(nb)  # written without a second validation: valid as made
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert outputs and not [o for o in outputs if o["output_type"] == "error"]
    assert not [o for o in outputs if o["output_type"] == "stream" and o["name"] == "stderr"]
    html = paths["html"].read_text()
    assert html.count('src="data:image/png;base64,') >= 2
    assert "hi.variance_explained" not in html and "json.loads" not in html
    md = paths["md"].read_text()
    figures = [line for line in md.splitlines() if line.startswith("![")]
    assert figures and all((paths["md"].parent / f.split("](")[1].rstrip(")")).is_file()
                           for f in figures)
    assert "json.loads" not in md and "<!--" not in md
    assert (paths["ipynb"].parent / "report_trials.pkl").is_file()  # a DataFrame source


def _kernel_never_starts(monkeypatch):
    def no_kernel(*args, **kwargs):
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(build_module, "notebook_client", no_kernel)


def test_errors_before_any_kernel(tmp_path, monkeypatch):
    """Source, studies, format, layout and output folder are checked before a kernel starts."""
    _kernel_never_starts(monkeypatch)
    with pytest.raises(hi.TrialsError, match="missing.db"):
        hi.report.build(str(tmp_path / "missing.db"), tmp_path / "out")
    with pytest.raises(hi.TrialsError, match="nope"):
        hi.report.build(tiny_trials(["a"]), tmp_path / "out", studies=["nope"])
    with pytest.raises(ValueError, match="pdf"):
        hi.report.build(None, tmp_path / "out", formats=("pdf",))
    with pytest.raises(hi.TrialsError, match="layout 'fancy'"):
        hi.report.build(None, tmp_path / "out", layout="fancy")
    (tmp_path / "file").write_text("x")
    with pytest.raises(hi.TrialsError, match="is a file"):
        hi.report.build(None, tmp_path / "file")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.assign(state=np.where(t["study"] == "b", "FAIL", t["state"])),
         r"Study 'b' has no COMPLETE trial with a finite objective \(12 FAIL\)"),
        (lambda t: t.drop(columns="study_direction"), "direction"),
        (lambda t: t.drop(columns="value").assign(values_0=t["value"], values_1=t["value"]),
         "objective"),
        (lambda t: t.drop(columns=["params_a", "params_b"]), "no parameter column"),
    ],
    ids=["only-failed-trials", "no-direction", "two-objectives", "no-parameters"],
)
def test_trials_no_report_can_be_made_of(change, message, tmp_path, monkeypatch):
    """A source that loads but cannot be analysed is a one-line TrialsError, before any kernel."""
    _kernel_never_starts(monkeypatch)
    with pytest.raises(hi.TrialsError, match=message):
        hi.report.build(change(tiny_trials(["a", "b"])), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_failing_section_names_itself_and_keeps_the_notebook(tmp_path, monkeypatch):
    """An analysis failing in the kernel: section and cause named, notebook kept, no report."""
    summary = next(s for s in S.DEFAULT if s.key == "summary")
    broken = S.Section("broken", "study", "Broken",
                       (S.Call("variance_explained", kwargs={"params": "nope"}),))
    # the summary shows rows of the analyses made once for every study (S.SHARED)
    monkeypatch.setitem(layouts.LAYOUTS, "default",
                        lambda: S.Page((S.SHARED, summary, broken)))
    with pytest.raises(hi.report.ReportError) as caught:
        hi.report.build(tiny_trials(["a"]), tmp_path / "out", formats=("md",))
    message = str(caught.value)
    assert "section 'study a: broken'" in message and "TrialsError" in message
    assert "nope" in message and "\n" not in message
    kept = caught.value.notebook
    assert kept.is_file() and str(kept) in message
    assert not (tmp_path / "out").exists()
    import shutil

    shutil.rmtree(kept.parent)


def test_section_past_the_timeout_names_itself(tmp_path, monkeypatch):
    """A cell running past timeout= ends the build with the section named, nothing written."""
    # a cell that sleeps: time.sleep, reached through a module the kernel has imported
    slow = S.Section("slow", "study", "Slow", (S.Call("report._build.time.sleep", (30,)),))
    monkeypatch.setitem(layouts.LAYOUTS, "default", lambda: S.Page((slow,)))
    with pytest.raises(hi.report.ReportError,
                       match="section 'study a: slow'.*timeout=8 s") as caught:
        hi.report.build(tiny_trials(["a"]), tmp_path / "out", formats=("md",), timeout=8)
    assert not (tmp_path / "out").exists()
    import shutil

    shutil.rmtree(caught.value.notebook.parent)


@pytest.fixture(scope="module")
def counted_report(tmp_path_factory):
    """The example's report notebook, run with every hi analysis wrapped in a counter."""
    trials = hi.datasets.example()
    values = dict.fromkeys(_notebook.PARAMETER_NAMES)
    nb = hi.report.notebook(trials, values)
    setup = next(i for i, c in enumerate(nb.cells) if "setup" in c.metadata.get("tags", []))
    counter = nbformat.v4.new_code_cell(
        "import collections, functools\n"
        "CALLS = collections.Counter()\n"
        f"for _name in {list(ANALYSES)!r}:\n"
        "    def _wrap(f, name=_name):\n"
        "        @functools.wraps(f)\n"
        "        def counted(trials, *a, **k):\n"
        "            key = trials['study'].iloc[0] if trials['study'].nunique() == 1 else 'all'\n"
        "            CALLS[(name, key)] += 1\n"
        "            return f(trials, *a, **k)\n"
        "        return counted\n"
        "    setattr(hi, _name, _wrap(getattr(hi, _name)))")
    nb.cells.insert(setup + 1, counter)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import json\nprint(json.dumps([[n, s, c] for (n, s), c in CALLS.items()]))"))
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path_factory.mktemp("run"))}}).execute()
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    return [tuple(x) for x in json.loads(text)]


def test_each_analysis_runs_once_per_study(counted_report):
    """Counting the notebook's calls: each analysis once, either once for every study
    (a study's sections show its rows) or once per study where the result depends on
    the study's own choices; no analysis that makes verdicts of its own (the page's
    verdicts are hi.findings')."""
    calls = {(name, study): n for name, study, n in counted_report}
    assert set(calls.values()) == {1}, {k: v for k, v in calls.items() if v != 1}
    studies = ("transformer-2M", "transformer-20M", "transformer-200M")
    per_study = ("variance_explained", "coverage_crosstab", "search_space_importance")
    assert {(n, s) for n in per_study for s in studies} <= set(calls)
    once = ("findings", "compare_budgets", "optimization_history", "collapse_by_budget",
            "importance_by_budget", "summarize", "best_trial", "value_table",
            "forced_extremes", "sampling_association")
    for name in once:
        assert calls[(name, "all")] == 1
        assert not {(name, s) for s in studies} & set(calls), name
    verdicts = {"classify_trend", "suggestions", "scaling_check", "param_consistency"}
    assert not {name for name, _ in calls} & verdicts


def test_saved_notebook_reruns_to_the_same_outputs(hostile_report, tmp_path):
    """report.ipynb runs again cell by cell (as in Jupyter) and shows the same tables; a
    DataFrame a reader adds comes out in report.md as a Markdown table, not raw HTML."""
    _, paths, _ = hostile_report
    saved = nbformat.read(paths["ipynb"], as_version=4)
    again = nbformat.read(paths["ipynb"], as_version=4)
    again.cells.append(nbformat.v4.new_code_cell('trials[["study", "number", "value"]].head(3)'))
    NotebookClient(again, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(paths["ipynb"].parent)}}).execute()
    added = again.cells.pop()
    assert "text/html" not in added.outputs[0]["data"]
    md = hi.report.export(nbformat.from_dict({**again, "cells": [*again.cells, added]}),
                          tmp_path, formats=("md",))["md"].read_text()
    assert "<style" not in md and "<table" not in md
    assert "| study | number | value |\n|-------|--------|-------|\n" in md

    def shown(nb):
        return [[(o["output_type"], o.get("data", {}).get("text/markdown"),
                  "image/png" in o.get("data", {})) for o in c.get("outputs", [])]
                for c in nb.cells if c.cell_type == "code"]

    assert shown(again) == shown(saved)


def test_export_command_re_exports_an_edited_notebook(hostile_report, tmp_path):
    """export_notebook writes HTML and Markdown from an executed notebook; an unrun one fails."""
    _, paths, _ = hostile_report
    nb = nbformat.read(paths["ipynb"], as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("## An added note"))
    edited = tmp_path / "edited.ipynb"
    nbformat.write(nb, edited)
    written = hi.report.export_notebook(edited, tmp_path / "again")
    assert "## An added note" in written["md"].read_text()
    assert sorted(written) == ["html", "md"]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    nbformat.write(nb, edited)
    with pytest.raises(hi.TrialsError, match="has no outputs: run it first"):
        hi.report.export_notebook(edited)


def test_load_trials_filters_studies_without_mutating():
    """load_trials keeps the named studies and leaves the input alone."""
    trials = tiny_trials(["a", "b"])
    before = trials.copy(deep=True)
    got = hi.report.load_trials(trials, studies=["b"])
    pd.testing.assert_frame_equal(trials, before)
    assert got["study"].unique().tolist() == ["b"] and len(got) == 12


def test_escape_markdown_html():
    """Raw HTML in Markdown outputs shows as text."""
    from hpo_insights.report._export import escape_markdown_html

    assert escape_markdown_html("<b>x</b> 1 < 2 <!-- c -->") == "&lt;b>x&lt;/b> 1 < 2 &lt;!-- c -->"


@pytest.mark.parametrize("layout", ["default", "reference"])
def test_section_dependencies_resolve(layout):
    """Every earlier result a section reads is saved by an earlier call of its part."""
    page = layouts.layout_page(layout)
    for trials in (hi.datasets.example(), tiny_trials(["a", "b"])):
        assert S.check_sections(page.sections, trials) == []


def test_section_dependencies_are_checked():
    """A section reading a result nobody made, or made only later, is named."""
    early = S.Section("early", "study", "Early", (
        S.Call("plot.value_table", (S.Ref("levels"),), figure=True),))
    later = S.Section("later", "study", "Later", (S.Call("value_table", save="levels"),))
    assert S.check_sections((early, later), tiny_trials(["a"])) == [
        "section 'early' (study): plot.value_table reads 'levels', which no earlier call saved"]
    assert S.check_sections((later, early), tiny_trials(["a"])) == []


def test_report_package_runs_no_code_text():
    """The in-process report calls functions: no exec or eval of generated code anywhere."""
    import ast

    folder = Path(hi.report.__file__).parent
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in {"exec", "eval", "compile"}, path.name


def test_notebook_cells_are_the_sections_calls():
    """The code cells after the parameters hold the sections' calls in order, each written by
    sections.code; consecutive calls of one section share a cell, a figure ends its cell."""
    trials = hi.datasets.example()
    nb = hi.report.notebook(trials, dict.fromkeys(_notebook.PARAMETER_NAMES))
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    all_steps = _notebook.steps(trials)
    calls = [_notebook.code(s.call, s.part) for s in all_steps if s.kind == "call"]
    written = "\n".join(code[1:])
    assert all(c in written for c in calls)
    positions = [written.index(c) for c in calls]
    assert positions == sorted(positions)
    # fewer cells than calls, and no cell mixes sections or draws before its last line
    assert len(code) < len(calls)
    for cell in nb.cells:
        lines = cell.source.splitlines()
        if cell.cell_type == "code" and any(line.endswith(");") for line in lines[:-1]):
            raise AssertionError(f"a figure before the end of its cell:\n{cell.source}")
    sections = [s.section for s in all_steps if s.kind == "call"]
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert len({c.metadata["hpo_insights"]["section"] for c in code_cells}) == len(
        {"parameters", "loading the trials", *sections})
    assert ('trials_2m = trials[trials["study"] == names[0]].reset_index(drop=True)\n'
            "hi.report.show(findings, trials=trials_2m, metric=metric)\n"
            "order_2m = hi.report.answers.parameters(findings, trials_2m)") in code
    assert "importance_2m = hi.variance_explained(trials_2m)\n" \
        "hi.report.show(importance_2m, metric=metric, verdicts=False)" in code
    first = "findings = hi.findings(trials)\nhi.report.show(findings, metric=metric)"
    later = "budgets = hi.compare_budgets(trials)\nhi.report.show(budgets, metric=metric)"
    assert written.index(first) < written.index(later)
