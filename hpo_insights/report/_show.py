"""What the report notebook's cells call to show a result: Markdown out, nothing computed."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import pandas as pd

from hpo_insights import _frame as F
from hpo_insights.report._format import escape
from hpo_insights.report.markdown import to_markdown

__all__ = ["frame_markdown", "metric_name", "param_names", "show", "show_warnings_as_notes",
           "tables_as_markdown"]

def _display(text: str) -> None:
    from IPython.display import Markdown, display

    display(Markdown(text))


def show(result: Any, *, kind: str | None = None, **context: Any) -> None:
    """Display an analysis result as Markdown (a table, a list or a sentence).

    The analysis is recognised from the result's columns
    (:func:`hpo_insights.report.markdown.kind`); *context* passes ``metric=``
    (the objective's name in headers) to the renderer. The reference layout
    has its own: ``hi.report.reference.show``.

    Parameters
    ----------
    result : pandas.DataFrame or ScalingCheck
        What an ``hi`` analysis returned.
    kind : str, optional
        The analysis's name, when the columns do not tell.
    **context
        ``metric=``; ``study=`` shows only that study's rows of a result that
        covers every study (the report's shared analyses).

    Examples
    --------
    >>> import hpo_insights as hi
    >>> t = hi.datasets.example()
    >>> hi.report.show(hi.collapse_summary(t[t["study"] == "transformer-2M"]))  # doctest: +SKIP
    """
    _display(to_markdown(result, kind=kind, **context))


def notes(caught: Sequence[warnings.WarningMessage], seen: set[str]) -> str:
    """Each warning not in *seen* (then added to it) as a ``> Note:`` line ("" if none)."""
    new: list[str] = []
    for w in caught:
        text = " ".join(str(w.message).split())
        if text not in seen:
            seen.add(text)
            new.append(text)
    return "\n".join(f"> Note: {escape(text)}" for text in new)


def show_warnings_as_notes() -> None:
    """From now on, show warnings as ``> Note:`` lines in the notebook (not stderr text).

    Warnings printed to stderr carry file paths and line numbers; as notes they
    read as part of the report, each distinct message once (in the first
    section that meets it).
    """
    seen: set[str] = set()

    def showwarning(message, category, filename, lineno, file=None, line=None):
        text = " ".join(str(message).split())
        if text not in seen:
            seen.add(text)
            _display(f"> Note: {escape(text)}")

    warnings.showwarning = showwarning
    warnings.simplefilter("always")
    # about the notebook's own widgets (tqdm, imported by optuna), not about the trials
    warnings.filterwarnings("ignore", message="IProgress not found")


def metric_name(trials: pd.DataFrame, objective: str | None = None) -> str:
    """The objective's display name: ``study_metric_name`` when recorded, else its column.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> metric_name(hi.datasets.example())
    'AUC'
    """
    col = F.objective_column(trials, objective)
    if col == F.VALUE and "study_metric_name" in trials.columns:
        names = trials["study_metric_name"].dropna().astype(str).unique()
        if len(names) == 1 and names[0].strip():
            return names[0]
    return col.removeprefix(F.VALUES_PREFIX)


def param_names(trials: pd.DataFrame) -> list[str]:
    """The parameter names of a trials frame (without ``params_``), in column order."""
    return F.param_names(trials)


def frame_markdown(frame: pd.DataFrame, *, max_rows: int = 60) -> str:
    """A DataFrame as a Markdown table (values escaped; the index when it says something).

    Examples
    --------
    >>> import pandas as pd
    >>> print(frame_markdown(pd.DataFrame({"a": [1, 2], "b": ["x|y", None]})))
    | a | b |
    |---|---|
    | 1 | x\\|y |
    | 2 | N/A |
    """
    from hpo_insights.report._format import table, value

    shown = frame.head(max_rows)
    named = not isinstance(frame.index, pd.RangeIndex) or frame.index.name is not None
    header = ([escape(frame.index.name or "")] if named else []) + [escape(c) for c in
                                                                    frame.columns]
    rows = [([value(i)] if named else []) + [value(v) for v in r]
            for i, r in zip(shown.index, shown.itertuples(index=False), strict=True)]
    text = table(header, rows)
    if len(frame) > max_rows:
        text += f"\n\n({len(frame) - max_rows} more rows of {len(frame)} not shown.)"
    return text


def tables_as_markdown() -> None:
    """From now on, a DataFrame a cell returns displays as a Markdown table.

    The notebook, the HTML and the Markdown export then show the same table;
    without this, ``report.md`` would hold pandas' raw HTML (with a
    ``<style scoped>`` block). Does nothing outside IPython.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the report extras
        return
    shell = get_ipython()
    if shell is None:
        return
    formatters = shell.display_formatter.formatters
    formatters["text/markdown"].for_type(pd.DataFrame, frame_markdown)
    formatters["text/html"].for_type(pd.DataFrame, lambda frame: None)
