"""Report making: a notebook per source, run once, saved and exported to HTML and Markdown.

``hi.report.build()`` is what ``hpo-insights report`` runs. The report
notebook's cells each make one library call and show its result with
:func:`show` (tables) or ``hi.plot`` (figures); :func:`notebook` writes it
from :data:`SECTIONS`, the ordered list of sections, and :func:`export`
turns an executed notebook into ``report.html`` and ``report.md``.
"""

from __future__ import annotations

from hpo_insights.report._build import ReportError, build, check_trials, load_trials
from hpo_insights.report._export import export, export_notebook
from hpo_insights.report._notebook import SECTIONS, Section, notebook
from hpo_insights.report._show import (
    metric_name,
    param_names,
    show,
    show_findings,
    show_warnings_as_notes,
)

__all__ = [
    "SECTIONS",
    "ReportError",
    "Section",
    "build",
    "check_trials",
    "export",
    "export_notebook",
    "load_trials",
    "metric_name",
    "notebook",
    "param_names",
    "show",
    "show_findings",
    "show_warnings_as_notes",
]
