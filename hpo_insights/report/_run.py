"""The report in this process: the notebook's steps, each call made directly, Markdown out.

:func:`render` walks the same :func:`~hpo_insights.report._notebook.steps` as
the notebook writer and calls each step's function (looked up under
``hpo_insights``) with its arguments resolved to the values of earlier calls.
No code text is run; figures are skipped; warnings become ``> Note:`` lines as
in the notebook.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from typing import Any

import pandas as pd

import hpo_insights
from hpo_insights import _frame as F
from hpo_insights.report import _show, markdown, reference
from hpo_insights.report._notebook import Part, steps, was_made
from hpo_insights.report.sections import Call, Name, Page, Ref, Show

__all__ = ["render"]

_RENDERERS = {"markdown": markdown.to_markdown, "reference": reference.to_markdown}
# functions whose Markdown is what they display, not a result to keep
_TEXT = {"report.show": markdown.to_markdown, "report.reference.show": reference.to_markdown}


def _function(path: str) -> Any:
    if path in _TEXT:
        return _TEXT[path]
    target: Any = hpo_insights
    for name in path.split("."):
        target = getattr(target, name)
    return target


class _Namespace:
    """The values the notebook's cells would hold: set-up names and saved results."""

    def __init__(self, trials: pd.DataFrame, metric: str) -> None:
        self.names: dict[str, Any] = {"trials": trials, "metric": metric,
                                      "names": list(pd.unique(trials[F.STUDY]))}
        self.results: dict[str, Any] = {}

    def value(self, x: Any, part: Part) -> Any:
        if isinstance(x, Name) and x.name == "study":
            return self.names["names"][part.index]
        if isinstance(x, Name):
            return self.names[part.t] if x.name == "trials" else (
                self.names["curves" + part.s] if x.name == "curves" else self.names[x.name])
        if isinstance(x, Ref) and x.scope == "studies":
            made = (part.made or {}).get(x.result, [])
            return [self.results[x.result + s] for s in made if s]
        if isinstance(x, Ref):
            got = self.results[x.result + ("" if x.scope == "budgets" else part.s)]
            if x.index is not None:
                return got[x.index]
            if x.column is None:
                return got if x.head is None else got[: x.head]
            return list(got[x.column])[: x.head]
        if isinstance(x, list):
            return [self.value(v, part) for v in x]
        if isinstance(x, tuple):
            return tuple(self.value(v, part) for v in x)
        return x


def _shown(show: Show, result: Any, ns: _Namespace, part: Part) -> str:
    context = {k: ns.value(v, part) for k, v in show.context.items()}
    if show.study and part.index is not None:
        context["study"] = ns.names["names"][part.index]
    return _RENDERERS[show.renderer](result, **context)


def _run(call: Call, part: Part, ns: _Namespace) -> str | None:
    args = [ns.value(a, part) for a in call.args]
    kwargs = {k: ns.value(v, part) for k, v in call.kwargs.items() if was_made(v, part)}
    result = _function(call.fn)(*args, **kwargs)
    if call.fn in _TEXT:
        return result
    if call.save is not None:
        ns.results[call.save + part.s] = result
    if call.show is not None:
        return _shown(call.show, result, ns, part)
    return None


def render(trials: pd.DataFrame, *, layout: str | Page = "default", title: str | None = None,
           studies: str | Sequence[str] | None = None,
           curves: pd.DataFrame | None = None, pruner: str | None = None) -> str:
    """The whole report as one Markdown string, without a notebook or figures.

    Makes the report notebook's calls in this process (the same steps, from
    the same list of sections, as :func:`hpo_insights.report.build`), so every
    analysis runs once per study; the text reads in the page's order.
    *curves* (:func:`hpo_insights.load_curves` of the same studies) adds the
    "Learning curves" section to the studies that have them; *pruner* (a spec
    such as ``"median:n_startup_trials=5"``) is the pruner its audit replays
    (None: identified from the trials pruned in the data).

    Examples
    --------
    >>> import hpo_insights as hi
    >>> text = hi.report.render(hi.datasets.example(), layout="reference")
    >>> text.count("# HPO Analysis:")
    3
    """
    from hpo_insights.report._build import load_trials

    trials = F.check_frame(trials)
    if studies is not None:
        trials = load_trials(trials, studies=studies)
    all_steps = steps(trials, layout=layout, title=title, curves=curves)
    ns = _Namespace(trials, _show.metric_name(trials))
    ns.names["curves"] = curves
    ns.names["pruner"] = pruner
    parts: list[tuple[str, tuple[str, ...]]] = []
    seen: set[str] = set()
    for step in all_steps:
        tags = step.tags
        if step.kind == "markdown":
            parts.append((_strip_anchor(step.text), tags))
            continue
        if step.kind == "trials":
            one = trials[trials[F.STUDY] == ns.names["names"][step.part.index]]
            ns.names[step.part.t] = one.reset_index(drop=True)
            continue
        if step.kind == "curves":
            name = ns.names["names"][step.part.index]
            ns.names["curves" + step.part.s] = curves[curves[F.STUDY] == name].reset_index(
                drop=True)
            continue
        if step.kind != "call" or step.call.figure:
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            text = _run(step.call, step.part, ns)
        note = _show.notes(caught, seen)
        parts += [(t, tags) for t in (note, text) if t]
    # as in the HTML: title, contents, key findings, then the sections
    moved = [i for i, (_, tags) in enumerate(parts) if "key-findings" in tags]
    order = [0, 1, *moved, *(i for i in range(2, len(parts)) if i not in moved)]
    return "\n\n".join(parts[i][0] for i in order) + "\n"


def _strip_anchor(text: str) -> str:
    return re.sub(r'<a id="[^"]*"></a>\n\n', "", text)
