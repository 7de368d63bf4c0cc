"""The report's answers: the rows of :func:`hpo_insights.findings` in words.

Every verdict the default report prints comes from here, and so from
``hi.findings`` (one adjusted model per study, the page's family-wise error
rate controlled): :func:`key_findings` lists the claims made, and
:func:`what_matters` gives one row per parameter for a study (or, for trials of
several budgets, for the budgets pooled). Nothing is computed here beyond
selecting and formatting rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hpo_insights import _frame as F
from hpo_insights.report._format import escape, records, table, value

__all__ = ["COLUMNS", "findings", "key_findings", "labels_of", "parameters", "what_matters"]

COLUMNS = frozenset({"study", "param", "claim", "value", "claimed", "p_adjusted", "detail"})
"""The columns that tell a :func:`hpo_insights.findings` result apart."""

_SHAPE_WORDS = {"increasing": "increasing", "decreasing": "decreasing", "peaked": "peaked",
                "valley": "valley", "flat": "flat"}


def labels_of(trials: pd.DataFrame) -> list[str]:
    """The labels ``hi.findings`` gives the studies of *trials*: budget, else study name.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> labels_of(hi.datasets.example())
    ['2M', '20M', '200M']
    """
    col = F.BUDGET if F.BUDGET in trials.columns else F.STUDY
    return [str(x) for x in pd.unique(trials[col].dropna())]


def _rows_for(result: pd.DataFrame, trials: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """The rows of *result* about *trials*: one study's, or (several budgets) the pooled ones."""
    labels = labels_of(trials)
    single = len(labels) == 1
    study = labels[0] if single else ", ".join(labels)
    rows = result[result["study"].astype(str) == study]
    if not single and rows.empty:  # the pooled rows carry the budgets that had trials
        rows = result[result["study"].astype(str).str.contains(", ", regex=False)]
    return rows, single


def parameters(result: pd.DataFrame, trials: pd.DataFrame, *,
               which: str = "ranked") -> list[str]:
    """Parameter names in the order of the "What matters" table of *trials*.

    ``which="ranked"``: every parameter, those that matter first, then by
    effect, then those ``hi.findings`` made no statement about.
    ``which="claimed"``: those that matter (if none, the one with the largest
    effect, so that a figure still shows the largest movement).
    ``which="any"``: those that matter in any one study of *trials* (each
    study's own verdicts, not the pooled ones), by their largest effect (if none,
    the pooled ranking's first): the parameters of a figure comparing the studies.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> t = hi.datasets.example()
    >>> f = hi.findings(t)
    >>> parameters(f, t[t["study"] == "transformer-20M"], which="claimed")
    ['learning_rate', 'dropout']
    >>> parameters(f, t, which="any")
    ['dropout', 'learning_rate']
    """
    if which == "any":
        return _claimed_in_any(result, trials)
    rows, _ = _rows_for(result, trials)
    m = _by_claim_and_effect([r for r in records(rows) if r["claim"] == "matters"])
    ranked = [str(r["param"]) for r in m]
    ranked += [p for p in F.param_names(trials) if p not in ranked]  # no claim made about them
    if which == "ranked":
        return ranked
    claimed = [str(r["param"]) for r in m if bool(r["claimed"])]
    return claimed or ranked[:1]


def _by_claim_and_effect(matters: list[dict]) -> list[dict]:
    """The "matters" rows, those claimed first, then by effect (missing last); stable, as a
    stable sort keeps ties in their order."""
    return sorted(matters, key=lambda r: (bool(r["claimed"]), -np.inf if pd.isna(r["effect"])
                                          else float(r["effect"])), reverse=True)


def _claimed_in_any(result: pd.DataFrame, trials: pd.DataFrame) -> list[str]:
    """The parameters claimed to matter in any one study (label) of *trials*."""
    rows = result[result["study"].astype(str).isin(labels_of(trials))
                  & (result["claim"] == "matters") & result["claimed"].astype(bool)]
    rows = rows.assign(_e=rows["effect"].fillna(-np.inf)).sort_values("_e", ascending=False,
                                                                      kind="stable")
    claimed = list(dict.fromkeys(str(p) for p in rows["param"]))
    return claimed or parameters(result, trials, which="claimed")[:1]


def _p(p: Any) -> str:
    if p is None or (isinstance(p, float) and np.isnan(p)):
        return "N/A"
    return "<0.001" if float(p) < 0.001 else f"{float(p):.3f}"


