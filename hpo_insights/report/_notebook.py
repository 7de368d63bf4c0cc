"""The report notebook: the layout's sections (:mod:`hpo_insights.report.sections`) as cells.

:func:`steps` walks a layout's :class:`~hpo_insights.report.sections.Page` once
for the trials: Markdown text (title, contents, headings) and the calls of
every section, each with the part (study or across budgets) it runs for.
:func:`notebook` writes the calls of a section into one readable code cell
(:func:`cells`);
:func:`hpo_insights.report.render` runs the same steps in this process.

Study names, paths and titles never appear in code: they reach the notebook as
JSON data in the parameters cell, and in Markdown cells escaped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from hpo_insights import _frame as F
from hpo_insights.report._format import escape
from hpo_insights.report.layouts import layout_page
from hpo_insights.report.sections import (
    Call,
    Name,
    Page,
    Ref,
    Section,
    Show,
    has_budgets,
)

__all__ = ["PARAMETER_NAMES", "Part", "Step", "cells", "notebook", "steps"]

PARAMETER_NAMES = ("source", "studies", "objective", "direction", "params", "title", "trials_file",
                   "pruner")
_HARDWARE = F.STUDY_ATTR_PREFIX + "hardware"


@dataclass(frozen=True)
class Part:
    """What the calls of a section run for: the page's top, across budgets, or one study.

    ``t`` is the variable holding the trials (``trials`` or ``trials_2m``),
    ``s`` the suffix of result variables (``""`` or ``"_2m"``), ``index`` the
    study's position in ``names`` (None outside a study), ``frame`` its trials.
    """

    t: str
    s: str
    frame: pd.DataFrame
    index: int | None = None
    study: Any = None
    made: dict[str, list[str]] | None = None  # result -> suffixes of the parts that saved it


@dataclass(frozen=True)
class Step:
    """One step of the report: Markdown text, or a call of a section for a part."""

    kind: Literal["markdown", "call", "setup", "trials", "curves"]
    text: str = ""
    call: Call | None = None
    part: Part | None = None
    section: str = ""
    tags: tuple[str, ...] = ()


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


def _heading(level: int, text: str, anchor: str) -> str:
    return f'<a id="{anchor}"></a>\n\n{"#" * level} {text}'


def _study_heading(page: Page, one: pd.DataFrame, name: Any) -> str:
    budget = _first(one, F.BUDGET)
    hardware = _first(one, _HARDWARE)
    label = escape(budget if budget is not None else name)
    return page.study_heading.format(
        name=escape(name), label=label,
        budget=f" (budget {label})" if budget is not None and label != escape(name) else "",
        hardware=f" ({escape(hardware)})" if hardware is not None else "")


def _section_steps(sec: Section, part: Part, page: Page, anchor: str, progress: str,
                   links: list[str], level: int | None = None) -> Iterator[Step]:
    if sec.heading:
        yield Step("markdown", _heading(level or page.section_level, sec.heading, anchor),
                   section=sec.key)
        links.append(f"[{sec.heading}](#{anchor})")
    if sec.intro:
        yield Step("markdown", sec.intro, section=sec.key)
    for call in sec.calls_for(part.frame):
        if call.across and part.index is not None and "" in (part.made or {}).get(
                call.across, []):
            continue  # drawn once for every study, in the cross-budget part
        yield Step("call", call=call, part=part,
                   section=sec.key if progress == sec.key else f"{progress}: {sec.key}",
                   tags=("figure",) if call.figure else ())
        if call.save and part.made is not None:
            part.made.setdefault(call.save, []).append(part.s)


def steps(trials: pd.DataFrame, *, layout: str | Page = "default",
          title: str | None = None, curves: pd.DataFrame | None = None) -> list[Step]:
    """Every step of the report for *trials*, in reading order (as in the notebook and page).

    *curves* (:func:`hpo_insights.load_curves` of the same source, or None)
    decides which studies get the sections marked ``curves=True``.
    """
    with_curves = set() if curves is None else set(pd.unique(curves[F.STUDY]))
    page = layout_page(layout)
    made: dict[str, list[str]] = {}
    toc: list[str] = []
    body: list[Step] = []
    details: list[tuple[Part, list[Section], str, str]] = []
    _scoped_steps(page, "top", Part("trials", "", trials, made=made), body, toc, level=2)
    _budget_steps(page, Part("trials", "", trials, made=made), body, toc, details)
    for part in _study_parts(trials, made):
        _study_steps(page, part, with_curves, body, toc, details)
    _detail_steps(page, details, body, toc)
    _scoped_steps(page, "end", Part("trials", "", trials, made=made), body, toc,
                  level=page.part_level)
    return [Step("markdown", f"# {escape(title or 'Hyperparameter search report')}",
                 tags=("title",)),
            Step("markdown", _heading(2, "Contents", "contents") + "\n\n" + "\n".join(toc),
                 tags=("contents",)),
            Step("setup", section="loading the trials", tags=("setup",)),
            *body]


def _scoped_steps(page: Page, scope: str, part: Part, body: list[Step], toc: list[str],
                  level: int) -> None:
    """The sections of the page's top or end (*scope*), for all the trials."""
    for sec in page.sections:
        if sec.scope == scope and sec.applies(part.frame):
            links: list[str] = []
            body += _section_steps(sec, part, page, sec.key, sec.key, links, level=level)
            toc += [f"- {link}" for link in links]


