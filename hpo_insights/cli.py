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
        description="Make a report: load the trials, run the report notebook, write "
        "report.html and report.md (with its figures in report_files/).",
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
        "--quiet", action="store_true", help="no progress messages on stderr",
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
        0 on success, 2 on a usage error or unreadable trials (one line on
        stderr starting ``hpo-insights: error:``).

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

    from hpo_insights.report.build import build

    out = args.out if args.out is not None else _default_out(args.source)

    def progress(message: str) -> None:
        print(f"hpo-insights: {message}", file=sys.stderr, flush=True)

    try:
        paths = build(
            args.source, out, studies=args.study, objective=args.objective,
            direction=args.direction, title=args.title, formats=formats,
            progress=None if args.quiet else progress,
        )
    except TrialsError as error:
        message = " ".join(str(error).split())
        print(f"hpo-insights: error: {message}", file=sys.stderr)
        return 2
    print("Report written: " + ", ".join(str(p) for p in paths.values()))
    return 0
