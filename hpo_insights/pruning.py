"""Pruner audit: replay pruning rules offline on learning curves.

:func:`pruning_audit` asks of the trials that ran to the end: which of them
would this rule have stopped, and where? It replays Optuna's own
``MedianPruner``, ``PercentilePruner`` and ``SuccessiveHalvingPruner`` (given
as Optuna objects or as the rules of this module) decision by decision, and a
fixed rule, :class:`KeepTop` ("stop at step k unless in the top q"). The
replay agrees trial by trial with Optuna run on the same curves (a test runs
both). A storage does not record its pruner: :func:`identify_pruner` finds the
standard rule that reproduces the trials PRUNED in the data, which the audit
replays by default; :func:`parse_rule` reads a plain spec
(``"median:n_startup_trials=5"``). ``docs/curves.md`` defines every column.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from hpo_insights import _curves, _guard
from hpo_insights._deprecation import complement, renamed_arguments
from hpo_insights._errors import TrialsError

__all__ = [
    "KeepTop",
    "Median",
    "Percentile",
    "PruningAudit",
    "SuccessiveHalving",
    "candidate_rules",
    "identify_pruner",
    "parse_rule",
    "pruning_audit",
]


@dataclass(frozen=True)
class Percentile:
    """Optuna's ``PercentilePruner``: stop a trial whose best value so far is worse
    than the *percentile* of the completed trials' values at the same step.

    The settings mean what they mean in Optuna: no stop before
    ``n_startup_trials`` trials completed, before step ``n_warmup_steps``, off
    the ``interval_steps`` grid, or with fewer than ``n_min_trials`` completed
    values at the step.
    """

    percentile: float = 50.0
    n_startup_trials: int = 5
    n_warmup_steps: int = 0
    interval_steps: int = 1
    n_min_trials: int = 1

    def __post_init__(self) -> None:
        _guard.real("percentile", self.percentile, low=0, high=100)
        _guard.integer("n_startup_trials", self.n_startup_trials, low=0)
        _guard.integer("n_warmup_steps", self.n_warmup_steps, low=0)
        _guard.integer("interval_steps", self.interval_steps, low=1)
        _guard.integer("n_min_trials", self.n_min_trials, low=1)

    @property
    def name(self) -> str:
        """``median(startup=5, …)`` at the 50th percentile (Optuna's ``MedianPruner``), else
        ``percentile(25, startup=5, …)``."""
        head = "median(" if self.percentile == 50 else f"percentile({self.percentile:g}, "
        return (f"{head}startup={self.n_startup_trials}, "
                f"warmup={self.n_warmup_steps}, interval={self.interval_steps}, "
                f"min_trials={self.n_min_trials})")


def Median(n_startup_trials: int = 5, n_warmup_steps: int = 0, interval_steps: int = 1,
           n_min_trials: int = 1) -> Percentile:
    """Optuna's ``MedianPruner``: :class:`Percentile` at 50."""
    return Percentile(50.0, n_startup_trials, n_warmup_steps, interval_steps, n_min_trials)


@dataclass(frozen=True)
class SuccessiveHalving:
    """Optuna's ``SuccessiveHalvingPruner`` (asynchronous successive halving).

    Rung ``r`` is reached at step ``min_resource * reduction_factor **
    (min_early_stopping_rate + r)``; a trial continues past it only when its
    value there is among the top ``1 / reduction_factor`` of the values every
    earlier trial recorded at that rung (itself included). ``min_resource="auto"``
    is the last step of the first completed trials // 100 (at least 1), as in Optuna.
    """

    min_resource: int | Literal["auto"] = "auto"
    reduction_factor: int = 4
    min_early_stopping_rate: int = 0
    bootstrap_count: int = 0

    def __post_init__(self) -> None:
        if self.min_resource != "auto":
            _guard.integer("min_resource", self.min_resource, low=1)
        _guard.integer("reduction_factor", self.reduction_factor, low=2)
        _guard.integer("min_early_stopping_rate", self.min_early_stopping_rate, low=0)
        _guard.integer("bootstrap_count", self.bootstrap_count, low=0)

    @property
    def name(self) -> str:
        return (f"successive_halving(min_resource={self.min_resource}, "
                f"reduction_factor={self.reduction_factor}, "
                f"min_early_stopping_rate={self.min_early_stopping_rate}, "
                f"bootstrap_count={self.bootstrap_count})")


@dataclass(frozen=True)
class KeepTop:
    """Stop every trial at *step* unless its value there is in the top *top*
    share of the earlier trials' values at that step.

    "Earlier" is a lower trial ``number``; the threshold is the ``1 - top``
    quantile (maximize; ``top`` when minimizing) of those values (linear
    interpolation, NaN values left out); no trial is stopped before
    ``n_startup_trials`` earlier trials have a value at *step*. A trial whose
    value at *step* is NaN is stopped; one that never reaches *step* is not.
    """

    step: int
    top: float = 0.5
    n_startup_trials: int = 5

    def __post_init__(self) -> None:
        _guard.integer("step", self.step)
        _guard.real("top", self.top, low=0, high=1, low_open=True)
        _guard.integer("n_startup_trials", self.n_startup_trials, low=1)

    @property
    def name(self) -> str:
        return f"keep_top(step={self.step}, top={self.top:g}, startup={self.n_startup_trials})"


Rule = Percentile | SuccessiveHalving | KeepTop


_SPECS = {
    "median": (Median, ("n_startup_trials", "n_warmup_steps", "interval_steps",
                        "n_min_trials")),
    "percentile": (Percentile, ("percentile", "n_startup_trials", "n_warmup_steps",
                                "interval_steps", "n_min_trials")),
    "halving": (SuccessiveHalving, ("min_resource", "reduction_factor",
                                    "min_early_stopping_rate", "bootstrap_count")),
    "keep_top": (KeepTop, ("step", "top", "n_startup_trials")),
}
_SPECS["successive_halving"] = _SPECS["halving"]


def _spec_value(text: str) -> int | float | str:
    """A setting's value: an integer, a number, or the word ``auto``."""
    text = text.strip()
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise TrialsError(f"pruner setting value {text!r} is not a number (or 'auto')."
                          ) from None


def parse_rule(spec: str) -> Rule:
    """The rule a plain text spec names: ``name`` or ``name:key=value,key=value``.

    Names: ``median``, ``percentile``, ``halving`` (or ``successive_halving``),
    ``keep_top``; keys: the settings of :func:`Median`, :class:`Percentile`,
    :class:`SuccessiveHalving`, :class:`KeepTop` (values: numbers, or ``auto``
    for ``min_resource``). Nothing is evaluated as code.

    Examples
    --------
    >>> from hpo_insights.pruning import parse_rule
    >>> parse_rule("median:n_startup_trials=5,n_warmup_steps=1").name
    'median(startup=5, warmup=1, interval=1, min_trials=1)'
    >>> parse_rule("halving:min_resource=1,reduction_factor=3").reduction_factor
    3
    """
    if not isinstance(spec, str):
        raise TypeError(f"a pruner spec must be a string, got {type(spec).__name__} instead.")
    name, _, settings = spec.strip().partition(":")
    name = name.strip().lower()
    if name not in _SPECS:
        raise TrialsError(f"Unknown pruner {name!r} in {spec!r}: expected one of "
                          f"{', '.join(sorted(_SPECS))}, e.g. "
                          "'median:n_startup_trials=5,n_warmup_steps=1'.")
    make, keys = _SPECS[name]
    kwargs = {}
    for item in filter(None, (x.strip() for x in settings.split(","))):
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or key not in keys:
            raise TrialsError(f"Pruner setting {item!r} in {spec!r}: expected key=value with "
                              f"a key among {', '.join(keys)}.")
        kwargs[key] = _spec_value(value)
    try:
        return make(**kwargs)
    except TypeError as error:  # a required setting left out (keep_top's step)
        raise TrialsError(f"Pruner spec {spec!r}: {error}.") from None


def as_rule(rule: Any) -> Rule:
    """The library rule for *rule*: one of this module's rules, a spec string
    (:func:`parse_rule`) or an Optuna pruner."""
    if isinstance(rule, Percentile | SuccessiveHalving | KeepTop):
        return rule
    if isinstance(rule, str):
        return parse_rule(rule)
    cls = type(rule)
    if cls.__module__.startswith("optuna"):
        import optuna

        if isinstance(rule, optuna.pruners.PercentilePruner):  # MedianPruner too
            return Percentile(float(rule._percentile), int(rule._n_startup_trials),
                              int(rule._n_warmup_steps), int(rule._interval_steps),
                              int(rule._n_min_trials))
        if isinstance(rule, optuna.pruners.SuccessiveHalvingPruner):
            res = rule._min_resource
            return SuccessiveHalving("auto" if res is None else int(res),
                                     int(rule._reduction_factor),
                                     int(rule._min_early_stopping_rate),
                                     int(rule._bootstrap_count))
        raise TrialsError(
            f"pruning_audit cannot replay optuna's {cls.__name__}: it replays MedianPruner, "
            "PercentilePruner and SuccessiveHalvingPruner (and the rules of "
            "hpo_insights.pruning: Median, Percentile, SuccessiveHalving, KeepTop)."
        )
    raise TypeError(
        "rule must be an Optuna MedianPruner, PercentilePruner or SuccessiveHalvingPruner, a "
        "spec such as 'median:n_startup_trials=5', or a rule of hpo_insights.pruning "
        "(Median(...), Percentile(...), SuccessiveHalving(...), "
        f"KeepTop(step=..., top=...)), got {type(rule).__name__} instead."
    )


# --- replay -----------------------------------------------------------------
def _lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """numpy's own linear interpolation (``numpy.percentile``), bit for bit."""
    with np.errstate(invalid="ignore"):
        diff = b - a
        out = a + diff * t
        np.subtract(b, diff * (1 - t), out=out, where=t >= 0.5)
    return out


def _sorted_percentile(srt: np.ndarray, count: np.ndarray, q: float) -> np.ndarray:
    """``numpy.percentile(..., q * 100)`` of each column's first *count* sorted values."""
    m = np.maximum(count, 1)
    virtual = (m - 1) * q
    lo = np.floor(virtual).astype(np.int64)
    hi = np.minimum(lo + 1, m - 1)
    lo = np.minimum(lo, m - 1)
    gamma = virtual - lo
    cols = np.arange(srt.shape[1]) if srt.ndim == 2 else None
    if cols is None:
        a, b = srt[lo], srt[hi]
    else:
        a, b = srt[lo, cols], srt[hi, cols]
    out = _lerp(a, b, gamma)
    return np.where(count > 0, out, np.nan)


def _best_so_far(block: _curves.Block, maximize: bool) -> np.ndarray:
    """Best reported value up to each step, NaN values ignored (NaN while all are NaN)."""
    acc = np.fmax if maximize else np.fmin
    return acc.accumulate(block.values, axis=1)


def _replay_percentile(block: _curves.Block, rule: Percentile, maximize: bool
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Column of the stop (-1: runs to the end) and the threshold there, per trial."""
    n, s = block.values.shape
    steps, rep = block.steps, block.reported
    best = _best_so_far(block, maximize)
    # Optuna checks a step when it is past the warm-up and the first reported
    # step of its interval (_is_first_in_interval_step).
    prev = np.maximum.accumulate(np.where(rep, steps, -1), axis=1)
    prev = np.concatenate([np.full((n, 1), -1), prev[:, :-1]], axis=1)
    w, k = rule.n_warmup_steps, rule.interval_steps
    nearest = (steps - w) // k * k + w
    check = rep & (steps >= w)[None, :] & (prev < nearest[None, :])
    q = (100 - rule.percentile if maximize else rule.percentile) / 100
    srt = np.full((n + 1, s), np.inf)
    count = np.zeros(s, dtype=np.int64)      # finite completed values per step
    n_rep = np.zeros(s, dtype=np.int64)      # completed trials that reported the step
    n_done = 0
    stop = np.full(n, -1)
    threshold = np.full(n, np.nan)
    rows = np.arange(n + 1)[:, None]
    cols = np.arange(s)
    for t in range(n):  # Optuna's order: each trial sees the trials completed before it
        if n_done > 0 and n_done >= rule.n_startup_trials and check[t].any():
            p = _sorted_percentile(srt, count, q)
            p = np.where(n_rep >= rule.n_min_trials, p, np.nan)
            b = best[t]
            with np.errstate(invalid="ignore"):
                worse = b < p if maximize else b > p
            hit = check[t] & (np.isnan(b) | worse)
            if hit.any():
                j = int(hit.argmax())
                stop[t], threshold[t] = j, p[j]
                continue
        ins = rep[t] & ~np.isnan(block.values[t])
        v = np.where(ins, block.values[t], np.inf)
        pos = np.count_nonzero(srt[:n_done] < v, axis=0)
        top = n_done + 1
        # insert v at pos in every column: the values below pos move down one row
        np.copyto(srt[1:top], srt[: top - 1], where=rows[1:top] > pos)  # overlap-safe
        srt[pos, cols] = v
        count += ins
        n_rep += rep[t]
        n_done += 1
    return stop, threshold


def _climb_rungs(tsteps: np.ndarray, tvals: np.ndarray, rungs: list[list[float]],
                 min_res: int, rule: SuccessiveHalving, maximize: bool) -> tuple[int, float]:
    """One trial through the rungs (its reported steps and values): the index into them
    where it is stopped (-1: never) and the bar it missed (NaN: none). Records its value
    at every rung it reaches in *rungs*, as Optuna stores it."""
    rf, rate = rule.reduction_factor, rule.min_early_stopping_rate
    r = 0
    while True:
        i = int(np.searchsorted(tsteps, min_res * rf ** (rate + r)))
        if i >= len(tsteps):
            return -1, np.nan
        value = float(tvals[i])
        if np.isnan(value):
            return i, np.nan
        if len(rungs) <= r:
            rungs.append([])
        rung = rungs[r]
        bisect.insort(rung, value)
        if len(rung) <= rule.bootstrap_count:
            return i, np.nan
        idx = max(len(rung) // rf - 1, 0)
        bar = rung[-(idx + 1)] if maximize else rung[idx]
        if not (value >= bar if maximize else value <= bar):
            return i, bar
        r += 1


def _replay_halving(block: _curves.Block, rule: SuccessiveHalving, maximize: bool
                    ) -> tuple[np.ndarray, np.ndarray]:
    n = len(block.numbers)
    steps, rep, vals = block.steps, block.reported, block.values
    last = block.last_index()
    min_res = None if rule.min_resource == "auto" else int(rule.min_resource)
    rungs: list[list[float]] = []
    max_done_step = None
    stop = np.full(n, -1)
    threshold = np.full(n, np.nan)
    for t in range(n):  # sequential: each trial competes with the rungs of earlier trials
        cols = np.flatnonzero(rep[t])
        if min_res is None and max_done_step is not None and len(cols):
            min_res = max(max_done_step // 100, 1)
        if min_res is not None and len(cols):
            i, threshold[t] = _climb_rungs(steps[cols], vals[t, cols], rungs, min_res, rule,
                                           maximize)
            stop[t] = cols[i] if i >= 0 else -1
        if stop[t] < 0 and last[t] >= 0:
            last_step = int(steps[last[t]])
            max_done_step = last_step if max_done_step is None else max(max_done_step,
                                                                          last_step)
    return stop, threshold


def _replay_keep_top(block: _curves.Block, rule: KeepTop, maximize: bool
                     ) -> tuple[np.ndarray, np.ndarray]:
    n = len(block.numbers)
    stop = np.full(n, -1)
    threshold = np.full(n, np.nan)
    j = np.searchsorted(block.steps, rule.step)
    if j >= len(block.steps) or block.steps[j] != rule.step:
        return stop, threshold
    at = pd.Series(block.values[:, j])
    reached = block.reported[:, j]
    q = 1 - rule.top if maximize else rule.top
    earlier = at.where(reached)
    bar = earlier.expanding(min_periods=rule.n_startup_trials).quantile(q).shift(1).to_numpy()
    seen = pd.Series(reached & ~np.isnan(block.values[:, j])).cumsum().shift(1, fill_value=0)
    bar = np.where(seen.to_numpy() >= rule.n_startup_trials, bar, np.nan)
    x = at.to_numpy()
    with np.errstate(invalid="ignore"):
        worse = x < bar if maximize else x > bar
    hit = reached & (np.isnan(x) | worse)
    stop[hit] = j
    threshold[hit] = bar[hit]
    return stop, threshold


_REPLAY = {Percentile: _replay_percentile, SuccessiveHalving: _replay_halving,
           KeepTop: _replay_keep_top}


# --- which rule pruned the trials in the data -------------------------------------
def candidate_rules() -> list[Rule]:
    """The grid :func:`identify_pruner` tries, Optuna's defaults first (ties go to the
    earlier): median (n_startup_trials 5, 0, 1, 2, 3, 10, 20 × n_warmup_steps 0, 1, 2,
    3, 5, 10, 20), percentile 25 / 75 / 10 / 90 (n_startup_trials 5, 0 × n_warmup_steps
    0, 5), successive halving (min_resource auto, 1, 2, 3, 5, 10 × reduction_factor 4,
    2, 3 × min_early_stopping_rate 0, 1, 2)."""
    median = [Median(a, w) for a in (5, 0, 1, 2, 3, 10, 20) for w in (0, 1, 2, 3, 5, 10, 20)]
    pct = [Percentile(float(q), a, w) for q in (25, 75, 10, 90) for a in (5, 0) for w in (0, 5)]
    halving = [SuccessiveHalving(m, f, r) for m in ("auto", 1, 2, 3, 5, 10) for f in (4, 2, 3)
               for r in (0, 1, 2)]
    return median + pct + halving


def _decisions(block: _curves.Block) -> tuple[_curves.Block, np.ndarray]:
    """The COMPLETE and PRUNED trials of *block* and the step column each was pruned at
    in the data (-1: ran to the end)."""
    sub = _subset(block, np.isin(block.states, ("COMPLETE", "PRUNED")))
    recorded = np.where(sub.states == "PRUNED", sub.last_index(), -1)
    return sub, recorded


def _agreement(sub: _curves.Block, recorded: np.ndarray, rule: Rule, maximize: bool) -> float:
    """Share of the trials whose recorded fate the rule's replay reproduces (stopped at the
    same step, or not stopped)."""
    stop, _ = _REPLAY[type(rule)](sub, rule, maximize)
    return float(np.mean(stop == recorded))


def _rank_rules(sub: _curves.Block, recorded: np.ndarray, rules: Sequence[Rule],
                maximize: bool) -> list[tuple[Rule, float]]:
    """Every rule still in the running with its agreement, best first.

    The rules are first replayed on the first 50 trials, then those within the best 10
    (every rule tied with the 10th kept) on the first 200, then those within the best 5
    on all: a replay on the first m trials is exact there (a decision depends only on
    the trials before it), and a rule that reproduces every decision scores 1 on every
    prefix, so it is never dropped."""
    n = len(sub.numbers)
    rules = list(rules)
    for size, keep in ((50, 10), (200, 5)):
        if n <= size or len(rules) <= keep:
            continue
        head = _subset(sub, np.arange(n) < size)
        scores = np.array([_agreement(head, recorded[:size], r, maximize) for r in rules])
        bar = np.sort(scores)[::-1][keep - 1]
        rules = [r for r, a in zip(rules, scores, strict=True) if a >= bar]
    scores = np.array([_agreement(sub, recorded, r, maximize) for r in rules])
    order = np.argsort(-scores, kind="stable")
    return [(rules[i], float(scores[i])) for i in order]


def identify_pruner(
    curves: pd.DataFrame,
    *,
    direction: str | Mapping[Any, str] | None = None,
    trials: pd.DataFrame | None = None,
    studies: str | Sequence[str] | None = None,
    candidates: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Which standard pruning rule reproduces the prune decisions recorded in the curves.

    Every candidate rule is replayed (exactly as :func:`pruning_audit` replays it) on
    the study's COMPLETE and PRUNED trials in ``number`` order; its **agreement** is the
    share of those trials whose recorded fate it reproduces: a PRUNED trial stopped at
    its last reported step, a COMPLETE trial not stopped.

    Parameters
    ----------
    curves : pandas.DataFrame
        Learning curves, as :func:`hpo_insights.load_curves` returns them.
    direction, trials, studies
        As in :func:`pruning_audit`.
    candidates : sequence of rules, optional
        Rules to try (anything ``rule=`` takes); default :func:`candidate_rules`.

    Returns
    -------
    pandas.DataFrame
        One row per study and candidate tried, best first within a study:
        ``study``, ``rule`` (its name), ``agreement``, ``n_trials`` (COMPLETE and
        PRUNED trials compared), ``n_pruned`` (PRUNED ones), ``chosen`` (True for
        the first: the highest agreement, ties to the earlier candidate). On more
        than 50 trials the candidates are screened on the first 50, then 200
        trials (those within the best 10, then 5, ties kept, go on); only the
        ones replayed on all trials are listed.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import hpo_insights as hi
    >>> curves = pd.DataFrame({"study": "s", "number": np.repeat(range(4), 3),
    ...     "state": "COMPLETE", "step": np.tile(range(3), 4),
    ...     "value": [3, 2, 1, 3, 2.5, 2, 5, 4, 3, 1, 0.5, 0.2]})
    >>> pruned = curves.drop(index=[5, 7, 8]).assign(
    ...     state=lambda c: np.where(c["number"].isin([1, 2]), "PRUNED", "COMPLETE"))
    >>> ident = hi.identify_pruner(pruned, direction="minimize")
    >>> best = ident[ident["chosen"]].iloc[0]
    >>> best["rule"], float(best["agreement"]), int(best["n_pruned"])
    ('median(startup=0, warmup=0, interval=1, min_trials=1)', 1.0, 2)
    """
    curves = _curves.check(curves)
    rules = [as_rule(r) for r in (candidate_rules() if candidates is None else candidates)]
    if not rules:
        raise TrialsError("candidates is empty: give at least one rule to try.")
    if direction is None and trials is not None:
        direction = _directions_of(trials)
    frames = [_identify_block(block, rules, _curves.direction(direction, block.study))
              for block in _curves.blocks(curves, studies)]
    return pd.concat(frames, ignore_index=True)


