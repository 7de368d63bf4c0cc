"""The report notebook: one ordered list of sections, turned into cells.

:data:`SECTIONS` is the single description of what a report holds. Each
section is a heading and code cells that each make one library call and show
its result (``importance_2m = hi.variance_explained(trials_2m)`` then
``hi.report.show(importance_2m)``, and a cell drawing it). :func:`notebook`
turns the list into the notebook :func:`hpo_insights.report.build` executes;
:func:`run_in_process` runs the same cells here (no kernel, no figures) for
:func:`hpo_insights.report.markdown.render`; the tests read the same list.

Study names, paths and titles never appear in code: they reach the notebook as
JSON data in the parameters cell, and in Markdown cells escaped.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal

import pandas as pd

from hpo_insights import _frame as F
from hpo_insights.report._format import escape
from hpo_insights.report.markdown import Layout, layout_of

__all__ = ["PARAMETER_NAMES", "SECTIONS", "Section", "notebook", "run_in_process"]

PARAMETER_NAMES = ("source", "studies", "objective", "direction", "params", "title", "trials_file")
_PRED_COLUMNS = tuple(F.USER_ATTR_PREFIX + c for c in ("pred_min", "pred_max", "pred_std"))
_EXTREME = F.USER_ATTR_PREFIX + "extreme_type"
_HARDWARE = F.STUDY_ATTR_PREFIX + "hardware"


@dataclass(frozen=True)
class Part:
    """What the cells of one section are made for: the whole frame or one study.

    ``t`` is the variable holding the trials (``trials`` or ``trials_2m``),
    ``s`` the suffix of result variables (``""`` or ``"_2m"``), ``names`` the
    parameter names of the study (for layout-given pairs), ``frame`` its trials.
    """

    t: str
    s: str
    frame: pd.DataFrame
    layout: Layout

    @property
    def kw(self) -> str:
        return "" if self.layout.name == "default" else f', layout="{self.layout.name}"'


@dataclass(frozen=True)
class Section:
    """One section of the report.

    Attributes
    ----------
    key : str
        Short name (``"importance"``), used in anchors and progress messages.
    scope : {"budgets", "study"}
        Once across budgets, or once per study.
    heading : str
        Heading in the default layout.
    reference : str or None
        Heading in the reference layout (None: not in that layout).
    cells : callable
        ``Part -> list of (code, is_figure)``.
    applies : callable
        ``trials -> bool``: whether the section is shown for these trials.
    """

    key: str
    scope: Literal["budgets", "study"]
    heading: str
    reference: str | None
    cells: Callable[[Part], list[tuple[str, bool]]]
    applies: Callable[[pd.DataFrame], bool] = lambda trials: True


def _has_predictions(trials: pd.DataFrame) -> bool:
    return any(c in trials.columns and trials[c].notna().any() for c in _PRED_COLUMNS)


def _has_extremes(trials: pd.DataFrame) -> bool:
    return _EXTREME in trials.columns and trials[_EXTREME].notna().any()


def _two_params(trials: pd.DataFrame) -> bool:
    return len(F.param_names(trials)) >= 2


def _ranked(p: Part, n: int | None = None) -> str:
    tail = "" if n is None else f"[:{n}]"
    return f'list(importance{p.s}["param"]{tail})'


def _cells_summary(p: Part) -> list[tuple[str, bool]]:
    return [
        (f"summary{p.s} = hi.summarize({p.t})\nhi.report.show(summary{p.s}, metric=metric{p.kw})",
         False),
        (f"best{p.s} = hi.best_trial({p.t})\nhi.report.show(best{p.s}, metric=metric{p.kw})",
         False),
    ]


def _cells_collapse(p: Part) -> list[tuple[str, bool]]:
    cells = [(f"collapse{p.s} = hi.collapse_summary({p.t})\nhi.report.show(collapse{p.s}{p.kw})",
              False)]
    if _has_predictions(p.frame):
        cells.append((f"flags{p.s} = hi.detect_collapse({p.t})\n"
                      f"hi.plot.detect_collapse(flags{p.s}, min_range=0.05, metric=metric);", True))
    return cells


def _cells_importance(p: Part) -> list[tuple[str, bool]]:
    return [
        (f"importance{p.s} = hi.variance_explained({p.t})\n"
         f"hi.report.show(importance{p.s}, metric=metric{p.kw})", False),
        (f"hi.plot.variance_explained(importance{p.s});", True),
    ]


def _cells_trends(p: Part) -> list[tuple[str, bool]]:
    if p.layout.name == "reference":
        return [
            (f"trends{p.s} = hi.classify_trend({p.t})", False),
            (f"levels{p.s} = hi.value_table({p.t})\n"
             f"hi.report.show(levels{p.s}, trend=trends{p.s}, metric=metric{p.kw})", False),
            (f"hi.plot.value_table(levels{p.s}, params={_ranked(p, 2)}, trend=trends{p.s}, "
             "metric=metric);", True),
        ]
    return [
        (f'trends{p.s} = hi.classify_trend({p.t}, params={_ranked(p)}, method="shape")\n'
         f"hi.report.show(trends{p.s}, metric=metric)", False),
        (f"levels{p.s} = hi.value_table({p.t}, params={_ranked(p)})\n"
         f"hi.report.show(levels{p.s}, metric=metric)", False),
        (f"hi.plot.value_table(levels{p.s}, params={_ranked(p, 2)}, trend=trends{p.s}, "
         "metric=metric);", True),
    ]


def _cells_association(p: Part) -> list[tuple[str, bool]]:
    return [(f"association{p.s} = hi.sampling_association({p.t})\n"
             f"hi.report.show(association{p.s})", False)]


def _cells_space(p: Part) -> list[tuple[str, bool]]:
    return [(f"space{p.s} = hi.search_space_importance({p.t})\nhi.report.show(space{p.s})",
             False)]


def _cells_suggestions(p: Part) -> list[tuple[str, bool]]:
    return [(f"next{p.s} = hi.suggestions({p.t})\nhi.report.show(next{p.s}, metric=metric)",
             False)]


def _cells_importance_budgets(p: Part) -> list[tuple[str, bool]]:
    return [("importance_budgets = hi.importance_by_budget(trials)\n"
             "hi.report.show(importance_budgets)", False),
            ("hi.plot.importance_by_budget(importance_budgets);", True)]


def _cells_coverage(p: Part) -> list[tuple[str, bool]]:
    names = F.param_names(p.frame)
    pairs = [q for q in p.layout.pairs if q[0] in names and q[1] in names]
    if p.layout.name == "reference" and not pairs:
        pairs = list(combinations(range(len(names)), 2))[:3]  # positions: names stay data
    if not pairs:  # the table holds every count; hi.plot.coverage_crosstab draws it as a heatmap
        return [
            (f"coverage{p.s} = hi.coverage_crosstab({p.t}, params={_ranked(p, 2)})\n"
             f"hi.report.show(coverage{p.s})", False),
        ]
    cells = []
    for i, (a, b) in enumerate(pairs, start=1):
        if isinstance(a, int):
            arg = f"params=[names_of{p.s}[{a}], names_of{p.s}[{b}]]"
            if i == 1:
                cells.append((f"names_of{p.s} = hi.report.param_names({p.t})", False))
        else:
            arg = f"params=[{a!r}, {b!r}]"  # from the layout (package constants), not the data
        cells.append((f"coverage{p.s}_{i} = hi.coverage_crosstab({p.t}, {arg})\n"
                      f"hi.report.show(coverage{p.s}_{i}{p.kw})", False))
    cells.append((f"hi.plot.coverage_crosstab(coverage{p.s}_1);", True))
    return cells


def _cells_extremes(p: Part) -> list[tuple[str, bool]]:
    return [(f"extremes{p.s} = hi.forced_extremes({p.t})\n"
             f"hi.report.show(extremes{p.s}, metric=metric{p.kw})", False)]


def _cells_best(p: Part) -> list[tuple[str, bool]]:
    return [(f"budgets = hi.compare_budgets(trials)\nhi.report.show(budgets, metric=metric{p.kw})",
             False)]


def _cells_history(p: Part) -> list[tuple[str, bool]]:
    return [
        ("history = hi.optimization_history(trials)\n"
         "hi.plot.compare_budgets(budgets, history=history, metric=metric);", True),
        ("hi.plot.optimization_history(history, metric=metric);", True),
    ]


def _cells_scaling(p: Part) -> list[tuple[str, bool]]:
    return [(f"scaling = hi.scaling_check(trials)\nhi.report.show(scaling, metric=metric{p.kw})",
             False)]


def _cells_consistency(p: Part) -> list[tuple[str, bool]]:
    return [(f"consistency = hi.param_consistency(trials)\nhi.report.show(consistency{p.kw})",
             False)]


def _cells_budget_collapse(p: Part) -> list[tuple[str, bool]]:
    return [(f"collapse = hi.collapse_by_budget(trials)\nhi.report.show(collapse{p.kw})", False)]


SECTIONS: tuple[Section, ...] = (
    Section("best", "budgets", "Best trial per budget", "Best Results by Budget", _cells_best),
    Section("history", "budgets", "Objective per budget and over time", "", _cells_history),
    Section("scaling", "budgets", "Scaling with the budget", "Scaling Law Analysis",
            _cells_scaling),
    Section("consistency", "budgets", "Parameter consistency across budgets",
            "Parameter Consistency Across Budgets", _cells_consistency),
    Section("budget-collapse", "budgets", "Probability collapse per budget",
            "Probability Collapse by Budget", _cells_budget_collapse),
    Section("importance-budgets", "budgets", "Parameter importance across budgets", None,
            _cells_importance_budgets),
    Section("summary", "study", "Summary", "Summary Statistics", _cells_summary),
    Section("collapse", "study", "Probability collapse", "Probability Collapse Analysis",
            _cells_collapse, _has_predictions),
    Section("importance", "study", "Parameter importance", "Parameter Importance",
            _cells_importance),
    Section("space", "study", "Importance over the search space", None, _cells_space),
    Section("association", "study", "Parameters sampled together", None, _cells_association,
            _two_params),
    Section("trends", "study", "Parameter trends", "Parameter Trends", _cells_trends),
    Section("coverage", "study", "Coverage", "Coverage Matrices", _cells_coverage, _two_params),
    Section("extremes", "study", "Forced extreme trials", "Forced Extreme Trials",
            _cells_extremes, _has_extremes),
    Section("suggestions", "study", "What to try next", None, _cells_suggestions),
)
"""The report, in order: the cross-budget part, then each study's sections."""


