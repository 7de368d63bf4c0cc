"""The report's words: each analysis result as Markdown (the default layout).

Every function here takes what an analysis returned (a result frame, or the
:class:`~hpo_insights.budgets.ScalingCheck` of :func:`hpo_insights.scaling_check`)
and returns Markdown text; nothing is computed here beyond counting and
formatting. :func:`show` picks the function from the result's columns, so a
notebook cell reads ``hi.report.show(hi.variance_explained(trials))``.

The reference layout's renderers live in :mod:`hpo_insights.report.reference`;
the in-process report (:func:`hpo_insights.report.render`) in
:mod:`hpo_insights.report._run`.

Text from the data (study names, parameter names and values, labels) goes
through :func:`hpo_insights.report._format.escape`, so it is inert in Markdown
and in the HTML made from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from hpo_insights import _frame as F
from hpo_insights._errors import TrialsError
from hpo_insights.report import answers
from hpo_insights.report._format import escape, number, records, table, value

__all__ = ["call_renderer", "kind", "to_markdown"]


def _bare(column: str) -> str:
    return column.removeprefix(F.PARAM_PREFIX)


def param_cols(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c.startswith(F.PARAM_PREFIX)]


def _ci_cells(low: Any, high: Any) -> list[str]:
    return [number(low), number(high)]


def _maybe(frame: pd.DataFrame, column: str) -> bool:
    return column in frame.columns


def _bool(x: Any, yes: str = "yes", no: str = "no", missing: str = "unknown") -> str:
    if x is None or x is pd.NA or (isinstance(x, float) and x != x):
        return missing
    return yes if bool(x) else no


def _pvalue(p: Any) -> str:
    if p is None or p is pd.NA or (isinstance(p, float) and p != p):
        return "N/A"
    return "<0.001" if float(p) < 0.001 else f"{float(p):.3f}"


# --------------------------------------------------------------------------- per-study results


def summarize(result: pd.DataFrame, *, metric: str = "objective") -> str:
    """Trial counts and the objective's best, mean and std (one row of :func:`hi.summarize`).

    Examples
    --------
    >>> import pandas as pd
    >>> import hpo_insights as hi
    >>> t = pd.DataFrame({"study": "a", "number": range(3), "state": "COMPLETE",
    ...                   "value": [0.5, 0.7, 0.9], "study_direction": "maximize"})
    >>> print(summarize(hi.summarize(t), metric="AUC").splitlines()[2])
    | 3 | 3 | 0 | 0 | 0 | 0.9000 | 0.7000 | 0.2000 | maximize |
    """
    m = escape(metric)
    rows = [[str(r["n_trials"]), str(r["n_used"]), str(r["n_pruned"]), str(r["n_fail"]),
             str(r["n_running"] + r["n_waiting"]), number(r["best"]), number(r["mean"]),
             number(r["std"]), escape(r["direction"])] for r in records(result)]
    return table(["Trials", "Counted", "Pruned", "Failed", "Unfinished", f"Best {m}",
                  f"Mean {m}", f"Std {m}", "Direction"], rows)


def best_trial(result: pd.DataFrame, *, metric: str = "objective") -> str:
    """The best trial's parameters (one row of :func:`hi.best_trial`)."""
    if result.empty:
        return "No completed trial."
    b = result.iloc[0]
    pcols = [c for c in param_cols(result) if pd.notna(b[c])] or param_cols(result)
    head = (f"Best trial: number {value(b['number'])}, {escape(metric)} "
            f"{number(b['value'])} ({escape(b['direction'])}).")
    return head + "\n\n" + table(["Parameter", "Value"],
                                 [[escape(_bare(c)), value(b[c])] for c in pcols])


def collapse_summary(result: pd.DataFrame) -> str:
    """Whether predictions collapsed (one row of :func:`hi.collapse_summary`).

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"collapse": pd.array([pd.NA], dtype="boolean"), "n_collapsed": [0],
    ...                   "n_measured": [0], "pred_min": [float("nan")],
    ...                   "pred_max": [float("nan")], "mean_recall": [float("nan")]})
    >>> collapse_summary(r)
    'Probability collapse: unknown (no prediction statistics recorded).'
    """
    r = result.iloc[0]
    flag = r["collapse"]
    if flag is pd.NA or pd.isna(flag):
        return "Probability collapse: unknown (no prediction statistics recorded)."
    if bool(flag):
        return (
            f"**Probability collapse detected** in {r['n_collapsed']} of "
            f"{r['n_measured']} measured trials.\n\n"
            f"- Pred range: {number(r['pred_min'])}-{number(r['pred_max'])}\n"
            f"- Avg recall: {number(r['mean_recall'])}"
        )
    return (
        "No probability collapse detected.\n\n"
        f"Trials checked: {r['n_measured']} (those with prediction statistics)."
    )