def _identify_block(block: _curves.Block, rules: Sequence[Rule], direction: str
                    ) -> pd.DataFrame:
    sub, recorded = _decisions(block)
    if not len(sub.numbers):
        raise TrialsError(f"Study {block.study!r} has no COMPLETE or PRUNED trial with a "
                          "curve: there is no prune decision to reproduce.")
    ranked = _rank_rules(sub, recorded, rules, direction == "maximize")
    return pd.DataFrame({
        "study": np.full(len(ranked), block.study, dtype=object),
        "rule": [r.name for r, _ in ranked],
        "agreement": [a for _, a in ranked],
        "n_trials": len(sub.numbers),
        "n_pruned": int((recorded >= 0).sum()),
        "chosen": np.arange(len(ranked)) == 0,
    })


# --- the audit ----------------------------------------------------------------
@dataclass(frozen=True)
class PruningAudit:
    """What a pruning rule would have done to the trials that ran to the end.

    Attributes
    ----------
    trials : pandas.DataFrame
        One row per COMPLETE trial with a curve: ``study``, ``number``,
        ``pruned_at`` (Int64: the step at which the rule stops it, ``<NA>``
        when it runs to the end), ``stopped``, ``threshold`` (what its value
        was compared with at ``pruned_at``: the percentile, the rung's
        promotion bar or the top-*q* quantile; NaN when stopped for a NaN
        value or not stopped), ``steps_run``, ``steps_total`` (reported steps
        it would have run, it ran), ``last_step``, ``final`` (its value at its
        last step) and
        ``rank`` (1 = best final value of the study).
    summary : pandas.DataFrame
        One row per study: ``study``, ``rule``, ``rule_source`` (``"given"``,
        ``"identified"`` from the trials PRUNED in the data, or ``"default"``),
        ``agreement`` (share of the COMPLETE and PRUNED trials whose recorded
        fate the rule's replay reproduces), ``direction``, ``n_trials``,
        ``n_stopped``, ``steps_total``, ``steps_saved``, ``share_saved``,
        ``best_number``, ``best_final``, ``best_stopped``, ``top_k``,
        ``top_k_stopped``, ``kept_best`` (best final value among the trials
        the rule lets finish), ``regret`` (``best_final - kept_best`` for
        maximize, the reverse for minimize: objective units, ≥ 0) with
        ``regret_low``/``regret_high`` (bootstrap spread over these trials, not a
        confidence interval), and with ``n_replays``: ``expected_regret`` (the
        rule's expected regret on a search of as many trials from the same
        distribution, averaged over random orders of the trials) with
        ``expected_regret_low``/``expected_regret_high`` (its interval).
    pruned : pandas.DataFrame
        One row per trial PRUNED in the data: ``study``, ``number``,
        ``pruned_at`` (its last reported step), ``value`` (reported there),
        ``best_so_far``, ``threshold`` (the rule's threshold there: from the
        COMPLETE trials with a lower number for a percentile or KeepTop rule;
        the promotion bar of the rung it missed, from every trial before it
        and itself, for successive halving),
        ``n_compared`` (COMPLETE trials with a finite value at that step),
        ``completed_median`` (their median there) and ``share_beaten`` (share
        of them whose value there is worse than this trial's).
    """

    trials: pd.DataFrame
    summary: pd.DataFrame
    pruned: pd.DataFrame


