"""Make the report: check the trials, write the notebook, run it once, save and export it.

The parameters reach the notebook as data: one cell
``PARAMETERS = json.loads(<string literal>)``, never as pasted code, so any
study name, path or title is only ever a string.
"""

from __future__ import annotations

import copy
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hpo_insights import _frame as F
from hpo_insights._errors import TrialsError
from hpo_insights.report._kernel import (
    ReportError,
    drawing_failure,
    failure,
    notebook_client,
    run_client,
)

__all__ = ["ReportError", "build", "check_trials", "load_curves", "load_trials"]

_TRIALS_FILE = "report_trials.pkl"  # the same name as report._output.TRIALS_FILE


def load_trials(
    source: Any = None,
    *,
    studies: str | Sequence[str] | None = None,
    objective: str | None = None,
    direction: str | None = None,
    params: Sequence[str] | None = None,
    trials_file: str | None = None,
) -> pd.DataFrame:
    """The trials a report is about: the bundled example by default.

    Parameters
    ----------
    source : str, path-like, DataFrame or None
        Anything :func:`hpo_insights.load` reads; None is the bundled example
        (:func:`hpo_insights.datasets.example`).
    studies : str or sequence of str, optional
        Keep only these studies (an unknown name is a :class:`TrialsError`).
    objective, direction, params
        Passed to :func:`hpo_insights.load`.
    trials_file : str, optional
        A pickled trials frame written by :func:`build`; when given, ``source``
        is not read again.

    Returns
    -------
    pandas.DataFrame
        The trials frame.

    Raises
    ------
    TrialsError
        The source cannot be read, or a study named in ``studies`` is not in it.

    Examples
    --------
    >>> from hpo_insights.report import load_trials
    >>> load_trials(studies="transformer-2M")["study"].unique().tolist()
    ['transformer-2M']
    """
    from hpo_insights import load

    if trials_file is not None:
        return pd.read_pickle(trials_file)
    if source is None:
        from hpo_insights.datasets import example

        trials = load(example(), direction=direction)
    else:
        trials = load(source, studies=None if isinstance(source, pd.DataFrame) else studies,
                      objective=objective, params=params, direction=direction)
    if studies is not None:
        wanted = [studies] if isinstance(studies, str) else list(studies)
        have = list(pd.unique(trials[F.STUDY]))
        missing = [s for s in wanted if s not in have]
        if missing:
            raise TrialsError(
                f"Unknown study {missing[0]!r} (studies=): the source holds {have}. Pick "
                "names from that list, or pass no studies= for all."
            )
        trials = trials[trials[F.STUDY].isin(wanted)].reset_index(drop=True)
    return trials


def load_curves(source: Any = None, *,
                studies: str | Sequence[str] | None = None) -> pd.DataFrame | None:
    """The learning curves of a report's source, or None when it has none.

    :func:`hpo_insights.load_curves` of *source* (an Optuna storage or
    journal, an MLflow store, a Ray Tune folder, a scikit-learn halving
    search...). None for the bundled example, a DataFrame, a source without a
    curve reader, or one in which no trial reported an intermediate value: the
    report then has no "Learning curves" section.

    Examples
    --------
    >>> from hpo_insights.report import load_curves
    >>> load_curves(None) is None
    True
    """
    from hpo_insights import load_curves as read

    if source is None or isinstance(source, pd.DataFrame):
        return None
    try:
        curves = read(source, studies=studies)
    except TrialsError:
        return None
    return curves if len(curves) else None


def check_trials(trials: pd.DataFrame) -> None:
    """Raise a one-line :class:`TrialsError` for trials no report can be made of.

    Checked before any kernel starts: one objective (a multi-objective study
    needs ``objective=``), a direction for every study, at least one
    parameter, and at least one COMPLETE trial with a finite objective in
    every study.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"study": "a", "number": [0], "state": ["FAIL"], "value": [None],
    ...                   "params_x": [1], "study_direction": "maximize"})
    >>> check_trials(t)
    Traceback (most recent call last):
    ...
    hpo_insights._errors.TrialsError: Study 'a' has no COMPLETE trial with a finite objective ...
    """
    F.check_frame(trials)
    if trials.empty:
        raise TrialsError("The source holds no trials: there is nothing to report on.")
    col = F.objective_column(trials)
    F.directions(trials, None, by=F.STUDY)
    import numpy as np

    names = F.param_names(trials)
    if not names:
        raise TrialsError(
            "The trials have no parameter column (params_<name>): no study records a "
            "suggested value (Optuna storages), and a table's parameter columns are named "
            "params_<name>, config/<name> or params.<name>. Name the parameter columns of a "
            "plain table with params=[...], or report on studies whose trials suggested "
            "parameters (studies=[...])."
        )
    has_param = trials[[F.PARAM_PREFIX + n for n in names]].notna().any(axis=1)
    with_params = has_param.groupby(trials[F.STUDY].to_numpy(), sort=False).any()
    bare = [str(s) for s, ok in with_params.items() if not ok]
    if bare:
        others = [str(s) for s, ok in with_params.items() if ok]
        raise TrialsError(
            f"Study {bare[0]!r} has no parameters: none of its trials records a suggested "
            "value, so there is nothing to say about its parameters. Leave it out: pass "
            "studies=[...] naming the others"
            + (f" (e.g. {others[0]!r})." if others else ".")
        )
    y = F.numeric_objective(trials, col).to_numpy(dtype=float)

    ok = (trials[F.STATE] == "COMPLETE").to_numpy() & np.isfinite(y)
    counted = pd.Series(ok).groupby(trials[F.STUDY].to_numpy(), sort=False).sum()
    empty = [str(s) for s, n in counted.items() if n == 0]
    if empty:
        states = trials.loc[trials[F.STUDY] == empty[0], F.STATE].value_counts()
        seen = ", ".join(f"{n} {s}" for s, n in states.items())
        raise TrialsError(
            f"Study {empty[0]!r} has no COMPLETE trial with a finite objective ({seen}): "
            "leave it out (pass studies=[...] naming the others) or report on it once trials "
            "completed."
        )


