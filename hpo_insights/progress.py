"""Search progress: the expected best after k trials, and whether more trials are worth it.

:func:`search_progress` treats a study's counted trials as an i.i.d. sample
of the objective: the unbiased estimate of the expected best of k trials
(Tang et al. 2020; Dodge et al. 2019 give the with-replacement version) with a
bootstrap band, the observed best-so-far beside it, and a bound on what N
more trials would add with a plateau verdict. For an adaptive sampler (TPE)
the curve describes the sample, not the sampler; ``docs/curves.md`` says how
far off it is on real TPE searches, and the error rates of the verdict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hpo_insights import _binning, _guard
from hpo_insights import _frame as F
from hpo_insights._claims import claim_row
from hpo_insights._deprecation import complement, renamed_arguments
from hpo_insights._errors import TrialsError

__all__ = ["SearchProgress", "expected_best", "search_progress"]


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


@dataclass(frozen=True)
class SearchProgress:
    """The expected best after k trials and what more trials would add.

    Attributes
    ----------
    curve : pandas.DataFrame
        Per study and k (1..10, then about 40 log-spaced values up to n):
        ``study``, ``k``, ``expected_best`` (the unbiased estimate),
        ``band_low``, ``band_high`` (the estimate ± z times its bootstrap
        standard error), ``best_so_far`` (the best of the first k counted trials
        in ``number`` order: what this search did).
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
    alpha : float, default 0.05
        Error rate of the band and of the one-sided bound ``gain_high``
        (coverage ``1 - alpha``); ``confidence=`` (the old name, ``1 - alpha``)
        still works until 0.4.0 with a FutureWarning.
    n_resamples : int, default 500
        Bootstrap resamples.
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
    of k draws. The band is that estimate ± ``z_{(1+confidence)/2}`` times its
    bootstrap standard error (trials resampled with replacement, ``ddof=1``);
    its measured coverage is in ``docs/curves.md`` (good for k up to about
    n/4, short of nominal near k = n, where the best of k is an extreme).
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
        curves.append(_curve(study, y, boot, signs[g], confidence, center, scale))
        rows.append(_summary(study, names[g], y, boot, signs[g], more, tolerance, confidence,
                             scale))
    _binning.warn_empty_groups(groups, np.bincount(codes, minlength=len(groups)), F.STUDY)
    if not rows:
        raise TrialsError("No study has a COMPLETE trial with a finite objective.")
    return SearchProgress(pd.concat(curves, ignore_index=True), pd.DataFrame(rows))


def _boot_sorted(y: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    idx = rng.integers(0, len(y), size=(n_resamples, len(y)))
    return np.sort(y[idx], axis=1)


def _curve(study, y: np.ndarray, boot_sorted: np.ndarray, sign: float, confidence: float,
           center: float, scale: float) -> pd.DataFrame:
    """The expected best per k; *boot_sorted* are resamples of ``(y - center) / scale``."""
    n = len(y)
    ks = _k_grid(n)
    w = best_of_k_weights(n, ks)
    est = center + scale * (np.sort((y - center) / scale) @ w)
    from scipy import stats

    sd = scale * (boot_sorted @ w).std(axis=0, ddof=1) if len(boot_sorted) > 1 else np.nan
    half = stats.norm.ppf(0.5 + confidence / 2) * sd
    low, high = est - half, est + half
    so_far = np.maximum.accumulate(y)[ks - 1]
    if sign < 0:
        est, low, high, so_far = -est, -high, -low, -so_far
    return pd.DataFrame({"study": np.full(len(ks), study, dtype=object), "k": ks,
                         "expected_best": est, "band_low": low, "band_high": high,
                         "best_so_far": so_far})


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
    # the trials every other claim uses: COMPLETE, collapsed and diverged ones left out
    groups = list(ctx.groups)
    labels = np.asarray(groups, dtype=object)[ctx.gcodes]
    used = pd.DataFrame({F.STUDY: labels, F.NUMBER: np.arange(len(ctx.y)), F.STATE: "COMPLETE",
                         F.VALUE: ctx.y})
    direction = {g: "maximize" if s > 0 else "minimize"
                 for g, s in zip(groups, ctx.signs, strict=True)}
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
