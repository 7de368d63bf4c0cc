"""Command line: ``hpo-insights report [SOURCE] ...`` (also ``python -m hpo_insights``)."""

from __future__ import annotations

import argparse
import re
import signal
import sys
from collections.abc import Sequence

__all__ = ["main"]

_EPILOG = """\
examples:
  hpo-insights report                                  # the bundled example
  hpo-insights report sqlite:///studies.db             # every study in an Optuna storage
  hpo-insights report sqlite:///studies.db --study transformer-2M --out reports/2m
  hpo-insights report runs.csv --objective val_auc --direction maximize --format html
  hpo-insights report --layout reference               # the reference report's layout
  hpo-insights export reports/example/report.ipynb     # re-export a notebook edited and re-run
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hpo-insights",
        description="Turn hyperparameter-search trials into a report (HTML and Markdown).",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    report = commands.add_parser(
        "report",
        help="make a report from trials (default: the bundled example)",
        description="Make a report: load and check the trials, write the report notebook, "
        "run it once and save it as report.ipynb beside report.html and report.md (figures "
        "in report_files/).",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    report.add_argument(
        "source", nargs="?", default=None, metavar="SOURCE",
        help="Optuna storage URL (sqlite:///studies.db, postgresql://...), a .db/.csv/"
        ".parquet/.json file or a folder of them; default: the bundled example",
    )
    report.add_argument(
        "--study", action="append", default=None, metavar="NAME",
        help="report only this study; repeat for several (--study a --study b); "
        "default: every study in SOURCE",
    )
    report.add_argument(
        "--objective", default=None, metavar="COLUMN",
        help="the objective column of a table that does not say which it is "
        "(e.g. --objective val_auc)",
    )
    report.add_argument(
        "--direction", default=None, choices=("maximize", "minimize"),
        help="whether higher or lower is better, for sources that do not record it "
        "(Optuna storages do)",
    )
    report.add_argument(
        "--param", action="append", default=None, metavar="NAME",
        help="a parameter column of a plain table that does not mark its parameters; "
        "repeat for several (--param lr --param dropout)",
    )
    report.add_argument(
        "--pruner", default=None, metavar="SPEC",
        help="the pruner the learning-curve audit replays, e.g. "
        "median:n_startup_trials=5,n_warmup_steps=1 (or percentile:percentile=25, "
        "halving:min_resource=1,reduction_factor=3); default: the standard rule that "
        "reproduces the trials pruned in SOURCE, else Optuna's MedianPruner()",
    )
    report.add_argument(
        "--title", default=None, help='the report title (e.g. --title "Budget sweep, May")',
    )
    report.add_argument(
        "--out", default=None, metavar="DIR",
        help="folder for report.html, report.md and report_files/ (default: "
        "reports/<name of SOURCE>, e.g. reports/studies; reports/example for the example)",
    )
    report.add_argument(
        "--format", default="html,md", metavar="FORMATS",
        help="comma-separated formats to write: html, md (default: html,md; e.g. --format html)",
    )
    report.add_argument(
        "--layout", default="default", choices=("default", "reference"),
        help="default: parameters by importance, intervals as table columns; reference: "
        "the headings and tables of the reference report (default: default)",
    )
    report.add_argument(
        "--quiet", action="store_true", help="no progress messages on stderr",
    )
    export = commands.add_parser(
        "export",
        help="export a report notebook you edited and re-ran to HTML and Markdown",
        description="Export an executed report.ipynb (e.g. after changing a cell in Jupyter "
        "and running it again) to report.html and report.md.",
    )
    export.add_argument("notebook", metavar="NOTEBOOK", help="the executed report.ipynb")
    export.add_argument(
        "--out", default=None, metavar="DIR",
        help="folder to write into (default: the notebook's folder)",
    )
    export.add_argument(
        "--format", default="html,md", metavar="FORMATS",
        help="comma-separated formats to write: html, md (default: html,md)",
    )
    export.add_argument(
        "--execute", action="store_true",
        help="run the notebook first (in a fresh kernel, in its folder), then export it and "
        "save it run; without it a notebook with cells edited or added since its last run "
        "is refused",
    )
    export.add_argument(
        "--keep-active-content", action="store_true",
        help="keep the notebook's scripts, event handlers, javascript: links and "
        "JavaScript outputs in report.html and report.md (default: removed)",
    )
    return parser


def _default_out(source: str | None) -> str:
    """``reports/<stem of the source>``: ``sqlite:///runs/sweep.db`` → ``reports/sweep``."""
    if source is None:
        return "reports/example"
    tail = source.rstrip("/").split("?")[0].rsplit("/", 1)[-1]
    stem = tail.split(".")[0] if tail else ""
    return f"reports/{stem or 'report'}"