@renamed_arguments(confidence=("alpha", complement))
def pruning_audit(
    curves: pd.DataFrame,
    *,
    rule: Any = None,
    direction: str | Mapping[Any, str] | None = None,
    trials: pd.DataFrame | None = None,
    studies: str | Sequence[str] | None = None,
    top_k: int = 5,
    alpha: float = 0.05,
    n_resamples: int = 1000,
    n_replays: int = 0,
    seed: int | None = 0,
) -> PruningAudit:
    """Replay a pruning rule on the curves of the trials that ran to the end.

    Parameters
    ----------
    curves : pandas.DataFrame
        Learning curves, as :func:`hpo_insights.load_curves` returns them.
    rule : optuna pruner or hpo_insights.pruning rule, optional
        ``optuna.pruners.MedianPruner(...)``, ``PercentilePruner(...)``,
        ``SuccessiveHalvingPruner(...)`` (their settings are read, the object
        is not changed), or :func:`Median`, :class:`Percentile`,
        :class:`SuccessiveHalving`, :class:`KeepTop`, or a plain spec such as
        ``"median:n_startup_trials=5,n_warmup_steps=1"`` (:func:`parse_rule`).
        Default: per study, the pruner in use — the candidate rule that best
        reproduces the trials PRUNED in the data (:func:`identify_pruner`),
        or Optuna's default ``MedianPruner()`` when no trial was pruned.
    direction : {"maximize", "minimize"} or mapping
        The objective's direction (curves do not record it); a mapping gives
        one per study. Required unless *trials* is given.
    trials : pandas.DataFrame, optional
        The trials frame of the same studies: the direction is read from its
        ``study_direction`` when *direction* is not given.
    studies : str or sequence of str, optional
        Only these studies, in this order.
    top_k : int, default 5
        How many of the best trials ``top_k_stopped`` looks at.
    alpha : float, default 0.05
        Error rate of the regret interval (coverage ``1 - alpha``); ``confidence=``
        (the old name, ``1 - alpha``) still works until 0.4.0 with a FutureWarning.
    n_resamples : int, default 1000
        Bootstrap resamples of the regret spread (``regret_low``, ``regret_high``).
    n_replays : int, default 0
        Replays of the rule on the trials in random orders and on bootstrap
        resamples of them, for ``expected_regret`` and its interval (each
        costs one replay: off by default; 200 is a good start).
    seed : int or None, default 0
        Seed of the bootstrap.

    Returns
    -------
    PruningAudit
        ``trials`` (``study, number, pruned_at, ...``), ``summary`` (share of
        steps saved, whether the best trial and the top-k were stopped,
        regret) and ``pruned`` (the trials pruned in the data).

    Raises
    ------
    TrialsError
        No direction, a study without COMPLETE trials, a rule that cannot be
        replayed, a malformed curves frame.

    Notes
    -----
    The replay runs the COMPLETE trials one after another in ``number`` order,
    as ``study.optimize(n_jobs=1)`` would: a trial is compared with the trials
    before it that the rule let finish (percentile rules), or with every value
    recorded at the rung by the trials before it, stopped or not (successive
    halving), exactly as Optuna decides at each ``trial.should_prune()``
    called after every ``trial.report``. A stopped trial's values count only
    up to its stop. Trials PRUNED, FAILed or RUNNING in the data take no part
    in the replay (their curves are cut short). ``regret_low``/``regret_high``
    resample the trials with their replayed stop / finish labels held fixed: a
    spread of the regret over these trials, which covers the rule's expected
    regret well below 95% in simulation. ``expected_regret`` replays the rule
    itself on random orders and bootstrap resamples of the trials; its interval's
    coverage is in ``docs/curves.md``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import hpo_insights as hi
    >>> curves = pd.DataFrame({"study": "s", "number": np.repeat(range(4), 3),
    ...     "state": "COMPLETE", "step": np.tile(range(3), 4),
    ...     "value": [3, 2, 1, 3, 2.5, 2, 5, 4, 3, 1, 0.5, 0.2]})
    >>> audit = hi.pruning_audit(curves, rule=hi.pruning.Median(n_startup_trials=1),
    ...                          direction="minimize")
    >>> audit.trials[["number", "pruned_at", "threshold", "final"]]
       number  pruned_at  threshold  final
    0       0       <NA>        NaN    1.0
    1       1          1        2.0    2.0
    2       2          0        3.0    3.0
    3       3       <NA>        NaN    0.2
    >>> audit.summary[["n_stopped", "share_saved", "best_stopped", "regret"]]
       n_stopped  share_saved  best_stopped  regret
    0          2     0.25  False     0.0
    """
    curves = _curves.check(curves)
    rule = None if rule is None else as_rule(rule)
    top_k = _guard.integer("top_k", top_k, low=1)
    confidence = 1 - _guard.real("alpha", alpha, low=0, high=1, low_open=True, high_open=True)
    n_resamples = _guard.integer("n_resamples", n_resamples, low=1)
    n_replays = _guard.integer("n_replays", n_replays, low=0)
    rng = np.random.default_rng(seed)
    if direction is None and trials is not None:
        direction = _directions_of(trials)
    per_trial, summary, pruned = [], [], []
    for block in _curves.blocks(curves, studies):
        d = _curves.direction(direction, block.study)
        rows, row, gone = _audit_block(block, rule, d, top_k, confidence, n_resamples,
                                       n_replays, rng)
        per_trial.append(rows)
        summary.append(row)
        pruned.append(gone)
    trials = pd.concat(per_trial, ignore_index=True)
    return PruningAudit(trials, pd.DataFrame(summary),
                        pd.concat(pruned, ignore_index=True))


