"""The report's sections as data: which analysis each cell calls, with what, and what it shows.

A report is a list of :class:`Section`. Each section is a heading and a tuple of
:class:`Call`: one library call, a line of the section's notebook cell (``hi.variance_explained``,
``hi.plot.value_table`` ...), its arguments (literals, the part's trials
:data:`TRIALS`, a notebook name such as :data:`METRIC`, or a :class:`Ref` to an
earlier call's result), the name its result is kept under, and how the result
is shown (:class:`Show`). Two readers walk the same list:

- :func:`hpo_insights.report.notebook` writes each call as readable code, a
  section's consecutive calls in one cell
  (``importance_2m = hi.variance_explained(trials_2m)`` then
  ``hi.report.show(importance_2m, metric=metric)``);
- :func:`hpo_insights.report.render` calls the same functions directly in this
  process (no kernel, no figures, no ``exec``) and returns the Markdown.

Adding a section is one entry: ``Section("curves", "study", "Learning curves",
(Call("fidelity_correlation", save="fidelity", show=Show()),))``.
:func:`check_sections` verifies that every :class:`Ref` names a result saved
earlier in the same scope (a test runs it on every layout).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from hpo_insights import _frame as F
from hpo_insights.report import glossary

__all__ = ["CURVES", "METRIC", "NAMES", "STUDY", "TRIALS", "Call", "Name", "Ref", "Section",
           "Show", "Page", "check_sections"]

_PRED_COLUMNS = tuple(F.USER_ATTR_PREFIX + c for c in ("pred_min", "pred_max", "pred_std"))
_EXTREME = F.USER_ATTR_PREFIX + "extreme_type"


@dataclass(frozen=True)
class Name:
    """A name defined by the notebook's set-up cell (``metric``, ``trials``, ``names``).

    :data:`TRIALS` stands for the trials of the part being written: ``trials``
    across budgets, ``trials_2m`` in study 2M.
    """

    name: str


TRIALS = Name("trials")
STUDY = Name("study")
"""The name of the part's study (``names[0]`` in the first study)."""
CURVES = Name("curves")
"""The learning curves of the part's study (``curves_2m``): sections with ``curves=True``."""
METRIC = Name("metric")
NAMES = Name("names")
PRUNER = Name("pruner")
"""The pruner the report audits (a spec such as ``"median:n_startup_trials=5"``, or None:
the one identified from the trials pruned in the data, else ``MedianPruner()``)."""


@dataclass(frozen=True)
class Ref:
    """The result of an earlier call of the same part (study, or across budgets).

    ``Ref("importance")`` is the result itself (``importance_2m``);
    ``Ref("importance", "param")`` its column as a list
    (``list(importance_2m["param"])``); ``head=2`` the first two; ``index=0``
    its first item (``names_of_2m[0]``).
    ``scope="budgets"`` reads a result of the cross-budget part (or of the
    page's top) from inside a study; ``scope="studies"`` is the list of that
    result of every study that made it (``[importance_2m, importance_20m]``).
    An ``optional`` reference to a result no section made is left out of the
    call (its keyword argument is not passed).
    """

    result: str
    column: str | None = None
    head: int | None = None
    index: int | None = None
    scope: Literal["same", "budgets", "studies"] = "same"
    optional: bool = False


@dataclass(frozen=True)
class Show:
    """How a call's result is displayed: ``hi.report.show`` (or ``hi.report.reference.show``).

    ``context`` is passed to the renderer (``metric=METRIC``,
    ``trend=Ref("trends")``); ``study=True`` passes ``study=names[i]`` (the
    rows of the part's study only, for results that cover every study).
    """

    renderer: Literal["markdown", "reference"] = "markdown"
    context: Mapping[str, Any] = field(default_factory=dict)
    study: bool = False