# --------------------------------------------------------------------------- building cells


def _has_budgets(trials: pd.DataFrame) -> bool:
    return trials[F.STUDY].nunique() > 1 or F.BUDGET in trials.columns


def _first(frame: pd.DataFrame, column: str) -> Any:
    if column not in frame.columns:
        return None
    present = frame[column].dropna()
    return present.iloc[0] if len(present) else None


def _suffixes(trials: pd.DataFrame, names: Sequence[Any]) -> list[str]:
    """A Python-identifier suffix per study: its budget label (or name), lower case."""
    out: list[str] = []
    for name in names:
        one = trials[trials[F.STUDY] == name]
        label = _first(one, F.BUDGET)
        text = re.sub(r"[^0-9a-zA-Z]+", "_", str(label if label is not None else name))
        text = text.strip("_").lower()[:24] or "study"
        candidate, k = text, 2
        while candidate in out:
            candidate, k = f"{text}_{k}", k + 1
        out.append(candidate)
    return out


@dataclass
class Cell:
    """One notebook cell before it becomes an nbformat node."""

    kind: Literal["markdown", "code"]
    source: str
    section: str = ""
    tags: tuple[str, ...] = ()


def _heading(level: int, text: str, anchor: str) -> str:
    return f'<a id="{anchor}"></a>\n\n{"#" * level} {text}'


