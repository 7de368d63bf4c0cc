"""Search progress: the expected best after k trials, and whether more trials are worth it.

:func:`search_progress` treats a study's counted trials as an i.i.d. sample
of the objective: the unbiased estimate of the expected best of k trials
(Tang et al. 2020; Dodge et al. 2019 give the with-replacement version) with a
distribution-free band (Lourie et al. 2023), the observed best-so-far beside
it, and a bound on what N more trials would add with a plateau verdict. For an
adaptive sampler (TPE) the curve describes the sample, not the sampler; ``docs/curves.md`` says how
far off it is on real TPE searches, and the error rates of the verdict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from hpo_insights import _binning, _guard
from hpo_insights import _frame as F
from hpo_insights._claims import claim_row
from hpo_insights._deprecation import complement, renamed_arguments
from hpo_insights._errors import TrialsError

__all__ = ["SearchProgress", "expected_best", "search_progress"]

#: Default bounds: the observed range widened by (at least) this share of it on each side.
BOUNDS_WIDENING = 0.1


def _log_comb(n: np.ndarray, k: np.ndarray) -> np.ndarray:
    from scipy.special import gammaln

    return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)


def best_of_k_weights(n: int, ks: np.ndarray) -> np.ndarray:
    """``w[i, j] = C(i, k_j - 1) / C(n, k_j)``: the chance that the (i+1)-th smallest of
    *n* values is the largest of a random *k_j*-subset (rows sum to 1 per column)."""
    i = np.arange(n, dtype=float)[:, None]
    k = np.asarray(ks, dtype=float)[None, :]
    with np.errstate(invalid="ignore"):
        logw = _log_comb(i, k - 1) - _log_comb(np.float64(n), k)
    w = np.where(i >= k - 1, np.exp(logw), 0.0)
    return w / w.sum(axis=0, keepdims=True)


def expected_best(values: np.ndarray, ks: Sequence[int] | np.ndarray) -> np.ndarray:
    """Unbiased estimate of the expected maximum of *k* i.i.d. draws, for each *k* <= n.

    ``sum_i x_(i) C(i - 1, k - 1) / C(n, k)`` over the sorted sample
    ``x_(1) <= ... <= x_(n)``: the mean of the maxima of all k-subsets.

    Examples
    --------
    >>> import numpy as np
    >>> from hpo_insights.progress import expected_best
    >>> expected_best(np.array([3.0, 1.0, 2.0]), [1, 2, 3])
    array([2.        , 2.66666667, 3.        ])
    """
    x = np.sort(np.asarray(values, dtype=float))
    return x @ best_of_k_weights(len(x), np.asarray(ks))


def _k_grid(n: int, size: int = 40) -> np.ndarray:
    """1..min(n, 10), then about *size* log-spaced k up to n."""
    head = np.arange(1, min(n, 10) + 1)
    tail = np.unique(np.round(np.geomspace(10, max(n, 10), size)).astype(int))
    return np.unique(np.concatenate([head, tail[tail <= n]]))


# --- the distribution-free band ------------------------------------------------
_BAND_SIMS = 2000   # simulated uniform samples that calibrate the band (fixed seed)
_BAND_POINTS = 300  # at most this many constrained order statistics
_BAND_TAIL = 100    # ... of which every one of the top 100 and the bottom 25


def band_indices(n: int) -> np.ndarray:
    """The order statistics (1-based) the CDF band constrains: all of them up to
    :data:`_BAND_POINTS`, else all of the top 100 and bottom 25 and evenly spaced
    ones between."""
    if n <= _BAND_POINTS:
        return np.arange(1, n + 1)
    mid = np.round(np.linspace(26, n - _BAND_TAIL, _BAND_POINTS - _BAND_TAIL - 25))
    return np.unique(np.concatenate([np.arange(1, 26), mid.astype(np.int64),
                                     np.arange(n - _BAND_TAIL + 1, n + 1)]))


@lru_cache(maxsize=64)
def order_statistic_band(n: int, alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A simultaneous ``1 - alpha`` band for the CDF at the order statistics.

    Returns ``(idx, low, high)``: with probability at least ``1 - alpha`` (up to
    the calibration's Monte Carlo error), ``low[j] <= U_(idx[j]) <= high[j]``
    for every ``j`` at once, ``U_(i)`` the i-th smallest of *n* uniform draws.
    Every bound is the same two-sided quantile ``c`` of the Beta(i, n + 1 - i)
    law of its order statistic (an equal-tailed band, as in Lourie et al. 2023),
    ``c`` the largest (to 0.1% relative, by bisection between Bonferroni's
    ``alpha / 2m`` and ``alpha / 2``) whose band holds all of :data:`_BAND_SIMS`
    simulated samples (seed 0) but at most a share *alpha*.
    """
    from scipy import special

    idx = band_indices(n)
    a, b = idx.astype(float), (n + 1 - idx).astype(float)
    rng = np.random.default_rng(0)
    # the order statistics at idx of a uniform sample: partial sums of exponentials
    shapes = np.diff(np.concatenate([[0], idx, [n + 1]])).astype(float)
    g = np.cumsum(rng.standard_gamma(shapes, size=(_BAND_SIMS, len(shapes))), axis=1)
    u = g[:, :-1] / g[:, -1:]

    def band(c: float) -> tuple[np.ndarray, np.ndarray]:
        return special.betaincinv(a, b, c), special.betaincinv(a, b, 1 - c)

    def misses(c: float) -> float:
        low, high = band(c)
        return float(((u < low) | (u > high)).any(axis=1).mean())

    lo, hi = np.log(alpha / (2 * len(idx))), np.log(alpha / 2)
    while hi - lo > 1e-3:  # misses(exp(lo)) <= alpha throughout
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if misses(float(np.exp(mid))) <= alpha else (lo, mid)
    return (idx, *band(float(np.exp(lo))))


