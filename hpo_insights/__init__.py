"""hpo_insights: trustworthy conclusions from the trials of hyperparameter searches.

Pure functions over a *trials frame* (one row per trial, Optuna's
``trials_dataframe()`` convention plus a ``study`` column; see
``docs/trials-frame.md``)::

    import hpo_insights as hi
    trials = hi.load("sqlite:///studies.db")        # or hi.datasets.example()
    hi.variance_explained(trials)

Drawing (``hi.plot``), report making (``hi.report``) and the bundled example
(``hi.datasets``) load lazily, so ``import hpo_insights`` imports only pandas
and numpy.
"""

from __future__ import annotations

from hpo_insights._errors import TrialsError, TrialsWarning
from hpo_insights.association import sampling_association
from hpo_insights.budgets import (
    collapse_by_budget,
    compare_budgets,
    param_consistency,
    scaling_check,
)
from hpo_insights.collapse import collapse_summary, detect_collapse
from hpo_insights.coverage import coverage_crosstab
from hpo_insights.curve_claims import curve_findings
from hpo_insights.extremes import forced_extremes
from hpo_insights.fidelity import budget_correlation, fidelity_correlation
from hpo_insights.findings import findings
from hpo_insights.importance import variance_explained
from hpo_insights.importance_budgets import BudgetImportance, importance_by_budget
from hpo_insights.importance_space import search_space_importance
from hpo_insights.io import from_optuna, load, load_curves, load_folds
from hpo_insights.progress import SearchProgress, search_progress
from hpo_insights.pruning import PruningAudit, identify_pruner, pruning_audit
from hpo_insights.suggestions import suggestions
from hpo_insights.summary import best_trial, optimization_history, summarize
from hpo_insights.trends import classify_trend, value_table
from hpo_insights.validation import validate
from hpo_insights.winner import compare_top

__version__ = "0.2.0"

__all__ = [
    "BudgetImportance",
    "PruningAudit",
    "SearchProgress",
    "TrialsError",
    "TrialsWarning",
    "best_trial",
    "budget_correlation",
    "classify_trend",
    "collapse_by_budget",
    "collapse_summary",
    "compare_budgets",
    "compare_top",
    "coverage_crosstab",
    "curve_findings",
    "detect_collapse",
    "fidelity_correlation",
    "findings",
    "forced_extremes",
    "from_optuna",
    "identify_pruner",
    "importance_by_budget",
    "load",
    "load_curves",
    "load_folds",
    "optimization_history",
    "param_consistency",
    "pruning_audit",
    "sampling_association",
    "scaling_check",
    "search_progress",
    "search_space_importance",
    "suggestions",
    "summarize",
    "validate",
    "value_table",
    "variance_explained",
]

_LAZY = {"plot", "report", "datasets"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f"hpo_insights.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'hpo_insights' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | _LAZY)