@dataclass(frozen=True)
class Call:
    """One library call of a section (a line of its notebook cell), kept under *save*,
    shown by *show*.

    Attributes
    ----------
    fn : str
        The function under ``hi``: ``"variance_explained"``,
        ``"plot.value_table"``, ``"report.show"``.
    args : tuple
        Positional arguments (default: the part's trials).
    kwargs : mapping
        Keyword arguments: literals, :class:`Name`, :class:`Ref`.
    save : str, optional
        The result's name (``importance`` → ``importance_2m`` in study 2M).
    show : Show, optional
        Display the result in the same cell.
    figure : bool
        A drawing (skipped in-process; its cell ends with ``;``).
    when : callable, optional
        ``trials -> bool``: the cell is written only when true for the part's trials.
    across : str, optional
        In a study, the cell is left out when the cross-budget part saved a result
        of this name: a figure drawn once for every study there (one panel per
        parameter, the studies as series) instead of once per study.
    """

    fn: str
    args: tuple[Any, ...] = (TRIALS,)
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    save: str | None = None
    show: Show | None = None
    figure: bool = False
    when: Callable[[pd.DataFrame], bool] | None = None
    across: str | None = None


@dataclass(frozen=True)
class Section:
    """One section of the report: a heading and its calls.

    Attributes
    ----------
    key : str
        Short name (``"importance"``): anchors, progress and error messages.
    scope : {"top", "budgets", "study", "end"}
        Once at the top of the page, once across budgets, once per study, or
        once after every study (cells tagged with the key, e.g. ``key-findings``,
        which the export moves after the contents).
    heading : str
        Its heading ("" for none).
    calls : tuple of Call, or callable
        The cells, or ``trials -> tuple of Call`` when they depend on the
        part's trials (e.g. which coverage pairs exist).
    applies : callable
        ``trials -> bool``: whether the section is shown for the part's trials.
    details : bool
        Part of a study's details (the appendix) rather than its answer.
    intro : str
        A Markdown sentence under the heading.
    curves : bool
        Shown only for a study with learning curves (its calls may read
        :data:`CURVES`).
    """

    key: str
    scope: Literal["top", "budgets", "study", "end"]
    heading: str
    calls: tuple[Call, ...] | Callable[[pd.DataFrame], tuple[Call, ...]]
    applies: Callable[[pd.DataFrame], bool] = lambda trials: True
    details: bool = False
    intro: str = ""
    curves: bool = False

    def calls_for(self, trials: pd.DataFrame) -> tuple[Call, ...]:
        """The calls of this section for *trials*, those whose ``when`` holds."""
        calls = self.calls(trials) if callable(self.calls) else self.calls
        return tuple(c for c in calls if c.when is None or c.when(trials))


# --------------------------------------------------------------------------- conditions


def has_predictions(trials: pd.DataFrame) -> bool:
    """Whether any trial records prediction statistics (``user_attrs_pred_*``)."""
    return any(c in trials.columns and trials[c].notna().any() for c in _PRED_COLUMNS)


def has_extremes(trials: pd.DataFrame) -> bool:
    """Whether any trial was enqueued at an edge (``user_attrs_extreme_type``)."""
    return _EXTREME in trials.columns and trials[_EXTREME].notna().any()


def two_params(trials: pd.DataFrame) -> bool:
    """Whether the trials have at least two parameters."""
    return len(F.param_names(trials)) >= 2


def has_folds(trials: pd.DataFrame) -> bool:
    """Whether the trials kept per-fold scores (a scikit-learn search's
    ``user_attrs_split<k>_test_<scorer>``): then the winner's margin can be tested."""
    import re

    return any(re.match(r"^user_attrs_split\d+_test_", str(c)) for c in trials.columns)


def has_budgets(trials: pd.DataFrame) -> bool:
    """Whether the trials hold several studies or a budget column (the cross-budget part)."""
    return trials[F.STUDY].nunique() > 1 or F.BUDGET in trials.columns


# --------------------------------------------------------------------------- the default page

_SHOW = Show(context={"metric": METRIC})

KEY_FINDINGS = Section("key-findings", "top", "Key findings", (
    Call("findings", save="findings", show=_SHOW),
))
"""The key findings: every claim of :func:`hpo_insights.findings`, first on the page."""

_FINDINGS = Ref("findings", scope="budgets")


def _what_matters(trials_name: Any = TRIALS) -> Call:
    return Call("report.show", (_FINDINGS,), {"trials": trials_name, "metric": METRIC})


_SERIES = {"series": "study", "metric": METRIC}


def _rows(result: str, **context: Any) -> Call:
    """Show the part's study's rows of a result computed once for every study."""
    return Call("report.show", (Ref(result, scope="budgets"),), {**context, "study": STUDY})