def _audit_block(block: _curves.Block, rule: Rule | None, direction: str, top_k: int,
                 confidence: float, n_resamples: int, n_replays: int,
                 rng: np.random.Generator) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    """One study's audit: its trial rows, summary row and PRUNED rows."""
    maximize = direction == "maximize"
    done = block.states == "COMPLETE"
    if not done.any():
        raise TrialsError(
            f"Study {block.study!r} has no COMPLETE trial with a curve: the audit replays "
            "the rule on the trials that ran to the end."
        )
    rule, source, agreement = _choose_rule(block, rule, maximize)
    sub = _subset(block, done)
    stop, thr = _REPLAY[type(rule)](sub, rule, maximize)
    rows = _trial_rows(sub, stop, thr, maximize)
    row = _summary_row(rows, rule, direction, maximize, top_k, confidence, n_resamples, rng)
    # with no PRUNED trial the recorded decisions are "every trial ran to the end"
    agreement = float(np.mean(stop < 0)) if agreement is None else agreement
    row = {"study": row.pop("study"), "rule": row.pop("rule"), "rule_source": source,
           "agreement": agreement, **row}
    row.update(_expected_regret(sub, rule, maximize, confidence, n_replays, rng))
    return rows, row, _pruned_rows(block, rule, maximize)