def best_of_k_band(sorted_y: np.ndarray, ks: np.ndarray, bounds: tuple[float, float],
                   alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Distribution-free bounds on ``E[max of k]`` for every k at once.

    *sorted_y* ascending (higher is better), inside ``bounds = (a, b)``. On
    ``[x_(i), x_(i+1))`` the band of :func:`order_statistic_band` bounds the CDF
    by ``low_i <= F <= high_(i+1)`` (``x_(0) = a``, ``x_(n+1) = b``), and
    ``E[max of k] = b - integral_a^b F(x)^k dx`` turns them into
    ``b - sum_i (x_(i+1) - x_(i)) high_(i+1)^k <= E[max of k] <= b - sum_i
    (x_(i+1) - x_(i)) low_i^k``.
    """
    n = len(sorted_y)
    a, b = bounds
    idx, low, high = order_statistic_band(n, alpha)
    # per gap i = 0..n: the CDF bound of the nearest constrained order statistic
    # at or below i (lower bound) and at or above i + 1 (upper bound)
    gaps = np.diff(np.concatenate([[a], sorted_y, [b]]))
    i = np.arange(n + 1)
    below = np.searchsorted(idx, i, side="right") - 1
    f_low = np.where(below >= 0, low[np.maximum(below, 0)], 0.0)
    above = np.searchsorted(idx, i + 1, side="left")
    f_high = np.where(above < len(idx), high[np.minimum(above, len(idx) - 1)], 1.0)
    k = np.asarray(ks, dtype=float)[None, :]
    lower = b - gaps @ (f_high[:, None] ** k)
    upper = b - gaps @ (f_low[:, None] ** k)
    return lower, upper


@dataclass(frozen=True)
class SearchProgress:
    """The expected best after k trials and what more trials would add.

    Attributes
    ----------
    curve : pandas.DataFrame
        Per study and k (1..10, then about 40 log-spaced values up to n):
        ``study``, ``k``, ``expected_best`` (the unbiased estimate),
        ``band_low``, ``band_high`` (a distribution-free band holding the
        expected best of every k at once with probability ``1 - alpha`` when
        the objective stays within *bounds*), ``best_so_far`` (the best of the
        first k counted trials in ``number`` order: what this search did).
    summary : pandas.DataFrame
        One row per study: ``study``, ``direction``, ``n_trials``, ``best``,
        ``more`` (N), ``p_improve`` (chance that N more i.i.d. trials beat
        the best: ``N / (n + N)``), ``gain`` (estimated bound on the expected
        gain of N more trials), ``gain_high`` (its upper confidence bound),
        ``tolerance`` (X) and ``plateau`` (``gain_high < tolerance``: more
        trials likely to add less than X).
    """

    curve: pd.DataFrame
    summary: pd.DataFrame


@renamed_arguments(confidence=("alpha", complement))
def search_progress(
    trials: pd.DataFrame,
    *,
    studies: str | Sequence[str] | None = None,
    objective: str | None = None,
    direction: str | Mapping | None = None,
    more: int = 50,
    tolerance: float | None = None,
    bounds: tuple[float, float] | None = None,
    alpha: float = 0.05,
    n_resamples: int = 500,
    seed: int | None = 0,
) -> SearchProgress:
    """The expected best value after k trials, and whether more trials are worth it.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    studies : str or sequence of str, optional
        Only these studies, in this order.
    objective : str, optional
        The objective column; ``None`` means the frame's single objective.
    direction : {"maximize", "minimize"} or mapping, optional
        Overrides ``study_direction``.
    more : int, default 50
        N, the number of further trials the plateau verdict is about.
    tolerance : float, optional
        X, in objective units: the verdict says "plateau" when N more trials
        are likely to add less than X. Default: 1% of the interdecile range
        (90th minus 10th percentile, numpy's linear rule) of the study's counted
        values, so that a few diverged trials do not widen it.
    bounds : (float, float), optional
        Values the objective cannot leave, e.g. ``(0, 1)`` for an accuracy, for
        every study; the band is guaranteed only within them. Default: per
        study, the observed range widened by a tenth of it on the worst side,
        and on the best side by the larger of a tenth and the distance from
        the upper quartile to the best value (a guess, not a guarantee: its
        measured coverage is in ``docs/curves.md``).
    alpha : float, default 0.05
        Error rate of the band (simultaneous over all k) and of the one-sided
        bound ``gain_high``
        (coverage ``1 - alpha``); ``confidence=`` (the old name, ``1 - alpha``)
        still works until 0.4.0 with a FutureWarning.
    n_resamples : int, default 500
        Bootstrap resamples of ``gain_high`` (the band needs none).
    seed : int or None, default 0
        Seed of the bootstrap.

    Returns
    -------
    SearchProgress
        ``curve`` (expected best per k, band, observed best so far) and
        ``summary`` (gain of N more trials, its bound, the plateau verdict).

    Raises
    ------
    TrialsError
        No counted trial, an unknown objective or direction.

    Notes
    -----
    The counted trials (COMPLETE, finite objective) of a study, ``n`` of them,
    are taken as an i.i.d. sample. ``expected_best`` at k is
    ``sum_i x_(i) C(i-1, k-1) / C(n, k)`` (values sorted so that the best is
    last): the mean best over all k-subsets, unbiased for the expected best
    of k draws. The band comes from a simultaneous ``1 - alpha`` band for the
    CDF at the order statistics (equal-tailed Beta quantiles, calibrated by
    simulation; Lourie et al. 2023): with ``E[best of k] = b - integral_a^b
    F(x)^k dx`` over the *bounds* ``(a, b)``, the highest CDF in the band gives
    ``band_low`` and the lowest ``band_high``, for every k at once and for
    continuous and tied values alike; its measured coverage and width are in
    ``docs/curves.md``.
    The expected gain of N more trials, ``E[best of n+N] - E[best of n]``, is
    bounded by concavity (the expected best's increments never grow): it is at
    most ``N/m`` times the gain of the last m trials, ``E[best of n] -
    E[best of n-m]``; ``gain`` is that bound's unbiased estimate with
    ``m = max(1, n // 2)``, and ``gain_high`` the one-sided bootstrap
    quantile at *confidence* of that estimate (at least ``gain``). Under an
    adaptive sampler the trials are not i.i.d.: the curve then describes the
    sample (see ``docs/curves.md``).

    Examples
    --------
    >>> import hpo_insights as hi
    >>> sp = hi.search_progress(hi.datasets.example())
    >>> list(sp.summary.columns)
    ['study', 'direction', 'n_trials', 'best', 'more', 'p_improve', 'gain', 'gain_high', \
'tolerance', 'plateau']
    >>> sp.curve.query("study == 'transformer-2M'")[["k", "expected_best"]].head(3).round(4)
       k  expected_best
    0  1         0.7069
    1  2         0.7112
    2  3         0.7128
    """
    trials = F.select_studies(_guard.frame(trials), studies)
    _guard.text("objective", objective)
    direction = _guard.direction(direction)
    more = _guard.integer("more", more, low=1)
    if tolerance is not None:
        tolerance = _guard.real("tolerance", tolerance, low=0)
    bounds = _check_bounds(bounds)
    alpha = _guard.real("alpha", alpha, low=0, high=1, low_open=True, high_open=True)
    confidence = 1 - _guard.real("alpha", alpha, low=0, high=1, low_open=True, high_open=True)
    n_resamples = _guard.integer("n_resamples", n_resamples, low=1)
    rng = np.random.default_rng(seed)
    done, ycol, codes, groups = _binning.prepare(trials, objective=objective, by=F.STUDY,
                                                 number=True)
    signs, names = F.signs(trials, direction, F.STUDY, groups, objective)
    curves, rows = [], []
    number = done[F.NUMBER].to_numpy()
    y_all = done[ycol].to_numpy()
    for g, study in enumerate(groups):
        sel = np.flatnonzero(codes == g)
        if not len(sel):
            continue
        sel = sel[np.argsort(number[sel], kind="stable")]
        y = y_all[sel] * signs[g]  # higher is better
        # scale-free arithmetic: the bootstrap works on (y - median) / max deviation
        center = float(np.median(y))
        scale = float(np.max(np.abs(y - center)))
        scale = scale if np.isfinite(scale) and scale > 0 else 1.0
        boot = _boot_sorted((y - center) / scale, n_resamples, rng)
        curves.append(_curve(study, y, signs[g], _bounds(y, signs[g], bounds, study),
                             alpha, center, scale))
        rows.append(_summary(study, names[g], y, boot, signs[g], more, tolerance, confidence,
                             scale))
    _binning.warn_empty_groups(groups, np.bincount(codes, minlength=len(groups)), F.STUDY)
    if not rows:
        raise TrialsError("No study has a COMPLETE trial with a finite objective.")
    return SearchProgress(pd.concat(curves, ignore_index=True), pd.DataFrame(rows))


def _boot_sorted(y: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    idx = rng.integers(0, len(y), size=(n_resamples, len(y)))
    return np.sort(y[idx], axis=1)


def _curve(study, y: np.ndarray, sign: float, bounds: tuple[float, float], alpha: float,
           center: float, scale: float) -> pd.DataFrame:
    """The expected best per k and its band; *y* and *bounds* with higher = better."""
    n = len(y)
    ks = _k_grid(n)
    z = np.sort((y - center) / scale)  # scale-free arithmetic
    est = center + scale * (z @ best_of_k_weights(n, ks))
    zb = ((bounds[0] - center) / scale, (bounds[1] - center) / scale)
    low, high = best_of_k_band(z, ks, zb, alpha)
    low, high = center + scale * low, center + scale * high
    so_far = np.maximum.accumulate(y)[ks - 1]
    if sign < 0:
        est, low, high, so_far = -est, -high, -low, -so_far
    return pd.DataFrame({"study": np.full(len(ks), study, dtype=object), "k": ks,
                         "expected_best": est, "band_low": low, "band_high": high,
                         "best_so_far": so_far})


def _bounds(y: np.ndarray, sign: float, bounds: tuple[float, float] | None, study
            ) -> tuple[float, float]:
    """The objective's bounds in higher-is-better units: the given ones (checked against
    the values), else the default of ``docs/curves.md``: the observed range widened by a
    tenth of it on the worst side, and on the best side by the larger of a tenth and
    the distance from the upper quartile to the best value (a heavier tail gets more room)."""
    if bounds is None:
        lo, hi = float(y.min()), float(y.max())
        span = hi - lo if hi > lo else max(abs(hi), 1.0)
        top = max(BOUNDS_WIDENING * span, hi - float(np.quantile(y, 0.75)))
        return lo - BOUNDS_WIDENING * span, hi + top
    lo, hi = sorted((sign * bounds[0], sign * bounds[1]))
    if y.min() < lo or y.max() > hi:
        raise TrialsError(
            f"bounds={tuple(bounds)!r} must hold every counted value of the objective, but "
            f"study {study!r} has values from {min(sign * y.min(), sign * y.max()):g} to "
            f"{max(sign * y.min(), sign * y.max()):g}. Give bounds the objective cannot leave "
            "(e.g. (0, 1) for an accuracy), or None for the default (docs/curves.md)."
        )
    return lo, hi


def _check_bounds(bounds) -> tuple[float, float] | None:
    if bounds is None:
        return None
    if (isinstance(bounds, str) or not hasattr(bounds, "__len__") or len(bounds) != 2):
        raise TrialsError(f"bounds must be a pair (low, high) or None, got {bounds!r} instead.")
    lo = _guard.real("bounds[0]", bounds[0])
    hi = _guard.real("bounds[1]", bounds[1])
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise TrialsError(f"bounds must be finite with low < high, got {tuple(bounds)!r} "
                          "instead.")
    return float(lo), float(hi)


def gain_bound(sorted_y: np.ndarray, more: int) -> np.ndarray:
    """Unbiased estimate of ``more/m * (E[max_n] - E[max_{n-m}])``, m = max(1, n // 2),
    for each row of *sorted_y* (ascending); NaN for n < 2."""
    sorted_y = np.atleast_2d(sorted_y)
    n = sorted_y.shape[1]
    if n < 2:
        return np.full(len(sorted_y), np.nan)
    m = max(1, n // 2)
    w = best_of_k_weights(n, np.array([n - m]))[:, 0]
    return more / m * (sorted_y[:, -1] - sorted_y @ w)


def _summary(study, direction: str, y: np.ndarray, boot_sorted: np.ndarray, sign: float,
             more: int, tolerance: float | None, confidence: float, scale: float) -> dict:
    """The gain of *more* trials; *boot_sorted* are resamples of ``y / scale`` (shifted)."""
    n = len(y)
    srt = np.sort(y)
    gain = float(scale * gain_bound(srt / scale, more)[0])
    if n >= 2:
        high = scale * float(np.quantile(gain_bound(boot_sorted, more), confidence))
        high = max(high, gain)
    else:
        high = np.nan
    if tolerance is None:  # 1% of the interdecile range: a diverged trial does not widen it
        q10, q90 = np.quantile(srt, [0.1, 0.9])
        tol = 0.01 * float(q90 - q10)
    else:
        tol = tolerance
    return {
        "study": study, "direction": direction, "n_trials": n,
        "best": float(srt[-1] * sign), "more": more, "p_improve": more / (n + more),
        "gain": gain, "gain_high": high, "tolerance": tol,
        "plateau": bool(high < tol) if np.isfinite(high) else pd.NA,
    }


def findings_rows(ctx) -> list:
    """The plateau verdict of every study as rows of :func:`hpo_insights.findings`.

    A family of :data:`hpo_insights.findings.FAMILIES`: claim ``"plateau"``,
    value ``"plateau"`` (claimed) or ``"no evidence"``, ``effect`` the gain
    bound of 50 more trials with ``effect_high`` its upper bound, section
    ``"progress"``. Outside the page's graph of tests: its error rate is
    measured by simulation (``docs/curves.md``), like the collapse rows.
    """
    # the trials every other claim uses: COMPLETE, collapsed and diverged ones left out; their
    # objective, also when the other claims are made on ranks (pruned="rank")
    y, gcodes, signs = ctx.extra.get("completed", (ctx.y, ctx.gcodes, ctx.signs))
    groups = list(ctx.groups)
    labels = np.asarray(groups, dtype=object)[gcodes]
    used = pd.DataFrame({F.STUDY: labels, F.NUMBER: np.arange(len(y)), F.STATE: "COMPLETE",
                         F.VALUE: y})
    direction = {g: "maximize" if s > 0 else "minimize"
                 for g, s in zip(groups, signs, strict=True)}
    try:
        sp = search_progress(used, direction=direction, alpha=ctx.alpha)
    except TrialsError:
        return []
    rows = []
    for _, r in sp.summary.iterrows():
        g = groups.index(r["study"]) if r["study"] in groups else None
        label = str(ctx.labels[g]) if g is not None else str(r["study"])
        n_pruned = int(ctx.n_pruned[g]) if g is not None else 0
        n_out = int(ctx.n_outliers[g]) if g is not None else 0
        row = claim_row(ctx, label, "", "plateau", "progress", int(r["n_trials"]), n_pruned, n_out)
        yes = r["plateau"] is not pd.NA and bool(r["plateau"])
        row.update(
            value="plateau" if yes else "no evidence", claimed=yes, effect=r["gain"],
            effect_high=r["gain_high"], p_value=np.nan, p_adjusted=np.nan,
            detail=(f"{int(r['more'])} more trials in {label} are likely to add less than "
                    f"{r['tolerance']:.3g} (gain bound {r['gain_high']:.3g})." if yes else
                    f"No evidence that {int(r['more'])} more trials in {label} would add less "
                    f"than {r['tolerance']:.3g} (gain bound {r['gain_high']:.3g})."))
        rows.append(row)
    ctx.extra.setdefault("rows", []).extend(rows)
    return []