def detect_collapse(result: pd.DataFrame) -> str:
    """How many trials :func:`hi.detect_collapse` flagged, measured or not."""
    flag = result["collapsed"].astype("boolean")
    return (f"{int(flag.fillna(False).sum())} collapsed, {int((~flag).fillna(False).sum())} "
            f"not collapsed, {int(flag.isna().sum())} not measured.")


def variance_explained(result: pd.DataFrame, *, metric: str = "objective",
                       verdicts: bool = True) -> str:
    """Each parameter's share of the objective's variance (:func:`hi.variance_explained`).

    A table, with the interval, adjusted share, p-value and verdict columns
    when the result has them (``verdicts=False``: without ``matters`` and
    ``confounded_with``, as in the report, whose verdicts are
    :func:`hpo_insights.findings`').

    Examples
    --------
    >>> import pandas as pd
    >>> ve = pd.DataFrame({"param": ["x", "z"], "share": [1.0, 0.0], "n_trials": [4, 4]})
    >>> print(variance_explained(ve).splitlines()[2])
    | x | 1.0000 | 4 |
    """
    shown = [c for c in _SHARE_COLUMNS if all(_maybe(result, k) for k in c[1])
             and (verdicts or c[0] not in ("matters", "confounded_with"))]
    header = ["Parameter", "Share", *(h for c in shown for h in c[2]), "Trials"]
    rows = [[escape(r["param"]), number(r["share"]), *(x for c in shown for x in c[3](r)),
             str(r["n_trials"])] for r in records(result)]
    return table(header, rows)


def _listed(other: Any) -> str:
    """The parameters a share is confounded with, as one cell."""
    if isinstance(other, list | tuple):
        return ", ".join(map(escape, other))
    if other is None or (isinstance(other, float) and other != other):
        return ""
    return escape(other)


# variance_explained's optional columns, in order: (name, result columns it needs,
# headers, cells of a row)
_SHARE_COLUMNS = (
    ("share_corrected", ("share_corrected",), ["Corrected share"],
     lambda r: [number(r["share_corrected"])]),
    ("ci", ("ci_low", "ci_high"), ["95% CI low", "95% CI high"],
     lambda r: _ci_cells(r["ci_low"], r["ci_high"])),
    ("share_adjusted", ("share_adjusted",), ["Adjusted share"],
     lambda r: [number(r["share_adjusted"])]),
    ("p_value", ("p_value",), ["p-value"], lambda r: [_pvalue(r["p_value"])]),
    ("matters", ("matters",), ["Matters"], lambda r: [_bool(r["matters"])]),
    ("confounded_with", ("confounded_with",), ["Confounded with"],
     lambda r: [_listed(r["confounded_with"])]),
)


def search_space_importance(result: pd.DataFrame) -> str:
    """Each parameter's share of the objective's variance over the whole search space
    (:func:`hi.search_space_importance`), not just among the trials tried."""
    ci = _maybe(result, "ci_low") and _maybe(result, "ci_high")
    rows = [[escape(r["param"]), number(r["share"]),
             *(_ci_cells(r["ci_low"], r["ci_high"]) if ci else []),
             number(r["share_corrected"]), number(r["coverage"], 2), str(r["n_trials"]),
             escape(r["source"])]
            for r in records(result)]
    r2 = result["r2"].iloc[0] if len(result) else float("nan")
    header = ["Parameter", "Share", *(["95% CI low", "95% CI high"] if ci else []),
              "Corrected share", "Coverage", "Trials", "Space from"]
    return "\n\n".join([
        table(header, rows),
        f"An additive model fitted on the trials (R² {number(r2, 2)}) weighs each parameter "
        "over its whole search space; coverage below 1 means part of the space was never "
        "tried and the share extrapolates there."])