def _choose_rule(block: _curves.Block, rule: Rule | None, maximize: bool
                 ) -> tuple[Rule, str, float | None]:
    """The rule to audit, where it came from (``given``, ``identified``, ``default``) and
    its agreement with the recorded prune decisions (None: no trial was PRUNED, so the
    audit's own replay gives it)."""
    has_pruned = bool((block.states == "PRUNED").any())
    if rule is not None:
        if not has_pruned:
            return rule, "given", None
        sub, recorded = _decisions(block)
        return rule, "given", _agreement(sub, recorded, rule, maximize)
    if not has_pruned:
        return _default_rule(), "default", None
    sub, recorded = _decisions(block)
    best, agreement = _rank_rules(sub, recorded, candidate_rules(), maximize)[0]
    return best, "identified", agreement


def _directions_of(trials: pd.DataFrame) -> dict | None:
    """Study -> direction, from a trials frame's ``study_direction`` (first objective); None
    when no study has one (then ``direction=`` is asked for)."""
    trials = _guard.frame(trials, name="trials")
    if "study_direction" not in trials.columns:
        raise TrialsError(
            "trials= has no 'study_direction' column, so whether each study maximizes or "
            "minimizes is unknown: pass direction='maximize' or 'minimize' (or a mapping "
            "study -> direction), or trials read with hi.load_trials (which records it)."
        )
    first = trials.drop_duplicates("study")
    found = {s: str(d).split(",")[0].strip().lower()
             for s, d in zip(first["study"], first["study_direction"], strict=True)
             if isinstance(d, str)}
    return found or None


