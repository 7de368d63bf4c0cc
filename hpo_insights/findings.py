"""Every claim a report makes, from one adjusted model per study, with a page-wide error budget.

:func:`findings` returns one row per statement. The report renders these rows;
it decides nothing itself. ``docs/statistics.md`` ("Findings") gives the
definitions, the error rate controlled and the simulation figures.

Contract (columns, in this order; extra columns may follow): ``study``,
``param``, ``claim``, ``value``, ``claimed``, ``effect``, ``effect_low``,
``effect_high``, ``p_value``, ``p_adjusted``, ``n_trials``, ``n_pruned``,
``section``, ``best_low``, ``best_high``, ``best_value``, ``detail``, then
``n_outliers``. Added to the first contract: the claim "pruning" (value
"depends" / "no evidence", ``claimed`` always False: a caveat about which
trials completed, its own Holm family), the column ``n_outliers`` and the
argument ``pruned=``; the claim "plateau" of :func:`hpo_insights.search_progress`
(section "progress", value "plateau" / "no evidence", outside the graph: its
error rate is measured by simulation, ``docs/curves.md``); the claim
"best_better" of :func:`hpo_insights.compare_top` where the trials kept
per-fold scores (section "winner", value "yes" / "not established", ``k=2``,
Holm within each study, outside the graph: its error rate under the null is
measured by simulation, ``docs/statistics.md``).

Plugging in another family of claims: append a function to :data:`FAMILIES`.
It is called as ``family(ctx)`` with the :class:`Context` of the call (trials,
objective column, groups, ``alpha``, ``seed`` ...) and returns a list of
:class:`Node`; each node is one hypothesis with its raw p-value, an optional
``parent`` (the key of the node whose rejection opens it: gatekeeping) and
the row it becomes (``row``: the contract's columns except ``p_adjusted``
and ``claimed``, which the page's procedure sets). A node without a parent is
a root and shares the page's level equally with the other roots.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hpo_insights import _frame, _guard, _multiplicity
from hpo_insights._claims import COLUMNS, claim_row
from hpo_insights._deprecation import renamed_values
from hpo_insights._errors import TrialsError
from hpo_insights._model import Model, Term, partial_f

__all__ = ["FAMILIES", "COLUMNS", "Context", "Node", "findings"]

MIN_TRIALS_PER_VALUE = 8  # a value needs this many trials before it can be called worse
OUTLIER_Z = 8.0  # |residual| above this many robust standard deviations: left out
N_DRAWS = 2000  # parametric draws behind the interval of an effect range
GRID = 101  # points of a smooth term's curve
POOLED_OTHERS = "shared"  # pooled "matters": the other parameters shared too ("per-budget")
COMMON_SHARE = 0.95  # pooled "matters": the common-effect test's share of the node's level
AUTO_RANK_SHARE = 0.2  # pruned="auto": ranks when a study had more pruned trials than this
GRAPH_MAX = 1000  # more claims than this: the gatekeeping tree without recycling (linear)


@dataclass
class Node:
    """One hypothesis of the page: its p-value, its gate and the row it becomes."""

    key: tuple
    p: float
    row: dict
    parent: tuple | None = None
    # the row's value when the hypothesis is rejected / not rejected
    yes: str = "yes"
    no: str | None = "no evidence"  # None: no row when not rejected


@dataclass
class Context:
    """What a family of claims may use (see the module docstring)."""

    trials: pd.DataFrame
    done: pd.DataFrame
    ycol: str
    y: np.ndarray
    gcodes: np.ndarray
    groups: list
    labels: list  # budget label per group
    signs: np.ndarray  # +1 maximize, -1 minimize, per group
    model: Model
    alpha: float
    min_effect: float | None
    seed: int
    n_pruned: np.ndarray
    n_outliers: np.ndarray
    budget_col: str
    extra: dict = field(default_factory=dict)


@renamed_values(budget=(None, "auto"))
def findings(
    trials: pd.DataFrame,
    *,
    objective: str | None = None,
    params: str | Sequence[str] | None = None,
    budget: str = "auto",
    alpha: float = 0.05,
    min_effect: float | None = None,
    pruned: str = "auto",
    seed: int | None = 0,
) -> pd.DataFrame:
    """Every claim the report makes, one row each, with the page's error rate controlled.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``); one or several studies.
    objective : str, optional
        The objective column; ``None`` means the frame's single objective.
    params : str or list of str, optional
        Parameters to make claims about; ``None`` means all of them. All of
        them are in the adjusted model either way.
    budget : str, default "auto"
        The column of budget labels (``"auto"``: the ``budget`` study attribute,
        else the study name; ``budget=None``, the old spelling of ``"auto"``,
        still works until 0.4.0 with a FutureWarning). Budgets order the scaling claim and label the
        pooled claims.
    alpha : float, default 0.05
        The page's family-wise error rate: the chance that at least one row
        of the gatekeeping graph (claims "matters", "shape", "edge", "worse",
        "scaling", "consistency") with ``claimed == True`` is false, when the
        model holds. The "plateau" and "best_better" rows are tested on their
        own at *alpha* (per study) and the "collapse" rows are observations:
        outside that rate (``docs/statistics.md``).
    min_effect : float, optional
        The equivalence margin behind "flat", in objective units: a parameter
        is called flat when its effect (the range of its fitted curve, pooled
        over the budgets) is shown to be smaller than this. ``None``: half
        the residual standard deviation of the adjusted model (an effect
        smaller than half the trial-to-trial noise).
    pruned : {"auto", "drop", "rank", "last"}, default "auto"
        How PRUNED trials count. ``"drop"``: they are left out (counted in
        ``n_pruned``); the completed trials are then the ones the pruner let
        through, a selected sample (under TPE with a MedianPruner that made
        24% of null reports carry a false claim). ``"rank"``: every claim is
        made on normal scores of ranks within each study, the PRUNED trials
        tied below every completed one (a pruned trial was judged worse than
        the running median); effects are then in normal-score units, not
        objective units (2% of null reports with a false claim).
        ``"last"``: every claim but scaling and plateau is made on the
        completed trials and the PRUNED ones, each pruned trial with the
        last value it reported (an earlier step of its curve) as its
        objective; it assumes a trial's early values rank the parameters as
        its final value would (``docs/statistics.md``: under TPE with a
        MedianPruner, 4.5% of null reports with a false claim, as with
        ranks, and the learning rate found in 66.5% of reports with two
        real effects, where ranks found it in 1%).
        ``"auto"``: ``"rank"`` when more than ``AUTO_RANK_SHARE`` (20%) of
        some study's COMPLETE and PRUNED trials were pruned, else ``"drop"``
        (a few pruned trials select little; ranks cost power where budgets
        disagree).
    seed : int or None, default 0
        Seed of the parametric draws behind the interval of effect ranges
        (``None``: fresh entropy, a different draw on every call).

    Returns
    -------
    pandas.DataFrame
        One row per statement, columns: ``study`` (the study, or for pooled
        and cross-budget claims the budgets' labels joined by ", "),
        ``param`` ("" for scaling and collapse), ``claim`` ("matters",
        "shape", "edge", "worse", "scaling", "consistency", "collapse"),
        ``value`` ("yes"/"no evidence" for matters; "increasing",
        "decreasing", "peaked", "valley", "flat", "no evidence" for shape;
        "low"/"high" for edge; the worse value for worse; "holds",
        "violated", "not established" for scaling; "inconsistent",
        "no evidence" for consistency; "yes"/"no" for collapse),
        ``claimed`` (bool: the row asserts a finding that counts in the
        page's error budget), ``effect``, ``effect_low``, ``effect_high``
        (objective units, interval at confidence ``1 - alpha``), ``p_value``
        (raw p of the test that made the verdict), ``p_adjusted`` (after the
        page's graphical procedure; a claim is made when ``p_adjusted <
        alpha``), ``n_trials`` (trials the claim rests on), ``n_pruned``
        (PRUNED trials of those studies, left out), ``section``
        ("importance", "trends", "suggestions", "budgets", "collapse"),
        ``best_low``, ``best_high`` (numeric parameters: the values whose
        fitted objective is not significantly worse than the best's),
        ``best_value`` (the best value or level), ``detail`` (one sentence),
        ``n_outliers`` (trials left out as diverged).

    Raises
    ------
    TrialsError
        No COMPLETE trial with a finite objective; unknown parameter or
        objective; bad *alpha* or *min_effect*.

    Notes
    -----
    One adjusted model per study (:mod:`hpo_insights._model`: all parameters
    together, categoricals as indicators, numeric parameters as quadratic
    smooth terms on their scale) answers every question:

    * **matters**: partial F test of the parameter's terms. With several
      studies, first a pooled node whose null is "no effect in any budget",
      tested by weighted Bonferroni (``COMMON_SHARE`` = 0.95 and 0.05 of its
      level) over two F tests: the common effect (every parameter's terms
      shared by all studies, the study as a block) and the budget-specific
      effects (the parameter's terms per study, the others shared), which
      catches an effect that changes between budgets and cancels when
      shared. Per-study tests and the consistency claim are opened by it
      (gatekeeping).
    * **shape** (numeric, smooth): the signs of the fitted slope at the lowest
      and highest tried values (one-sided t tests): "increasing" /
      "decreasing" when both point the same way, "peaked" / "valley" when
      they point inward / outward (intersection-union tests; the smallest of
      the four p-values times 2). "flat" only when the pooled effect is shown
      smaller than *min_effect*.
    * **edge**: the best fitted value is at an end of the tried range, the
      slope there points outward (one-sided t test), and that end is not a
      natural bound (0 for a non-negative parameter, 1 for one in [0, 1]).
    * **worse**: a value with at least ``MIN_TRIALS_PER_VALUE`` trials is
      worse than another one (one-sided t, Bonferroni over the others).
    * **consistency**: the budget x parameter interaction in the adjusted
      model (the parameter shared against per budget, every other parameter
      per budget).
    * **scaling**: the budgets' intercepts of the pooled model (every
      parameter shared), each step up one-sided; "holds" when every step is
      better (intersection-union), "violated" when one is worse.

    The page's error budget: every test is a node of one graph (Bretz et al.
    2009); roots share ``alpha`` equally, a rejected node passes its level
    to its children (shape, edge, worse, per-study matters, consistency),
    and leaves pass it back to the roots. This controls the family-wise
    error rate over all claimed rows in the strong sense.

    Trials: COMPLETE with a finite objective; collapsed trials
    (:func:`hpo_insights.detect_collapse`) and diverged trials (an objective
    more than ``OUTLIER_Z`` robust standard deviations from its study's median)
    are left out, and counted.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> f = hi.findings(hi.datasets.example())
    >>> list(f.columns[:6])
    ['study', 'param', 'claim', 'value', 'claimed', 'effect']
    >>> claims = f[f.claimed & (f.claim == "matters")]
    >>> [(r.study, r.param) for r in claims.itertuples()][:2]
    [('2M, 20M, 200M', 'n_layers'), ('2M, 20M, 200M', 'n_heads')]
    """
    trials = _guard.frame(trials)
    _guard.real("alpha", alpha, low=0.0, high=1.0, low_open=True, high_open=True)
    if pruned not in ("auto", "drop", "rank", "last"):
        raise TrialsError(
            f"pruned must be 'auto', 'drop', 'rank' or 'last', got {pruned!r} instead.")
    if pruned == "auto":
        pruned = "rank" if _pruned_share(trials) > AUTO_RANK_SHARE else "drop"
    if min_effect is not None:
        _guard.real("min_effect", min_effect, low=0.0, low_open=True)
    seed = _guard.seed(seed)
    ctx = build_context(trials, objective=objective, params=params, budget=budget, alpha=alpha,
                   min_effect=min_effect, pruned=pruned, seed=seed)
    nodes: list[Node] = []
    for family in FAMILIES:
        nodes.extend(family(ctx))
    return _page(nodes, ctx)


def build_context(trials: pd.DataFrame, *, objective, params, budget, alpha, min_effect, pruned,
             seed) -> Context:
    """The trials that count, the adjusted model of every study, and what families need."""
    from hpo_insights._budget import budget_column, budget_order
    from hpo_insights._mask import collapsed_rows

    bcol = budget_column(trials, budget)
    mask, excluded = collapsed_rows(trials, True)
    kept = trials if mask is None else trials[~mask]
    all_pcols = _frame.param_columns(trials)
    want = _frame.param_columns(trials, params)
    done, ycol = _frame.completed(kept, objective, columns=[_frame.STUDY, bcol, *all_pcols])
    _frame.require_rows(done)
    done = _frame.adapt(done)
    order = budget_order(pd.unique(done[bcol].to_numpy(dtype=object)))
    study_of = done[bcol].to_numpy(dtype=object)
    groups = list(order)
    gcodes = pd.Index(groups).get_indexer(study_of)
    signs, _ = _frame.signs(trials, None, bcol, pd.Index(groups), objective=ycol)
    y = done[ycol].to_numpy(dtype=float)
    dists = {}
    from hpo_insights._binning import group_distributions

    for pcol in all_pcols:
        d = group_distributions(trials, pcol, None)
        dists[pcol] = d.get("all")
    labels = [str(g) for g in groups]
    state = trials[_frame.STATE].to_numpy(dtype=object)
    tb = trials[bcol].to_numpy(dtype=object)
    n_pruned = np.array([int(((state == "PRUNED") & (tb == g)).sum()) for g in groups])
    scaling_model = None
    completed = (y, gcodes, signs)  # the completed trials' objective (plateau rows read it)
    if pruned == "rank":  # the budgets are compared on the objective, not on ranks
        scaling_model = Model.build(done, all_pcols, y, gcodes, len(groups), dists)
        done, y, gcodes = _ranked(kept, done, y, gcodes, groups, bcol, all_pcols, signs)
        signs = np.ones(len(groups))
    elif pruned == "last":
        scaling_model = Model.build(done, all_pcols, y, gcodes, len(groups), dists)
        done, y, gcodes = _with_last_values(kept, done, y, gcodes, groups, bcol, all_pcols, ycol)
    # diverged trials: residuals of the first fit far outside the rest
    model = Model.build(done, all_pcols, y, gcodes, len(groups), dists)
    out = (_outliers(model, done, all_pcols, y, gcodes, len(groups), dists)
           if pruned != "rank" else np.zeros(len(y), dtype=bool))
    n_out = np.bincount(gcodes[out], minlength=len(groups))
    if out.any():
        done, y, gcodes = done[~out], y[~out], gcodes[~out]
        model = Model.build(done, all_pcols, y, gcodes, len(groups), dists)
    if pruned == "drop":
        completed = (y, gcodes, signs)
    ctx = Context(trials=trials, done=done, ycol=ycol, y=y, gcodes=gcodes, groups=groups,
                  labels=labels, signs=signs, model=model, alpha=float(alpha),
                  min_effect=min_effect, seed=int(seed), n_pruned=n_pruned,
                  n_outliers=n_out, budget_col=bcol,
                  extra={"params": [c[len(_frame.PARAM_PREFIX):] for c in want],
                         "excluded": excluded, "kept": kept, "all_pcols": all_pcols,
                         "dists": dists, "scaling_model": scaling_model,
                         "completed": completed,
                         "objective_signs": _frame.signs(trials, None, bcol, pd.Index(groups),
                                                         objective=ycol)[0]})
    return ctx


# --- the page's procedure ---------------------------------------------------------
def _page(nodes: list[Node], ctx: Context) -> pd.DataFrame:
    """The graphical procedure over every node, then one row per node that makes a row."""
    graph = _Graph(nodes)
    adj = graph.adjusted()
    rows = []
    for i, n in enumerate(nodes):
        row = _node_row(n, i, adj, graph, ctx.alpha)
        if row is not None:
            rows.append(row)
    rows.extend(ctx.extra.get("rows", []))
    return _claims_frame(rows)


class _Graph:
    """The page's gatekeeping graph: roots share the level, parents open their children."""

    def __init__(self, nodes: list[Node]) -> None:
        self.pos = {n.key: i for i, n in enumerate(nodes)}
        m = len(nodes)
        self.children: dict[int, list[int]] = {i: [] for i in range(m)}
        self.roots: list[int] = []
        # "flat" nodes are outside the graph: tested at their parent's level (see docs)
        self.flat = np.array([n.key[0] == "flat" for n in nodes], dtype=bool)
        for i, n in enumerate(nodes):
            if self.flat[i]:
                continue
            if n.parent is None or n.parent not in self.pos:
                self.roots.append(i)
            else:
                self.children[self.pos[n.parent]].append(i)
        self.w = np.zeros(m)
        if self.roots:
            self.w[self.roots] = 1.0 / len(self.roots)
        self.p = np.array([np.nan if self.flat[i] else n.p for i, n in enumerate(nodes)],
                          dtype=float)

    def transitions(self) -> np.ndarray:
        """Parent to children equally; a leaf passes its level back to the other roots."""
        m = len(self.p)
        G = np.zeros((m, m))
        for i in range(m):
            if self.children[i]:
                G[i, self.children[i]] = 1.0 / len(self.children[i])
                continue
            others = [r for r in self.roots if r != i]
            if others:
                G[i, others] = 1.0 / len(others)
        return G

    def adjusted(self) -> np.ndarray:
        if len(self.p) > GRAPH_MAX:
            return _tree(self.p, self.w, self.roots, self.children)
        if not len(self.p):
            return np.zeros(0)
        return _multiplicity.graph(self.p, self.w, self.transitions())


def _node_row(n: Node, i: int, adj: np.ndarray, graph: _Graph, alpha: float) -> dict | None:
    """The row a node becomes (None: a node that makes no row when not rejected)."""
    row = dict(n.row)
    row["p_value"] = n.p
    row["p_adjusted"] = adj[i]
    rejected = bool(np.isfinite(adj[i]) and adj[i] < alpha)
    if graph.flat[i]:
        rejected, row["p_adjusted"] = _flat_verdict(n, adj, graph, alpha)
    if rejected:
        row["value"] = row.get("value") or n.yes
        row["claimed"] = True
    else:
        if n.no is None:
            return None
        row["value"] = n.no
        row["claimed"] = False
        if "detail_no" in row:
            row["detail"] = row["detail_no"]
    row.pop("detail_no", None)
    return row


def _flat_verdict(n: Node, adj: np.ndarray, graph: _Graph, alpha: float) -> tuple[bool, float]:
    """A flat claim: at its root's initial level, only when the root's "matters" is not made."""
    root = graph.pos.get(n.parent)
    if root is None:
        return False, np.nan
    level = graph.w[root] * alpha
    root_made = bool(np.isfinite(adj[root]) and adj[root] < alpha)
    rejected = bool(np.isfinite(n.p) and n.p < level and not root_made)
    p_adj = min(1.0, n.p / graph.w[root]) if np.isfinite(n.p) else np.nan
    return rejected, p_adj


def _claims_frame(rows: list[dict]) -> pd.DataFrame:
    """The rows as the contract's frame, with its column types."""
    frame = pd.DataFrame(rows, columns=COLUMNS)
    if not len(frame):
        return frame.astype({"claimed": bool}).reset_index(drop=True)
    frame["claimed"] = frame["claimed"].astype(bool)
    for c in ("n_trials", "n_pruned", "n_outliers"):
        frame[c] = frame[c].fillna(0).astype(np.int64)
    for c in ("effect", "effect_low", "effect_high", "p_value", "p_adjusted", "best_low",
              "best_high"):
        frame[c] = frame[c].astype(float)
    for c in ("study", "param", "claim", "value", "section", "detail"):
        frame[c] = frame[c].astype(object)
    return frame.reset_index(drop=True)


def _tree(p: np.ndarray, w: np.ndarray, roots: list[int], children: dict) -> np.ndarray:
    """Adjusted p-values of the gatekeeping tree without recycling (pages of many studies).

    The same graph without the edges from leaves back to the roots: a node's
    level is its parent's split equally among the parent's children, and it is
    tested only when its parent is rejected. A special case of the graphical
    procedure (rows of zeros), so it controls the same error rate; it is
    linear in the number of claims, where the full graph is cubic.
    """
    adj = np.full(len(p), np.nan)
    stack = [(r, float(w[r]), 0.0) for r in roots]
    while stack:
        i, wi, parent = stack.pop()
        if not np.isfinite(p[i]):
            continue
        adj[i] = min(1.0, max(parent, p[i] / wi)) if wi > 0 else 1.0
        kids = children[i]
        for c in kids:
            stack.append((c, wi / len(kids), adj[i]))
    return adj


# --- pruned trials --------------------------------------------------------------
def _pruned_share(trials: pd.DataFrame) -> float:
    """The largest share of PRUNED among the COMPLETE and PRUNED trials of a study."""
    state = trials[_frame.STATE].to_numpy(dtype=object)
    done = (state == "COMPLETE") | (state == "PRUNED")
    if not (state == "PRUNED").any():
        return 0.0
    key = trials[_frame.STUDY].to_numpy(dtype=object) if _frame.STUDY in trials.columns else None
    frame = pd.DataFrame({"k": key[done] if key is not None else 0,
                          "p": state[done] == "PRUNED"})
    return float(frame.groupby("k")["p"].mean().max())


def _ranked(kept, done, y, gcodes, groups, bcol, pcols, signs):
    """Completed and PRUNED trials, the objective replaced by normal scores of ranks.

    Within each study, completed trials are ranked by how good they are (1 the
    worst); the PRUNED trials share the ranks below them (tied, average rank).
    Score: ``Phi^-1((rank - 1/2) / n)``.
    """
    from scipy import stats

    pr = kept[kept[_frame.STATE].to_numpy(dtype=object) == "PRUNED"]
    pr = _frame.adapt(pr[[c for c in dict.fromkeys([_frame.STUDY, bcol, *pcols])
                          if c in pr.columns]])
    pcode = pd.Index(groups).get_indexer(pr[bcol].to_numpy(dtype=object))
    pr, pcode = pr[pcode >= 0], pcode[pcode >= 0]
    better = y * signs[gcodes]
    rank_c = pd.Series(better).groupby(gcodes).rank(method="average").to_numpy()
    n_pr = np.bincount(pcode, minlength=len(groups))
    n_all = np.bincount(gcodes, minlength=len(groups)) + n_pr
    r = np.concatenate([rank_c + n_pr[gcodes], (n_pr[pcode] + 1) / 2.0])
    g = np.concatenate([gcodes, pcode])
    score = stats.norm.ppf((r - 0.5) / n_all[g])
    both = pd.concat([done.drop(columns=[c for c in done.columns if c not in pr.columns]), pr],
                     ignore_index=True)
    return both, score, g


def _with_last_values(kept, done, y, gcodes, groups, bcol, pcols, ycol):
    """Completed trials, and PRUNED trials with the last value they reported as their objective.

    A pruned trial's objective in the trials frame is its last intermediate value (Optuna
    records it), reported at an earlier step than the completed trials' values.
    """
    pr = kept[kept[_frame.STATE].to_numpy(dtype=object) == "PRUNED"]
    last = pd.to_numeric(pr[ycol], errors="coerce").to_numpy(dtype=float)
    pr, last = pr[np.isfinite(last)], last[np.isfinite(last)]
    pr = _frame.adapt(pr[[c for c in dict.fromkeys([_frame.STUDY, bcol, *pcols])
                          if c in pr.columns]])
    pcode = pd.Index(groups).get_indexer(pr[bcol].to_numpy(dtype=object))
    keep = pcode >= 0
    both = pd.concat([done.drop(columns=[c for c in done.columns if c not in pr.columns]),
                      pr[keep]], ignore_index=True)
    return both, np.concatenate([y, last[keep]]), np.concatenate([gcodes, pcode[keep]])


def _pruning_claims(ctx: Context) -> list[Node]:
    """Does being pruned depend on a parameter? A caveat about the sample (own Holm family).

    Linear probability model: the PRUNED indicator of the COMPLETE and PRUNED
    trials on the adjusted model's terms; the partial F test of each parameter
    (pooled over the studies with the study as a block, the other parameters
    per study). Rows: claim "pruning", value "depends" / "no evidence",
    ``claimed`` False (not a claim about the objective); ``p_adjusted`` by Holm
    over the parameters.
    """
    kept = ctx.extra["kept"]
    if not (kept[_frame.STATE] == "PRUNED").any():
        return []
    pcols = ctx.extra["all_pcols"]
    sub = kept[kept[_frame.STATE].isin(["COMPLETE", "PRUNED"]).to_numpy()]
    sub = _frame.adapt(sub[[c for c in [ctx.budget_col, *pcols] if c in sub.columns]]
                       .assign(_state=sub[_frame.STATE].to_numpy()))
    g = pd.Index(ctx.groups).get_indexer(sub[ctx.budget_col].to_numpy(dtype=object))
    sub, g = sub[g >= 0], g[g >= 0]
    ind = (sub["_state"].to_numpy(dtype=object) == "PRUNED").astype(float)
    if ind.sum() == 0 or ind.sum() == len(ind):
        return []
    model = Model.build(sub, pcols, ind, g, len(ctx.groups), ctx.extra["dists"])
    gs = [k for k in range(len(ctx.groups)) if (g == k).sum() > 2]
    full = model.fit(gs, model.all_cols())
    rows, ps = [], []
    label = _pooled_label(ctx, gs)
    for term in model.terms:
        if term.param not in ctx.extra["params"]:
            continue
        rest = model.without(term)
        common = model.fit(gs, rest, term.cols)
        none = model.fit(gs, rest)
        p, _, _ = partial_f(common, none, full)
        row = claim_row(ctx, label, term.param, "pruning", "importance", len(ind), int(ind.sum()),
                    0)
        rows.append(row)
        ps.append(p)
    adj = _multiplicity.holm(ps)
    for row, p, a in zip(rows, ps, adj, strict=True):
        dep = bool(np.isfinite(a) and a < ctx.alpha)
        row.update(value="depends" if dep else "no evidence", claimed=False, p_value=p,
                   p_adjusted=a,
                   detail=(f"Whether a trial was pruned depends on {row['param']}: the "
                           "completed trials are a selected sample along it." if dep else
                           f"No evidence that pruning depends on {row['param']}."))
    ctx.extra.setdefault("rows", []).extend(rows)
    return []


# --- diverged trials ------------------------------------------------------------
def _outliers(model: Model, done, pcols, y, gcodes, ngroups, dists) -> np.ndarray:
    """Trials whose objective is beyond OUTLIER_Z robust sds of their study's median.

    Robust sd: 1.4826 x the median absolute deviation of the study's objective.
    Read on the objective itself, not on residuals: a model with nearly as many
    columns as trials (a pruner that leaves few completed trials) has tiny
    residuals and would flag half of them.
    """
    out = np.zeros(len(y), dtype=bool)
    for g in range(ngroups):
        rows = np.flatnonzero(gcodes == g)
        if len(rows) < 10:
            continue
        r = y[rows]
        med = np.median(r)
        mad = 1.4826 * np.median(np.abs(r - med))
        if not mad > 0:
            continue
        out[rows] = np.abs(r - med) > OUTLIER_Z * mad
    return out


# --- helpers --------------------------------------------------------------------
def _t_sf(t: np.ndarray | float, df: float) -> np.ndarray:
    from scipy import stats

    return stats.t.sf(t, df)


def _t_q(q: float, df: float) -> float:
    from scipy import stats

    return float(stats.t.ppf(q, df)) if df >= 1 else np.nan


def _pooled_label(ctx: Context, gs: Sequence[int]) -> str:
    return ", ".join(ctx.labels[g] for g in gs)


def _fmt(x: Any) -> str:
    if isinstance(x, float | np.floating):
        return f"{float(x):.3g}"
    return str(x)


class _Curve:
    """A term's fitted partial effect in one fit, in objective units (sign: bigger is better)."""

    def __init__(self, ctx: Context, term: Term, fit, g: int | None, gsel: Sequence[int],
                 sign: float) -> None:
        m = ctx.model
        key = g if (g, int(term.cols[0])) in fit.index else None
        idx = np.array([fit.index[(key, int(c))] for c in term.cols])
        scale = m.col_scale[term.cols]
        # per unscaled column, in scaled objective units (times ys: objective units)
        self.ys = m.y_scale
        self.beta = fit.beta[idx] / scale * sign
        self.cov = fit.cov_unscaled[np.ix_(idx, idx)] / np.outer(scale, scale) * fit.mse
        self.df = fit.df_resid
        self.term = term
        rows = np.isin(ctx.gcodes, list(gsel))
        vals = ctx.done[term.column].to_numpy()[rows]
        self.n = int(pd.notna(vals).sum())
        if term.kind == "smooth":
            x = pd.to_numeric(pd.Series(vals), errors="coerce").to_numpy(dtype=float)
            x = x[np.isfinite(x)]
            self.low, self.high = float(x.min()), float(x.max())
            u0, u1 = term.u(self.low), term.u(self.high)
            self.grid_u = np.linspace(u0, u1, GRID)
            self.grid_x = 10**self.grid_u if term.log else self.grid_u
            self.grid_x[0], self.grid_x[-1] = self.low, self.high
            self.design = term.rows(self.grid_x)
            self.counts = None
        else:
            from hpo_insights._model import level_codes

            codes = level_codes(term, pd.Series(vals))
            counts = np.bincount(codes[codes >= 0], minlength=len(term.levels))
            present = np.flatnonzero(counts > 0)
            self.present = present
            self.counts = counts
            k = len(term.levels)
            design = np.zeros((k, k - 1))
            for lv in range(1, k):
                design[lv, lv - 1] = 1.0
            self.design = design[present]
            self.grid_x = np.array(term.levels, dtype=object)[present]
        self.fitted = self.design @ self.beta
        self.best = int(np.argmax(self.fitted))

    def contrast(self, c: np.ndarray) -> tuple[float, float]:
        est = float(c @ self.beta)
        se = float(np.sqrt(max(c @ self.cov @ c, 0.0)))
        return est, se

    def range_interval(self, alpha: float, rng: np.random.Generator) -> tuple[float, float, float]:
        est = float(self.fitted.max() - self.fitted.min())
        try:
            draws = rng.multivariate_normal(self.beta, self.cov, size=N_DRAWS,
                                            check_valid="ignore", method="eigh")
        except (ValueError, np.linalg.LinAlgError):
            return est * self.ys, np.nan, np.nan
        f = draws @ self.design.T
        r = f.max(axis=1) - f.min(axis=1)
        lo, hi = np.quantile(r, [alpha / 2, 1 - alpha / 2])
        return est * self.ys, float(lo) * self.ys, float(hi) * self.ys

    def best_range(self, alpha: float) -> tuple[float, float, Any]:
        """Values not significantly worse than the best (one-sided at alpha), and the best."""
        if self.term.kind != "smooth":
            return np.nan, np.nan, _plain(self.grid_x[self.best])
        d = self.design - self.design[self.best]
        est = d @ self.beta
        se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", d, self.cov, d), 0.0))
        t = _t_q(1 - alpha, self.df)
        ok = est >= -t * se
        ok[self.best] = True
        # the contiguous run around the best
        lo = hi = self.best
        while lo > 0 and ok[lo - 1]:
            lo -= 1
        while hi < len(ok) - 1 and ok[hi + 1]:
            hi += 1
        return float(self.grid_x[lo]), float(self.grid_x[hi]), float(self.grid_x[self.best])

    def slope_at(self, x: float) -> np.ndarray:
        """Contrast vector of the derivative along u at value x (unscaled units)."""
        z = (self.term.u(x) - self.term.center) / self.term.scale
        return np.array([1.0, 2.0 * z]) / self.term.scale


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


# --- the families of claims --------------------------------------------------------
def _parameter_claims(ctx: Context) -> list[Node]:
    """matters (pooled and per budget), flat, consistency, and each budget's shape, edge, worse."""
    rng = np.random.default_rng(ctx.seed)
    shared = _SharedFits(ctx)
    nodes: list[Node] = []
    wanted = set(ctx.extra["params"])
    for term in ctx.model.terms:
        if term.param not in wanted:
            continue
        root_key = None
        if len(ctx.groups) > 1:
            root_key = ("matters", "pooled", term.param)
            nodes.extend(_pooled_nodes(ctx, term, shared, root_key, rng))
        nodes.extend(_budget_nodes(ctx, term, shared, root_key, rng))
    return nodes


class _SharedFits:
    """The fits every parameter's tests share: each study's model, and the pooled ones."""

    def __init__(self, ctx: Context) -> None:
        m = ctx.model
        S = len(ctx.groups)
        self.gs = list(range(S))
        self.per_study = {g: m.fit([g], m.all_cols()) for g in self.gs}
        self.n = np.bincount(ctx.gcodes, minlength=S)
        self.label = _pooled_label(ctx, self.gs)
        # every parameter per budget (the interaction test's full model)
        self.separate = m.fit(self.gs, m.all_cols()) if S > 1 else None
        # every parameter shared by the budgets, the budget as a block
        self.all_shared = m.fit(self.gs, [], m.all_cols()) if S > 1 else None


def _pooled_p(ctx: Context, term: Term,
              shared: _SharedFits) -> tuple[float, float, float, bool]:
    """The pooled "matters" node's p-value, its two parts, and whether the second decided.

    The node's null is "the parameter has no effect in any budget". Two tests of
    it, weighted Bonferroni (``COMMON_SHARE`` and the rest of the node's level):
    the common effect (its terms shared by the budgets, every other parameter
    shared too), and the budget-specific effects (its terms per budget, the others
    shared), which catches an effect that changes between budgets and averages
    out when shared (an optimum that moves).
    """
    m, gs = ctx.model, shared.gs
    rest = m.without(term)
    without = m.fit(gs, [], rest)
    if POOLED_OTHERS == "shared":
        p_common, _, _ = partial_f(shared.all_shared, without)
    else:
        p_common, _, _ = partial_f(m.fit(gs, rest, term.cols), m.fit(gs, rest), shared.separate)
    p_budgets, _, _ = partial_f(m.fit(gs, term.cols, rest), without)
    parts = {kind: p / w for kind, p, w in (("common", p_common, COMMON_SHARE),
                                            ("budgets", p_budgets, 1 - COMMON_SHARE))
             if np.isfinite(p) and w > 0}
    if not parts:
        return np.nan, p_common, p_budgets, False
    by = min(parts, key=parts.get)
    return min(1.0, parts[by]), p_common, p_budgets, by == "budgets"


def _pooled_nodes(ctx: Context, term: Term, shared: _SharedFits, root_key: tuple,
                  rng: np.random.Generator) -> list[Node]:
    """The parameter's pooled "matters" (a root), its flat claim and its consistency claim."""
    nodes: list[Node] = []
    p, _, p_budgets, by_budget = _pooled_p(ctx, term, shared)
    label = shared.label
    row = claim_row(ctx, label, term.param, "matters", "importance", shared.all_shared.n,
                    int(ctx.n_pruned.sum()), int(ctx.n_outliers.sum()))
    row["detail_no"] = (f"No evidence that {term.param} matters over the budgets pooled "
                        f"(p = {_fmt(p)}).")
    row["detail"] = (f"{term.param} matters over the budgets pooled (the budget as a "
                     f"block, p = {_fmt(p)}).")
    sign_all = float(ctx.signs[0]) if np.all(ctx.signs == ctx.signs[0]) else np.nan
    if np.isfinite(sign_all):
        cur = _Curve(ctx, term, shared.all_shared, None, shared.gs, sign_all)
        row["effect"], row["effect_low"], row["effect_high"] = cur.range_interval(ctx.alpha, rng)
        row["best_low"], row["best_high"], row["best_value"] = cur.best_range(ctx.alpha)
        row["detail"] = (
            f"{term.param} matters over the budgets pooled (the budget as a block): "
            f"its fitted effect spans {_fmt(row['effect'])} in objective units.")
        nodes.extend(_flat_node(ctx, cur, root_key, row, shared.all_shared, label))
    if by_budget:  # the shared curve does not describe it: no effect or range from it
        row.update(effect=np.nan, effect_low=np.nan, effect_high=np.nan, best_low=np.nan,
                   best_high=np.nan, best_value=None)
        row["detail"] = (
            f"{term.param} matters in at least one budget, not as one effect shared by the "
            f"budgets (its terms per budget in the adjusted model, p = {_fmt(p_budgets)}); "
            "see its per-budget claims.")
    nodes.append(Node(key=root_key, p=p, row=row))
    nodes.extend(_consistency_node(ctx, term, shared, root_key))
    return nodes


def _consistency_node(ctx: Context, term: Term, shared: _SharedFits,
                      root_key: tuple) -> list[Node]:
    """Budget x parameter interaction, every other parameter per budget (opened by matters)."""
    if not _same_grid(ctx, term):
        return []
    m = ctx.model
    common = m.fit(shared.gs, m.without(term), term.cols)
    p_int, _, _ = partial_f(shared.separate, common)
    crow = claim_row(ctx, shared.label, term.param, "consistency", "budgets", shared.separate.n,
                     int(ctx.n_pruned.sum()), int(ctx.n_outliers.sum()))
    crow["value"] = "inconsistent"
    crow["detail"] = (f"The effect of {term.param} differs between budgets "
                      "(budget x parameter interaction in the adjusted model).")
    crow["detail_no"] = (f"No evidence that the effect of {term.param} differs "
                         f"between budgets (p = {_fmt(p_int)}).")
    return [Node(key=("consistency", term.param), p=p_int, row=crow, parent=root_key)]


def _budget_nodes(ctx: Context, term: Term, shared: _SharedFits, root_key: tuple | None,
                  rng: np.random.Generator) -> list[Node]:
    """Per budget: "matters" (opened by the pooled one), flat (one study), and its children."""
    m = ctx.model
    rest = m.without(term)
    nodes: list[Node] = []
    for g in shared.gs:
        if shared.n[g] < 3:
            continue
        f_full = shared.per_study[g]
        p, df1, _ = partial_f(f_full, m.fit([g], rest))
        if df1 < 1:
            continue
        cur = _Curve(ctx, term, f_full, g, [g], float(ctx.signs[g]))
        if cur.n == 0:
            continue
        label = ctx.labels[g]
        npr, nout = int(ctx.n_pruned[g]), int(ctx.n_outliers[g])
        row = claim_row(ctx, label, term.param, "matters", "importance", cur.n, npr, nout)
        row["effect"], row["effect_low"], row["effect_high"] = cur.range_interval(
            ctx.alpha, rng)
        row["best_low"], row["best_high"], row["best_value"] = cur.best_range(ctx.alpha)
        row["detail"] = (f"{term.param} matters in {label}: its fitted effect spans "
                         f"{_fmt(row['effect'])} in objective units, all parameters "
                         "fitted together.")
        row["detail_no"] = f"No evidence that {term.param} matters in {label} (p = {_fmt(p)})."
        key = ("matters", label, term.param)
        nodes.append(Node(key=key, p=p, row=row, parent=root_key))
        if len(shared.gs) == 1:
            nodes.extend(_flat_node(ctx, cur, key, row, f_full, label))
        nodes.extend(_children(ctx, cur, key, label, npr, nout))
    return nodes


def _margin(ctx: Context, fit) -> float:
    if ctx.min_effect is not None:
        return float(ctx.min_effect)
    return 0.5 * float(np.sqrt(fit.mse)) * ctx.model.y_scale if fit.df_resid > 0 else np.nan


def _flat_node(ctx, cur: _Curve, parent_key, mrow, fit, label) -> list[Node]:
    """Equivalence: every pairwise difference of the fitted curve below the margin (TOST, IUT)."""
    margin = _margin(ctx, fit)
    if not np.isfinite(margin) or cur.df < 1:
        return []
    scaled = margin / cur.ys
    if cur.term.kind == "smooth":
        d_end = cur.design[-1] - cur.design[0]
        mid = cur.design[len(cur.design) // 2] - (cur.design[0] + cur.design[-1]) / 2
        cons = [d_end, mid]
        margins = [scaled, scaled / 2]
    else:
        k = len(cur.design)
        cons = [cur.design[i] - cur.design[j] for i in range(k) for j in range(i + 1, k)]
        margins = [scaled] * len(cons)
    ps = []
    for c, mg in zip(cons, margins, strict=True):
        est, se = cur.contrast(c)
        if se <= 0:
            ps.append(0.0 if abs(est) < mg else 1.0)
            continue
        ps.append(float(max(_t_sf((mg - est) / se, cur.df), _t_sf((mg + est) / se, cur.df))))
    if not ps:
        return []
    row = dict(mrow)
    row.update(claim="shape", section="trends", value="flat", detail_no="")
    row["detail"] = (f"{cur.term.param} is flat in {label}: its effect is shown to be smaller "
                     f"than {_fmt(margin)} in objective units.")
    return [Node(key=("flat", label, cur.term.param), p=max(ps), row=row, parent=parent_key,
                 no=None)]


def _children(ctx, cur: _Curve, key, label, npr, nout) -> list[Node]:
    """shape, edge and worse claims of one parameter in one study (opened by its matters)."""
    term = cur.term
    out: list[Node] = []
    if term.kind == "smooth" and cur.df >= 1:
        out.append(_shape_node(ctx, cur, key, label, npr, nout))
        out.extend(_edge(ctx, cur, key, label, npr, nout))
    elif term.kind == "levels" and cur.counts is not None:
        if term.numeric:
            out.extend(_edge(ctx, cur, key, label, npr, nout))
        out.extend(_worse_nodes(ctx, cur, key, label, npr, nout))
    return out


def _end_slope_ps(cur: _Curve) -> dict[str, float]:
    """One-sided p-values of the signs of the fitted slope at both ends, per shape.

    Intersection-union tests, in "better" units: "up" (both ends rising),
    "down", "peak" (rising at the low end, falling at the high end), "dip".
    """
    def one_sided(c: np.ndarray) -> tuple[float, float]:
        s, se = cur.contrast(c)
        if se <= 0:
            return float(s <= 0), float(s >= 0)
        return float(_t_sf(s / se, cur.df)), float(_t_sf(-s / se, cur.df))

    lo_pos, lo_neg = one_sided(cur.slope_at(cur.low))
    hi_pos, hi_neg = one_sided(cur.slope_at(cur.high))
    return {"up": max(lo_pos, hi_pos), "down": max(lo_neg, hi_neg),
            "peak": max(lo_pos, hi_neg), "dip": max(lo_neg, hi_pos)}


def _shape_node(ctx, cur: _Curve, key, label, npr, nout) -> Node:
    """The shape of a smooth term in one study (the smallest of four IUT p-values, times 2)."""
    term = cur.term
    ps = _end_slope_ps(cur)
    kind = min(ps, key=ps.get)
    p_shape = min(1.0, 2 * ps[kind])
    raw_sign = float(ctx.signs[ctx.labels.index(label)]) if label in ctx.labels else 1.0
    if kind in ("peak", "dip"):
        mid = cur.design[len(cur.design) // 2] - (cur.design[0] + cur.design[-1]) / 2
        est, se = cur.contrast(mid)
        detail = (f"The best {term.param} in {label} lies inside the tried range (near "
                  f"{_fmt(cur.grid_x[cur.best])})." if kind == "peak" else
                  f"The worst {term.param} in {label} lies inside the tried range; the "
                  "objective is better toward both ends.")
        value = "peaked" if (kind == "peak") == (raw_sign > 0) else "valley"
    else:
        est, se = cur.contrast(cur.design[-1] - cur.design[0])
        detail = (f"The objective gets {'better' if kind == 'up' else 'worse'} as "
                  f"{term.param} goes from {_fmt(cur.low)} to {_fmt(cur.high)} in {label}, "
                  "over the whole tried range.")
        value = "increasing" if (kind == "up") == (raw_sign > 0) else "decreasing"
    tq = _t_q(1 - ctx.alpha / 2, cur.df)
    est, se = est * cur.ys, se * cur.ys
    est_lo, est_hi = est - tq * se, est + tq * se
    if raw_sign < 0:  # objective units, not "better" units
        est, est_lo, est_hi = -est, -est_hi, -est_lo
    row = claim_row(ctx, label, term.param, "shape", "trends", cur.n, npr, nout)
    row.update(value=value, effect=est, effect_low=est_lo, effect_high=est_hi, detail=detail)
    bl, bh, bv = cur.best_range(ctx.alpha)
    row.update(best_low=bl, best_high=bh, best_value=bv)
    return Node(key=("shape", label, term.param), p=p_shape, row=row, parent=key, no=None)


def _worse_nodes(ctx, cur: _Curve, key, label, npr, nout) -> list[Node]:
    """Each level with enough trials that is worse than another one (Bonferroni over them)."""
    present = cur.present
    counts = cur.counts[present]
    k = len(present)
    ok = counts >= MIN_TRIALS_PER_VALUE
    if k < 2 or ok.sum() < 2 or cur.df < 1:
        return []
    return [_worse_node(ctx, cur, i, ok, int(counts[i]), key, label, npr, nout)
            for i in range(k) if ok[i] and i != cur.best]


def _worse_node(ctx, cur: _Curve, i: int, ok: np.ndarray, count: int, key, label, npr,
                nout) -> Node:
    """Level *i* is worse than some other level with enough trials (one-sided t each)."""
    term = cur.term
    ps = []
    for j in np.flatnonzero(ok):
        if j == i:
            continue
        est, se = cur.contrast(cur.design[j] - cur.design[i])  # > 0: i is worse
        ps.append(_t_sf(est / se, cur.df) if se > 0 else float(est <= 0))
    p = min(1.0, min(ps) * len(ps))
    est, se = cur.contrast(cur.design[cur.best] - cur.design[i])  # gap to the best
    est, se = est * cur.ys, se * cur.ys
    tq = _t_q(1 - ctx.alpha / (2 * len(ps)), cur.df)
    v = _plain(cur.grid_x[i])
    best = _plain(cur.grid_x[cur.best])
    wrow = claim_row(ctx, label, term.param, "worse", "suggestions", count, npr, nout)
    wrow.update(value=str(v), effect=est, effect_low=est - tq * se, effect_high=est + tq * se,
                best_value=best,
                detail=(f"{term.param} = {v} is worse than {best} in {label} by about "
                        f"{_fmt(est)} ({count} trials): it can be dropped from the search."))
    return Node(key=("worse", label, term.param, str(v)), p=p, row=wrow, parent=key, no=None)


def _edge(ctx, cur: _Curve, key, label, npr, nout) -> list[Node]:
    """The best fitted value at an end of the tried range, still improving toward it.

    The test: the fitted value at the end against the neighbouring value (levels)
    or the point a tenth of the tried range inward (smooth terms; on the term's
    scale), one-sided t. No edge at a natural bound (0, or 1 for a linear
    parameter within [0, 1]).
    """
    term = cur.term
    last = len(cur.design) - 1
    at = cur.best
    if last < 2 or at not in (0, last) or cur.df < 1:
        return []
    low_end = at == 0
    if term.kind == "smooth":
        end = cur.low if low_end else cur.high
        inner = last // 10
        c = cur.design[at] - cur.design[inner if low_end else last - inner]
        step = "the last tenth of the tried range"
    else:
        end = float(cur.grid_x[at])
        c = cur.design[at] - cur.design[1 if low_end else last - 1]
        step = f"the next value ({_fmt(cur.grid_x[1 if low_end else last - 1])})"
    bound = term.lower_bound if low_end else term.upper_bound
    if np.isfinite(bound) and np.isclose(end, bound):
        return []
    est, se = cur.contrast(c)
    p = float(_t_sf(est / se, cur.df)) if se > 0 else float(est <= 0)
    tq = _t_q(1 - ctx.alpha / 2, cur.df)
    a, b = est * cur.ys, se * cur.ys
    row = claim_row(ctx, label, term.param, "edge", "suggestions", cur.n, npr, nout)
    side = "low" if low_end else "high"
    row.update(value=side, effect=a, effect_low=a - tq * b, effect_high=a + tq * b,
               best_value=_plain(end),
               detail=(f"The best {term.param} in {label} is at the {side} end of the tried "
                       f"range ({_fmt(end)}), better by {_fmt(a)} than at {step}: try values "
                       f"{'below' if low_end else 'above'} it."))
    return [Node(key=("edge", label, term.param), p=p, row=row, parent=key, no=None)]


def _same_grid(ctx: Context, term: Term) -> bool:
    """The parameter was searched over the same space in every budget."""
    col = ctx.trials[term.column]
    dcol = _frame.DISTRIBUTION_PREFIX + term.param
    tb = ctx.trials[ctx.budget_col].to_numpy(dtype=object)
    if dcol in ctx.trials.columns:
        per = [set(map(str, ctx.trials[dcol][tb == g].dropna().unique())) for g in ctx.groups]
        if all(per) and all(s == per[0] for s in per):
            return True
    if term.kind == "levels":
        per = [set(map(str, col[tb == g].dropna().unique())) for g in ctx.groups]
        return all(s == per[0] for s in per)
    x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    los = [np.nanmin(term.u(x[tb == g])) for g in ctx.groups]
    his = [np.nanmax(term.u(x[tb == g])) for g in ctx.groups]
    span = max(his) - min(los)
    return span > 0 and (max(los) - min(los)) < 0.1 * span and (max(his) - min(his)) < 0.1 * span


def scaling_claims(ctx: Context) -> list[Node]:
    """Budgets' intercepts in the pooled model (every parameter shared), each step up."""
    S = len(ctx.groups)
    signs = ctx.extra.get("objective_signs", ctx.signs)
    if S < 2 or not np.all(signs == signs[0]):
        return []
    m = ctx.extra.get("scaling_model") or ctx.model
    gs = list(range(S))
    fit = m.fit(gs, [], m.all_cols())
    if fit.df_resid < 1:
        return []
    sign = float(signs[0])
    beta = fit.beta[[fit.index[(None, c)] for c in range(m.p)]] if m.p else np.zeros(0)
    cov = fit.cov_unscaled
    if m.p:
        cov = cov[np.ix_([fit.index[(None, c)] for c in range(m.p)],
                         [fit.index[(None, c)] for c in range(m.p)])]
    mse = fit.mse
    n = m.n
    ps_better, ps_worse, diffs = [], [], []
    for a in range(S - 1):
        b = a + 1
        dx = m.xbar[b] - m.xbar[a]
        d = (m.ybar[b] - m.ybar[a]) - (dx @ beta if m.p else 0.0)
        var = mse * (1 / n[a] + 1 / n[b]) + (mse * dx @ cov @ dx if m.p else 0.0)
        se = np.sqrt(max(var, 0.0))
        d *= sign
        t = d / se if se > 0 else np.inf * np.sign(d)
        ps_better.append(float(_t_sf(t, fit.df_resid)))
        ps_worse.append(float(_t_sf(-t, fit.df_resid)))
        diffs.append((d * m.y_scale, se * m.y_scale))
    p_holds = max(ps_better)
    p_viol = min(1.0, min(ps_worse) * (S - 1))
    label = _pooled_label(ctx, gs)
    row = claim_row(ctx, label, "", "scaling", "budgets", fit.n, int(ctx.n_pruned.sum()),
                int(ctx.n_outliers.sum()))
    tq = _t_q(1 - ctx.alpha / 2, fit.df_resid)
    if p_holds <= p_viol:
        value, k = "holds", int(np.argmax(ps_better))
        detail = ("Every step up in budget does better, at the same hyperparameters "
                  "(budget effects in the adjusted model).")
    else:
        value, k = "violated", int(np.argmin(ps_worse))
        detail = (f"{ctx.labels[k + 1]} does worse than {ctx.labels[k]} at the same "
                  "hyperparameters (budget effects in the adjusted model).")
    est, se = diffs[k]
    ctx.extra["scaling_steps"] = pd.DataFrame({
        "budget_a": ctx.labels[:-1], "budget_b": ctx.labels[1:],
        "difference": [d for d, _ in diffs],
        "ci_low": [d - tq * e for d, e in diffs], "ci_high": [d + tq * e for d, e in diffs],
        "p_better": ps_better, "p_worse": ps_worse,
    })
    row.update(value=value, effect=est, effect_low=est - tq * se, effect_high=est + tq * se,
               detail=detail,
               detail_no="Not established that bigger budgets do better or worse.")
    return [Node(key=("scaling",), p=min(1.0, 2 * min(p_holds, p_viol)), row=row,
                 no="not established")]


def _collapse_rows(ctx: Context) -> list[Node]:
    """Collapse is an observation of the predictions, not a test: rows outside the budget."""
    from hpo_insights.collapse import collapse_summary

    try:
        cs = collapse_summary(ctx.trials, objective=ctx.ycol, by=ctx.budget_col)
    except TrialsError:
        return []
    rows = []
    for _, r in cs.iterrows():
        if pd.isna(r["collapse"]):
            continue
        label = str(r.iloc[0])
        yes = bool(r["collapse"])
        row = claim_row(ctx, label, "", "collapse", "collapse", int(r["n_measured"]), 0, 0)
        row.update(value="yes" if yes else "no", claimed=yes, p_value=np.nan, p_adjusted=np.nan,
                   detail=(f"{int(r['n_collapsed'])} of {int(r['n_measured'])} trials in "
                           f"{label} collapsed to near-constant predictions; they are left "
                           "out of every other claim." if yes else
                           f"No trial of {label} collapsed."))
        rows.append(row)
    ctx.extra.setdefault("rows", []).extend(rows)
    return []


def _progress_rows(ctx: Context) -> list[Node]:
    """The plateau verdict of search progress (rows outside the budget, see progress.py)."""
    from hpo_insights.progress import findings_rows

    return findings_rows(ctx)


def _winner_rows(ctx: Context) -> list[Node]:
    """The winner's margin where folds were kept (rows outside the budget, see winner.py)."""
    from hpo_insights.winner import findings_rows

    return findings_rows(ctx)


FAMILIES: list[Callable[[Context], list[Node]]] = [
    _parameter_claims, scaling_claims, _collapse_rows, _pruning_claims, _progress_rows,
    _winner_rows,
]