def classify_trend(result: pd.DataFrame, *, metric: str = "objective") -> str:
    """Each parameter's trend with its best and worst value (:func:`hi.classify_trend`)."""
    m = escape(metric)
    header = ["Parameter", "Trend"]
    effect = _maybe(result, "effect")
    ci = _maybe(result, "effect_low") and _maybe(result, "effect_high")
    p = _maybe(result, "p_value")
    if effect:
        header.append("Effect")
    if ci:
        header += ["95% CI low", "95% CI high"]
    if p:
        header.append("p-value")
    header += ["Best value", f"Mean {m} at best", "Worst value", f"Mean {m} at worst"]
    rows = []
    for _, r in result.iterrows():
        row = [escape(r["param"]), f"**{escape(r['trend'])}**"]
        if effect:
            row.append(number(r["effect"]))
        if ci:
            row += _ci_cells(r["effect_low"], r["effect_high"])
        if p:
            row.append(_pvalue(r["p_value"]))
        row += [value(r["best_value"]), number(r["best_mean"]), value(r["worst_value"]),
                number(r["worst_mean"])]
        rows.append(row)
    return table(header, rows)


def level_label(r: pd.Series | dict) -> str:
    return value(r["label"]) if "label" in r else value(r["value"])


def binned_note(vt: pd.DataFrame | list[dict], param: Any) -> str:
    """The sentence under a binned parameter's table ("" when not binned); *vt* is its rows
    (a frame, or :func:`records`)."""
    if isinstance(vt, pd.DataFrame):
        binned = bool(vt["binned"].any()) if "binned" in vt.columns else False
    else:
        binned = any(bool(r.get("binned", False)) for r in vt)
    return (f"{escape(param)} is continuous: its values are grouped into {len(vt)} "
            "quantile intervals ([low, high)).") if binned else ""


def value_table(result: pd.DataFrame, *, metric: str = "objective",
                params: Sequence[str] | None = None) -> str:
    """The objective per value of each parameter (:func:`hi.value_table`).

    Per parameter (in the order of *params*, then the result's order) a
    ``####`` heading and a table with the interval as two columns.
    """
    m = escape(metric)
    out = []
    by_param: dict[Any, list[dict]] = {}
    for r in records(result):
        by_param.setdefault(r["param"], []).append(r)
    present = list(by_param)
    order = [p for p in (params or []) if p in by_param]
    for param in order + [p for p in present if p not in order]:
        vt = by_param[param]
        rows = [[level_label(r), str(r["n_trials"]), number(r["mean"]), number(r["std"]),
                 *_ci_cells(r["ci_low"], r["ci_high"])] for r in vt]
        block = [f"#### {escape(param)}", table(
            ["Value", "Trials", f"Mean {m}", "Std", "95% CI low", "95% CI high"], rows)]
        note = binned_note(vt, param)
        if note:
            block.append(note)
        out.append("\n\n".join(block))
    return "\n\n".join(out)


def coverage_crosstab(result: pd.DataFrame, *, level: int = 4) -> str:
    """Trial counts per pair of values (:func:`hi.coverage_crosstab`), one matrix per pair,
    each under a heading of *level* (one below its section's)."""
    out = []
    rlab = "row_label" if "row_label" in result.columns else "row_value"
    clab = "col_label" if "col_label" in result.columns else "col_value"
    pairs: dict[tuple, list[tuple]] = {}
    for rp, cp, rv, cv, n in zip(*(result[c].tolist() for c in (
            "row_param", "col_param", rlab, clab, "n_trials")), strict=True):
        pairs.setdefault((rp, cp), []).append((rv, cv, n))
    for (row_param, col_param), cells in pairs.items():
        rows_v = list(dict.fromkeys(rv for rv, _, _ in cells))
        cols_v = list(dict.fromkeys(cv for _, cv, _ in cells))
        grid = {rv: dict.fromkeys(cols_v, 0) for rv in rows_v}
        for rv, cv, n in cells:
            grid[rv][cv] += n
        r_name, c_name = escape(row_param), escape(col_param)
        body = [[value(rv)] + [str(int(grid[rv][cv])) for cv in cols_v] for rv in rows_v]
        out += [f"{'#' * level} {r_name} × {c_name}",
                table([r_name] + [value(c) for c in cols_v], body, rule="short")]
    return "\n\n".join(out)


