"""The report's sections as Markdown, in the reference report's layout.

Each function takes a trials frame (and a study name for the per-study
sections) and returns Markdown text: the same headings, table headers, bar
chart and number formats as the report users know, followed by what the
reference leaves out (confidence intervals, trial counts, why a collapse
check is unknown). Nothing is computed here beyond formatting: the numbers come
from the public analyses (``hi.summarize``, ``hi.value_table`` ...), the text
from :mod:`hpo_insights.report._format`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from itertools import combinations

import pandas as pd

from hpo_insights import _frame as F
from hpo_insights._errors import TrialsError
from hpo_insights.report._format import escape, importance_line, mapping, number, table, value

__all__ = [
    "collapse",
    "coverage",
    "cross_budget",
    "extremes",
    "importance",
    "render",
    "study_header",
    "study_report",
    "summary",
    "trend",
    "trends",
]

_HARDWARE = F.STUDY_ATTR_PREFIX + "hardware"
_METRIC = "study_metric_name"
_SHORT = {"learning_rate": "LR", "weight_decay": "WD"}
_BEST_PARAMS = ("d_model", "n_layers", "learning_rate", "dropout", "weight_decay")
_TREND_ORDER = ("d_model", "n_layers", "n_heads", "learning_rate", "dropout", "weight_decay")
_PAIRS = (("d_model", "n_layers"), ("d_model", "n_heads"), ("learning_rate", "dropout"))


def _hi():
    import hpo_insights

    return hpo_insights


def _first(trials: pd.DataFrame, column: str) -> object:
    """The first non-missing value of *column*, or None."""
    if column not in trials.columns:
        return None
    present = trials[column].dropna()
    return present.iloc[0] if len(present) else None


def _one(trials: pd.DataFrame, study: str) -> pd.DataFrame:
    """The rows of *study*, or a TrialsError naming the studies there are."""
    trials = F.check_frame(trials)
    one = trials[trials[F.STUDY] == study]
    if one.empty:
        names = ", ".join(map(repr, pd.unique(trials[F.STUDY])))
        raise TrialsError(
            f"study {study!r} not found in column {F.STUDY!r}; the frame has: {names}. "
            "Pass one of these names."
        )
    return one.reset_index(drop=True)


def _metric(trials: pd.DataFrame) -> str:
    """The objective's display name (``study_metric_name``), else "Objective"."""
    name = _first(trials, _METRIC)
    return escape(name) if name is not None and str(name).strip() else "Objective"


def _label(trials: pd.DataFrame) -> str:
    """A study's budget label (``study_user_attrs_budget``), else its name (escaped)."""
    budget = _first(trials, F.BUDGET)
    return escape(budget if budget is not None else trials[F.STUDY].iloc[0])


def _bare(column: str) -> str:
    return column.removeprefix(F.PARAM_PREFIX)


# --------------------------------------------------------------------------- cross-budget


def cross_budget(
    trials: pd.DataFrame, *, objective: str | None = None, direction: str | None = None
) -> str:
    """The cross-budget comparison: best results, scaling law, consistency, collapse.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame with several studies or a ``study_user_attrs_budget`` column.
    objective, direction : str, optional
        As in :func:`hpo_insights.compare_budgets`.

    Returns
    -------
    str
        Markdown starting with ``# Cross-Budget HPO Comparison``.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> text = cross_budget(hi.datasets.example())
    >>> [line for line in text.splitlines() if line.startswith("#")]
    ['# Cross-Budget HPO Comparison', '## Best Results by Budget', '## Scaling Law Analysis', \
'## Parameter Consistency Across Budgets', '## Probability Collapse by Budget']
    """
    # the four budget analyses often warn the same thing (e.g. labels without a size):
    # pass each distinct warning on once
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        text = _cross_budget(trials, objective=objective, direction=direction)
    seen = set()
    for w in caught:
        key = (w.category, str(w.message))
        if key not in seen:
            seen.add(key)
            warnings.warn(w.message, w.category, stacklevel=2)
    return text


