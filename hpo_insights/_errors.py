"""Exceptions and warnings raised by hpo_insights."""

from __future__ import annotations

__all__ = ["TrialsError", "TrialsWarning"]


class TrialsError(ValueError):
    """The trials (or their source) cannot answer the question asked.

    The message names the column, argument or file at fault, says what was
    expected and what was found, and how to fix it.
    """


class TrialsWarning(UserWarning):
    """Valid but degenerate trials: the answer is NaN or rests on fewer trials than given."""