def forced_extremes(result: pd.DataFrame, *, metric: str = "objective") -> str:
    """The trials that forced a parameter to its min or max (:func:`hi.forced_extremes`)."""
    m = escape(metric)
    if result.empty:
        return "No forced extreme trials recorded."
    params = [p for p in pd.unique(result["extreme_param"]) if F.PARAM_PREFIX + str(p)
              in result.columns]
    rows = [[value(r["number"]), escape(r["extreme_type"]), number(r["value"])]
            + [value(r[F.PARAM_PREFIX + p]) for p in params] for r in records(result)]
    out = [table(["Trial", "Extreme Type", m] + [escape(p) for p in params], rows)]
    unfinished = result[result["state"] != "COMPLETE"]
    if len(unfinished):
        out.append(
            "Not completed: "
            + ", ".join(f"trial {value(r['number'])} ({escape(r['state'])})"
                        for r in records(unfinished))
            + f"; {'its' if len(unfinished) == 1 else 'their'} {m} is not counted.")
    return "\n\n".join(out)


# --------------------------------------------------------------------------- across budgets


def compare_budgets(result: pd.DataFrame, *, metric: str = "objective") -> str:
    """The best trial of each budget (:func:`hi.compare_budgets`)."""
    m = escape(metric)
    pcols = param_cols(result)
    header = ["Budget", "Study", "Trial", f"Best {m}"] + [escape(_bare(c)) for c in pcols]
    rows = [[escape(r["budget"]), escape(r["study"]), value(r["number"]), number(r["best"])]
            + [value(r[c]) for c in pcols] for _, r in result.iterrows()]
    return table(header, rows)


def scaling_check(result: Any, *, metric: str = "objective", violated_note: str = "",
                  evidence: bool = True, joiner: str = "\n\n") -> str:
    """Whether each larger budget reaches a better best (:func:`hi.scaling_check`).

    The verdict, then its explanation as a paragraph of its own (*joiner*);
    *violated_note* replaces the sentence under a violated law; *evidence*
    adds the table of the steps up.
    """
    m = escape(metric)
    statement = " > ".join(escape(label) for label in result.ranking)
    verdict = getattr(result, "verdict", "holds" if result.holds else "violated")
    lines = [f"- {escape(r['budget'])}: {number(r['best'])}" for _, r in result.table.iterrows()]
    out = ["\n".join(lines)]
    if verdict == "holds":
        out.append(f"**Scaling law holds**: {statement}{joiner}"
                   f"Each larger budget reaches a better best {m} than the smaller ones.")
    elif verdict == "violated":
        note = violated_note or (
            f"At least one larger budget reaches a worse best {m} than a smaller one.")
        out.append(f"**Scaling law VIOLATED**: {statement}{joiner}{note}")
    else:
        out.append(f"**Scaling law not established**: {statement}{joiner}"
                   f"The differences between the budgets' best {m} are within their noise.")
    pairs = getattr(result, "pairs", None)
    if isinstance(pairs, pd.DataFrame) and len(pairs) and evidence:
        ci = "ci_low" in pairs.columns and "ci_high" in pairs.columns
        rows = [[escape(r["budget_a"]), escape(r["budget_b"]), str(r["top_k"]),
                 number(r["top_mean_a"]), number(r["top_mean_b"]), number(r["difference"]),
                 *(_ci_cells(r["ci_low"], r["ci_high"]) if ci else []),
                 _pvalue(r.get("p_adjusted", r.get("p_value"))), escape(r["step"])]
                for _, r in pairs.iterrows()]
        out.append(f"Evidence per step up: the mean {m} of the top trials of each budget "
                   "(p-values adjusted for the number of steps):")
        out.append(table(["Smaller", "Larger", "Top k", f"Mean {m} (smaller)",
                          f"Mean {m} (larger)", "Difference",
                          *(["95% CI low", "95% CI high"] if ci else []), "p-value", "Step"],
                         rows))
    return "\n\n".join(out)


def param_consistency(result: pd.DataFrame) -> str:
    """Whether the best trials of every budget agree (:func:`hi.param_consistency`)."""
    if result.empty:
        return "No parameter shares one grid across budgets."
    budgets = list(dict.fromkeys(b for v in result["values"] for b in v))
    verdict = "verdict" in result.columns
    evidence = verdict and "p_interaction" in result.columns
    header = (["Parameter", "Verdict" if verdict else "Consistent"]
              + [f"Best at {escape(b)}" for b in budgets]
              + (["p (interaction)", "p (effect)"] if evidence else []))
    rows = [[escape(r["param"]), escape(r["verdict"]) if verdict else _bool(r["consistent"])]
            + [value(r["values"].get(b)) for b in budgets]
            + ([_pvalue(r["p_interaction"]), _pvalue(r["p_effect"])] if evidence else [])
            for _, r in result.iterrows()]
    return table(header, rows)