def _budget_steps(page: Page, top: Part, body: list[Step], toc: list[str],
                  details: list) -> None:
    """The part across budgets (when the studies are budgets of one search)."""
    if not has_budgets(top.frame):
        return
    shown = [s for s in page.sections if s.scope == "budgets" and s.applies(top.frame)]
    if not shown:
        return
    body.append(Step("markdown", _heading(page.part_level, page.budgets_heading, "budgets"),
                     section="budgets"))
    toc.append(f"- [{page.budgets_heading}](#budgets)")
    for sec in (s for s in shown if not s.details):
        links: list[str] = []
        body += _section_steps(sec, top, page, f"budgets-{sec.key}", "across budgets", links)
        toc += [f"  - {link}" for link in links]
    later = [s for s in shown if s.details]
    if later:
        details.append((top, later, page.budgets_heading.lower(), "budgets"))


def _study_parts(trials: pd.DataFrame, made: dict[str, list[str]]) -> list[Part]:
    names = list(pd.unique(trials[F.STUDY]))
    return [Part(f"trials_{s}", f"_{s}", trials[trials[F.STUDY] == name], i, name, made)
            for i, (name, s) in enumerate(zip(names, _suffixes(trials, names), strict=True))]


def _study_steps(page: Page, part: Part, with_curves: set, body: list[Step], toc: list[str],
                 details: list) -> None:
    """One study's part: its heading, its trials (and curves), its answer sections."""
    i, name = part.index, part.study
    head = _study_heading(page, part.frame, name)
    anchor = f"study-{i + 1}"
    body.append(Step("markdown", ("---\n\n" if page.study_rule else "")
                     + _heading(page.part_level, head, anchor)))
    toc.append(f"- [{head}](#{anchor})")
    links: list[str] = []
    shown = [s for s in page.sections if s.scope == "study" and s.applies(part.frame)
             and (not s.curves or name in with_curves)]
    own = [Step("trials", part=part, section=f"study {name}: trials")]
    if any(s.curves for s in shown):
        own.append(Step("curves", part=part, section=f"study {name}: learning curves"))
    answer: list[Step] = []
    for sec in (s for s in shown if not s.details):
        answer += _section_steps(sec, part, page, f"{anchor}-{sec.key}", f"study {name}", links)
    # the study's trials are selected in the cell of its first call (under its first heading)
    at = next((k for k, step in enumerate(answer) if step.kind == "call"), len(answer))
    body += answer[:at] + own + answer[at:]
    later = [s for s in shown if s.details]
    if later:
        details.append((part, later, head, anchor))
    toc[-1] += ": " + " · ".join(links)


def _detail_steps(page: Page, details: list, body: list[Step], toc: list[str]) -> None:
    """The details: one part each, after every answer, opened on purpose."""
    for part, later, head, anchor in details:
        progress = "across budgets" if part.index is None else f"study {part.study}"
        text = f"{page.details_heading}: {head}"
        body.append(Step("markdown", _heading(page.part_level, text, f"{anchor}-details"),
                         section="details"))
        toc.append(f"- [{text}](#{anchor}-details)")
        for sec in later:
            body += _section_steps(sec, part, page, f"{anchor}-{sec.key}", progress, [])


