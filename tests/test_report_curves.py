"""The report's "Search progress" part (always) and "Learning curves" part (with curves)."""

from __future__ import annotations

import numpy as np
import optuna
import pytest

import hpo_insights as hi

optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture
def pruned_storage(tmp_path):
    """A real Optuna SQLite storage: two studies whose trials report curves, median pruner."""
    url = f"sqlite:///{tmp_path / 'curves.db'}"
    for name, seed in (("small", 0), ("large", 1)):
        study = optuna.create_study(study_name=name, storage=url, direction="minimize",
                                    sampler=optuna.samplers.RandomSampler(seed=seed),
                                    pruner=optuna.pruners.MedianPruner(n_startup_trials=3))

        def objective(trial):
            lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
            depth = trial.suggest_int("depth", 1, 4)
            level = (np.log10(lr) + 2.5) ** 2 + 0.1 * depth
            for step in range(10):
                trial.report(level + 1.0 / (1 + step), step)
                if trial.should_prune():
                    raise optuna.TrialPruned()
            return level + 0.1

        study.optimize(objective, n_trials=25)
    return url


def test_render_has_both_parts(pruned_storage):
    """With curves: fidelity, the audit of the pruner identified from the trials pruned in
    the data (a median rule that reproduces all of them) and search progress, per study
    (and the search progress of both studies in one figure, across budgets)."""
    trials = hi.load(pruned_storage)
    curves = hi.load_curves(pruned_storage)
    md = hi.report.render(trials, curves=curves)
    assert md.count("### Learning curves") == 2
    assert md.count("### Search progress") == 2 + 1
    assert "the ranking of trials is settled from step" in md
    assert "replaying `median(startup=" in md
    assert md.count("the standard rule that best reproduces the prune decisions in the data: "
                    "100.0% of the trials") == 2
    assert "Trials pruned in the data" in md


def test_render_audits_the_stated_pruner(pruned_storage):
    """pruner= (a plain spec) is the rule the audit replays; its agreement is reported."""
    trials = hi.load(pruned_storage)
    curves = hi.load_curves(pruned_storage)
    md = hi.report.render(trials, curves=curves, pruner="median:n_startup_trials=3")
    assert md.count("replaying `median(startup=3, warmup=0, interval=1, "
                    "min_trials=1)` (as stated; it reproduces 100.0% of the prune decisions") == 2


def test_no_curves_no_learning_curves_part(example):
    """The bundled example has no curves: only "Search progress" is added (per study, and
    across budgets)."""
    md = hi.report.render(example)
    assert "Learning curves" not in md
    assert md.count("### Search progress") == 3 + 1


def test_notebook_cells_read_the_part_curves(pruned_storage):
    """The notebook loads the curves once and gives each study its own."""
    trials = hi.load(pruned_storage)
    curves = hi.report.load_curves(pruned_storage)
    nb = hi.report.notebook(trials, {}, curves=curves)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "curves = hi.report.load_curves(source, studies=studies)" in code
    assert 'curves_small = curves[curves["study"] == names[0]]' in code
    assert "fidelity_small = hi.fidelity_correlation(curves_small)" in code
    assert ("audit_small = hi.pruning_audit(curves_small, trials=trials_small, rule=pruner)"
            in code)
    # the search progress: per study its numbers, one figure of every study across budgets
    assert "progress_small = hi.search_progress(trials_small)" in code
    assert "hi.plot.search_progress(progress, series='study', metric=metric);" in code
    assert "hi.plot.search_progress(progress_small" not in code


def test_build_renders_both_parts_in_html_and_markdown(pruned_storage, tmp_path):
    """A real report of a storage with curves: both parts in report.md and report.html."""
    paths = hi.report.build(pruned_storage, tmp_path / "out", studies="small",
                            pruner="median:n_startup_trials=3")
    md = paths["md"].read_text(encoding="utf-8")
    html = paths["html"].read_text(encoding="utf-8")
    for text in (md, html):
        assert "Learning curves" in text and "Search progress" in text
        assert "settled from step" in text
        assert "as stated; it reproduces 100.0% of the prune decisions" in text
    assert md.count("![png]") + md.count("![") >= 3  # the figures are there too


def test_report_of_a_relative_path_reads_its_curves(pruned_storage, tmp_path, monkeypatch):
    """`hpo-insights report curves.db` from the storage's folder: the kernel runs in another
    folder, so the source it re-reads the curves from is made absolute (it failed with
    "'NoneType' object is not subscriptable" in the study's first section)."""
    from hpo_insights import cli
    from hpo_insights.report._build import _source_value

    monkeypatch.chdir(tmp_path)
    assert cli.main(["report", "curves.db", "--out", "out", "--study", "small",
                     "--quiet"]) == 0
    assert "Learning curves" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert _source_value("sqlite:///curves.db") == f"sqlite:///{tmp_path / 'curves.db'}"
    assert _source_value("sqlite:///missing.db") == "sqlite:///missing.db"
    assert _source_value(None) is None