def _cross_budget(trials: pd.DataFrame, *, objective: str | None, direction: str | None) -> str:
    hi = _hi()
    trials = F.check_frame(trials)
    metric = _metric(trials)
    best = hi.compare_budgets(trials, objective=objective, direction=direction)
    pcols = [c for c in best.columns if c.startswith(F.PARAM_PREFIX)]
    main = [c for c in pcols if _bare(c) in _BEST_PARAMS] or pcols
    other = [c for c in pcols if c not in main]
    header = ["Budget", f"Best {metric}"] + [
        f"Best {_SHORT.get(_bare(c), escape(_bare(c)))}" for c in main
    ]
    rows = [
        [escape(r["budget"]), number(r["best"])] + [value(r[c]) for c in main]
        for _, r in best.iterrows()
    ]
    out = ["# Cross-Budget HPO Comparison", "## Best Results by Budget", table(header, rows)]
    extra_header = ["Budget", "Study", "Trial"] + [escape(_bare(c)) for c in other]
    extra_rows = [
        [escape(r["budget"]), escape(r["study"]), value(r["number"])] + [value(r[c]) for c in other]
        for _, r in best.iterrows()
    ]
    out.append("Best trial of each budget" + (" and its other parameters:" if other else ":"))
    out.append(table(extra_header, extra_rows))

    check = hi.scaling_check(trials, objective=objective, direction=direction)
    lines = [f"- {escape(r['budget'])}: {number(r['best'])}" for _, r in check.table.iterrows()]
    out += ["## Scaling Law Analysis", "\n".join(lines)]
    # the ranking's labels are data (escaped); the ">" between them is ours
    statement = " > ".join(escape(label) for label in check.ranking)
    if check.holds:
        out.append(
            f"**Scaling law holds**: {statement}\n"
            f"Each larger budget reaches a better best {metric} than the smaller ones."
        )
    else:
        out.append(
            f"**Scaling law VIOLATED**: {statement}\n"
            "This suggests larger models may be overfitting or need different regularization."
        )

    consistency = hi.param_consistency(trials, objective=objective, direction=direction)
    lines = [
        f"- **{escape(r['param'])}**: "
        f"{'Consistent' if r['consistent'] else 'Inconsistent'} - {mapping(r['values'])}"
        for _, r in consistency.iterrows()
    ]
    out += [
        "## Parameter Consistency Across Budgets",
        "\n".join(lines) or "No parameter shares one grid across budgets.",
    ]

    col = hi.collapse_by_budget(trials)
    rows = []
    for _, r in col.iterrows():
        yes = r["collapse"] == "Yes"
        rng = f"{number(r['pred_low'])}-{number(r['pred_high'])}" if yes else "N/A"
        rows.append(
            [
                escape(r["budget"]),
                escape(r["collapse"]),
                rng,
                number(r["mean_recall"]) if yes else "N/A",
            ]
        )
    out += [
        "## Probability Collapse by Budget",
        table(["Budget", "Collapse?", "Pred Range", "Avg Recall"], rows),
    ]
    counts = [
        f"{escape(r['budget'])}: {r['n_collapsed']} of {r['n_measured']} measured trials collapsed"
        if r["n_measured"]
        else f"{escape(r['budget'])}: unknown (no prediction statistics recorded)"
        for _, r in col.iterrows()
    ]
    out.append("Trials checked: " + "; ".join(counts) + ".")
    return "\n\n".join(out)


# --------------------------------------------------------------------------- one study


def study_header(trials: pd.DataFrame, study: str) -> str:
    """The title of a study's section: ``# HPO Analysis: <budget> (<hardware>)``.

    The budget label is ``study_user_attrs_budget`` (else the study name), the
    hardware ``study_user_attrs_hardware`` (left out when absent).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"study": ["s"], "number": [0], "state": ["COMPLETE"],
    ...                   "study_user_attrs_budget": ["2M"], "study_user_attrs_hardware": ["a100"]})
    >>> study_header(t, "s")
    '# HPO Analysis: 2M (a100)'
    """
    one = _one(trials, study)
    hardware = _first(one, _HARDWARE)
    return f"# HPO Analysis: {_label(one)}" + (
        f" ({escape(hardware)})" if hardware is not None else ""
    )


def summary(trials: pd.DataFrame, study: str) -> str:
    """``## Summary Statistics``: trial count, best/mean/std objective, best configuration.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> print(summary(hi.datasets.example(), "transformer-2M").splitlines()[2])
    - Total trials: 50
    """
    hi = _hi()
    one = _one(trials, study)
    metric = _metric(one)
    s = hi.summarize(one).iloc[0]
    best = hi.best_trial(one)
    lines = [
        f"- Total trials: {s['n_trials']}",
        f"- Best {metric}: {number(s['best'])}",
        f"- Mean {metric}: {number(s['mean'])}",
        f"- Std {metric}: {number(s['std'])}",
    ]
    out = ["## Summary Statistics", "\n".join(lines)]
    if len(best):
        b = best.iloc[0]
        config = [
            f"  - {escape(_bare(c))}: {value(b[c])}"
            for c in best.columns
            if c.startswith(F.PARAM_PREFIX)
        ]
        out.append("**Best Configuration:**\n" + "\n".join(config))
        out.append(f"Best trial: number {value(b['number'])} ({escape(s['direction'])}).")
    out.append(
        f"Counted: {s['n_used']} of {s['n_trials']} trials (COMPLETE with a finite {metric}); "
        f"{s['n_pruned']} pruned, {s['n_fail']} failed, {s['n_running']} running, "
        f"{s['n_waiting']} waiting."
    )
    return "\n\n".join(out)