SHARED = Section("shared", "top", "", (
    Call("summarize", save="summary_all"),
    Call("best_trial", save="best_all"),
    Call("value_table", save="levels_all"),
    Call("sampling_association", save="association_all", when=two_params),
    Call("collapse_summary", save="collapse_all", when=has_predictions),
    Call("forced_extremes", save="extremes_all", when=has_extremes),
))
"""Analyses made once for every study (no heading, nothing shown): a study's sections show
its rows (``hi.report.show(levels_all, study=names[0])``). One call for 30 studies takes a
fifth to a third of the time of 30 calls (the checks of the trials, one group-by).
A warning of these calls is a note at the top of the page, not in the study's section:
``search_space_importance``, which warns about small studies, stays per study."""

DEFAULT: tuple[Section, ...] = (
    KEY_FINDINGS,
    SHARED,
    # figures across studies: one panel per parameter (or one Axes), the studies as series;
    # a study draws its own only on a page without this part (one study, no budgets)
    Section("what-matters-budgets", "budgets", "What matters across budgets", (
        _what_matters(),
        Call("report.answers.parameters", (_FINDINGS, TRIALS), {"which": "any"},
             save="shown"),
        Call("plot.value_table", (Ref("levels_all"),), {"params": Ref("shown"), **_SERIES},
             figure=True),
    )),
    Section("best", "budgets", "Best trial per budget", (
        Call("compare_budgets", save="budgets", show=_SHOW),
        Call("optimization_history", save="history"),
        Call("plot.compare_budgets", (Ref("budgets"),),
             {"history": Ref("history"), "metric": METRIC}, figure=True),
    )),
    Section("what-matters", "study", "What matters", (
        _what_matters(),
        Call("report.answers.parameters", (_FINDINGS, TRIALS), save="order"),
        Call("report.answers.parameters", (_FINDINGS, TRIALS), {"which": "claimed"},
             save="shown", across="shown"),
        Call("plot.value_table", (Ref("levels_all", scope="budgets"),),
             {"params": Ref("shown"), "metric": METRIC}, figure=True, across="shown"),
    )),
    Section("summary", "study", "Summary", (
        _rows("summary_all", metric=METRIC),
        _rows("best_all", metric=METRIC),
    )),
    Section("winner", "study", "The winner's margin", (
        Call("compare_top", kwargs={"k": 2}, save="winner", show=_SHOW),
    ), applies=has_folds,
        intro="Is the best configuration better than the next ones on the same folds?"),
    # the details: descriptions of the trials, no verdicts (those are the findings')
    Section("history", "budgets", "Optimization history", (
        Call("plot.optimization_history", (Ref("history"),), {"metric": METRIC}, figure=True),
    ), details=True),
    Section("progress-budgets", "budgets", "Search progress", (
        Call("search_progress", save="progress"),
        Call("plot.search_progress", (Ref("progress"),), _SERIES, figure=True),
    ), details=True,
        intro="The expected best after k trials (the trials as a random sample: line and "
              "95% band) beside what each search reached (dashed); the numbers are in each "
              "study's details."),
    Section("importance-budgets", "budgets", "Parameter importance across budgets", (
        Call("importance_by_budget", save="importance_budgets", show=Show()),
    ), details=True),
    Section("budget-collapse", "budgets", "Probability collapse per budget", (
        Call("collapse_by_budget", save="collapse", show=Show()),
    ), applies=has_predictions, details=True),
    Section("importance", "study", "Shares of the objective's variance", (
        Call("variance_explained", save="importance",
             show=Show(context={"metric": METRIC, "verdicts": False})),
    ), details=True),
    Section("space", "study", "Importance over the search space", (
        Call("search_space_importance", save="space", show=Show()),
    ), details=True),
    Section("association", "study", "Parameters sampled together", (
        _rows("association_all"),
    ), applies=two_params, details=True),
    Section("levels", "study", "Objective per value", (
        _rows("levels_all", metric=METRIC, params=Ref("order")),
    ), details=True),
    Section("coverage", "study", "Coverage", (
        Call("coverage_crosstab", kwargs={"params": Ref("order", head=2)},
             save="coverage", show=Show()),
    ), applies=two_params, details=True),
    Section("collapse", "study", "Probability collapse", (
        _rows("collapse_all"),
    ), applies=has_predictions, details=True),
    Section("extremes", "study", "Forced extreme trials", (
        _rows("extremes_all", metric=METRIC),
    ), applies=has_extremes, details=True),
    Section("progress", "study", "Search progress", (
        Call("search_progress", save="progress", show=_SHOW),
        Call("plot.search_progress", (Ref("progress"),), {"metric": METRIC}, figure=True,
             across="progress"),
    ), details=True,
        intro="The expected best after k trials (the trials as a random sample, 95% band) "
              "beside what this search reached, and what more trials would add."),
    Section("curves", "study", "Learning curves", (
        Call("fidelity_correlation", (CURVES,), save="fidelity", show=Show()),
        Call("plot.fidelity_correlation", (Ref("fidelity"),), figure=True),
        Call("pruning_audit", (CURVES,), {"trials": TRIALS, "rule": PRUNER}, save="audit",
             show=_SHOW),
        Call("plot.pruning_audit", (Ref("audit"),), figure=True),
    ), curves=True, details=True,
        intro="From which step the intermediate values rank the trials as the "
              "final values do, and what the pruner in use would have saved and risked "
              "on the trials that ran to the end: the pruner stated for the report, else "
              "the standard rule that reproduces the prune decisions in the data, else "
              "Optuna's default (MedianPruner) when no trial was pruned."),
    Section("glossary", "end", "Glossary", (), intro=glossary.markdown()),
)
"""The default report: key findings, the answer across budgets and per study, then the
details (an appendix a reader opens on purpose), then the glossary."""


