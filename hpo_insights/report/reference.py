"""The reference layout: the headings, lists, ``#``-bar chart and tables of the reference report.

``hpo-insights report --layout reference`` (``layout="reference"``) reproduces
the report users know (``tests/data/reference-report.md``): its own section
list (:data:`PAGE`) and its own renderers here; every result this module does
not render differently is shown as in the default layout
(:mod:`hpo_insights.report.markdown`). The reference's parameter order,
abbreviations, coverage pairs and its sentence under a violated scaling law
are the settings below, not code.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import pandas as pd

from hpo_insights import _frame as F
from hpo_insights.report import markdown as md
from hpo_insights.report._format import escape, importance_line, mapping, number, table, value
from hpo_insights.report.sections import (
    KEY_FINDINGS,
    METRIC,
    Call,
    Page,
    Ref,
    Section,
    Show,
    two_params,
)

__all__ = ["BEST_PARAMS", "PAGE", "PAIRS", "PARAM_ORDER", "SHORT", "VIOLATED_NOTE", "show",
           "to_markdown"]

PARAM_ORDER = ("d_model", "n_layers", "n_heads", "learning_rate", "dropout", "weight_decay")
"""Parameters shown first in the trend blocks, in this order (then the others by importance)."""
SHORT = {"learning_rate": "LR", "weight_decay": "WD"}
"""Short names of parameters in table headers."""
BEST_PARAMS = ("d_model", "n_layers", "learning_rate", "dropout", "weight_decay")
"""Parameters of the "Best Results by Budget" table (the others follow in a second table)."""
PAIRS = (("d_model", "n_layers"), ("d_model", "n_heads"), ("learning_rate", "dropout"))
"""Coverage matrices to show (without these parameters: the first three pairs)."""
VIOLATED_NOTE = ("This suggests larger models may be overfitting or need different "
                 "regularization.")
"""The sentence under a violated scaling law."""


def _bare(column: str) -> str:
    return column.removeprefix(F.PARAM_PREFIX)


# --------------------------------------------------------------------------- renderers


def summarize(result: pd.DataFrame, *, metric: str = "objective") -> str:
    """The reference's summary list: total trials, best, mean and std."""
    m = escape(metric)
    r = result.iloc[0]
    return "\n".join([
        f"- Total trials: {r['n_trials']}",
        f"- Best {m}: {number(r['best'])}",
        f"- Mean {m}: {number(r['mean'])}",
        f"- Std {m}: {number(r['std'])}",
    ])


def best_trial(result: pd.DataFrame, *, metric: str = "objective") -> str:
    """The reference's "Best Configuration" list."""
    if result.empty:
        return "No completed trial."
    b = result.iloc[0]
    pcols = [c for c in md.param_cols(result) if pd.notna(b[c])] or md.param_cols(result)
    lines = [f"  - {escape(_bare(c))}: {value(b[c])}" for c in pcols]
    return "**Best Configuration:**\n" + "\n".join(lines)


def variance_explained(result: pd.DataFrame, *, metric: str = "objective") -> str:
    """The reference's ``#``-bar chart of the shares (fenced, so HTML keeps its lines)."""
    chart = "\n".join(importance_line(r["param"], r["share"]) for _, r in result.iterrows())
    n = int(result["n_trials"].max()) if len(result) else 0
    return "\n\n".join([
        f"(Fraction of {escape(metric)} variance explained by each parameter)",
        f"```text\n{chart}\n```",
        "Shares are exact eta^2 (between-value sum of squares over total) "
        f"on {n} completed trials; parameters that vary together share variance, "
        "so they need not add up to 1.",
    ])


