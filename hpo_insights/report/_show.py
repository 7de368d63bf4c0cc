"""What the report notebook's cells call to show a result: Markdown out, nothing computed."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import pandas as pd

from hpo_insights import _frame as F
from hpo_insights.report._format import escape, number, value
from hpo_insights.report.markdown import to_markdown

__all__ = ["findings_text", "metric_name", "param_names", "show", "show_findings",
           "show_warnings_as_notes"]

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
        ``metric=``.

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


# --------------------------------------------------------------------------- key findings


def _concat(results: Any) -> pd.DataFrame | None:
    if results is None:
        return None
    if isinstance(results, pd.DataFrame):
        return results
    frames = [r for r in results if r is not None and len(r)]
    return pd.concat(frames, ignore_index=True) if frames else None


def _matters(ve: pd.DataFrame) -> str:
    if "matters" in ve.columns:
        flag = ve["matters"].astype("boolean").fillna(False)
        top = ve[flag.to_numpy(dtype=bool)]
        if top.empty:
            return "no parameter clearly matters"
        lead = "matters: "
    else:
        top = ve.head(3)
        lead = "largest shares: "
    parts = []
    for _, r in top.iterrows():
        text = f"{escape(r['param'])} (share {number(r['share'], 2)}"
        if "ci_low" in ve.columns and pd.notna(r["ci_low"]):
            text += f" [{number(r['ci_low'], 2)}, {number(r['ci_high'], 2)}]"
        if "share_adjusted" in ve.columns and pd.notna(r["share_adjusted"]):
            text += f", adjusted {number(r['share_adjusted'], 2)}"
        parts.append(text + ")")
    return lead + ", ".join(parts)


_QUIET = {"flat", "inconclusive", "unordered"}


def _trends(tr: pd.DataFrame) -> str:
    moving = tr[~tr["trend"].isin(_QUIET)]
    if moving.empty:
        return "no clear trend"
    return "trends: " + ", ".join(
        f"{escape(r['param'])} {escape(r['trend'])} (best {value(r['best_value'])})"
        for _, r in moving.iterrows())


def findings_text(
    *,
    importance: Any = None,
    trends: Any = None,
    collapse: Any = None,
    scaling: Any = None,
    consistency: pd.DataFrame | None = None,
    suggestions: Any = None,
    metric: str = "objective",
) -> None:
    """The report's key findings as Markdown: a few lines per study and across budgets.

    Per study: the parameters that matter (``matters`` when the importance
    result has it, else the three largest shares), the parameters with a
    trend other than flat, and a probability collapse. Across budgets: the
    scaling verdict and the parameters whose best value differs between
    budgets. Every figure comes from the results passed in.

    Parameters
    ----------
    importance, trends, collapse : DataFrame or list of DataFrame, optional
        Results of :func:`~hpo_insights.variance_explained`,
        :func:`~hpo_insights.classify_trend` and
        :func:`~hpo_insights.collapse_summary` (one per study, or concatenated).
    scaling : ScalingCheck, optional
        Result of :func:`~hpo_insights.scaling_check`.
    consistency : DataFrame, optional
        Result of :func:`~hpo_insights.param_consistency`.
    suggestions : DataFrame or list of DataFrame, optional
        Results of ``hi.suggestions``: the parameters whose range to widen
        ("edge" suggestions) are named in their study's line.
    metric : str
        The objective's name.
    """
    ve, tr, cs = _concat(importance), _concat(trends), _concat(collapse)
    sg = _concat(suggestions)
    studies = []
    for frame in (ve, tr, cs):
        if frame is not None and "study" in frame.columns:
            studies += [s for s in pd.unique(frame["study"]) if s not in studies]
    lines = []
    for s in studies:
        bits = []
        if ve is not None:
            one = ve[ve["study"] == s]
            if len(one):
                bits.append(_matters(one))
        if tr is not None:
            one = tr[tr["study"] == s]
            if len(one):
                bits.append(_trends(one))
        if sg is not None and "study" in sg.columns and "kind" in sg.columns:
            edges = sg[(sg["study"] == s) & (sg["kind"] == "edge")]
            if len(edges):
                bits.append("widen the range of " + ", ".join(
                    escape(p) for p in pd.unique(edges["param"])) + " (see What to try next)")
        if cs is not None:
            one = cs[cs["study"] == s]
            if len(one) and one["collapse"].astype("boolean").fillna(False).any():
                r = one.iloc[0]
                bits.append(f"prediction collapse in {r['n_collapsed']} of {r['n_measured']} "
                            "measured trials")
        lines.append(f"- **{escape(s)}**: " + "; ".join(bits) + ".")
    if scaling is not None:
        verdict = getattr(scaling, "verdict", "holds" if scaling.holds else "violated")
        words = {"holds": "holds", "violated": "is violated",
                 "not established": "is not established"}.get(verdict, escape(verdict))
        ranking = " > ".join(escape(x) for x in scaling.ranking)
        lines.append(f"- **Across budgets**: the scaling law {words} "
                     f"(best {escape(metric)}: {ranking}).")
    if consistency is not None and len(consistency):
        if "verdict" in consistency.columns:
            verdict = consistency["verdict"].astype(str)
            bad = consistency[verdict == "inconsistent"]
            open_ = consistency[verdict == "not established"]
        else:
            bad = consistency[~consistency["consistent"].astype(bool)]
            open_ = consistency.iloc[:0]
        if len(bad):
            lines.append("- **The best value differs between budgets** for "
                         + ", ".join(escape(p) for p in bad["param"]) + ".")
        if len(open_):
            lines.append("- Whether the best value differs between budgets is not established "
                         "for " + ", ".join(escape(p) for p in open_["param"]) + ".")
        if not len(bad) and not len(open_):
            lines.append("- **The best values agree across budgets** for every parameter "
                         "checked.")
    return "\n".join(lines) or "No findings: nothing was analysed."


def show_findings(**results: Any) -> None:
    """Display the report's key findings (:func:`findings_text` of the same arguments)."""
    _display(findings_text(**results))