def collapse(trials: pd.DataFrame, study: str) -> str:
    """``## Probability Collapse Analysis``: whether predictions collapsed to a narrow range.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> collapse(hi.datasets.example(), "transformer-2M").splitlines()[0]
    '## Probability Collapse Analysis'
    """
    hi = _hi()
    one = _one(trials, study)
    r = hi.collapse_summary(one).iloc[0]
    if r["collapse"] == "Yes":
        body = (
            f"**Probability collapse detected** in {r['n_collapsed']} of "
            f"{r['n_measured']} measured trials.\n\n"
            f"- Pred range: {number(r['pred_low'])}-{number(r['pred_high'])}\n"
            f"- Avg recall: {number(r['mean_recall'])}"
        )
    elif r["collapse"] == "No":
        body = (
            "No probability collapse detected.\n\n"
            f"Trials checked: {r['n_measured']} (those with prediction statistics)."
        )
    else:
        body = "Probability collapse: unknown (no prediction statistics recorded)."
    return "## Probability Collapse Analysis\n\n" + body


def importance(trials: pd.DataFrame, study: str) -> str:
    """``## Parameter Importance``: the ``#``-bar chart of each parameter's eta squared.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> print(importance(hi.datasets.example(), "transformer-2M").splitlines()[2])
    (Fraction of AUC variance explained by each parameter)
    """
    hi = _hi()
    one = _one(trials, study)
    metric = _metric(one)
    shares = hi.variance_explained(one)
    chart = "\n".join(importance_line(r["param"], r["share"]) for _, r in shares.iterrows())
    n = int(shares["n_trials"].max()) if len(shares) else 0
    note = (
        "Shares are exact eta^2 (between-value sum of squares over total) "
        f"on {n} completed trials; "
        "parameters that vary together share variance, so they need not add up to 1."
    )
    return "\n\n".join(
        [
            "## Parameter Importance",
            f"(Fraction of {metric} variance explained by each parameter)",
            # The reference's bar lines, fenced so that HTML keeps one line per parameter.
            f"```text\n{chart}\n```",
            note,
        ]
    )


def trend(trials: pd.DataFrame, study: str, param: str) -> str:
    """One ``### <param>`` block: trend, best and worst value, the per-value table.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> print(trend(hi.datasets.example(), "transformer-2M", "n_heads").splitlines()[0])
    ### n_heads
    """
    hi = _hi()
    one = _one(trials, study)
    metric = _metric(one)
    t = hi.classify_trend(one, params=param).iloc[0]
    vt = hi.value_table(one, params=param)
    lines = [
        f"- Trend: **{escape(t['trend'])}**",
        f"- Best value: {value(t['best_value'])} (mean {metric}: {number(t['best_mean'])})",
        f"- Worst value: {value(t['worst_value'])} (mean {metric}: {number(t['worst_mean'])})",
    ]
    rows = [
        [value(r["value"]), number(r["mean"]), number(r["std"]), str(r["count"])]
        for _, r in vt.iterrows()
    ]
    ci = "; ".join(
        f"{value(r['value'])}: [{number(r['ci_low'])}, {number(r['ci_high'])}]"
        if pd.notna(r["ci_low"])
        else f"{value(r['value'])}: N/A (one trial)"
        for _, r in vt.iterrows()
    )
    notes = [f"95% CI of the mean {metric}: {ci}."]
    if vt["binned"].any():
        notes.append(
            f"{escape(t['param'])} is continuous: its values are grouped into {len(vt)} "
            "quantile intervals ([low, high))."
        )
    return "\n\n".join(
        [
            f"### {escape(t['param'])}",
            "\n".join(lines),
            table(["Value", f"Mean {metric}", "Std", "Count"], rows),
            *notes,
        ]
    )


def trends(trials: pd.DataFrame, study: str, params: str | Sequence[str] | None = None) -> str:
    """``## Parameter Trends`` with a :func:`trend` block per parameter.

    By default every parameter: those of the reference report first (d_model,
    n_layers, n_heads, learning_rate, dropout, weight_decay, in that order),
    then the others in column order.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> text = trends(hi.datasets.example(), "transformer-2M", ["d_model", "dropout"])
    >>> [line for line in text.splitlines() if line.startswith("#")]
    ['## Parameter Trends', '### d_model', '### dropout']
    """
    one = _one(trials, study)
    names = [_bare(c) for c in F.param_columns(one, params)]
    if params is None:  # the reference report's parameters first, in its order
        names.sort(key=lambda p: _TREND_ORDER.index(p) if p in _TREND_ORDER else len(_TREND_ORDER))
    return "\n\n".join(["## Parameter Trends"] + [trend(one, study, p) for p in names])