def _source_value(source: Any) -> str | None:
    """The source as the notebook's parameter: a relative file or ``sqlite:///`` path made
    absolute, since the notebook runs in another folder (the report's kernel in a temporary
    one, Jupyter in the report's)."""
    if source is None or isinstance(source, pd.DataFrame):
        return None
    text = str(source)
    prefix = "sqlite:///"
    if text.startswith(prefix) and not text.startswith(prefix + "/"):
        path = Path(text[len(prefix):])
        return prefix + str(path.resolve()) if path.exists() else text
    if "://" not in text and Path(text).exists():
        return str(Path(text).resolve())
    return text


def _rerun_values(values: dict[str, Any], source: Any, out: Path, trials_file: str) -> dict:
    """The parameters of the saved notebook: re-read the source, or the saved trials."""
    saved = dict(values)
    if isinstance(source, pd.DataFrame):
        shutil.copyfile(trials_file, out / _TRIALS_FILE)
        saved["trials_file"] = _TRIALS_FILE  # relative: Jupyter runs a notebook in its folder
        return saved
    saved["trials_file"] = None
    return saved


def build(
    source: Any = None,
    out_dir: str | Path = "reports/example",
    *,
    studies: str | Sequence[str] | None = None,
    objective: str | None = None,
    direction: str | None = None,
    params: Sequence[str] | None = None,
    title: str | None = None,
    layout: str = "default",
    pruner: str | None = None,
    formats: Sequence[str] = ("html", "md"),
    progress: Callable[[str], None] | None = None,
    timeout: int = 600,
) -> dict[str, Path]:
    """Make the report: check the trials, run the report notebook once, save and export it.

    The source is read and checked here first (:func:`check_trials`), so a
    missing file, an unknown study, a study without completed trials or an
    objective that cannot be told raises before any kernel starts. The
    notebook (:func:`hpo_insights.report.notebook`) then runs in a fresh
    ``python3`` kernel in a temporary folder; only when every cell succeeded
    is anything written to *out_dir*: ``report.ipynb`` (executed, re-runnable
    in Jupyter), then ``report.html`` and ``report.md``
    (:func:`hpo_insights.report.export`).

    Parameters
    ----------
    source : str, path-like, DataFrame or None
        What :func:`hpo_insights.load` reads (``sqlite:///studies.db``, a CSV,
        a folder...); None is the bundled example.
    out_dir : str or path-like
        Folder for ``report.ipynb``, ``report.html``, ``report.md`` and
        ``report_files/`` (a DataFrame source also gets ``report_trials.pkl``,
        which the saved notebook reads).
    studies : str or sequence of str, optional
        Report only these studies.
    objective, direction, params
        As in :func:`hpo_insights.load` (sources that do not record them).
    title : str, optional
        The report's title.
    layout : {"default", "reference"}
        ``"default"``: parameters by importance, intervals as columns;
        ``"reference"``: the reference report's headings and tables.
    pruner : str, optional
        The pruner the "Learning curves" audit replays, as a plain spec
        (:func:`hpo_insights.pruning.parse_rule`, e.g.
        ``"median:n_startup_trials=5,n_warmup_steps=1"``); None: the standard
        rule that reproduces the prune decisions in the data
        (:func:`hpo_insights.identify_pruner`), else ``MedianPruner()``.
    formats : sequence of {"html", "md"}
        Which exports to write beside ``report.ipynb``.
    progress : callable, optional
        Called with a short message (which study, which section) as the
        report is made; e.g. ``lambda m: print(m, file=sys.stderr)``.
    timeout : int
        Seconds allowed per notebook cell.

    Returns
    -------
    dict of str to pathlib.Path
        ``{"ipynb": ..., "html": ..., "md": ...}`` (the formats asked for).

    Raises
    ------
    TrialsError
        The source cannot be read, a study is unknown or has no completed
        trial, the objective or a direction cannot be told, *out_dir* cannot
        hold a report (empty, a file, under a file, a dangling symlink, not
        writable, too long): all before any kernel starts.
    ReportError
        A section failed inside the notebook, or one of its figures failed to
        draw: the message names the section and the cause, and the executed
        notebook is kept in a temporary folder named in the message. Nothing
        is written to *out_dir*: files are written into a hidden folder inside
        it and moved into place at the end, so a failed or interrupted
        (``KeyboardInterrupt``) build leaves the previous report as it was.
    ValueError
        An unknown format or layout.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> paths = hi.report.build(out_dir=tmp, formats=("md",))  # doctest: +SKIP
    >>> sorted(paths)  # doctest: +SKIP
    ['ipynb', 'md']
    """
    from hpo_insights.report import _output
    from hpo_insights.report._export import FORMATS, Exporters, write_exports
    from hpo_insights.report._notebook import notebook
    from hpo_insights.report.layouts import layout_page

    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"Unknown report format(s) {unknown}: expected some of {list(FORMATS)}.")
    layout_page(layout)
    if pruner is not None:
        from hpo_insights.pruning import parse_rule

        parse_rule(pruner)  # a bad spec fails here, before any kernel starts
    out = _output.check_out(out_dir)
    say = progress or (lambda message: None)
    trials = load_trials(source, studies=studies, objective=objective,
                         direction=direction, params=params)
    check_trials(trials)
    stage, created = _output.staging(out)  # proves the folder writable, before any kernel
    work: Path | None = None
    exporters = Exporters(formats)
    keep_work = done = False
    try:
        work = Path(tempfile.mkdtemp(prefix="hpo-insights-report-"))
        trials_file = str(work / _TRIALS_FILE)
        trials.to_pickle(trials_file)
        values = {
            "source": _source_value(source),
            "studies": [studies] if isinstance(studies, str) else
            (list(studies) if studies is not None else None),
            "objective": objective,
            "direction": direction,
            "params": list(params) if params is not None else None,
            "title": title,
            "trials_file": trials_file,
            "pruner": pruner,
        }
        curves = load_curves(values["source"], studies=values["studies"])
        nb = notebook(trials, values, layout=layout, title=title, curves=curves)
        say("starting the notebook kernel")
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

        client = notebook_client(nb, str(work), timeout, say)
        # The kernel's own log (e.g. "running over TCP without encryption", printed by every
        # local kernel) goes to a file beside the notebook, not to the terminal; cell output
        # is unaffected.
        log = open(work / "kernel.log", "w", encoding="utf-8")  # closed in the finally below
        # nbconvert's import, the exporters and their templates, and the Markdown cells'
        # HTML are made in a thread while the kernel runs (the parent only waits on it)
        exporters.start(nb.cells)
        try:
            run_client(client, stderr=log)
            failed = drawing_failure(nb)
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
            section, cause = failure(nb, error)
            if not isinstance(error, CellExecutionError):
                section = client.state_section or section
                cause = ("no answer within the time allowed per cell (timeout="
                         f"{timeout} s)" if isinstance(error, CellTimeoutError)
                         else "the notebook kernel died")
            failed = section, cause
        finally:
            log.close()
        import nbformat

        if failed is not None:
            kept = work / "report.ipynb"
            nbformat.write(nb, kept)
            Path(trials_file).unlink()
            keep_work = True
            section, cause = failed
            raise ReportError(
                f"The report failed in section '{section}': {cause}. Nothing was written to "
                f"{str(out)!r}; the executed notebook is kept in {kept}.",
                section=section, notebook=kept) from None
        saved = copy.deepcopy(nb)
        rerun = _rerun_values(values, source, stage, trials_file)
        from hpo_insights.report._notebook import parameters_source

        for cell in saved.cells:
            if "parameters" in cell.metadata.get("tags", []):
                cell.source = parameters_source(rerun)
        from hpo_insights.report._export import mark_run

        mark_run(saved)
        # validated when made (hpo_insights.report.notebook) and filled by nbclient's own
        # output nodes: nbformat.write would validate it again (0.2 s at 30 studies)
        (stage / "report.ipynb").write_text(nbformat.v4.writes(saved) + "\n", encoding="utf-8")
        say("exporting " + ", ".join(formats))
        written = write_exports(saved, stage, formats=formats,
                                title=title or "Hyperparameter search report",
                                exporters=exporters)
        _output.commit(stage, out)
        done = True
        return {"ipynb": out / "report.ipynb", **{k: out / p.name for k, p in written.items()}}
    finally:
        exporters.cancel()  # a failed or interrupted run leaves no thread behind
        shutil.rmtree(stage, ignore_errors=True)
        if work is not None and not keep_work:
            shutil.rmtree(work, ignore_errors=True)
        if not done:
            _output.remove_created(created)


def elapsed_progress(write: Callable[[str], None]) -> Callable[[str], None]:
    """A progress callback that prefixes each message with the seconds since it was made."""
    start = time.perf_counter()

    def progress(message: str) -> None:
        write(f"[{time.perf_counter() - start:5.1f} s] {message}")

    return progress
