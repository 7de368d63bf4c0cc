"""Budget labels: which column holds them, the size each stands for, their order.

A *budget* is a label such as ``"2M"`` or ``"1.5B"``, read by default from
``study_user_attrs_budget`` (else the study name). The cross-budget analyses
(``hpo_insights.budgets``, ``importance_by_budget``, ``findings``) resolve and order
budgets here, so they agree on which trials belong to which budget.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from hpo_insights import _frame
from hpo_insights._errors import TrialsError

__all__ = ["budget_column", "budget_order", "parse_size"]

_SUFFIX = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12}
_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([kmbgt]?)\s*$", re.IGNORECASE)


def parse_size(label: object) -> float:
    """The size a budget label stands for: ``"1.5B"`` → 1.5e9, NaN when unparseable.

    Suffixes (case-insensitive): K = 1e3, M = 1e6, B or G = 1e9, T = 1e12;
    plain numbers are read as they are.

    Examples
    --------
    >>> from hpo_insights.budgets import parse_size
    >>> parse_size("1.5B"), parse_size("20m"), parse_size("500K"), parse_size(64)
    (1500000000.0, 20000000.0, 500000.0, 64.0)
    >>> parse_size("large")
    nan
    """
    if isinstance(label, bool):
        return float("nan")
    if isinstance(label, (int, float, np.integer, np.floating)):
        return float(label)
    if not isinstance(label, str):
        return float("nan")
    m = _SIZE.match(label)
    if m is None:
        return float("nan")
    return float(m.group(1)) * _SUFFIX[m.group(2).lower()]


def budget_order(labels: Iterable[object]) -> list[object]:
    """Distinct budget labels, smallest size first.

    Labels that :func:`parse_size` can read are sorted by size (ties keep
    order of appearance); unparseable ones follow, in order of appearance.

    Examples
    --------
    >>> from hpo_insights.budgets import budget_order
    >>> budget_order(["200M", "2M", "1.5B", "large", "20M", "2M"])
    ['2M', '20M', '200M', '1.5B', 'large']
    """
    uniq = list(dict.fromkeys(labels))
    sizes = np.array([parse_size(x) for x in uniq], dtype=float)
    ok = np.isfinite(sizes)
    idx = np.arange(len(uniq))
    first = idx[ok][np.argsort(sizes[ok], kind="stable")]
    return [uniq[i] for i in [*first, *idx[~ok]]]


AUTO = "auto"  # budget=: find the column (the budget attribute, else the study)


def budget_column(trials: pd.DataFrame, budget: str) -> str:
    """The column holding budget labels: *budget*; ``"auto"``: the budget attribute, else ``study``.

    Every trial needs a label: a budget attribute set on only some studies is
    an error naming the studies without one.
    """
    if not isinstance(budget, str):
        raise TypeError(
            f"budget must be a column name (str) or 'auto', got {type(budget).__name__} instead."
        )
    if budget == AUTO:
        col = _frame.BUDGET if _frame.BUDGET in trials.columns else _frame.STUDY
    else:
        col = _frame.group_column(trials, budget)
    missing = trials[col].isna().to_numpy()
    if missing.any():
        names = list(pd.unique(trials[_frame.STUDY].to_numpy()[missing]))
        raise TrialsError(
            f"{int(missing.sum())} trials have no budget label in {col!r}: studies "
            f"{', '.join(repr(n) for n in names[:10])}{' ...' if len(names) > 10 else ''}. "
            "Set the budget on every study (study.set_user_attr('budget', '2M')), leave those "
            "studies out with studies=[...], or pass budget='study' to use study names."
        )
    return col