def _interval(r: Any) -> str:
    """The effect and its interval in one format: 4 decimals, or 3 significant digits when
    the largest of the three is below 0.001 (so an interval never mixes notations)."""
    if pd.isna(r["effect"]):
        return "N/A"
    three = [float(r[c]) for c in ("effect", "effect_low", "effect_high") if pd.notna(r[c])]
    fmt = "{:.4f}" if max(abs(x) for x in three) >= 0.001 else "{:.3g}"
    text = fmt.format(float(r["effect"]))
    if pd.notna(r["effect_low"]) and pd.notna(r["effect_high"]):
        text += f" [{fmt.format(float(r['effect_low']))}, {fmt.format(float(r['effect_high']))}]"
    return text


def _short(x: Any) -> str:
    """A number in 3 significant digits (a best range reads as a range, not as data)."""
    return f"{float(x):.3g}"


def _best(r: Any) -> str:
    low, high = r.get("best_low"), r.get("best_high")
    if low is not None and high is not None and pd.notna(low) and pd.notna(high):
        if _short(low) == _short(high):
            return _short(low)
        return f"{_short(low)} to {_short(high)}"
    best = r.get("best_value")
    if best is None or (isinstance(best, float) and np.isnan(best)):
        return "—"
    if isinstance(best, int | float | np.number) and not isinstance(best, bool | np.bool_):
        return _short(best)  # as the ranges read: 16 heads, not 16.0
    return value(best)


