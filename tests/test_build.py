"""hi.report.build: parameters arrive as data, the source is checked first, safe HTML."""

from __future__ import annotations

import importlib
import os
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import hpo_insights as hi

build_module = importlib.import_module("hpo_insights.report.build")
INJECTION = 'x"); import os; os.system("touch pwned") #'
SCRIPT = "<script>alert(1)</script>"


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
    kept = out / "kernel-cwd"

    class KeptDirectory:  # the kernel's working folder, kept for inspection
        def __init__(self, *args, **kwargs):
            kept.mkdir()

        def __enter__(self):
            return str(kept)

        def __exit__(self, *exc):
            return False

    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(build_module.tempfile, "TemporaryDirectory", KeptDirectory)
            paths = hi.report.build(tiny_trials([INJECTION, SCRIPT]), out / "report",
                                    title=SCRIPT, progress=messages.append)
    finally:
        os.chdir(cwd)
    return out, paths, messages


def test_injected_parameters_are_json_data():
    values = {"source": None, "studies": [INJECTION], "objective": None, "direction": None,
              "params": None, "title": SCRIPT, "trials_file": "t.pkl"}
    cell = build_module._parameters_cell(values)
    namespace: dict = {}
    exec(cell.source, namespace)  # the cell only assigns names from parsed JSON
    assert namespace["studies"] == [INJECTION] and namespace["title"] == SCRIPT
    assert INJECTION not in cell.source.replace('\\"', '"').split("json.loads(")[0]
    assert "os.system" not in cell.source.split("json.loads(")[0]


def test_injection_runs_nothing(hostile_report):
    out, paths, _ = hostile_report
    assert (out / "kernel-cwd" / "trials.pkl").is_file()  # the kernel ran in there
    assert not list(out.rglob("pwned")) and not Path("pwned").exists()
    assert not (Path(os.path.expanduser("~")) / "pwned").exists()
    md = paths["md"].read_text()
    assert INJECTION in md
    html = paths["html"].read_text()
    assert INJECTION.replace('"', "&quot;") in html or INJECTION in html


def test_script_name_is_text_not_markup(hostile_report):
    _, paths, _ = hostile_report
    scan = _Scan()
    scan.feed(paths["html"].read_text())
    assert all("alert(1)" not in s for s in scan.scripts)
    assert SCRIPT in "".join(scan.text)
    assert SCRIPT not in paths["md"].read_text().replace("`" + SCRIPT + "`", "")


def test_progress_names_studies_and_sections(hostile_report):
    _, _, messages = hostile_report
    assert f"study {INJECTION}: importance" in messages
    assert any(m.startswith(f"study {SCRIPT}:") for m in messages)
    assert messages[-1].startswith("exporting")


def test_report_has_figures_and_no_code(hostile_report):
    _, paths, _ = hostile_report
    html = paths["html"].read_text()
    assert html.count('src="data:image/png;base64,') >= 2
    assert "hi.report.show_studies" not in html and "json.loads" not in html
    md = paths["md"].read_text()
    figures = [line for line in md.splitlines() if line.startswith("![")]
    assert figures and all((paths["md"].parent / f.split("](")[1].rstrip(")")).is_file()
                           for f in figures)
    assert "json.loads" not in md


def test_errors_before_any_kernel(tmp_path, monkeypatch):
    def no_kernel(*args, **kwargs):
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(build_module, "_client", no_kernel)
    with pytest.raises(hi.TrialsError, match="missing.db"):
        hi.report.build(str(tmp_path / "missing.db"), tmp_path / "out")
    with pytest.raises(hi.TrialsError, match="nope"):
        hi.report.build(tiny_trials(["a"]), tmp_path / "out", studies=["nope"])
    with pytest.raises(ValueError, match="pdf"):
        hi.report.build(None, tmp_path / "out", formats=("pdf",))
    assert not (tmp_path / "out").exists()


def test_template_parameters_cell_and_hidden_code():
    nb = nbformat.read(build_module.TEMPLATE, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata["tags"]
    first: dict = {}
    exec(code[0].source, first)
    assert {k: first[k] for k in build_module.PARAMETER_NAMES} == dict.fromkeys(
        build_module.PARAMETER_NAMES)
    assert all("hide-input" in c.metadata["tags"] for c in code)
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert not any(line.lstrip().startswith("for ") for c in code for line in c.source.splitlines())


def test_load_trials_filters_studies_without_mutating():
    trials = tiny_trials(["a", "b"])
    before = trials.copy(deep=True)
    got = hi.report.load_trials(trials, studies=["b"])
    pd.testing.assert_frame_equal(trials, before)
    assert got["study"].unique().tolist() == ["b"] and len(got) == 12


def test_escape_markdown_html():
    from hpo_insights.report.export import escape_markdown_html

    assert escape_markdown_html("<b>x</b> 1 < 2 <!-- c -->") == "&lt;b>x&lt;/b> 1 < 2 &lt;!-- c -->"