@dataclass(frozen=True)
class Page:
    """A layout: its sections and how the page around them is headed.

    Attributes
    ----------
    sections : tuple of Section
        In order; see :class:`Section` (``scope`` says where each goes).
    budgets_heading : str
        Heading of the cross-budget part.
    study_heading : str
        Heading of a study's part, a format string with ``{name}`` (the
        study), ``{label}`` (its budget, else its name) and ``{budget}``
        (`` (budget 2M)`` or nothing), ``{hardware}`` (`` (a100)`` or nothing).
    part_level, section_level : int
        Heading levels of the parts and of their sections.
    study_rule : bool
        A ``---`` rule before each study.
    details_heading : str
        Heading of the appendix holding each study's ``details`` sections.
    """

    sections: tuple[Section, ...]
    budgets_heading: str = "Across budgets"
    study_heading: str = "Study {name}{budget}"
    part_level: int = 2
    section_level: int = 3
    study_rule: bool = False
    details_heading: str = "Details"


DEFAULT_PAGE = Page(DEFAULT)


def _refs(value: Any) -> list[Ref]:
    if isinstance(value, Ref):
        return [value]
    if isinstance(value, Show):
        return [r for v in value.context.values() for r in _refs(v)]
    if isinstance(value, list | tuple):
        return [r for v in value for r in _refs(v)]
    return []


def check_sections(sections: Sequence[Section], trials: pd.DataFrame) -> list[str]:
    """Every reference to an earlier result that is not made earlier (empty: all fine).

    Walks the sections as the notebook does (top, across budgets, one study
    with every section that applies to *trials*) and lists each :class:`Ref` whose result no
    earlier call of its scope saved.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> check_sections(DEFAULT, hi.datasets.example())
    []
    >>> bad = (Section("x", "study", "X", (Call("plot.value_table", (Ref("levels"),)),)),)
    >>> check_sections(bad, hi.datasets.example())
    ["section 'x' (study): plot.value_table reads 'levels', which no earlier call saved"]
    """
    problems: list[str] = []
    saved: dict[str, set[str]] = {"budgets": set(), "same": set(), "studies": set()}
    for scope in ("top", "budgets", "study", "end"):
        for sec in sections:
            if sec.scope != scope or not sec.applies(trials):
                continue  # as in the notebook: a section that does not apply is left out
            for call in sec.calls_for(trials):
                values = [*call.args, *call.kwargs.values(), *([call.show] if call.show else [])]
                for ref in (r for v in values for r in _refs(v)):
                    pool = ("studies" if ref.scope == "studies" else
                            "same" if scope == "study" and ref.scope == "same" else "budgets")
                    if ref.result not in saved[pool] and not ref.optional:
                        problems.append(f"section {sec.key!r} ({scope}): {call.fn} reads "
                                        f"{ref.result!r}, which no earlier call saved")
                if call.save:
                    for pool in (("same", "studies") if scope == "study" else ("budgets",)):
                        saved[pool].add(call.save)
    return problems