def _default_rule() -> Percentile:
    return Median()


def _subset(block: _curves.Block, keep: np.ndarray) -> _curves.Block:
    cols = block.reported[keep].any(axis=0)
    return _curves.Block(block.study, block.numbers[keep], block.states[keep],
                         block.steps[cols], block.values[keep][:, cols],
                         block.reported[keep][:, cols])


def _trial_rows(block: _curves.Block, stop: np.ndarray, thr: np.ndarray, maximize: bool
                ) -> pd.DataFrame:
    n = len(block.numbers)
    stopped = stop >= 0
    pruned_at = pd.array(np.where(stopped, block.steps[np.maximum(stop, 0)], 0), dtype="Int64")
    pruned_at[~stopped] = pd.NA
    cum = np.cumsum(block.reported, axis=1)
    total = cum[:, -1]
    run = np.where(stopped, cum[np.arange(n), np.maximum(stop, 0)], total)
    final = block.final()
    score = final if maximize else -final
    order = np.lexsort((block.numbers, -np.nan_to_num(score, nan=-np.inf)))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(1, n + 1)
    return pd.DataFrame({
        "study": np.full(n, block.study, dtype=object),
        "number": block.numbers,
        "pruned_at": pruned_at,
        "stopped": stopped,
        "threshold": thr,
        "steps_run": run.astype(np.int64),
        "steps_total": total.astype(np.int64),
        "last_step": block.steps[np.maximum(block.last_index(), 0)],
        "final": final,
        "rank": rank,
    })