# Library messages name Python arguments; on the command line they name the flags.
_FLAGS = [
    (re.compile(r"hi\.load\(\.\.\., (\w+=[^)]*)\)"), r"\1"),
    (re.compile(r" \(or a mapping study -> direction\)"), ""),
    (re.compile(r"\bdirection='(maximize|minimize)'"), r"--direction \1"),
    (re.compile(r"\bdirection=(?=[\s.,;:)]|$)"), "--direction"),
    (re.compile(r"\bobjective='<[^'>]*>'"), "--objective COLUMN"),
    (re.compile(r"\bobjective='([^']*)'"), r"--objective \1"),
    (re.compile(r"\bobjective=(?=[\s.,;:)]|$)"), "--objective COLUMN"),
    (re.compile(r"\bstudies=(\[[^\]]*\])?"), "--study NAME"),
    (re.compile(r"\bexecute=True"), "--execute"),
    (re.compile(r"\bparams=(\[[^\]]*\]|\([^)]*\)|'[^']*')?"), "--param NAME"),
]


def cli_words(message: str) -> str:
    """A library message with Python arguments replaced by the command-line flags.

    Examples
    --------
    >>> cli_words("no 'study_direction' column: pass direction='maximize' or "
    ...           "direction='minimize' (or a mapping study -> direction).")
    "no 'study_direction' column: pass --direction maximize or --direction minimize."
    >>> cli_words("Pass studies= with names from this list; hi.load(..., params=[...]).")
    'Pass --study NAME with names from this list; --param NAME.'
    """
    for pattern, replacement in _FLAGS:
        message = pattern.sub(replacement, message)
    return message


class _Stop(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every ``finally`` cleans up."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Stop()


def _print(text: str, *, err: bool = False) -> None:
    """One line, control characters made visible, on any terminal encoding."""
    from hpo_insights.report._format import terminal

    stream = sys.stderr if err else sys.stdout
    print(terminal(text), file=stream, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success; 2 on a usage error, trials no report can be made of, or
        a section that failed inside the notebook (one line on stderr starting
        ``hpo-insights: error:``).

    Examples
    --------
    >>> main(["report", "missing.db", "--quiet"])
    2
    """
    for stream in (sys.stdout, sys.stderr):  # a non-UTF-8 terminal gets \\u escapes, no error
        if hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a closed or unusual stream: leave it
                pass
    import threading

    handler = None
    if threading.current_thread() is threading.main_thread():
        handler = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return _main(argv)
    except KeyboardInterrupt as stop:
        term = isinstance(stop, _Stop)
        _print(f"hpo-insights: {'terminated (SIGTERM)' if term else 'interrupted (SIGINT)'}: "
               "stopped; no report was written and the previous one is left as it was.",
               err=True)
        return 143 if term else 130
    finally:
        if handler is not None:
            signal.signal(signal.SIGTERM, handler)


def _main(argv: Sequence[str] | None) -> int:
    from hpo_insights._errors import TrialsError

    parser = _parser()
    args = parser.parse_args(argv)
    formats = tuple(f.strip() for f in args.format.split(",") if f.strip())
    bad = [f for f in formats if f not in ("html", "md")]
    if bad or not formats:
        parser.error(f"--format: expected html and/or md separated by commas, got {args.format!r}")

    def fail(error: Exception, status: int = 2) -> int:
        message = cli_words(" ".join(str(error).split()))
        _print(f"hpo-insights: error: {message}", err=True)
        return status

    if args.command == "export":
        from hpo_insights.report._export import export_notebook

        try:
            paths = export_notebook(args.notebook, args.out, formats=formats,
                                    execute=args.execute,
                                    keep_active_content=args.keep_active_content)
        except TrialsError as error:
            return fail(error)
        except OSError as error:
            return fail(error, 1)
        _print("Report written: " + ", ".join(str(p) for p in paths.values()))
        return 0

    from hpo_insights.report._build import build, elapsed_progress

    out = args.out if args.out is not None else _default_out(args.source)
    progress = None if args.quiet else elapsed_progress(
        lambda message: _print(f"hpo-insights: {message}", err=True))
    try:
        paths = build(
            args.source, out, studies=args.study, objective=args.objective,
            direction=args.direction, params=args.param, title=args.title,
            layout=args.layout, pruner=args.pruner, formats=formats, progress=progress,
        )
    except TrialsError as error:
        return fail(error)
    except OSError as error:
        return fail(error, 1)
    _print("Report written: " + ", ".join(str(p) for p in paths.values()))
    return 0