def _study_label(one: pd.DataFrame, name: Any) -> tuple[str, str]:
    """(label, hardware) of a study, escaped: its budget (else its name), and hardware."""
    budget = _first(one, F.BUDGET)
    hardware = _first(one, _HARDWARE)
    return (escape(budget if budget is not None else name),
            escape(hardware) if hardware is not None else "")


def cells(trials: pd.DataFrame, *, layout: str | Layout = "default",
          title: str | None = None) -> list[Cell]:
    """Every cell of the report notebook for *trials*, from :data:`SECTIONS`."""
    lay = layout_of(layout)
    names = list(pd.unique(trials[F.STUDY]))
    suffix = _suffixes(trials, names)
    ref = lay.name == "reference"
    out = [Cell("markdown", f"# {escape(title or 'Hyperparameter search report')}",
                tags=("title",))]
    toc: list[str] = ["- [Key findings](#key-findings)"]
    body: list[Cell] = []
    made: dict[str, list[str]] = {}  # section key -> the suffixes of its result variables
    if _has_budgets(trials):
        part = Part("trials", "", trials, lay)
        head = "Cross-Budget HPO Comparison" if ref else "Across budgets"
        body.append(Cell("markdown", _heading(1 if ref else 2, head, "budgets"), "budgets"))
        toc.append(f"- [{head}](#budgets)")
        for sec in SECTIONS:
            if sec.scope != "budgets" or not sec.applies(trials):
                continue
            text = sec.reference if ref else sec.heading
            if text is None:
                continue
            if text:
                anchor = f"budgets-{sec.key}"
                body.append(Cell("markdown", _heading(2 if ref else 3, text, anchor), sec.key))
                toc.append(f"  - [{text}](#{anchor})")
            made.setdefault(sec.key, []).append("")
            for code, figure in sec.cells(part):
                body.append(Cell("code", code, f"across budgets: {sec.key}",
                                 ("figure",) if figure else ()))
    for i, (name, s) in enumerate(zip(names, suffix, strict=True)):
        one = trials[trials[F.STUDY] == name]
        label, hardware = _study_label(one, name)
        anchor = f"study-{i + 1}"
        if ref:
            head = f"HPO Analysis: {label}" + (f" ({hardware})" if hardware else "")
            body.append(Cell("markdown", "---\n\n" + _heading(1, head, anchor)))
        else:
            shown = escape(name) if escape(name) == label else f"{label} ({escape(name)})"
            head = f"Study {shown}" + (f", {hardware}" if hardware else "")
            body.append(Cell("markdown", _heading(2, head, anchor)))
        toc.append(f"- [{head}](#{anchor})")
        links: list[str] = []
        progress = f"study {name}"
        body.append(Cell("code", f't = trials[trials["study"] == names[{i}]]\n'
                         f"trials_{s} = t.reset_index(drop=True)", f"{progress}: trials"))
        part = Part(f"trials_{s}", f"_{s}", one, lay)
        for sec in SECTIONS:
            if sec.scope != "study":
                continue
            text = sec.reference if ref else sec.heading
            if text is None or not (ref or sec.applies(one)):
                continue
            if ref and sec.key == "coverage" and not _two_params(one):
                continue
            sub = f"{anchor}-{sec.key}"
            body.append(Cell("markdown", _heading(2 if ref else 3, text, sub), sec.key))
            links.append(f"[{text}](#{sub})")
            if ref and sec.key == "coverage":
                body.append(Cell("markdown", "(Count of trials testing each combination)"))
            made.setdefault(sec.key, []).append(f"_{s}")
            for code, figure in sec.cells(part):
                body.append(Cell("code", code, f"{progress}: {sec.key}",
                                 ("figure",) if figure else ()))
        toc[-1] += ": " + " · ".join(links)
    out.append(Cell("markdown", _heading(2, "Contents", "contents") + "\n\n" + "\n".join(toc),
                    tags=("contents",)))
    out.append(Cell("code", _SETUP, "loading the trials", ("setup",)))
    out += body
    out.append(Cell("markdown", _heading(2, "Key findings", "key-findings"),
                    tags=("key-findings",)))
    out.append(Cell("code", _findings_call(made), "key findings", ("key-findings",)))
    return out


