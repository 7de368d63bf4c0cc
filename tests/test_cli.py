"""hpo-insights report/export: outputs, --help, one-line errors, progress, Optuna storages."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from hpo_insights import cli


@pytest.fixture(scope="module")
def example_report(tmp_path_factory):
    """The bundled example's report, built once through the CLI."""
    out = tmp_path_factory.mktemp("example") / "report"
    return out, cli.main(["report", "--out", str(out), "--quiet"])


def test_report_default_source(example_report, capsys):
    """The bundled example: notebook, HTML and Markdown, every study in them."""
    out, status = example_report
    assert status == 0
    for name in ("report.ipynb", "report.html", "report.md"):
        assert (out / name).stat().st_size > 0
    md = (out / "report.md").read_text()
    for study in ("transformer-2M", "transformer-20M", "transformer-200M"):
        assert study in md


def test_terminal_output_of_a_run(tmp_path):
    """A real run: one summary line on stdout; on stderr only progress lines with the elapsed
    time (no kernel transport warning, no traceback)."""
    done = subprocess.run([sys.executable, "-m", "hpo_insights", "report", "--out", str(tmp_path),
                           "--format", "md"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1 and str(tmp_path / "report.md") in lines[0]
    assert not (tmp_path / "report.html").exists()
    err = done.stderr.splitlines()
    assert any(re.fullmatch(r"hpo-insights: \[ *\d+\.\d s\] study transformer-2M: importance",
                            line) for line in err), err
    assert all(line.startswith("hpo-insights: [") for line in err), err


def test_help_explains_every_option(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["report", "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    for option in ("SOURCE", "--study", "--objective", "--direction", "--out", "--format",
                   "--title", "--layout", "sqlite:///studies.db"):
        assert option in text


def _csv(tmp_path, name, frame):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return str(path)


def _rows(states=("COMPLETE",) * 6, **extra):
    return pd.DataFrame({"study": "s", "number": range(len(states)), "state": list(states),
                         "value": [0.1 * i for i in range(len(states))],
                         "params_a": [i % 3 for i in range(len(states))], **extra})


@pytest.mark.parametrize("argv", [
    ["report", "no-such-file.db"],
    ["report", "--study", "nope"],
    ["report", "no-such.csv"],
    ["report", "--layout", "reference", "--study", "nope"],
    ["report", "--pruner", "hyperband:min_resource=1"],
    ["report", "--pruner", "median:n_startup_trials=__import__('os')"],
], ids=["missing-db", "unknown-study", "missing-csv", "layout-and-unknown-study",
        "unknown-pruner", "pruner-value-not-a-number"])
def test_bad_source_is_one_line_exit_2(argv, tmp_path, capsys):
    """Unreadable sources: one line, exit 2, nothing written."""
    status = cli.main([*argv, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert len(err) == 1 and err[0].startswith("hpo-insights: error: ")
    assert "Traceback" not in err[0]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("frame", "argv", "expected"),
    [
        (_rows(), [], "direction"),
        (_rows(states=("FAIL",) * 6, study_direction="maximize"), [],
         "no COMPLETE trial with a finite objective"),
        (_rows(study_direction="maximize").drop(columns="value").assign(
            values_0=[0.1] * 6, values_1=[0.2] * 6), [], "objective"),
    ],
    ids=["csv-without-direction", "only-failed-trials", "two-objectives"],
)
def test_source_that_cannot_be_analysed_is_one_line_exit_2(frame, argv, expected, tmp_path,
                                                           capsys):
    """A source that loads but cannot be analysed fails before the kernel: one line, exit 2."""
    source = _csv(tmp_path, "trials.csv", frame)
    status = cli.main(["report", source, *argv, "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert len(err) == 1 and err[0].startswith("hpo-insights: error: ") and expected in err[0]
    assert "\x1b[" not in err[0]  # no ANSI colour codes
    assert not (tmp_path / "out").exists()


def test_out_naming_a_file_is_one_line_exit_2(tmp_path, capsys):
    """--out naming an existing file is an error, not a traceback."""
    target = tmp_path / "taken"
    target.write_text("keep me")
    status = cli.main(["report", "--out", str(target), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1 and "is a file" in err[0]
    assert target.read_text() == "keep me"


def test_failing_section_is_one_line_exit_2(tmp_path, monkeypatch, capsys):
    """A section failing inside the notebook: one line naming it and the kept notebook."""
    from hpo_insights.report import layouts
    from hpo_insights.report import sections as S

    broken = S.Section("broken", "study", "Broken",
                       (S.Call("variance_explained", kwargs={"params": "nope"}),))
    monkeypatch.setitem(layouts.LAYOUTS, "default", lambda: S.Page((broken,)))
    source = _csv(tmp_path, "trials.csv", _rows(study_direction="maximize"))
    status = cli.main(["report", source, "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1
    assert "section 'study s: broken'" in err[0] and "nope" in err[0]
    kept = re.search(r"kept in (\S+report\.ipynb)", err[0]).group(1)
    assert Path(kept).is_file() and not (tmp_path / "out").exists()
    import shutil

    shutil.rmtree(Path(kept).parent)


def test_export_command(example_report, tmp_path, capsys):
    """hpo-insights export re-exports a report notebook; a missing one is exit 2."""
    out, _ = example_report
    status = cli.main(["export", str(out / "report.ipynb"), "--out", str(tmp_path),
                       "--format", "md"])
    assert status == 0 and (tmp_path / "report.md").stat().st_size > 0
    status = cli.main(["export", str(tmp_path / "missing.ipynb")])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and err[-1].startswith("hpo-insights: error: No such notebook")


def test_bad_format_is_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["report", "--format", "pdf", "--out", str(tmp_path)])
    assert stop.value.code == 2
    assert "--format" in capsys.readouterr().err


def test_module_entry_point_help():
    done = subprocess.run([sys.executable, "-m", "hpo_insights", "report", "--help"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "--study" in done.stdout


def test_optuna_storage_with_several_studies(tmp_path, capsys):
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    for name, budget, direction in (("small", "1M", "minimize"), ("large", "10M", "minimize")):
        study = optuna.create_study(study_name=name, storage=url, direction=direction,
                                    sampler=optuna.samplers.RandomSampler(seed=1))
        study.set_user_attr("budget", budget)
        study.optimize(lambda t: (t.suggest_float("lr", 1e-4, 1e-1, log=True) - 0.01) ** 2
                       + t.suggest_int("layers", 1, 4) * 0.01, n_trials=15)
    out = tmp_path / "out"
    status = cli.main(["report", url, "--out", str(out), "--quiet"])
    assert status == 0, capsys.readouterr().err
    md = (out / "report.md").read_text()
    assert "small" in md and "large" in md and "lr" in md


def test_injected_study_name(tmp_path, capsys):
    pd = pytest.importorskip("pandas")
    name = 'x"); import os; os.system("touch pwned") #'
    rows = [{"study": name, "number": i, "state": "COMPLETE", "value": float(i % 3),
             "params_a": i % 3} for i in range(9)]
    source = tmp_path / "trials.csv"
    pd.DataFrame(rows).to_csv(source, index=False)
    status = cli.main(["report", str(source), "--direction", "maximize", "--format", "md",
                       "--out", str(tmp_path / "out"), "--quiet"])
    assert status == 0, capsys.readouterr().err
    # as a reader sees it: the Markdown rendered (a heading ending in " #" would lose the "#"
    # if it were not escaped), tags stripped, entities decoded
    from nbconvert.filters.markdown import markdown2html

    rendered = markdown2html((tmp_path / "out" / "report.md").read_text())
    assert name in html.unescape(re.sub(r"<[^>]+>", "", rendered))
    assert not list(tmp_path.rglob("pwned"))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (None, "reports/example"),
        ("sqlite:///runs/sweep.db", "reports/sweep"),
        ("postgresql://user:secret@localhost:5432/optuna", "reports/optuna"),
        ("exports/runs.csv", "reports/runs"),
        ("exports/", "reports/exports"),
    ],
)
def test_default_out_is_named_after_the_source(source, expected):
    """Without --out, each source gets its own folder (the example keeps reports/example)."""
    assert cli._default_out(source) == expected


def test_pruner_flag_reaches_the_build(monkeypatch, tmp_path):
    """--pruner SPEC is passed to the report as the plain string (no code is evaluated)."""
    from hpo_insights.report import _build

    seen = {}

    def fake_build(*args, **kwargs):
        seen.update(kwargs)
        return {}

    monkeypatch.setattr(_build, "build", fake_build)
    spec = "median:n_startup_trials=5,n_warmup_steps=1"
    assert cli.main(["report", "--pruner", spec, "--out", str(tmp_path / "o"), "--quiet"]) == 0
    assert seen["pruner"] == spec
