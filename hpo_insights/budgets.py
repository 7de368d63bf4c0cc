"""Cross-budget analyses: the same search run at several model sizes (budgets).

A *budget* is a label such as ``"2M"`` or ``"1.5B"``, read by default from
``study_user_attrs_budget`` (else the study name). :func:`compare_budgets`
gives the best trial per budget, :func:`scaling_check` asks whether bigger
budgets keep doing better, :func:`param_consistency` whether the best
parameter values agree across budgets, and :func:`collapse_by_budget`
summarizes probability collapse per budget.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hpo_insights import _binning, _frame, _guard, _mask, _stats
from hpo_insights._budget import budget_column, budget_order, parse_size
from hpo_insights._deprecation import renamed_arguments, renamed_values
from hpo_insights._errors import TrialsError, TrialsWarning
from hpo_insights.collapse import collapse_summary

__all__ = [
    "ScalingCheck",
    "budget_order",
    "collapse_by_budget",
    "compare_budgets",
    "param_consistency",
    "parse_size",
    "scaling_check",
]

@renamed_values(budget=(None, "auto"))
def compare_budgets(
    trials: pd.DataFrame,
    *,
    studies: str | Sequence[str] | None = None,
    budget: str = "auto",
    objective: str | None = None,
    direction: str | None = None,
) -> pd.DataFrame:
    """The best trial of each budget, smallest budget first.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    studies : str or sequence of str, optional
        Only these studies (the ``study`` column); ``None`` means every study.
        An unknown name is an error listing the studies.
    budget : str, default "auto"
        The column of budget labels (``"budget"`` means
        ``study_user_attrs_budget``). ``"auto"``: ``study_user_attrs_budget``
        when present, else ``study``. ``budget=None`` (the old spelling of
        ``"auto"``) still works until 0.4.0 with a FutureWarning.
    objective : str, optional
        The objective column; ``None`` means the frame's single objective.
    direction : {"maximize", "minimize"}, optional
        Overrides ``study_direction``.

    Returns
    -------
    pandas.DataFrame
        One row per budget with a COMPLETE trial: ``budget`` (the label),
        ``study`` (the study of the best trial), ``size`` (:func:`parse_size`
        of the label, NaN when unparseable), ``best`` (its objective),
        ``number``, then every ``params_<name>`` column of that trial. Rows in
        :func:`budget_order`: by size, unparseable labels after, in order of
        appearance.

    Raises
    ------
    TrialsError
        No COMPLETE trial with a finite objective, unknown *budget*, objective or
        direction.

    Notes
    -----
    Best per :func:`hpo_insights.best_trial` (COMPLETE trials with a finite
    objective; ties to the lower trial number). Studies that share a budget
    label are pooled: the budget's best is the best over all of them.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> cb = hi.compare_budgets(hi.datasets.example())
    >>> list(cb.columns[:5])
    ['budget', 'study', 'size', 'best', 'number']
    >>> cb[["budget", "size"]].to_numpy().tolist()
    [['2M', 2000000.0], ['20M', 20000000.0], ['200M', 200000000.0]]
    """
    from hpo_insights.summary import best_trial

    trials = _frame.select_studies(_guard.frame(trials), studies)
    col = budget_column(trials, budget)
    best = best_trial(trials, objective=objective, direction=direction, by=col)
    labels = best.iloc[:, 0]
    order = budget_order(labels.tolist())
    best = best.set_index(labels.to_numpy()).loc[order].reset_index(drop=True)
    # The study of each best trial: match budget, number and value among the trials.
    ycol = _frame.objective_column(trials, objective)
    keyed = pd.DataFrame(
        {
            "_budget": trials[col].to_numpy(),
            "_number": trials[_frame.NUMBER].to_numpy(),
            "_value": _frame.numeric_objective(trials, ycol).to_numpy(),
            "_study": trials[_frame.STUDY].to_numpy(),
        }
    )[(trials[_frame.STATE] == "COMPLETE").to_numpy()]
    keyed = keyed.drop_duplicates(["_budget", "_number", "_value"])
    first_col = best.columns[0]
    wanted = pd.DataFrame(
        {
            "_budget": best[first_col].to_numpy(),
            "_number": best["number"].to_numpy(),
            "_value": best["value"].to_numpy(dtype=float),
        }
    )
    found = wanted.merge(keyed, on=["_budget", "_number", "_value"], how="left")
    pcols = [c for c in best.columns if c.startswith(_frame.PARAM_PREFIX)]
    out = pd.DataFrame(
        {
            "budget": best[first_col].to_numpy(),
            "study": found["_study"].to_numpy(),
            "size": np.array([parse_size(x) for x in best[first_col]], dtype=float),
            "best": best["value"].to_numpy(dtype=float),
            "number": best["number"].to_numpy(),
        }
    )
    for c in pcols:
        out[c] = best[c].to_numpy()
    return out


@dataclass(frozen=True)
class ScalingCheck:
    """Does the best objective improve with every step up in budget?

    Attributes
    ----------
    holds : bool
        True when each budget's best strictly beats the next smaller budget's.
    ranking : tuple of str
        Budgets from best to worst best objective.
    table : pandas.DataFrame
        ``budget, size, best, improved`` (smallest budget first; ``improved``
        is pandas ``"boolean"``, <NA> for the smallest budget).
    statement : str
        The ranking joined by ``" > "``, e.g. ``"20M > 2M > 200M"``.
    verdict : str
        What the trials show, noise taken into account: ``"holds"`` (every
        step up is significantly better), ``"violated"`` (some step up is
        significantly worse) or ``"not established"`` (neither, or a single
        budget). See :func:`scaling_check`.
    pairs : pandas.DataFrame
        The evidence, one row per step up (adjacent budgets, smallest first):
        ``budget_a``, ``budget_b`` (the smaller and the larger budget),
        ``n_trials_a``, ``n_trials_b`` (trials), ``top_k`` (trials averaged at the top of each),
        ``top_mean_a``, ``top_mean_b`` (the mean objective of those top
        trials), ``difference`` (``top_mean_b - top_mean_a`` when
        maximizing, the reverse when minimizing: > 0 is better),
        ``ci_low``, ``ci_high`` (its 95% percentile bootstrap interval,
        each budget resampled on its own, ``n_resamples`` resamples; too narrow
        for ``top=1``, where the bootstrap of a maximum fails),
        ``p_value`` (two-sided permutation p-value of no difference),
        ``p_adjusted`` (times the number of steps, at most 1), ``exact``
        (every split enumerated) and ``step`` (``"better"``, ``"worse"`` or
        ``"no evidence"``).
    steps : pandas.DataFrame or None
        With ``method="adjusted"``: the evidence behind ``verdict``, one row
        per step up: ``budget_a``, ``budget_b``, ``difference`` (the larger
        budget's intercept minus the smaller's in the adjusted model with
        every parameter shared, > 0 is better), ``ci_low``, ``ci_high``
        (95%), ``p_better``, ``p_worse`` (one-sided t tests). None with
        ``method="top"``.
    """

    holds: bool
    ranking: tuple[str, ...]
    table: pd.DataFrame
    statement: str
    verdict: str
    pairs: pd.DataFrame
    steps: pd.DataFrame | None = None


def _direction(trials: pd.DataFrame, col: str, direction: str | None,
               objective: str | None = None) -> str:
    dirs = _frame.directions(trials, direction, by=col, objective=objective)
    uniq = sorted(set(dirs))
    if len(uniq) != 1:
        raise TrialsError(
            f"The budgets in {col!r} have different directions ({', '.join(uniq)}): "
            "pass direction='maximize' or direction='minimize' to compare them."
        )
    return uniq[0]


@renamed_values(budget=(None, "auto"))
@renamed_arguments(n_perm="n_resamples")
def scaling_check(
    trials: pd.DataFrame,
    *,
    studies: str | Sequence[str] | None = None,
    budget: str = "auto",
    objective: str | None = None,
    direction: str | None = None,
    top: int | float = 0.2,
    alpha: float = 0.05,
    n_resamples: int = 2000,
    seed: int | None = 0,
    method: str = "adjusted",
) -> ScalingCheck:
    """Check that bigger budgets reach a better best objective (a scaling law).

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    studies, budget, objective, direction
        As in :func:`compare_budgets`.
    top : int or float, default 0.2
        How much of the top of each budget the verdict compares: a float in
        (0, 1] is a share of the smaller budget's trials (rounded up), an
        int a number of trials (``top=1`` compares the two best trials).
    alpha : float, default 0.05
        Chance of a verdict other than ``"not established"`` when the budgets
        do not differ.
    n_resamples : int, default 2000
        Random splits of each permutation test (every split when there are
        fewer) and bootstrap resamples of its interval. ``n_perm=`` (the old
        name) still works until 0.4.0 with a FutureWarning.
    seed : int or None, default 0
        Seed of the permutations (the same seed gives the same answer;
        ``None``: fresh entropy, a different draw on every call).
    method : {"adjusted", "top"}, default "adjusted"
        The test behind ``verdict``. ``"adjusted"``: the budgets compared at
        the same hyperparameters, their intercepts in the adjusted model of
        :func:`hpo_insights.findings` (every parameter shared, the budget as a
        block; the scaling claim of the findings). ``"top"``: the permutation
        test of the top-*k* means (``pairs``), which assumes the trials of a
        budget are exchangeable; under TPE they are not (see Notes).

    Returns
    -------
    ScalingCheck
        ``holds``, ``ranking`` (best first), ``table`` (``budget, size, best,
        improved``), ``statement`` (``"20M > 2M > 200M"``), ``verdict`` and
        ``pairs`` (the per-step evidence).

    Raises
    ------
    TrialsError
        As :func:`compare_budgets`; budgets with different directions and no
        *direction*.

    Notes
    -----
    Budgets are ordered by :func:`compare_budgets`; ``improved`` is True when
    a budget's best is strictly better (higher when maximizing, lower when
    minimizing) than that of the budget just below it. ``holds`` is True when
    every step improved (vacuously with a single budget). When some labels
    have no readable size, their order of appearance stands for size and one
    :class:`~hpo_insights.TrialsWarning` says so. Ties in the ranking keep the
    smaller budget first.

    ``holds``, ``ranking`` and ``statement`` compare the single best trial of
    each budget (the reference report's rule). A maximum of noisy trials is
    itself noisy: with three budgets whose true best is the same, the order
    of their best trials is close to a dice roll. ``verdict`` weighs the
    evidence instead: for each step up, the mean objective of the top *k*
    trials of the larger budget is compared with that of the smaller one
    (``k`` from *top*), by a permutation test (the labels of the two
    budgets' COMPLETE trials shuffled; null hypothesis: both budgets' trials
    come from one distribution). A step is ``"better"`` or ``"worse"`` when
    its two-sided p-value times the number of steps (Bonferroni) is at most
    *alpha*. ``"holds"``: every step better; ``"violated"``: some step
    worse; otherwise ``"not established"``. With budgets that do not differ,
    a verdict other than ``"not established"`` comes out at most *alpha* of
    the time when the trials of a budget are exchangeable (``method="top"``).
    ``docs/statistics.md`` gives the error rates measured by simulation.

    With ``method="adjusted"`` (the default) ``verdict`` comes from the
    budgets' intercepts in the adjusted model instead (``steps``): each step
    up is tested one-sided; "holds" when every step is better (the largest
    one-sided p), "violated" when some step is worse (the smallest one-sided
    p times the number of steps), whichever p is smaller, made when twice it
    is below *alpha*. A search that concentrates its trials in the good
    region (TPE) gives a high top-*k* mean by sampling, not by budget; at the
    same hyperparameters that does not count.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> sc = hi.scaling_check(hi.datasets.example())
    >>> sc.holds, sc.statement, sc.verdict
    (False, '20M > 2M > 200M', 'violated')
    >>> list(sc.table.columns)
    ['budget', 'size', 'best', 'improved']
    >>> sc.pairs[["budget_a", "budget_b", "top_k", "difference", "p_adjusted", "step"]].round(4)
      budget_a budget_b  top_k  difference  p_adjusted    step
    0       2M      20M      9      0.0068       0.004  better
    1      20M     200M      9     -0.0131       0.002   worse
    """
    trials = _frame.select_studies(_guard.frame(trials), studies)
    cb = compare_budgets(trials, budget=budget, objective=objective, direction=direction)
    col = budget_column(trials, budget)
    sign = 1.0 if _direction(trials, col, direction, objective) == "maximize" else -1.0
    if cb["size"].isna().any():
        bad = cb.loc[cb["size"].isna(), "budget"].astype(str).tolist()
        warnings.warn(
            f"{len(bad)} of {len(cb)} budget labels have no readable size ({', '.join(bad)}); "
            "their order of appearance is taken as their size order.",
            TrialsWarning,
            stacklevel=2,
        )
    score = cb["best"].to_numpy(dtype=float) * sign
    improved = pd.array([pd.NA, *(score[1:] > score[:-1])], dtype="boolean")[: len(cb)]
    table = pd.DataFrame(
        {
            "budget": cb["budget"].to_numpy(),
            "size": cb["size"].to_numpy(dtype=float),
            "best": cb["best"].to_numpy(dtype=float),
            "improved": improved,
        }
    )
    rank = np.argsort(-score, kind="stable")
    ranking = tuple(str(cb["budget"].iloc[i]) for i in rank)
    holds = bool(improved[1:].all()) if len(cb) > 1 else True
    pairs = _step_evidence(trials, col, cb["budget"].tolist(), objective, sign,
                           top=top, alpha=alpha, n_perm=n_resamples, seed=seed)
    if method not in ("adjusted", "top"):
        raise TrialsError(f"Unknown method {method!r}. Methods: adjusted, top.")
    steps = pairs["step"]
    adjusted = None
    if method == "top":
        if len(pairs) and (steps == "better").all():
            verdict = "holds"
        elif (steps == "worse").any():
            verdict = "violated"
        else:
            verdict = "not established"
    else:
        verdict, adjusted = _adjusted_scaling(trials, budget, objective, direction, alpha)
    return ScalingCheck(holds=holds, ranking=ranking, table=table, statement=" > ".join(ranking),
                        verdict=verdict, pairs=pairs, steps=adjusted)


def _adjusted_scaling(trials, budget, objective, direction, alpha) -> tuple[str, object]:
    """The scaling claim of :func:`hpo_insights.findings` on its own: verdict and steps."""
    from hpo_insights.findings import build_context, scaling_claims

    t = trials if direction is None else trials.assign(study_direction=direction)
    ctx = build_context(t, objective=objective, params=None, budget=budget, alpha=alpha,
                   min_effect=None, pruned="drop", seed=0)
    nodes = scaling_claims(ctx)
    if not nodes:
        return "not established", None
    node = nodes[0]
    verdict = node.row["value"] if np.isfinite(node.p) and node.p < alpha else "not established"
    return verdict, ctx.extra.get("scaling_steps")


def _check_test_options(top: object, alpha: object, n_perm: object) -> None:
    if isinstance(top, bool) or not isinstance(top, int | float | np.integer | np.floating) or (
        isinstance(top, float | np.floating) and not 0 < top <= 1
    ) or (isinstance(top, int | np.integer) and top < 1):
        raise TrialsError(
            f"top must be a share of trials in (0, 1] (float) or a number of trials >= 1 (int), "
            f"got {top!r} instead."
        )
    if isinstance(alpha, bool) or not isinstance(alpha, float | int) or not 0 < alpha < 1:
        raise TrialsError(f"alpha must be a number in (0, 1), got {alpha!r} instead.")
    if isinstance(n_perm, bool) or not isinstance(n_perm, int | np.integer) or n_perm < 1:
        raise TrialsError(f"n_resamples must be a positive integer, got {n_perm!r} instead.")


def _top_k(top: int | float, n_a: int, n_b: int) -> int:
    m = min(n_a, n_b)
    if isinstance(top, int | np.integer):
        return int(min(top, m))
    return max(1, min(m, int(np.ceil(top * m - 1e-9))))


def _step_evidence(
    trials: pd.DataFrame,
    col: str,
    budgets: list[object],
    objective: str | None,
    sign: float,
    *,
    top: int | float,
    alpha: float,
    n_perm: int,
    seed: int,
) -> pd.DataFrame:
    """The permutation test of every step up (see :func:`scaling_check`)."""
    _check_test_options(top, alpha, n_perm)
    seed = _guard.seed(seed)
    done, ycol = _frame.completed(trials, objective, columns=[col])
    labels = done[col].to_numpy(dtype=object)
    y = done[ycol].to_numpy(dtype=float) * sign  # larger is better from here on
    samples = [y[labels == b] for b in budgets]
    m = len(budgets) - 1
    rows = []
    for j in range(m):
        a, b = samples[j], samples[j + 1]
        k = _top_k(top, len(a), len(b))
        diff, p_gt, p_lt, exact = _stats.top_mean_permutation(
            a, b, k, n_perm=n_perm, seed=int(np.random.SeedSequence([seed, j]).generate_state(1)[0])
        )
        ci_low, ci_high = _stats.top_mean_bootstrap(
            a, b, k, n_boot=n_perm,
            seed=int(np.random.SeedSequence([seed, j, 1]).generate_state(1)[0]),
        )
        p = min(1.0, 2 * min(p_gt, p_lt))
        p_adj = min(1.0, p * m)
        step = "no evidence"
        if p_adj <= alpha:
            step = "better" if diff > 0 else "worse" if diff < 0 else step
        rows.append({
            "budget_a": budgets[j], "budget_b": budgets[j + 1], "n_trials_a": len(a),
            "n_trials_b": len(b), "top_k": k,
            "top_mean_a": float(np.sort(a)[-k:].mean()) * sign,
            "top_mean_b": float(np.sort(b)[-k:].mean()) * sign,
            "difference": diff, "ci_low": ci_low, "ci_high": ci_high, "p_value": p,
            "p_adjusted": p_adj, "exact": exact,
            "step": step,
        })
    columns = ["budget_a", "budget_b", "n_trials_a", "n_trials_b", "top_k", "top_mean_a",
               "top_mean_b", "difference", "ci_low", "ci_high", "p_value", "p_adjusted", "exact",
               "step"]
    return pd.DataFrame(rows, columns=columns)


def _grid(sub: pd.DataFrame, pcol: str) -> object:
    """What was searched for a parameter in one budget: its distribution, else the values seen."""
    dist = _frame.distribution(sub, pcol)
    if dist is not None:
        return (
            "distribution",
            repr(dist.get("name")),
            repr(sorted(dist.get("attributes", {}).items())),
        )
    return ("values", frozenset(sub[pcol].dropna().tolist()))


def _is_missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def _n_distinct(values: list[object]) -> int:
    present = [v for v in values if not _is_missing(v)]
    if not present:
        return 0
    try:
        arr = np.sort(np.asarray(present, dtype=float))
    except (TypeError, ValueError):
        return len(set(present))
    return 1 + int((~np.isclose(arr[1:], arr[:-1])).sum())


@renamed_values(budget=(None, "auto"))
def param_consistency(
    trials: pd.DataFrame,
    *,
    params: str | Sequence[str] | None = None,
    studies: str | Sequence[str] | None = None,
    budget: str = "auto",
    objective: str | None = None,
    direction: str | None = None,
    alpha: float = 0.05,
    bins: int | None = None,
    exclude_collapsed: bool = True,
) -> pd.DataFrame:
    """Do the budgets agree on a parameter's best value?

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    params : str or list of str, optional
        Parameters to check (with or without ``params_``). ``None``: those
        searched over the same grid in every budget (see Notes).
    studies, budget, objective, direction
        As in :func:`compare_budgets`.
    alpha : float, default 0.05
        Level of the tests behind ``verdict``.
    bins : int or None, default None
        Not used: the tests fit continuous parameters as smooth terms, not
        bins. Passing a number gives a FutureWarning; the argument goes in
        0.4.0.
    exclude_collapsed : bool, default True
        Leave the trials :func:`hpo_insights.detect_collapse` flags out of
        the tests (their objective measures a broken model; two of them in
        one cell make any interaction). The best-trial columns use every
        trial, as before.

    Returns
    -------
    pandas.DataFrame
        One row per parameter, in column order: ``param`` (bare name),
        ``consistent`` (bool: the best trial of every budget has the same
        value, floats compared with ``np.isclose``; False when a best trial
        lacks the parameter), ``n_distinct`` (distinct values among the best
        trials), ``values`` (dict budget → value, budgets smallest first),
        ``verdict`` (``"consistent"``, ``"inconsistent"`` or ``"not
        established"``, from all trials; see Notes), ``p_interaction`` (the
        budget × value interaction test), ``p_effect`` (the parameter's
        effect, budgets adjusted for) and ``n_trials`` (trials tested).

    Raises
    ------
    TrialsError
        Unknown parameter; bad *alpha* or *bins*; as :func:`compare_budgets`.

    Notes
    -----
    A parameter's grid in a budget is its recorded distribution
    (``distributions_<name>``) when every budget recorded one, else the set
    of values seen in that budget's trials (any state). Parameters whose grid
    differs between budgets (model sizes, say) are left out by default,
    since their best values cannot be expected to agree.

    ``consistent``, ``n_distinct`` and ``values`` look at the single best
    trial of each budget (the reference report's rule); with noisy trials
    those disagree most of the time even when every budget has the same
    optimum. ``verdict`` weighs all COMPLETE trials instead, in the
    adjusted model (``hpo_insights._model``: every parameter of the trials
    fitted together, categoricals as indicators, numeric parameters with 5 or
    more values as quadratic smooth terms on their scale). The interaction F
    test compares the model with every parameter fitted per budget against the
    one where this parameter's terms are shared by the budgets (every other
    parameter still per budget): when ``p_interaction <= alpha`` the verdict
    is ``"inconsistent"``. Because every other parameter stays in, and per
    budget, what an adaptive sampler tried alongside this parameter in each
    budget does not leak into its test. Otherwise, when the parameter
    matters (``p_effect <= alpha``: its shared terms against none, the budget
    as a block) it is ``"consistent"``: an effect and no sign that it changes
    with budget (not a proof that it does not). Otherwise, and with fewer
    than two budgets, ``"not established"``. The F tests use the per-budget
    model's residual mean square and assume normal noise of one variance;
    ``docs/statistics.md`` gives the error rates measured by simulation.
    Each verdict is tested at *alpha* on its own; :func:`hpo_insights.findings`
    puts them in the page's error budget.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> pc = hi.param_consistency(hi.datasets.example())
    >>> pc[["param", "consistent", "n_distinct", "verdict"]]
               param  consistent  n_distinct          verdict
    0     d_ff_ratio       False           2  not established
    1  learning_rate       False           3     inconsistent
    2        dropout       False           3     inconsistent
    3   weight_decay       False           2  not established
    >>> pc.loc[3, "values"]
    {'2M': 1e-05, '20M': 0.0001, '200M': 0.0001}
    """
    trials = _frame.select_studies(_guard.frame(trials), studies)
    _guard.real("alpha", alpha, low=0.0, high=1.0, low_open=True, high_open=True)
    _binning.check_bins(bins)
    if bins is not None:
        warnings.warn("param_consistency(): bins= is not used (the tests fit continuous "
                      "parameters as smooth terms) and goes in 0.4.0; leave it out.",
                      FutureWarning, stacklevel=3)
    col = budget_column(trials, budget)
    cb = compare_budgets(trials, budget=budget, objective=objective, direction=direction)
    if params is None:
        labels = trials[col]
        pcols = []
        masks = [(labels == b).to_numpy() for b in cb["budget"]]
        for pcol in _frame.param_columns(trials):
            grids = [_grid(trials.loc[m], pcol) for m in masks]
            if {g[0] for g in grids} != {"distribution"}:
                grids = [_grid_values(trials.loc[m], pcol) for m in masks]
            if all(g == grids[0] for g in grids):
                pcols.append(pcol)
    else:
        pcols = _frame.param_columns(trials, params)
    rows = []
    budgets = cb["budget"].tolist()
    mask, _ = _mask.collapsed_rows(trials, exclude_collapsed)
    kept = trials if mask is None else trials[~mask]
    verdicts = _adjusted_verdicts(kept, col, budgets, objective, pcols, alpha)
    for pcol in pcols:
        vals = cb[pcol].tolist() if pcol in cb.columns else [np.nan] * len(budgets)
        vals = [v.item() if isinstance(v, np.generic) else v for v in vals]
        n = _n_distinct(vals)
        missing = any(_is_missing(v) for v in vals)
        rows.append(
            {
                "param": pcol[len(_frame.PARAM_PREFIX) :],
                "consistent": bool(n == 1 and not missing),
                "n_distinct": n,
                "values": dict(zip(budgets, vals, strict=True)),
                **verdicts[pcol],
            }
        )
    return pd.DataFrame(rows, columns=["param", "consistent", "n_distinct", "values", "verdict",
                                       "p_interaction", "p_effect", "n_trials"])


def _adjusted_verdicts(kept: pd.DataFrame, col: str, budgets: list, objective: str | None,
                       pcols: list[str], alpha: float) -> dict:
    """``verdict``, ``p_interaction``, ``p_effect``, ``n_trials`` per parameter, adjusted model.

    Every parameter of the trials is in the model (``hpo_insights._model``).
    Interaction: every parameter per budget against *pcol* shared by the
    budgets (the others still per budget). Effect: *pcol* shared against
    without it. Both F tests use the per-budget model's residual mean square.
    """
    from hpo_insights._binning import group_distributions
    from hpo_insights._model import Model, partial_f

    every = _frame.param_columns(kept)
    done, ycol = _frame.completed(kept, objective, columns=[col, *every])
    done = _frame.adapt(done)
    gcodes = pd.Index(budgets).get_indexer(done[col].to_numpy(dtype=object))
    keep = gcodes >= 0
    done, gcodes = done[keep], gcodes[keep]
    y = done[ycol].to_numpy(dtype=float)
    dists = {p: group_distributions(kept, p, None).get("all") for p in every}
    model = Model.build(done, every, y, gcodes, len(budgets), dists)
    gs = [g for g in range(len(budgets)) if (gcodes == g).any()]
    full = model.fit(gs, model.all_cols())
    terms = {t.column: t for t in model.terms}
    out = {}
    for pcol in pcols:
        n = int(done[pcol].notna().sum())
        res = {"verdict": "not established", "p_interaction": np.nan, "p_effect": np.nan,
               "n_trials": n}
        term = terms.get(pcol)
        if term is not None and len(gs) >= 2:
            rest = model.without(term)
            common = model.fit(gs, rest, term.cols)
            none = model.fit(gs, rest)
            p_int, _, _ = partial_f(full, common)
            p_eff, _, _ = partial_f(common, none, full)
            res.update(p_interaction=p_int, p_effect=p_eff)
            if p_int <= alpha:
                res["verdict"] = "inconsistent"
            elif p_eff <= alpha and not np.isnan(p_int):
                res["verdict"] = "consistent"
        out[pcol] = res
    return out


def _grid_values(sub: pd.DataFrame, pcol: str) -> frozenset:
    return frozenset(sub[pcol].dropna().tolist())


@renamed_values(budget=(None, "auto"))
def collapse_by_budget(
    trials: pd.DataFrame,
    *,
    studies: str | Sequence[str] | None = None,
    budget: str = "auto",
    objective: str | None = None,
    pred_min: str | None = "user_attrs_pred_min",
    pred_max: str | None = "user_attrs_pred_max",
    pred_std: str | None = "user_attrs_pred_std",
    recall: str | None = "user_attrs_recall",
    min_range: float = 0.05,
    min_std: float = 0.01,
) -> pd.DataFrame:
    """:func:`hpo_insights.collapse_summary` per budget, smallest budget first.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    studies, budget, objective
        As in :func:`compare_budgets`.
    pred_min, pred_max, pred_std, recall, min_range, min_std
        As in :func:`hpo_insights.detect_collapse`.

    Returns
    -------
    pandas.DataFrame
        ``budget, collapse, n_collapsed, n_measured, pred_min, pred_max,
        mean_recall``, one row per budget in :func:`budget_order`. Studies
        sharing a budget label pool.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> hi.collapse_by_budget(hi.datasets.example())[["budget", "collapse"]]
      budget  collapse
    0     2M     False
    1    20M     False
    2   200M      True
    """
    trials = _frame.select_studies(_guard.frame(trials), studies)
    col = budget_column(trials, budget)
    cs = collapse_summary(
        trials,
        pred_min=pred_min,
        pred_max=pred_max,
        pred_std=pred_std,
        recall=recall,
        min_range=min_range,
        min_std=min_std,
        objective=objective,
        by=col,
    )
    order = budget_order(cs[col].tolist())
    cs = cs.set_index(cs[col].to_numpy()).loc[order].reset_index(drop=True)
    return cs.rename(columns={col: "budget"})