# --------------------------------------------------------------------------- code of a call


def _expr(x: Any, part: Part) -> str:
    """The Python expression of an argument: names, earlier results, literals."""
    if x is None or isinstance(x, bool | int | float | str):
        return repr(x)
    if isinstance(x, Name) and x.name == "study":
        return f"names[{part.index}]"
    if isinstance(x, Name):
        return part.t if x.name == "trials" else (
            "curves" + part.s if x.name == "curves" else x.name)
    if isinstance(x, Ref) and x.scope == "studies":
        made = (part.made or {}).get(x.result, [])
        return "[" + ", ".join(x.result + s for s in made if s) + "]"
    if isinstance(x, Ref):
        var = x.result + ("" if x.scope == "budgets" else part.s)
        if x.index is not None:
            return f"{var}[{x.index}]"
        tail = "" if x.head is None else f"[:{x.head}]"
        if x.column is None:
            return var + tail
        return f'list({var}["{x.column}"]{tail})'
    if isinstance(x, list | tuple):
        inner = ", ".join(_expr(v, part) for v in x)
        return f"[{inner}]" if isinstance(x, list) else f"({inner}{',' if len(x) == 1 else ''})"
    raise TypeError(f"cannot write {x!r} as an argument in a report cell")


def _show_code(var: str, show: Show, part: Part) -> str:
    fn = "hi.report.show" if show.renderer == "markdown" else "hi.report.reference.show"
    args = [var] + [f"{k}={_expr(v, part)}" for k, v in show.context.items()]
    if show.study and part.index is not None:
        args.append(f"study=names[{part.index}]")
    return f"{fn}({', '.join(args)})"


def was_made(x: Any, part: Part) -> bool:
    """Whether the result *x* refers to was made (an argument whose result was not is left out)."""
    if not isinstance(x, Ref) or part.made is None:
        return True
    suffixes = part.made.get(x.result, [])
    if x.scope == "studies":
        return any(suffixes)
    return ("" if x.scope == "budgets" else part.s) in suffixes


def code(call: Call, part: Part) -> str:
    """The cell of *call* for *part*: one library call, and the display of its result.

    Examples
    --------
    >>> from hpo_insights.report.sections import METRIC, Call, Ref, Show, TRIALS
    >>> p = Part("trials_2m", "_2m", None, 0)
    >>> print(code(Call("variance_explained", save="importance",
    ...                 show=Show(context={"metric": METRIC})), p))
    importance_2m = hi.variance_explained(trials_2m)
    hi.report.show(importance_2m, metric=metric)
    >>> print(code(Call("plot.value_table", (Ref("levels"),),
    ...                 {"params": Ref("importance", "param", 2)}, figure=True), p))
    hi.plot.value_table(levels_2m, params=list(importance_2m["param"][:2]));
    """
    args = [_expr(a, part) for a in call.args]
    args += [f"{k}={_expr(v, part)}" for k, v in call.kwargs.items() if was_made(v, part)]
    expr = f"hi.{call.fn}({', '.join(args)})"
    if len(expr) > 90:  # one argument per line, as a person would write it
        expr = f"hi.{call.fn}(\n    " + ",\n    ".join(args) + ")"
    if call.figure:
        return expr + ";"
    if call.save is None:
        return expr
    var = f"{call.save}{part.s}"
    lines = [f"{var} = {expr}"]
    if call.show is not None:
        lines.append(_show_code(var, call.show, part))
    return "\n".join(lines)


_SETUP = """\
%matplotlib inline
%config InlineBackend.print_figure_kwargs = {"bbox_inches": None}
import hpo_insights as hi
hi.report.show_warnings_as_notes()
hi.report.tables_as_markdown()

trials = hi.report.load_trials(source, studies=studies, objective=objective,
                               direction=direction, params=params, trials_file=trials_file)
names = list(trials["study"].unique())
curves = hi.report.load_curves(source, studies=studies)
metric = hi.report.metric_name(trials)"""


def _curves_code(part: Part) -> str:
    return (f'curves{part.s} = curves[curves["study"] == names[{part.index}]]'
            ".reset_index(drop=True)")


def _trials_code(part: Part) -> str:
    return (f'{part.t} = trials[trials["study"] == names[{part.index}]]'
            ".reset_index(drop=True)")


