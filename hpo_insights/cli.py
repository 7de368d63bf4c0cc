"""Command line: ``hpo-insights report [SOURCE] ...`` (also ``python -m hpo_insights``)."""

from __future__ import annotations

import argparse
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
    return parser


def _default_out(source: str | None) -> str:
    """``reports/<stem of the source>``: ``sqlite:///runs/sweep.db`` → ``reports/sweep``."""
    if source is None:
        return "reports/example"
    tail = source.rstrip("/").split("?")[0].rsplit("/", 1)[-1]
    stem = tail.split(".")[0] if tail else ""
    return f"reports/{stem or 'report'}"


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
    from hpo_insights._errors import TrialsError

    parser = _parser()
    args = parser.parse_args(argv)
    formats = tuple(f.strip() for f in args.format.split(",") if f.strip())
    bad = [f for f in formats if f not in ("html", "md")]
    if bad or not formats:
        parser.error(f"--format: expected html and/or md separated by commas, got {args.format!r}")

    def fail(error: Exception) -> int:
        message = " ".join(str(error).split())
        print(f"hpo-insights: error: {message}", file=sys.stderr)
        return 2

    if args.command == "export":
        from hpo_insights.report._export import export_notebook

        try:
            paths = export_notebook(args.notebook, args.out, formats=formats)
        except TrialsError as error:
            return fail(error)
        print("Report written: " + ", ".join(str(p) for p in paths.values()))
        return 0

    from hpo_insights.report._build import build, elapsed_progress

    out = args.out if args.out is not None else _default_out(args.source)
    progress = None if args.quiet else elapsed_progress(
        lambda message: print(f"hpo-insights: {message}", file=sys.stderr, flush=True))
    try:
        paths = build(
            args.source, out, studies=args.study, objective=args.objective,
            direction=args.direction, title=args.title, layout=args.layout, formats=formats,
            progress=progress,
        )
    except TrialsError as error:
        return fail(error)
    print("Report written: " + ", ".join(str(p) for p in paths.values()))
    return 0