def sampling_association(result: pd.DataFrame) -> str:
    """Pairs of parameters the sampler tried together (:func:`hi.sampling_association`).

    Shows the pairs whose association is significant (``p_value < 0.05``),
    strongest first; their importance shares overlap.
    """
    if result.empty:
        return "Fewer than two parameters: no pair to check."
    strong = result[result["p_value"] < 0.05].sort_values("cramers_v", ascending=False)
    if strong.empty:
        return (f"No pair of parameters was sampled together (all {len(result)} pairs: "
                "p >= 0.05), so their importance shares do not overlap by design.")
    rows = [[escape(r["param_a"]), escape(r["param_b"]), number(r["cramers_v"], 2),
             _pvalue(r["p_value"]), str(r["n_trials"])] for r in records(strong)]
    return "\n\n".join([
        f"{len(strong)} of {len(result)} pairs of parameters were sampled together "
        "(p < 0.05): the importance of one includes part of the other's.",
        table(["Parameter", "Sampled with", "Cramér's V", "p-value", "Trials"], rows)])


def collapse_by_budget(result: pd.DataFrame) -> str:
    """Probability collapse per budget (:func:`hi.collapse_by_budget`)."""
    rows = []
    for _, r in result.iterrows():
        yes = r["collapse"] is not pd.NA and pd.notna(r["collapse"]) and bool(r["collapse"])
        rows.append([
            escape(r["budget"]), _bool(r["collapse"], "Yes", "No"),
            f"{number(r['pred_min'])}-{number(r['pred_max'])}" if yes else "N/A",
            number(r["mean_recall"]) if yes else "N/A"])
    counts = [
        f"{escape(r['budget'])}: {r['n_collapsed']} of {r['n_measured']} measured trials collapsed"
        if r["n_measured"] else f"{escape(r['budget'])}: unknown (no prediction statistics "
        "recorded)" for _, r in result.iterrows()]
    return "\n\n".join([table(["Budget", "Collapse?", "Pred Range", "Avg Recall"], rows),
                        "Trials checked: " + "; ".join(counts) + "."])


def suggestions(result: pd.DataFrame, *, metric: str = "objective") -> str:
    """Where the next trials would teach the most (``hi.suggestions``): one row each."""
    if result.empty:
        return "No suggestion: no edge, no clearly worse value, no thin spot near the best."
    m = escape(metric)
    rows = []
    for _, r in result.iterrows():
        other = ("" if r["other_param"] is None or pd.isna(r["other_param"])
                 else f"{escape(r['other_param'])} = {value(r['other_value'])}")
        rows.append([escape(r["kind"]), escape(r["param"]), value(r["value"]), other,
                     number(r["difference"]), *_ci_cells(r["ci_low"], r["ci_high"]),
                     _pvalue(r["p_value"]), value(r["n_trials"]), escape(r["detail"])])
    return table(["Kind", "Parameter", "Value", "With", f"Difference in {m}", "95% CI low",
                  "95% CI high", "p-value", "Trials", "Why"], rows)


def importance_by_budget(result: Any) -> str:
    """Each parameter's share per budget and the budgets' rank agreement
    (``hi.importance_by_budget``)."""
    t = result.table
    budgets = list(pd.unique(t["budget"]))
    params = list(pd.unique(t["param"]))
    cell = {(r["budget"], r["param"]): r for _, r in t.iterrows()}
    rows = []
    for p in params:
        row = [escape(p)]
        for b in budgets:
            r = cell.get((b, p))
            if r is None:
                row += ["N/A", "N/A"]
                continue
            row += [number(r["share"], 2), f"{number(r['ci_low'], 2)}-{number(r['ci_high'], 2)}"
                    if "ci_low" in r.index else "N/A"]
        rows.append(row)
    header = ["Parameter"] + [h for b in budgets for h in (f"Share {escape(b)}",
                                                           f"95% CI {escape(b)}")]
    out = [table(header, rows)]
    agreement = getattr(result, "agreement", None)
    if isinstance(agreement, pd.DataFrame) and len(agreement):
        out.append("Do the budgets rank the parameters alike (Spearman's rank correlation of "
                   "the shares)?")
        out.append(table(["Budget", "Budget", "Spearman", "Parameters"], [
            [escape(r["budget_a"]), escape(r["budget_b"]), number(r["spearman"], 2),
             str(r["n_params"])] for _, r in agreement.iterrows()]))
    return "\n\n".join(out)