def _default_pairs(one: pd.DataFrame) -> list[tuple[str, str]]:
    names = F.param_names(one)
    pairs = [p for p in _PAIRS if p[0] in names and p[1] in names]
    return pairs or list(combinations(names, 2))[:3]


def coverage(
    trials: pd.DataFrame, study: str, pairs: Sequence[tuple[str, str]] | None = None
) -> str:
    """``## Coverage Matrices``: trial counts for each combination of two parameters.

    Parameters
    ----------
    pairs : sequence of (str, str), optional
        Row and column parameter of each matrix; default d_model × n_layers,
        d_model × n_heads, learning_rate × dropout (those that exist), else the
        first three pairs of parameters.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> text = coverage(hi.datasets.example(), "transformer-2M", [("d_model", "n_heads")])
    >>> print("\\n".join(text.splitlines()[6:8]))
    | d_model | 2 | 4 | 8 |
    | --- | --- | --- | --- |
    """
    hi = _hi()
    one = _one(trials, study)
    out = ["## Coverage Matrices", "(Count of trials testing each combination)"]
    for row_param, col_param in pairs if pairs is not None else _default_pairs(one):
        long = hi.coverage_crosstab(one, params=(row_param, col_param))
        rows_v = pd.unique(long["row_value"])
        cols_v = pd.unique(long["col_value"])
        counts = long["n_trials"].to_numpy().reshape(len(rows_v), len(cols_v))
        r_name, c_name = (
            escape(_bare(F.param_column(one, row_param))),
            escape(_bare(F.param_column(one, col_param))),
        )
        body = [[value(rv)] + [str(int(n)) for n in counts[i]] for i, rv in enumerate(rows_v)]
        out += [
            f"### {r_name} × {c_name}",
            table([r_name] + [value(c) for c in cols_v], body, rule="short"),
        ]
    return "\n\n".join(out)


def extremes(trials: pd.DataFrame, study: str) -> str:
    """``## Forced Extreme Trials``: the trials that forced a parameter to its min or max.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> extremes(hi.datasets.example(), "transformer-2M").splitlines()[0]
    '## Forced Extreme Trials'
    """
    hi = _hi()
    one = _one(trials, study)
    metric = _metric(one)
    fx = hi.forced_extremes(one)
    if fx.empty:
        return "## Forced Extreme Trials\n\nNo forced extreme trials recorded."
    params = [p for p in pd.unique(fx["extreme_param"]) if F.PARAM_PREFIX + str(p) in fx.columns]
    rows = [
        [value(r["number"]), escape(r["extreme_type"]), number(r["value"])]
        + [value(r[F.PARAM_PREFIX + p]) for p in params]
        for _, r in fx.iterrows()
    ]
    out = [
        "## Forced Extreme Trials",
        table(["Trial", "Extreme Type", metric] + [escape(p) for p in params], rows),
    ]
    unfinished = fx[fx["state"] != "COMPLETE"]
    if len(unfinished):
        out.append(
            "Not completed: "
            + ", ".join(
                f"trial {value(r['number'])} ({escape(r['state'])})"
                for _, r in unfinished.iterrows()
            )
            + f"; {'its' if len(unfinished) == 1 else 'their'} {metric} is not counted."
        )
    return "\n\n".join(out)


def study_report(trials: pd.DataFrame, study: str) -> str:
    """Every section of one study, from :func:`study_header` to :func:`extremes`.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> study_report(hi.datasets.example(), "transformer-2M").splitlines()[0]
    '# HPO Analysis: 2M (a100)'
    """
    parts = (study_header, summary, collapse, importance, trends, coverage, extremes)
    return "\n\n".join(part(trials, study) for part in parts)


def render(
    trials: pd.DataFrame, *, objective: str | None = None, direction: str | None = None
) -> str:
    """The whole report: the cross-budget part if there are budgets, then each study.

    The cross-budget part is shown for several studies or a budget column.

    Parts are separated by ``---`` lines, as in the reference report.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> text = render(hi.datasets.example())
    >>> text.count("# HPO Analysis:")
    3
    """
    trials = F.check_frame(trials)
    parts = []
    if trials[F.STUDY].nunique() > 1 or F.BUDGET in trials.columns:
        parts.append(cross_budget(trials, objective=objective, direction=direction))
    parts += [study_report(trials, s) for s in pd.unique(trials[F.STUDY])]
    return "\n\n---\n\n".join(parts) + "\n"