def _summary_row(rows: pd.DataFrame, rule: Rule, direction: str, maximize: bool, top_k: int,
                 confidence: float, n_resamples: int, rng: np.random.Generator) -> dict:
    final = rows["final"].to_numpy()
    kept = ~rows["stopped"].to_numpy()
    score = np.where(np.isnan(final), -np.inf, final if maximize else -final)
    best = int(np.argmin(rows["rank"].to_numpy()))
    topk = rows["rank"].to_numpy() <= top_k
    kept_score = np.where(kept, score, -np.inf)
    kept_best = kept_score.max() if kept.any() else -np.inf
    sign = 1.0 if maximize else -1.0

    def regret_of(best_s: np.ndarray, kept_s: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.where(np.isfinite(kept_s), best_s - kept_s, np.nan)

    regret = float(regret_of(np.asarray(score.max()), np.asarray(kept_best)))
    idx = rng.integers(0, len(score), size=(n_resamples, len(score)))
    boot = regret_of(score[idx].max(axis=1), kept_score[idx].max(axis=1))
    alpha = (1 - confidence) / 2
    low, high = (np.nanquantile(boot, [alpha, 1 - alpha]) if np.isfinite(boot).any()
                 else (np.nan, np.nan))
    total = int(rows["steps_total"].sum())
    saved = total - int(rows["steps_run"].sum())
    return {
        "study": rows["study"].iloc[0],
        "rule": rule.name,
        "direction": direction,
        "n_trials": len(rows),
        "n_stopped": int(rows["stopped"].sum()),
        "steps_total": total,
        "steps_saved": saved,
        "share_saved": saved / total if total else np.nan,
        "best_number": int(rows["number"].iloc[best]),
        "best_final": float(final[best]),
        "best_stopped": bool(rows["stopped"].iloc[best]),
        "top_k": int(min(top_k, len(rows))),
        "top_k_stopped": int((topk & ~kept).sum()),
        "kept_best": float(sign * kept_best) if np.isfinite(kept_best) else np.nan,
        "regret": regret,
        "regret_low": float(low),
        "regret_high": float(high),
    }


# --- the expected regret of the rule ---------------------------------------------
def _replay_regret(block: _curves.Block, rows: np.ndarray, rule: Rule, maximize: bool
                   ) -> tuple[float, bool]:
    """The regret of the rule replayed on the trials *rows* of *block*, in that order, and
    whether it stopped the best of them."""
    sub = _curves.Block(block.study, np.arange(len(rows)), block.states[rows], block.steps,
                        block.values[rows], block.reported[rows])
    stop, _ = _REPLAY[type(rule)](sub, rule, maximize)
    final = sub.final()
    score = np.where(np.isnan(final), -np.inf, final if maximize else -final)
    kept = np.where(stop < 0, score, -np.inf).max()
    regret = float(score.max() - kept) if np.isfinite(kept) else np.nan
    return regret, bool(stop[int(np.argmax(score))] >= 0)


def _expected_regret(block: _curves.Block, rule: Rule, maximize: bool, confidence: float,
                     n_replays: int, rng: np.random.Generator) -> dict:
    """``expected_regret`` and its interval (``docs/curves.md``, "The expected regret").

    The estimate is the mean regret over *n_replays* random orders of the trials. The
    interval is it ± z times the standard deviation of the regret over *n_replays*
    bootstrap resamples replayed in random order, cut at 0. When none of those replays
    stops its best trial (their regrets are all 0 and say nothing of a rare stop), the
    upper end is ``p_high * (best - median final)``, ``p_high`` the Clopper-Pearson upper
    bound of a share seen 0 times in *n_replays*."""
    names = ["expected_regret", "expected_regret_low", "expected_regret_high"]
    if not n_replays:
        return dict.fromkeys(names, np.nan)
    from scipy import stats

    n = len(block.numbers)
    orders = np.array([_replay_regret(block, rng.permutation(n), rule, maximize)[0]
                       for _ in range(n_replays)])
    boots = [_replay_regret(block, rng.integers(0, n, n), rule, maximize)
             for _ in range(n_replays)]
    regrets = np.array([r for r, _ in boots])
    hits = sum(hit for _, hit in boots)
    if not np.isfinite(orders).any():
        return dict.fromkeys(names, np.nan)
    mean = float(np.nanmean(orders))
    sd = float(np.nanstd(regrets, ddof=1)) if np.isfinite(regrets).sum() > 1 else 0.0
    half = float(stats.norm.ppf(0.5 + confidence / 2)) * sd
    alpha = 1 - confidence
    high = mean + half
    if hits == 0:  # the rare-stop case
        p_high = 1 - (alpha / 2) ** (1 / n_replays)  # Clopper-Pearson, 0 of n_replays
        final = block.final()
        score = final[np.isfinite(final)] * (1 if maximize else -1)
        high = max(high, p_high * float(score.max() - np.median(score)) if len(score) else 0)
    return {names[0]: mean, names[1]: max(mean - half, 0.0), names[2]: high}


_PRUNED_COLUMNS = ["study", "number", "pruned_at", "value", "best_so_far", "threshold",
                   "n_compared", "completed_median", "share_beaten"]


def _pruned_rows(block: _curves.Block, rule: Rule, maximize: bool) -> pd.DataFrame:
    """The trials PRUNED in the data, against the COMPLETE trials at their last step."""
    pr = np.flatnonzero(block.states == "PRUNED")
    if not len(pr):
        return pd.DataFrame({c: pd.Series(dtype=float) for c in _PRUNED_COLUMNS})
    done = np.flatnonzero(block.states == "COMPLETE")
    last = block.last_index()[pr]
    best = _best_so_far(block, maximize)[pr, last]
    value = block.values[pr, last]
    comp = block.values[done][:, last].T          # pruned trial × completed trial, at its step
    comp = np.where(block.reported[done][:, last].T, comp, np.nan)
    finite = ~np.isnan(comp)
    with np.errstate(invalid="ignore"):
        beaten = (comp < value[:, None]) if maximize else (comp > value[:, None])
    n_cmp = finite.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n_cmp > 0, beaten.sum(axis=1) / n_cmp, np.nan)
    srt = np.sort(comp, axis=1)
    median = _rowwise_percentile(srt, n_cmp, 0.5)
    threshold = np.full(len(pr), np.nan)
    if isinstance(rule, Percentile | KeepTop):
        earlier = block.numbers[done][None, :] < block.numbers[pr][:, None]
        if isinstance(rule, Percentile):
            q = (100 - rule.percentile if maximize else rule.percentile) / 100
            rep = block.reported[done][:, last].T & earlier
            e = np.sort(np.where(rep, comp, np.nan), axis=1)
            threshold = _rowwise_percentile(e, (~np.isnan(e)).sum(axis=1), q)
            threshold[rep.sum(axis=1) < rule.n_min_trials] = np.nan
        else:
            at = block.steps[last] == rule.step
            q = 1 - rule.top if maximize else rule.top
            e = np.sort(np.where(earlier, comp, np.nan), axis=1)
            k = (~np.isnan(e)).sum(axis=1)
            threshold = np.where(at & (k >= rule.n_startup_trials),
                                 _rowwise_percentile(e, k, q), np.nan)
    elif isinstance(rule, SuccessiveHalving):
        threshold = _halving_bars(block, rule, pr, last, maximize)
    return pd.DataFrame({
        "study": np.full(len(pr), block.study, dtype=object),
        "number": block.numbers[pr],
        "pruned_at": block.steps[last],
        "value": value,
        "best_so_far": best,
        "threshold": threshold,
        "n_compared": n_cmp.astype(np.int64),
        "completed_median": median,
        "share_beaten": share,
    })