def optimization_history(result: pd.DataFrame, *, metric: str = "objective") -> str:
    """How many trials counted per study (:func:`hi.optimization_history`)."""
    g = result.groupby("study", sort=False)["counted"]
    return "\n".join(f"- {escape(s)}: {int(c.sum())} of {len(c)} trials counted"
                     for s, c in g)


def fidelity_correlation(result: pd.DataFrame, *, rows: int = 8) -> str:
    """From which step the curve ranks trials as the end does (:func:`hi.fidelity_correlation`).

    A sentence per study (the first settled step) and the correlation at up to
    *rows* steps spread over the curve.
    """
    out = []
    for s, g in result.groupby("study", sort=False):
        settled = g.loc[g["settled"].astype(bool), "step"]
        where = "step" if "budget" not in g.columns else "budget"
        if len(settled):
            first = g.loc[g["step"] == settled.min()]
            label = first["budget"].iloc[0] if "budget" in g.columns else settled.min()
            out.append(f"- {escape(s)}: the ranking of trials is settled from {where} "
                       f"{escape(label)} (the 95% interval of the rank correlation with the "
                       "final value stays above the threshold from there on).")
        else:
            out.append(f"- {escape(s)}: no {where} before the end ranks the trials reliably "
                       "as the end does (no interval stays above the threshold).")
    pick = []
    for _, g in result.groupby("study", sort=False):
        idx = np.unique(np.round(np.linspace(0, len(g) - 1, min(rows, len(g)))).astype(int))
        pick.append(g.iloc[idx])
    shown = pd.concat(pick)
    first = "Budget" if "budget" in shown.columns else "Step"
    body = [[escape(r["study"]), escape(r["budget"] if "budget" in shown.columns
                                        else r["step"]),
             str(int(r["n_trials"])), number(r["rho"], 2), *_ci_cells(r["ci_low"], r["ci_high"]),
             _bool(r["settled"])] for _, r in shown.iterrows()]
    out.append("")
    out.append(table(["Study", first, "Trials", "Spearman", "95% CI low", "95% CI high",
                      "Settled"],
                     body))
    return "\n".join(out)


def _expected_regret(r: Any) -> str:
    """The rule's expected regret with its interval, when the audit replayed it."""
    if pd.isna(r.get("expected_regret", float("nan"))):
        return ""
    return (f"; expected regret on a search of this size {number(r['expected_regret'])} "
            f"(95% interval {number(r['expected_regret_low'])} to "
            f"{number(r['expected_regret_high'])})")


def _rule_source(r: Any) -> str:
    """Where the audited rule came from, and how well it reproduces the recorded prunes."""
    source = r.get("rule_source")
    agreement = r.get("agreement")
    if source is None or pd.isna(agreement):
        return ""
    share = f"{number(100 * agreement, 1)}%"
    if source == "identified":
        return (f" (the standard rule that best reproduces the prune decisions in the data: "
                f"{share} of the trials)")
    if source == "given":
        return f" (as stated; it reproduces {share} of the prune decisions in the data)"
    return " (Optuna's default: no trial was pruned in the data)"


