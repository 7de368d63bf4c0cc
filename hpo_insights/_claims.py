"""The rows of :func:`hpo_insights.findings`: one claim each, every column present.

Shared by ``findings`` and the claim families other modules add (``progress``,
``winner``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["COLUMNS", "claim_row"]

#: The columns of :func:`hpo_insights.findings`, in order.
COLUMNS = [
    "study", "param", "claim", "value", "claimed", "effect", "effect_low", "effect_high",
    "p_value", "p_adjusted", "n_trials", "n_pruned", "section", "best_low", "best_high",
    "best_value", "detail", "n_outliers",
]


def claim_row(ctx: Any, study: str, param: str, claim: str, section: str, n_trials: int,
              n_pruned: int, n_out: int) -> dict:
    """A row of :func:`hpo_insights.findings` with every column, nothing claimed yet."""
    return {
        "study": study, "param": param, "claim": claim, "value": None, "claimed": False,
        "effect": np.nan, "effect_low": np.nan, "effect_high": np.nan, "n_trials": n_trials,
        "n_pruned": n_pruned, "section": section, "best_low": np.nan, "best_high": np.nan,
        "best_value": None, "detail": "", "n_outliers": n_out,
    }