def value_table(result: pd.DataFrame, *, metric: str = "objective",
                trend: pd.DataFrame | None = None) -> str:
    """Per parameter the reference's ``###`` block: trend, best and worst value, the table,
    then the intervals in a sentence."""
    m = escape(metric)
    params = list(pd.unique(result["param"]))
    first = [p for p in PARAM_ORDER if p in params]
    params = first + [p for p in params if p not in first]
    trends = {} if trend is None else {r["param"]: r for _, r in trend.iterrows()}
    out = []
    for param in params:
        vt = result[result["param"] == param]
        t = trends.get(param)
        block = [f"### {escape(param)}"]
        if t is not None:
            block.append("\n".join([
                f"- Trend: **{escape(t['trend'])}**",
                f"- Best value: {value(t['best_value'])} (mean {m}: {number(t['best_mean'])})",
                f"- Worst value: {value(t['worst_value'])} (mean {m}: {number(t['worst_mean'])})",
            ]))
        block.append(table(["Value", f"Mean {m}", "Std", "Count"], [
            [md.level_label(r), number(r["mean"]), number(r["std"]), str(r["n_trials"])]
            for _, r in vt.iterrows()]))
        ci = "; ".join(
            f"{md.level_label(r)}: [{number(r['ci_low'])}, {number(r['ci_high'])}]"
            if pd.notna(r["ci_low"]) else f"{md.level_label(r)}: N/A (one trial)"
            for _, r in vt.iterrows())
        block.append(f"95% CI of the mean {m}: {ci}.")
        note = md.binned_note(vt, param)
        if note:
            block.append(note)
        out.append("\n\n".join(block))
    return "\n\n".join(out)


def coverage_crosstab(result: pd.DataFrame) -> str:
    """The reference's coverage matrices, one ``###`` block per pair."""
    return md.coverage_crosstab(result, level=3)


def compare_budgets(result: pd.DataFrame, *, metric: str = "objective") -> str:
    """The reference's "Best Results by Budget" table, then the best trials' other parameters."""
    m = escape(metric)
    pcols = md.param_cols(result)
    main = [c for c in pcols if _bare(c) in BEST_PARAMS] or pcols
    other = [c for c in pcols if c not in main]
    header = ["Budget", f"Best {m}"] + [f"Best {escape(SHORT.get(_bare(c), _bare(c)))}"
                                        for c in main]
    rows = [[escape(r["budget"]), number(r["best"])] + [value(r[c]) for c in main]
            for _, r in result.iterrows()]
    extra_header = ["Budget", "Study", "Trial"] + [escape(_bare(c)) for c in other]
    extra = [[escape(r["budget"]), escape(r["study"]), value(r["number"])]
             + [value(r[c]) for c in other] for _, r in result.iterrows()]
    return "\n\n".join([
        table(header, rows),
        "Best trial of each budget" + (" and its other parameters:" if other else ":"),
        table(extra_header, extra)])


def scaling_check(result: Any, *, metric: str = "objective") -> str:
    """The reference's scaling list and statement (its sentence under a violated law)."""
    return md.scaling_check(result, metric=metric, violated_note=VIOLATED_NOTE, evidence=False,
                            joiner="\n")


def param_consistency(result: pd.DataFrame) -> str:
    """The reference's consistency list: consistent or not, with the best value per budget."""
    if result.empty:
        return "No parameter shares one grid across budgets."
    return "\n".join(
        f"- **{escape(r['param'])}**: "
        f"{'Consistent' if r['consistent'] else 'Inconsistent'} - {mapping(r['values'])}"
        for _, r in result.iterrows())


_RENDER = {
    "summarize": summarize,
    "best_trial": best_trial,
    "variance_explained": variance_explained,
    "value_table": value_table,
    "coverage_crosstab": coverage_crosstab,
    "compare_budgets": compare_budgets,
    "scaling_check": scaling_check,
    "param_consistency": param_consistency,
}


def to_markdown(result: Any, *, kind: str | None = None, **context: Any) -> str:
    """*result* as the reference report shows it (else as the default layout does).

    Examples
    --------
    >>> import hpo_insights as hi
    >>> t = hi.datasets.example()
    >>> print(to_markdown(hi.summarize(t[t["study"] == "transformer-2M"]), metric="AUC"))
    - Total trials: 50
    - Best AUC: 0.7178
    - Mean AUC: 0.7069
    - Std AUC: 0.0079
    """
    name = kind or md.kind(result)
    if name not in _RENDER:
        return md.to_markdown(result, kind=name, **context)
    return md.call_renderer(_RENDER[name], result, context)


