"""Report making: fill the report notebook, run it, export HTML and Markdown.

``hi.report.build()`` is what ``hpo-insights report`` runs; the ``show_*``
helpers are what the report notebook's cells call (one call per section).
"""

from __future__ import annotations

from hpo_insights.report.build import (
    TEMPLATE,
    build,
    load_trials,
    show_cross_budget,
    show_studies,
    show_study,
    show_title,
)
from hpo_insights.report.export import export

__all__ = [
    "TEMPLATE",
    "build",
    "export",
    "load_trials",
    "show_cross_budget",
    "show_studies",
    "show_study",
    "show_title",
]