_SETUP = """\
%matplotlib inline
%config InlineBackend.print_figure_kwargs = {"bbox_inches": None}
import hpo_insights as hi

trials = hi.report.load_trials(source, studies=studies, objective=objective,
                               direction=direction, params=params, trials_file=trials_file)
names = list(trials["study"].unique())
metric = hi.report.metric_name(trials)
hi.report.show_warnings_as_notes()"""


def _findings_call(made: dict[str, list[str]]) -> str:
    """The key-findings cell: every result it reads was made by a cell above."""
    studies = {"importance": "importance", "trends": "trends", "collapse": "collapse",
               "suggestions": "next"}
    args = [f"{arg}=[" + ", ".join(f"{var}{s}" for s in made[key]) + "]"
            for key, var in studies.items() for arg in [key] if made.get(key)]
    args += [f"{key}={key}" for key in ("scaling", "consistency") if made.get(key)]
    return "hi.report.show_findings(\n    " + ",\n    ".join([*args, "metric=metric"]) + ")"


# --------------------------------------------------------------------------- notebook


def _parameters_source(values: dict[str, Any]) -> str:
    literal = repr(json.dumps(values))  # a Python string literal holding JSON: data only
    names = ", ".join(PARAMETER_NAMES)
    keys = ", ".join(repr(k) for k in PARAMETER_NAMES)
    return (
        "# Parameters: what the report is about (data, read by the next cell)\n"
        "import json\n"
        f"PARAMETERS = json.loads({literal})\n"
        f"{names} = (PARAMETERS[k] for k in ({keys}))"
    )


