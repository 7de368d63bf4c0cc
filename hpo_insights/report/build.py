"""Fill the report notebook with parameters, run it with nbclient, export it.

The parameters reach the notebook as data: one injected cell
``PARAMETERS = json.loads(<string literal>)``, never as pasted code, so any
study name, path or title is only ever a string.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hpo_insights import _frame as F
from hpo_insights._errors import TrialsError

__all__ = [
    "TEMPLATE",
    "build",
    "load_trials",
    "show_cross_budget",
    "show_studies",
    "show_study",
    "show_title",
]

TEMPLATE = Path(__file__).with_name("report.ipynb")
PARAMETER_NAMES = ("source", "studies", "objective", "direction", "params", "title", "trials_file")
_PROGRESS = "hpo-insights progress: "


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
    from hpo_insights.io import load

    if trials_file is not None:
        return pd.read_pickle(trials_file)
    if source is None:
        from hpo_insights.datasets import example

        trials = load(example(), direction=direction)
    else:
        trials = load(source, None if isinstance(source, pd.DataFrame) else studies,
                      objective=objective, params=params, direction=direction)
    if studies is not None:
        wanted = [studies] if isinstance(studies, str) else list(studies)
        have = list(pd.unique(trials[F.STUDY]))
        missing = [s for s in wanted if s not in have]
        if missing:
            raise TrialsError(
                f"Unknown study {missing[0]!r} in 'studies': the source holds "
                f"{have}. Pick names from that list (or leave --study out for all)."
            )
        trials = trials[trials[F.STUDY].isin(wanted)].reset_index(drop=True)
    return trials


def _progress(message: str) -> None:
    """Tell :func:`build` (through the kernel's stderr) what is being made."""
    print(_PROGRESS + message, file=sys.stderr, flush=True)


def _show_markdown(text: str) -> None:
    from IPython.display import Markdown, display

    display(Markdown(text))


def _show_figure(fig: Any) -> None:
    import matplotlib.pyplot as plt
    from IPython.display import display

    fig = getattr(fig, "figure", fig)
    display(fig)
    plt.close(fig)


def _escape(text: Any) -> str:
    from html import escape

    return escape(str(text), quote=False)


class _Section:
    """Run one section's calls, turning warnings into notes in the report
    (instead of stderr text, which would carry file paths and raw markup)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> _Section:
        import warnings

        _progress(self.name)
        self._catch = warnings.catch_warnings(record=True)
        self._caught = self._catch.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, kind, error, tb) -> bool:
        self._catch.__exit__(None, None, None)
        seen: list[str] = []
        for w in self._caught:
            text = " ".join(str(w.message).split())
            if text not in seen:
                seen.append(text)
        if seen:
            _show_markdown("\n".join(f"> Note: {_escape(text)}" for text in seen))
        return False


def show_title(trials: pd.DataFrame, title: str | None = None) -> None:
    """Display the report's title and what it covers (a notebook cell helper)."""
    names = list(pd.unique(trials[F.STUDY]))
    title = title or "Hyperparameter search report"
    _show_markdown(
        f"# {_escape(title)}\n\n{len(trials)} trials in {len(names)} "
        f"stud{'y' if len(names) == 1 else 'ies'}: "
        + ", ".join(_escape(n) for n in names)
    )


def show_cross_budget(trials: pd.DataFrame) -> None:
    """Display the cross-budget comparison: text, budget box plot, histories."""
    import hpo_insights as hi
    from hpo_insights.report import markdown as md

    with _Section("cross-budget comparison"):
        _show_markdown(md.cross_budget(trials))
    with _Section("budget comparison figure"):
        _show_figure(hi.plot.compare_budgets(trials))
    with _Section("optimization history"):
        _show_figure(hi.plot.optimization_history(trials))


def show_study(trials: pd.DataFrame, study: str) -> None:
    """Display every section of one study's report, with its figures."""
    import hpo_insights as hi
    from hpo_insights.report import markdown as md

    one = trials[trials[F.STUDY] == study].reset_index(drop=True)
    with _Section(f"study {study}: summary"):
        _show_markdown(md.study_header(trials, study))
        _show_markdown(md.summary(trials, study))
    with _Section(f"study {study}: collapse"):
        _show_markdown(md.collapse(trials, study))
        _show_figure(hi.plot.detect_collapse(one))
    top: list[str] = []
    with _Section(f"study {study}: importance"):
        top = hi.variance_explained(one)["param"].head(2).tolist()
        _show_markdown(md.importance(trials, study))
        _show_figure(hi.plot.variance_explained(one))
    with _Section(f"study {study}: trends"):
        _show_markdown(md.trends(trials, study))
        for param in top:  # the two most important parameters get a figure
            _show_figure(hi.plot.value_table(one, params=param))
    with _Section(f"study {study}: coverage"):
        _show_markdown(md.coverage(trials, study))
        if len(top) == 2:
            _show_figure(hi.plot.coverage_crosstab(one, params=(top[0], top[1])))
    with _Section(f"study {study}: forced extremes"):
        _show_markdown(md.extremes(trials, study))


def show_studies(trials: pd.DataFrame) -> None:
    """Display :func:`show_study` for every study, in order of appearance."""
    for study in pd.unique(trials[F.STUDY]):
        show_study(trials, study)


def _parameters_cell(values: dict[str, Any]) -> Any:
    import nbformat

    literal = repr(json.dumps(values))  # a Python string literal holding JSON: data only
    names = ", ".join(PARAMETER_NAMES)
    keys = ", ".join(repr(k) for k in PARAMETER_NAMES)
    source = (
        "import json\n"
        f"PARAMETERS = json.loads({literal})\n"
        f"{names} = (PARAMETERS[k] for k in ({keys}))"
    )
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = ["injected-parameters", "hide-input"]
    return cell


def _inject(nb: Any, values: dict[str, Any]) -> Any:
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    at = tagged[0] + 1 if tagged else 0
    nb.cells.insert(at, _parameters_cell(values))
    return nb


def _client(nb: Any, cwd: str, timeout: int, progress: Callable[[str], None] | None):
    from nbclient import NotebookClient

    class _Client(NotebookClient):
        def output(self, outs, msg, display_id, cell_index):
            content = msg.get("content", {})
            if msg["msg_type"] == "stream" and _PROGRESS in content.get("text", ""):
                lines = content["text"].splitlines(keepends=True)
                rest = [line for line in lines if not line.startswith(_PROGRESS)]
                if progress is not None:
                    for line in lines:
                        if line.startswith(_PROGRESS):
                            progress(line[len(_PROGRESS):].rstrip("\n"))
                if not rest:
                    return None
                msg = {**msg, "content": {**content, "text": "".join(rest)}}
            return super().output(outs, msg, display_id, cell_index)

    return _Client(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": cwd}})


def build(
    source: Any = None,
    out_dir: str | Path = "reports/example",
    *,
    studies: str | Sequence[str] | None = None,
    objective: str | None = None,
    direction: str | None = None,
    params: Sequence[str] | None = None,
    title: str | None = None,
    formats: Sequence[str] = ("html", "md"),
    progress: Callable[[str], None] | None = None,
    timeout: int = 600,
) -> dict[str, Path]:
    """Make the report: load the trials, run the report notebook, export it.

    The source is read and checked here first, so a missing file or an
    unknown study raises before any kernel starts. The notebook
    (:data:`TEMPLATE`) then runs in a fresh ``python3`` kernel whose working
    directory is a temporary folder, with the parameters injected as JSON
    data, and is exported by :func:`hpo_insights.report.export`.

    Parameters
    ----------
    source : str, path-like, DataFrame or None
        What :func:`hpo_insights.load` reads (``sqlite:///studies.db``, a CSV,
        a folder...); None is the bundled example.
    out_dir : str or path-like
        Folder for ``report.html``, ``report.md`` and ``report_files/``.
    studies : str or sequence of str, optional
        Report only these studies.
    objective, direction, params
        As in :func:`hpo_insights.load` (sources that do not record them).
    title : str, optional
        The report's title.
    formats : sequence of {"html", "md"}
        Which files to write.
    progress : callable, optional
        Called with a short message (which study, which section) as the
        report is made; e.g. ``lambda m: print(m, file=sys.stderr)``.
    timeout : int
        Seconds allowed per notebook cell.

    Returns
    -------
    dict of str to pathlib.Path
        Format → file written, e.g. ``{"html": Path("reports/example/report.html"), ...}``.

    Raises
    ------
    TrialsError
        The source cannot be read or a study is unknown (before running anything).
    ValueError
        An unknown format.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> paths = hi.report.build(out_dir=tmp, formats=("md",))  # doctest: +SKIP
    >>> sorted(paths)  # doctest: +SKIP
    ['md']
    """
    import nbformat

    from hpo_insights.report.export import FORMATS, export

    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"Unknown report format(s) {unknown}: expected some of {list(FORMATS)}.")
    say = progress or (lambda message: None)
    trials = load_trials(source, studies=studies, objective=objective,
                         direction=direction, params=params)
    with tempfile.TemporaryDirectory(prefix="hpo-insights-report-") as work:
        trials_file = str(Path(work) / "trials.pkl")
        trials.to_pickle(trials_file)
        values = {
            "source": None if isinstance(source, pd.DataFrame) or source is None
            else str(source),
            "studies": [studies] if isinstance(studies, str) else
            (list(studies) if studies is not None else None),
            "objective": objective,
            "direction": direction,
            "params": list(params) if params is not None else None,
            "title": title,
            "trials_file": trials_file,
        }
        nb = _inject(nbformat.read(TEMPLATE, as_version=4), values)
        say("starting the notebook kernel")
        _client(nb, work, timeout, progress).execute()
        say("exporting " + ", ".join(formats))
        return export(nb, out_dir, formats=formats, title=title or "Hyperparameter search report")