def show(result: Any, *, kind: str | None = None, **context: Any) -> None:
    """Display *result* in the notebook as the reference report shows it (Markdown)."""
    from IPython.display import Markdown, display

    display(Markdown(to_markdown(result, kind=kind, **context)))


# --------------------------------------------------------------------------- the page

_SHOW = Show("reference", {"metric": METRIC})


def _coverage_calls(trials: pd.DataFrame) -> tuple[Call, ...]:
    names = F.param_names(trials)
    pairs: list[Any] = [list(q) for q in PAIRS if q[0] in names and q[1] in names]
    calls: list[Call] = []
    if not pairs:  # positions, so that parameter names stay data
        calls.append(Call("report.param_names", save="names_of"))
        pairs = [[Ref("names_of", index=a), Ref("names_of", index=b)]
                 for a, b in list(combinations(range(len(names)), 2))[:3]]
    for i, pair in enumerate(pairs, start=1):
        calls.append(Call("coverage_crosstab", kwargs={"params": pair}, save=f"coverage_{i}",
                          show=Show("reference")))
    calls.append(Call("plot.coverage_crosstab", (Ref("coverage_1"),), figure=True))
    return tuple(calls)


PAGE = Page(
    (
        Section("best", "budgets", "Best Results by Budget", (
            Call("compare_budgets", save="budgets", show=_SHOW),
            Call("optimization_history", save="history"),
            Call("plot.compare_budgets", (Ref("budgets"),),
                 {"history": Ref("history"), "metric": METRIC}, figure=True),
            Call("plot.optimization_history", (Ref("history"),), {"metric": METRIC},
                 figure=True),
        )),
        Section("scaling", "budgets", "Scaling Law Analysis", (
            Call("scaling_check", save="scaling", show=_SHOW),
        )),
        Section("consistency", "budgets", "Parameter Consistency Across Budgets", (
            Call("param_consistency", save="consistency", show=Show("reference")),
        )),
        Section("budget-collapse", "budgets", "Probability Collapse by Budget", (
            Call("collapse_by_budget", save="collapse", show=Show("reference")),
        )),
        Section("summary", "study", "Summary Statistics", (
            Call("summarize", save="summary", show=_SHOW),
            Call("best_trial", save="best", show=_SHOW),
        )),
        Section("collapse", "study", "Probability Collapse Analysis", (
            Call("collapse_summary", save="collapse", show=Show("reference")),
        )),
        Section("importance", "study", "Parameter Importance", (
            Call("variance_explained", save="importance", show=_SHOW),
            Call("plot.variance_explained", (Ref("importance"),), figure=True),
        )),
        Section("trends", "study", "Parameter Trends", (
            Call("classify_trend", kwargs={"method": "endpoints"}, save="trends"),
            Call("value_table", save="levels",
                 show=Show("reference", {"trend": Ref("trends"), "metric": METRIC})),
            Call("plot.value_table", (Ref("levels"),),
                 {"params": Ref("importance", "param", 2), "trend": Ref("trends"),
                  "metric": METRIC}, figure=True),
        )),
        Section("coverage", "study", "Coverage Matrices", _coverage_calls, applies=two_params,
                intro="(Count of trials testing each combination)"),
        Section("extremes", "study", "Forced Extreme Trials", (
            Call("forced_extremes", save="extremes", show=_SHOW),
        )),
        KEY_FINDINGS,
    ),
    budgets_heading="Cross-Budget HPO Comparison",
    study_heading="HPO Analysis: {label}{hardware}",
    part_level=1,
    section_level=2,
    study_rule=True,
)
"""The reference report's page: its sections, in its order, with its headings."""