def _halving_bars(block: _curves.Block, rule: SuccessiveHalving, pr: np.ndarray,
                  last: np.ndarray, maximize: bool) -> np.ndarray:
    """The promotion bar each PRUNED trial missed at the rung of its last step.

    Every trial's value at rung r is its value at its first reported step at or past
    the rung's step (a pruned trial's curve ends where it was stopped); the bar is
    the rung's ``1/reduction_factor`` cut over the trials before it and itself.
    """
    done = np.flatnonzero(block.states == "COMPLETE")
    if rule.min_resource == "auto":
        if not len(done):
            return np.full(len(pr), np.nan)
        first = done[0]  # Optuna estimates it once, after the first completed trial
        min_res = max(int(block.steps[block.last_index()[first]]) // 100, 1)
    else:
        min_res = int(rule.min_resource)
    steps, rep = block.steps, block.reported
    n_rungs = 0
    while min_res * rule.reduction_factor ** (rule.min_early_stopping_rate + n_rungs) \
            <= steps[-1]:
        n_rungs += 1
    if not n_rungs:
        return np.full(len(pr), np.nan)
    promo = min_res * rule.reduction_factor ** (
        rule.min_early_stopping_rate + np.arange(n_rungs))
    # column of each trial's first reported step at or past each rung (-1: never)
    at_or_past = rep[:, None, :] & (steps[None, None, :] >= promo[None, :, None])
    col = np.where(at_or_past.any(axis=2), at_or_past.argmax(axis=2), -1)
    rung_values = np.where(col >= 0, block.values[np.arange(len(col))[:, None],
                                                  np.maximum(col, 0)], np.nan)
    # the rung each pruned trial was stopped at: the highest whose decision step is its last
    hit = col[pr] == last[:, None]
    if not hit.any():
        return np.full(len(pr), np.nan)
    rung = np.where(hit.any(axis=1), n_rungs - 1 - np.argmax(hit[:, ::-1], axis=1), -1)
    own = block.values[pr, last]
    earlier = block.numbers[None, :] < block.numbers[pr][:, None]
    vals = rung_values[:, np.maximum(rung, 0)].T  # pruned trial x trial
    comp = np.where(earlier, vals, np.nan)
    comp = np.sort(np.concatenate([comp, own[:, None]], axis=1), axis=1)
    k = (~np.isnan(comp)).sum(axis=1)
    idx = np.maximum(k // rule.reduction_factor - 1, 0)
    pos = np.where(maximize, k - 1 - idx, idx)
    bar = comp[np.arange(len(pr)), np.clip(pos, 0, comp.shape[1] - 1)]
    return np.where((rung >= 0) & (k > rule.bootstrap_count), bar, np.nan)


def _rowwise_percentile(srt: np.ndarray, count: np.ndarray, q: float) -> np.ndarray:
    """``numpy.percentile`` of each row's first *count* sorted values (NaN when none)."""
    return _sorted_percentile(srt.T, count, q) if srt.size else np.full(len(count), np.nan)

