"""Per-fold scores: one row per (trial, fold), the repeated measurements behind each mean.

:func:`load_folds` reads them from the sources that record them: a fitted
scikit-learn search, its ``cv_results_`` dict, ``pd.DataFrame(cv_results_)`` or
its CSV (``split<k>_test_<scorer>``). :func:`hpo_insights.compare_top` takes the
result.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hpo_insights._errors import TrialsError
from hpo_insights.io import sklearn
from hpo_insights.io.files import TABLE_SUFFIXES, flatten_columns, read_table

__all__ = ["FOLD_COLUMNS", "load_folds"]

FOLD_COLUMNS = sklearn.FOLD_COLUMNS


def load_folds(
    source: Any,
    *,
    studies: str | Sequence[str] | None = None,
    objective: str | None = None,
) -> pd.DataFrame:
    """Per-fold test scores of every trial, in long form.

    Parameters
    ----------
    source : *SearchCV, dict, pandas.DataFrame, str or path-like
        A fitted scikit-learn search, its ``cv_results_`` dict,
        ``pd.DataFrame(search.cv_results_)`` or the CSV/Parquet/JSON file of it.
    studies : str or sequence of str, optional
        As for :func:`hpo_insights.load`: the study's name for one search (default
        ``"search"``; a file: its stem), the iterations (``iter0``, ...) to keep
        for a successive-halving search.
    objective : str, optional
        The scorer whose folds to read (default: the refit scorer, or the only one).

    Returns
    -------
    pandas.DataFrame
        Columns ``study, number, state, fold, value, study_direction``:
        ``study`` and ``number`` as in :func:`hpo_insights.load` (so the rows
        join the trials frame), ``state`` the trial's state (``FAIL`` when its
        score is NaN), ``fold`` the split index ``k`` of ``split<k>_test_<scorer>``, ``value`` that
        fold's test score, ``study_direction`` ``"maximize"`` (scikit-learn's
        scores are greater-is-better). Sorted by study, number, fold.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> import hpo_insights as hi
    >>> X, y = make_classification(n_samples=60, random_state=0)
    >>> search = GridSearchCV(DecisionTreeClassifier(random_state=0),
    ...                       {"max_depth": [1, 2]}, cv=3).fit(X, y)
    >>> folds = hi.load_folds(search)
    >>> folds.shape, list(folds.columns)
    ((6, 6), ['study', 'number', 'state', 'fold', 'value', 'study_direction'])
    >>> bool((folds.groupby("number")["value"].mean().to_numpy()
    ...       == search.cv_results_["mean_test_score"]).all())
    True
    """
    if isinstance(source, (str, os.PathLike)):
        path = Path(os.fspath(source))
        if not path.is_file() or path.suffix.lower() not in TABLE_SUFFIXES:
            raise TrialsError(
                f"Cannot read folds from {os.fspath(source)!r}: expected a "
                f"{', '.join(TABLE_SUFFIXES)} file of a scikit-learn cv_results_ table."
            )
        table = flatten_columns(read_table(path))
        if not sklearn.is_cv_results_table(table.columns):
            raise TrialsError(
                f"{str(path)!r} holds no per-fold scores: expected scikit-learn's cv_results_ "
                "columns (params, split<k>_test_<scorer>, mean_test_<scorer>)."
            )
        name = studies if isinstance(studies, str) else path.stem
        halving = "iter" in table.columns and "n_resources" in table.columns
        return sklearn.sklearn_folds(table, studies=studies if halving else name,
                                     objective=objective)
    if isinstance(source, pd.DataFrame) or sklearn.is_search(source) or \
            sklearn.is_cv_results(source):
        return sklearn.sklearn_folds(source, studies=studies, objective=objective)
    raise TypeError(
        "load_folds takes a fitted scikit-learn search, its cv_results_ (dict or DataFrame) "
        f"or a file of it, got {type(source).__name__} instead."
    )
