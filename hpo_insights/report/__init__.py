"""Report making: a notebook per source, run once, saved and exported to HTML and Markdown.

``hi.report.build()`` is what ``hpo-insights report`` runs. The report is a
list of sections (:mod:`hpo_insights.report.sections`: which analysis each
cell calls, with which earlier result, and how it is shown); :func:`notebook`
writes it as cells that each make one library call and show its result with
:func:`show` (tables) or ``hi.plot`` (figures); :func:`render` makes the same
calls in this process and returns the Markdown; :func:`export` turns an
executed notebook into ``report.html`` and ``report.md``. The reference
layout is :mod:`hpo_insights.report.reference`.
"""

from __future__ import annotations

from hpo_insights.report import answers, glossary, reference, sections
from hpo_insights.report._build import (
    ReportError,
    build,
    check_trials,
    load_curves,
    load_trials,
)
from hpo_insights.report._export import export, export_notebook
from hpo_insights.report._notebook import notebook
from hpo_insights.report._run import render
from hpo_insights.report._show import (
    metric_name,
    param_names,
    show,
    show_warnings_as_notes,
    tables_as_markdown,
)
from hpo_insights.report.sections import Call, Page, Ref, Section, Show

__all__ = [
    "answers",
    "glossary",
    "Call",
    "Page",
    "Ref",
    "ReportError",
    "Section",
    "Show",
    "build",
    "check_trials",
    "export",
    "export_notebook",
    "load_curves",
    "load_trials",
    "metric_name",
    "notebook",
    "param_names",
    "reference",
    "render",
    "sections",
    "show",
    "show_warnings_as_notes",
    "tables_as_markdown",
]