# --------------------------------------------------------------------------- notebook


def parameters_source(values: dict[str, Any]) -> str:
    literal = repr(json.dumps(values))  # a Python string literal holding JSON: data only
    names = ", ".join(PARAMETER_NAMES)
    keys = ", ".join(repr(k) for k in PARAMETER_NAMES)
    return (
        "# Parameters: what the report is about (data, read by the next cell)\n"
        "import json\n"
        f"PARAMETERS = json.loads({literal})\n"
        f"{names} = (PARAMETERS[k] for k in ({keys}))"
    )


def notebook(trials: pd.DataFrame, values: dict[str, Any], *, layout: str | Page = "default",
             title: str | None = None, curves: pd.DataFrame | None = None) -> Any:
    """The report notebook (an nbformat node) for *trials*, parameters *values* injected.

    A cell per group of :func:`cells`: a Markdown cell per text, a code cell per
    run of consecutive calls of one section. Every code cell is tagged ``hide-input`` (the HTML and
    Markdown show outputs only) and carries ``metadata.hpo_insights.section``,
    the name used in progress and error messages.
    """
    import nbformat

    nb = nbformat.v4.new_notebook()
    new_code_cell, new_markdown_cell = _cell_makers()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    for group in cells(steps(trials, layout=layout, title=title, curves=curves)):
        step = group[-1]
        if step.kind == "setup":
            params = new_code_cell(parameters_source(values))
            params.metadata["tags"] = ["parameters", "hide-input"]
            params.metadata["hpo_insights"] = {"section": "parameters"}
            nb.cells.append(params)
        if step.kind == "markdown":
            node = new_markdown_cell(step.text)
        else:
            node = new_code_cell("\n".join(_step_code(s) for s in group))
            node.metadata["hpo_insights"] = {"section": step.section}
        node.metadata["tags"] = [*step.tags, *(["hide-input"] if step.kind != "markdown"
                                               else [])]
        nb.cells.append(node)
    for i, node in enumerate(nb.cells):  # stable ids: the same trials give the same notebook
        node["id"] = f"cell-{i:03d}"
    nbformat.validate(nb)  # once: nbformat's cell makers validate each cell (30 studies: 1 s)
    return nb


def _step_code(step: Step) -> str:
    if step.kind == "setup":
        return _SETUP
    if step.kind == "trials":
        return _trials_code(step.part)
    if step.kind == "curves":
        return _curves_code(step.part)
    return code(step.call, step.part)


def cells(all_steps: Sequence[Step]) -> list[list[Step]]:
    """The steps grouped into notebook cells: a Markdown step is a cell; code steps share one.

    Consecutive calls of one section (and the study's trials and curves before
    its first section) are one cell, as a person would write them; a figure
    ends its cell, so every figure still shows where its call is. Each cell
    costs the kernel a round trip of messages (~4 ms): a 30-study page has 310
    code cells instead of 410.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> trials = hi.datasets.example()
    >>> groups = cells(steps(trials))
    >>> [s.kind for s in groups[2]], len(groups) < len(steps(trials))
    (['setup'], True)
    """
    groups: list[list[Step]] = []
    for step in all_steps:
        if groups and _joins(groups[-1][-1], step):
            groups[-1].append(step)
        else:
            groups.append([step])
    return groups


def _joins(before: Step, step: Step) -> bool:
    """Whether *step* goes into the cell that *before* ends: a call after the study's trials
    or curves, or after a call of its own section that draws nothing; curves after trials."""
    if step.kind == "curves":
        return before.kind == "trials"
    if step.kind != "call":
        return False
    if before.kind == "call":
        return not before.call.figure and before.section == step.section
    return before.kind in ("trials", "curves")


def _cell_makers() -> tuple[Any, Any]:
    """``nbformat.v4.new_code_cell`` and ``new_markdown_cell`` without their validation."""
    from nbformat import NotebookNode

    def code_cell(source: str) -> Any:
        return NotebookNode(cell_type="code", metadata=NotebookNode(), execution_count=None,
                            source=source, outputs=[])

    def markdown_cell(source: str) -> Any:
        return NotebookNode(cell_type="markdown", metadata=NotebookNode(), source=source)

    return code_cell, markdown_cell
