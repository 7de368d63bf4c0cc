"""Figures: one drawing function per analysis, drawing what the analysis returned.

Each public function takes the result of the compute function of the same
name and draws it; nothing here computes an analysis::

    ve = hi.variance_explained(trials)
    hi.plot.variance_explained(ve)

    vt = hi.value_table(trials, params="dropout")
    hi.plot.value_table(vt, trend=hi.classify_trend(trials, params="dropout"))

Every function accepts ``ax=`` and returns it when the result holds one
panel's worth of data (one study, one parameter). A result holding several
studies (or parameters, for :func:`value_table`) gives a
:class:`matplotlib.figure.Figure` with one panel each; passing ``ax=`` then is
a :class:`~hpo_insights.TrialsError`. Nothing calls ``plt.show()`` or changes
matplotlib's global settings: the theme (seaborn ``whitegrid``, the
colour-blind-safe ``colorblind`` palette) is applied inside a context manager
around each drawing.

One module per analysis family (``importance``, ``trends``, ``coverage``,
``budgets``, ``collapse``, ``summary``, ``curves``), shared machinery in ``_common``. This
package imports matplotlib (seaborn's style is written out, not imported);
``import hpo_insights`` does not import it (``hi.plot`` loads lazily).
"""

from __future__ import annotations

from hpo_insights.plot._common import (  # noqa: F401 (the theme, sizes and label widths)
    DPI,
    LABEL_WIDTH,
    PANEL_SIZE,
    RC,
    SMALL_PANEL,
    TITLE_WIDTH,
)
from hpo_insights.plot.budgets import compare_budgets
from hpo_insights.plot.collapse import detect_collapse
from hpo_insights.plot.coverage import coverage_crosstab
from hpo_insights.plot.curves import fidelity_correlation, pruning_audit, search_progress
from hpo_insights.plot.importance import importance_by_budget, variance_explained
from hpo_insights.plot.summary import optimization_history
from hpo_insights.plot.trends import value_table

__all__ = [
    "compare_budgets",
    "coverage_crosstab",
    "detect_collapse",
    "fidelity_correlation",
    "importance_by_budget",
    "optimization_history",
    "pruning_audit",
    "search_progress",
    "value_table",
    "variance_explained",
]