def _claimed(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[rows["claimed"].astype(bool).to_numpy()]


def _parameter_rows(every: list[dict], pooled: bool) -> list[list[str]]:
    """The table's rows: one per parameter ``hi.findings`` made a "matters" row for.

    The few claims of each parameter are read as records (a page of 30 studies makes
    30 tables: pandas selections per claim took half of ``hi.report.show``'s time).
    """
    by_param: dict[Any, list[dict]] = {}
    for r in every:
        by_param.setdefault(r["param"], []).append(r)
    matters = _by_claim_and_effect([r for r in every if r["claim"] == "matters"])
    return [_parameter_row(m, by_param[m["param"]], pooled) for m in matters]


def _parameter_row(m: dict, mine: list[dict], pooled: bool) -> list[str]:
    def claimed(kind: str) -> list[dict]:
        return [r for r in mine if r["claim"] == kind and bool(r["claimed"])]

    yes = bool(m["claimed"])
    shape = claimed("shape")
    flat = bool(shape) and shape[0]["value"] == "flat"
    verdict = ("**matters**" if yes else "flat (below the margin)" if flat
               else "no evidence of an effect")
    shape_text = (escape(_SHAPE_WORDS.get(shape[0]["value"], shape[0]["value"]))
                  if shape and not flat else "—")
    notes = [f"best at the {escape(e['value'])} end: try beyond it" for e in claimed("edge")]
    notes += [f"{value(w['value'])} is worse" for w in claimed("worse")]
    row = [escape(m["param"]), verdict, _interval(m), _p(m["p_adjusted"]),
           _best(m) if yes else "—", shape_text]
    if pooled:
        c = [r for r in mine if r["claim"] == "consistency"]
        row.append("differs" if c and bool(c[0]["claimed"]) else
                   "no evidence of a difference" if c else "—")
    row.append("; ".join(notes) or "—")
    return row


def what_matters(result: pd.DataFrame, *, trials: pd.DataFrame | None = None,
                 metric: str = "objective") -> str:
    """One row per parameter: the verdict in words, effect with its interval, best range, shape.

    *trials* says which rows: one study's trials give that study's rows;
    trials of several budgets give the pooled rows (the budget as a block),
    the consistency between budgets and the scaling claim. Without *trials*,
    every label's table in turn.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> t = hi.datasets.example()
    >>> f = hi.findings(t)
    >>> text = what_matters(f, trials=t[t["study"] == "transformer-20M"], metric="AUC")
    >>> print(" | ".join(text.splitlines()[0].split(" | ")[:4]))
    | Parameter | Verdict | Effect on AUC [95% CI] | p (adjusted)
    """
    if trials is None:
        return "\n\n".join(what_matters(result, trials=result.assign(study=label))
                           for label in pd.unique(result["study"]))
    rows, single = _rows_for(result, trials)
    m = escape(metric)
    header = ["Parameter", "Verdict", f"Effect on {m} [95% CI]", "p (adjusted)", "Best range",
              "Shape"] + ([] if single else ["Between budgets"]) + ["Also"]
    out = []
    every = records(rows)
    body = _parameter_rows(every, pooled=not single)
    if body:  # a column with nothing to say for any parameter is left out
        keep = [j for j in range(len(header)) if j < 4 or any(r[j] != "—" for r in body)]
        out.append(table([header[j] for j in keep], [[r[j] for j in keep] for r in body]))
    counted = [r for r in every if r["claim"] == "matters"]
    if counted:
        r = counted[0]
        line = f"Claims rest on {int(r['n_trials'])} completed trials"
        extra = []
        if int(r.get("n_pruned", 0) or 0):
            extra.append(f"{int(r['n_pruned'])} pruned trials left out")
        if "n_outliers" in r and int(r["n_outliers"] or 0):
            extra.append(f"{int(r['n_outliers'])} diverged trials left out")
        out.append(line + (f" ({'; '.join(extra)})" if extra else "") + ".")
    for r in (r for r in every if r["claim"] in ("scaling", "collapse")):
        if r["claim"] == "collapse" and not bool(r["claimed"]):
            continue
        out.append(f"**{'Scaling with the budget' if r['claim'] == 'scaling' else 'Collapse'}:"
                   f" {escape(r['value'])}.** {escape(r['detail'])}")
    return "\n\n".join(out) or "No parameter was analysed."


def key_findings(result: pd.DataFrame, *, metric: str = "objective",
                 alpha: float = 0.05) -> str:
    """The claims ``hi.findings`` makes (``claimed``), pooled ones first, one line each.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"study": ["a", "a"], "param": ["lr", "wd"],
    ...     "claim": ["matters", "matters"], "value": ["yes", "no evidence"],
    ...     "claimed": [True, False], "p_adjusted": [0.01, 0.8],
    ...     "detail": ["lr matters in a.", "No evidence that wd matters in a."]})
    >>> print(key_findings(f).splitlines()[:2])
    ['- **a**', '  - lr matters in a.']
    """
    made = _claimed(result)
    if made.empty:
        return ("No claim holds at the page's error rate: no parameter is shown to matter, "
                "no trend, edge or difference between budgets is established. "
                "The details below describe the trials without drawing conclusions.")
    lines = []
    for label in pd.unique(made["study"].astype(str)):
        one = made[made["study"].astype(str) == label]
        head = f"Across budgets ({escape(label)})" if ", " in label else escape(label)
        lines.append(f"- **{head}**")
        lines += [f"  - {escape(d)}" for d in one["detail"]]
    return "\n".join(lines) + "\n\n" + _error_statement(made, alpha)


#: Claims outside the page's graph of tests, and what holds for each.
_OUTSIDE = {
    "collapse": "collapse lines count trials whose stored predictions are near-constant (an "
                "observation, not a test)",
    "plateau": "plateau lines rest on a bootstrap bound at {conf} per study",
    "best_better": "winner lines on the corrected resampled t-test, Holm at {alpha} within "
                   "each study",
}


def _error_statement(made: pd.DataFrame, alpha: float) -> str:
    """What the page's error rate covers: exactly the claims of the gatekeeping graph."""
    kinds = [k for k in _OUTSIDE if (made["claim"] == k).any()]
    if not kinds:
        return (f"Each line is a claim of hi.findings; the chance that any of them is false "
                f"is held at {alpha:.0%} (family-wise, over the page).")
    rest = "; ".join(_OUTSIDE[k].format(conf=f"{1 - alpha:.0%}", alpha=f"{alpha:.0%}")
                     for k in kinds)
    return (f"Each line is a claim of hi.findings. The chance that any claim about parameters "
            f"or budgets is false is held at {alpha:.0%} (family-wise, over the page). "
            f"The other lines are outside that budget: {rest} (their error rates are "
            "simulated in docs/statistics.md and docs/curves.md).")


def findings(result: pd.DataFrame, *, trials: pd.DataFrame | None = None,
             metric: str = "objective") -> str:
    """A :func:`hpo_insights.findings` result: the key findings, or with *trials* the
    "What matters" table of those trials (see :func:`what_matters`)."""
    if trials is None:
        return key_findings(result, metric=metric)
    return what_matters(result, trials=trials, metric=metric)