def pruning_audit(result: Any, *, metric: str = "objective") -> str:
    """What the pruning rule would have done (:func:`hi.pruning_audit`): a sentence, the
    summary, and the trials pruned in the data."""
    out = []
    for _, r in result.summary.iterrows():
        stopped = "would have stopped" if r["best_stopped"] else "would have kept"
        out.append(
            f"- {escape(r['study'])}: replaying `{escape(r['rule'])}`{_rule_source(r)} on the "
            f"{int(r['n_trials'])} trials that ran to the end saves "
            f"{number(100 * r['share_saved'], 1)}% of their steps; it {stopped} the best trial "
            f"(#{int(r['best_number'])}) and stops {int(r['top_k_stopped'])} of the top "
            f"{int(r['top_k'])}; the best {escape(metric)} it keeps is "
            f"{number(r['kept_best'])} (regret {number(r['regret'])}; over resamples of "
            f"these trials it spreads from {number(r['regret_low'])} to "
            f"{number(r['regret_high'])}, a spread, not a confidence interval)"
            f"{_expected_regret(r)}.")
    pruned = result.pruned
    if len(pruned):
        out.append("")
        out.append(f"Trials pruned in the data ({len(pruned)}): where they stopped and how "
                   "they stood against the completed trials at that step.")
        out.append("")
        head = pruned.head(20)
        out.append(table(
            ["Study", "Trial", "Pruned at", "Value", "Threshold", "Completed there",
             "Median of completed", "Share beaten"],
            [[escape(r["study"]), str(int(r["number"])), str(int(r["pruned_at"])),
              number(r["value"]), number(r["threshold"]), str(int(r["n_compared"])),
              number(r["completed_median"]), number(r["share_beaten"], 2)]
             for _, r in head.iterrows()]))
        if len(pruned) > len(head):
            out.append(f"\n({len(pruned) - len(head)} more in the result's `pruned` table.)")
    return "\n".join(out)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def compare_top(result: pd.DataFrame, *, metric: str = "objective") -> str:
    """The best configuration against the next ones, fold by fold (:func:`hi.compare_top`)."""
    if len(result) == 0:
        return "Fewer than two configurations were scored on every fold: nothing to compare."
    m = escape(metric)
    out = []
    for _, r in result.iterrows():
        verdict = "established" if bool(r["better"]) else "not established"
        out.append(
            f"The best (#{value(r['best'])}) is better than the {_ordinal(int(r['rank']))} "
            f"(#{value(r['other'])}) by {number(r['difference'])} "
            f"[{number(r['ci_low'])}, {number(r['ci_high'])}]: **{verdict}**.")
    first = result.iloc[0]
    out.append(
        f"Paired over {int(first['n_folds'])} folds; corrected resampled t-test (the variance "
        f"of the mean difference inflated by 1/J + n_test/n_train = "
        f"{number(1 / first['n_folds'] + first['test_train_ratio'])}); "
        "p-values Holm-adjusted over the comparisons. \"Not established\" is not \"equal\".")
    header = ["Rank", "Trial", f"Mean {m}", "Difference", "95% CI", "p", "Holm p", "Better"]
    rows = [[value(r["rank"]), value(r["other"]), number(r["other_value"]),
             number(r["difference"]), f"[{number(r['ci_low'])}, {number(r['ci_high'])}]",
             _pvalue(r["p_value"]), _pvalue(r["p_adjusted"]), _bool(r["better"])]
            for _, r in result.iterrows()]
    best = [["1", value(first["best"]), number(first["best_value"]), "", "", "", "", ""]]
    return "\n\n".join([*out[:-1], out[-1], table(header, best + rows)])


def search_progress(result: Any, *, metric: str = "objective") -> str:
    """Whether more trials are worth it (:func:`hi.search_progress`): one line per study."""
    out = []
    for r in records(result.summary):
        verdict = (f"more trials are likely to add less than {number(r['tolerance'])}"
                   if r["plateau"] is not pd.NA and bool(r["plateau"])
                   else f"no evidence that more trials would add less than "
                        f"{number(r['tolerance'])}")
        out.append(
            f"- {escape(r['study'])}: best {escape(metric)} {number(r['best'])} after "
            f"{int(r['n_trials'])} trials. {int(r['more'])} more trials (as a random sample "
            f"of the same kind) beat it with probability {number(r['p_improve'], 2)}; their "
            f"expected gain is at most about {number(r['gain'])} (upper bound "
            f"{number(r['gain_high'])}): {verdict}.")
    out.append("")
    out.append("The curve treats the trials as a random sample; for an adaptive sampler "
               "(TPE) it describes the sample, not what the sampler will do next.")
    return "\n".join(out)


# --------------------------------------------------------------------------- dispatch