def notebook(trials: pd.DataFrame, values: dict[str, Any], *, layout: str | Layout = "default",
             title: str | None = None) -> Any:
    """The report notebook (an nbformat node) for *trials*, parameters *values* injected.

    Every code cell is tagged ``hide-input`` (the HTML and Markdown show
    outputs only) and carries ``metadata.hpo_insights.section``, the name used
    in progress and error messages.
    """
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    params = nbformat.v4.new_code_cell(_parameters_source(values))
    params.metadata["tags"] = ["parameters", "hide-input"]
    params.metadata["hpo_insights"] = {"section": "parameters"}
    all_cells = cells(trials, layout=layout, title=title)
    setup_at = next(i for i, c in enumerate(all_cells) if "setup" in c.tags)
    for i, c in enumerate(all_cells):
        if i == setup_at:
            nb.cells.append(params)
        if c.kind == "markdown":
            node = nbformat.v4.new_markdown_cell(c.source)
        else:
            node = nbformat.v4.new_code_cell(c.source)
            node.metadata["hpo_insights"] = {"section": c.section}
        node.metadata["tags"] = [*c.tags, *(["hide-input"] if c.kind == "code" else [])]
        nb.cells.append(node)
    for i, node in enumerate(nb.cells):  # stable ids: the same trials give the same notebook
        node["id"] = f"cell-{i:03d}"
    return nb


# --------------------------------------------------------------------------- in process


def run_in_process(trials: pd.DataFrame, *, layout: str | Layout = "default",
                   title: str | None = None,
                   studies: str | Sequence[str] | None = None) -> str:
    """Run the report's analysis cells here and return the Markdown they show.

    Figure cells are skipped; everything else (headings, tables, notes from
    warnings) comes out as in the notebook.
    """
    from hpo_insights.report import _show

    trials = F.check_frame(trials)
    if studies is not None:
        from hpo_insights.report._build import load_trials

        trials = load_trials(trials, studies=studies)
    namespace: dict[str, Any] = {
        **dict.fromkeys(PARAMETER_NAMES), "source": trials,
    }
    parts: list[tuple[str, bool]] = []
    shown: list[str] = []
    seen: set[str] = set()
    with _show.capture(shown):
        for c in cells(trials, layout=layout, title=title):
            findings = "key-findings" in c.tags
            if c.kind == "markdown":
                parts.append((_strip_anchor(c.source), findings))
                continue
            if "figure" in c.tags:
                continue
            code = "\n".join(line for line in c.source.splitlines()
                             if not line.startswith("%"))
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                exec(compile(code, f"<report cell: {c.section}>", "exec"), namespace)
            _show.notes(caught, seen)
            parts += [(text, findings) for text in shown]
            shown.clear()
    # as in the HTML: title, contents, key findings, then the sections
    head = [t for t, _ in parts[:2]]
    findings = [t for t, f in parts if f]
    rest = [t for t, f in parts[2:] if not f]
    return "\n\n".join(head + findings + rest) + "\n"


def _strip_anchor(text: str) -> str:
    return re.sub(r'<a id="[^"]*"></a>\n\n', "", text)