# (kind, columns that identify it), most specific first
_KINDS: tuple[tuple[str, frozenset[str]], ...] = (
    ("findings", answers.COLUMNS),
    ("compare_top", frozenset({"best", "other", "difference", "p_adjusted", "n_folds"})),
    ("suggestions", frozenset({"kind", "detail", "other_param"})),
    ("coverage_crosstab", frozenset({"row_param", "col_param", "n_trials"})),
    ("sampling_association", frozenset({"param_a", "param_b", "cramers_v"})),
    ("forced_extremes", frozenset({"extreme_type", "extreme_param"})),
    ("detect_collapse", frozenset({"collapsed", "pred_range"})),
    ("collapse_by_budget", frozenset({"budget", "collapse", "n_measured"})),
    ("collapse_summary", frozenset({"collapse", "n_measured"})),
    ("param_consistency", frozenset({"param", "values", "n_distinct"})),
    ("compare_budgets", frozenset({"budget", "best", "size"})),
    ("optimization_history", frozenset({"best_so_far", "counted"})),
    ("classify_trend", frozenset({"param", "trend", "best_value"})),
    ("value_table", frozenset({"param", "value", "n_trials", "mean", "ci_low"})),
    ("search_space_importance", frozenset({"param", "share", "variance", "coverage"})),
    ("fidelity_correlation", frozenset({"step", "rho", "ci_low", "settled"})),
    ("variance_explained", frozenset({"param", "share"})),
    ("summarize", frozenset({"n_trials", "n_used", "best", "mean"})),
    ("best_trial", frozenset({"number", "value", "direction"})),
)

_RENDER = {
    "findings": answers.findings,
    "summarize": summarize,
    "best_trial": best_trial,
    "collapse_summary": collapse_summary,
    "detect_collapse": detect_collapse,
    "variance_explained": variance_explained,
    "classify_trend": classify_trend,
    "value_table": value_table,
    "coverage_crosstab": coverage_crosstab,
    "forced_extremes": forced_extremes,
    "compare_budgets": compare_budgets,
    "scaling_check": scaling_check,
    "param_consistency": param_consistency,
    "collapse_by_budget": collapse_by_budget,
    "optimization_history": optimization_history,
    "sampling_association": sampling_association,
    "suggestions": suggestions,
    "importance_by_budget": importance_by_budget,
    "search_space_importance": search_space_importance,
    "fidelity_correlation": fidelity_correlation,
    "pruning_audit": pruning_audit,
    "search_progress": search_progress,
    "compare_top": compare_top,
}


def kind(result: Any) -> str:
    """Which analysis made *result*: the name of the ``hi`` function, from its columns.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> kind(hi.variance_explained(hi.datasets.example()))
    'variance_explained'
    """
    if hasattr(result, "agreement") and hasattr(result, "table"):
        return "importance_by_budget"
    if hasattr(result, "ranking") and hasattr(result, "table"):
        return "scaling_check"
    if hasattr(result, "pruned") and hasattr(result, "summary"):
        return "pruning_audit"
    if hasattr(result, "curve") and hasattr(result, "summary"):
        return "search_progress"
    if isinstance(result, pd.DataFrame):
        columns = set(result.columns)
        for name, needed in _KINDS:
            if needed <= columns:
                return name
    raise TrialsError(
        f"hi.report.show cannot tell which analysis made this {type(result).__name__}: pass the "
        "result of an hpo_insights analysis (e.g. hi.variance_explained(trials)), or "
        "kind='variance_explained'."
    )


def call_renderer(fn: Any, result: Any, context: dict[str, Any]) -> str:
    """``fn(result, **context)`` with only the context arguments *fn* takes."""
    import inspect

    accepted = inspect.signature(fn).parameters
    return fn(result, **{k: v for k, v in context.items() if k in accepted})


def to_markdown(result: Any, *, kind: str | None = None, **context: Any) -> str:
    """*result* as Markdown: the renderer of its analysis (see :func:`kind`).

    *context* (``metric=``, ``trend=``, ``study=``) is passed to renderers that take it.

    Examples
    --------
    >>> import pandas as pd
    >>> ve = pd.DataFrame({"param": ["x"], "share": [1.0], "n_trials": [4]})
    >>> print(to_markdown(ve, metric="AUC").splitlines()[0])
    | Parameter | Share | Trials |
    """
    name = kind or _kind_of(result)
    if name not in _RENDER:
        raise TrialsError(f"Unknown kind {name!r}: expected one of {', '.join(sorted(_RENDER))}.")
    if "study" in context:
        result = of_study(result, context["study"], _RENDER[name])
    return call_renderer(_RENDER[name], result, context)


def of_study(result: Any, study: Any, renderer: Any) -> Any:
    """The rows of *study* in a result of every study (unless *renderer* selects them itself).

    A result computed once for every study (``hi.value_table(trials)``) shows the
    rows of one study in that study's section: ``study=`` of :func:`to_markdown`.
    """
    import inspect

    if "study" in inspect.signature(renderer).parameters:
        return result
    if isinstance(result, pd.DataFrame) and "study" in result.columns:
        return result[result["study"] == study].reset_index(drop=True)
    return result


_kind_of = kind
