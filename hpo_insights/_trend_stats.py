"""The statistics behind trend shapes (pure numpy).

Everything here works on small arrays of sufficient statistics and is
vectorized over *blocks* (one block = one parameter in one group, or one pair
of budgets); nothing loops over trials or resamples. scipy is imported inside
the functions that need it.

Trend shapes (:func:`shape_tests`)
    Per block, the levels of an ordered parameter at positions ``x`` with
    counts ``n``, means ``m`` and within-level sums of squares ``ss``. The
    positions are rescaled to ``u`` in [-1, 1] (smallest to largest tried).
    The residual variance is the one of the full per-level (one-way ANOVA)
    model, ``s2 = sum(ss) / (N - k)``. Two orthogonal contrasts on all trials:

    * linear: the weighted least-squares slope of the level means on ``u``
      (weights ``n``), i.e. the fit of a line to every trial. Its end-to-end
      change ``L = 2 * slope`` (fitted objective at the largest value minus at
      the smallest) has variance ``4 * s2 / Suu``.
    * curvature: the coefficient ``c`` of ``u**2`` in the weighted quadratic
      fit (equivalently the quadratic orthogonal polynomial). ``-c`` is how
      far the fitted curve's middle (``u = 0``) lies above the average of its
      ends; variance ``s2 * [(X'X)^-1]_cc``.

    Both t statistics have ``N - k`` degrees of freedom and (being orthogonal
    contrasts sharing ``s2``) satisfy Sidak's inequality, so testing the
    linear one at ``0.8 * alpha`` and the curvature at ``0.15 * alpha``
    keeps the chance of calling any trend on a parameter without effect
    below ``alpha`` (weighted Bonferroni, with a 5% margin).

The t tests themselves, and the tests the cross-budget verdicts use, are in
:mod:`hpo_insights._stats`.
"""

from __future__ import annotations

import numpy as np

from hpo_insights import _stats


def shape_tests(
    block: np.ndarray,
    x: np.ndarray,
    n: np.ndarray,
    mean: np.ndarray,
    ss: np.ndarray,
    nblocks: int,
    *,
    alpha: float = 0.05,
    weights: tuple[float, float] = (0.8, 0.15),
    confidence: float = 0.95,
) -> dict[str, np.ndarray]:
    """Trend shape of every block from its levels' sufficient statistics.

    Parameters
    ----------
    block : int array
        Block of each level (``0 .. nblocks - 1``).
    x, n, mean, ss : float arrays
        Position (already on the scale the trend is read on), count, mean and
        within-level sum of squared deviations of each level. Levels with
        ``n == 0`` or a non-finite position (non-numeric values) are ignored.
    alpha : float
        Chance of calling any trend on a parameter without effect.
    weights : (float, float)
        Shares of *alpha* spent on the linear and the curvature test. They sum
        to 0.95: the chance of any trend on a parameter without effect is at
        most ``1 - (1 - 0.8 alpha)(1 - 0.15 alpha)`` (0.0472 at alpha 0.05).
    confidence : float
        Level of the effect intervals.

    Returns
    -------
    dict of arrays, one entry per block
        ``k`` (levels), ``df``, ``s2``, ``linear`` (end-to-end change ``L``),
        ``linear_se``, ``p_linear``, ``bulge`` (``-c``), ``bulge_se``,
        ``p_curvature``, ``vertex`` (position of the fitted extremum on the
        ``u`` scale), ``trend`` (labels), ``effect``, ``effect_low``,
        ``effect_high``, ``p_value`` (weighted Bonferroni p of "no trend").
    """
    block = np.asarray(block, dtype=np.intp)
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    mean = np.asarray(mean, dtype=float)
    ss = np.asarray(ss, dtype=float)
    use = (n > 0) & np.isfinite(x) & np.isfinite(mean)
    block, x, n, mean, ss = block[use], x[use], n[use], mean[use], ss[use]

    def bsum(w: np.ndarray) -> np.ndarray:
        return np.bincount(block, weights=w, minlength=nblocks)

    k = np.bincount(block, minlength=nblocks)
    lo = np.full(nblocks, np.inf)
    hi = np.full(nblocks, -np.inf)
    np.minimum.at(lo, block, x)
    np.maximum.at(hi, block, x)
    scale = np.zeros(nblocks)
    np.maximum.at(scale, block, np.abs(mean))
    with np.errstate(invalid="ignore", divide="ignore"):
        half = (hi - lo) / 2
        u = (x - ((hi + lo) / 2)[block]) / half[block]
    u = np.where(np.isfinite(u), u, 0.0)
    s = [bsum(n * u**p) for p in range(5)]
    t = [bsum(n * mean * u**p) for p in range(3)]
    total = s[0]
    df = total - k
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = np.where(df >= 1, bsum(ss) / df, np.nan)
        # linear: weighted slope on u
        suu = s[2] - s[1] ** 2 / total
        suy = t[1] - s[1] * t[0] / total
        linear = 2 * suy / suu
        linear_se = 2 * np.sqrt(s2 / suu)
    ok = (k >= 3) & (df >= 1) & np.isfinite(s2)
    # quadratic: solve the 3x3 normal equations of every block at once
    mat = np.stack(
        [np.stack([s[0], s[1], s[2]], -1), np.stack([s[1], s[2], s[3]], -1),
         np.stack([s[2], s[3], s[4]], -1)], -2
    )
    rhs = np.stack([t[0], t[1], t[2]], -1)
    coef = np.full((nblocks, 3), np.nan)
    cc = np.full(nblocks, np.nan)
    if ok.any():
        inv = np.linalg.inv(mat[ok])
        coef[ok] = np.einsum("bij,bj->bi", inv, rhs[ok])
        cc[ok] = inv[:, 2, 2]
    b, c = coef[:, 1], coef[:, 2]
    with np.errstate(invalid="ignore"):
        bulge_se = np.sqrt(s2 * cc)
    bulge = -c
    t_lin = _stats.t_ratio(linear, linear_se, scale)
    t_cur = _stats.t_ratio(bulge, bulge_se, scale)
    p_lin = np.where(ok, _stats.t_two_sided_p(t_lin, df), np.nan)
    p_cur = np.where(ok, _stats.t_two_sided_p(t_cur, df), np.nan)
    w_lin, w_cur = weights
    sig_l = p_lin <= w_lin * alpha
    sig_c = p_cur <= w_cur * alpha
    with np.errstate(invalid="ignore", divide="ignore"):
        vertex = -b / (2 * c)
        p_value = np.minimum(1.0, np.minimum(p_lin / w_lin, p_cur / w_cur))
    inside = np.abs(vertex) < 1
    peaked = ok & sig_c & inside & (c < 0)
    valley = ok & sig_c & inside & (c > 0)
    # monotone: direction of the fitted end-to-end change (quadratic fit when it is curved)
    ends = np.where(sig_c, 2 * b, linear)
    mono = ok & (sig_l | sig_c) & ~peaked & ~valley
    trend = np.full(nblocks, "no evidence", dtype=object)
    trend[mono & (ends > 0)] = "increasing"
    trend[mono & (ends < 0)] = "decreasing"
    trend[peaked] = "peaked"
    trend[valley] = "valley"
    trend[~ok] = "inconclusive"
    tq = _stats.t_quantile((1 + confidence) / 2, df)
    curved = peaked | valley
    effect = np.where(curved, bulge, linear)
    se = np.where(curved, bulge_se, linear_se)
    effect = np.where(k >= 2, effect, np.nan)
    with np.errstate(invalid="ignore"):
        low = effect - tq * se
        high = effect + tq * se
    return {
        "k": k, "df": df, "s2": s2, "linear": linear, "linear_se": linear_se,
        "p_linear": p_lin, "bulge": np.where(ok, bulge, np.nan), "bulge_se": bulge_se,
        "p_curvature": p_cur, "vertex": vertex, "trend": trend, "effect": effect,
        "effect_low": low, "effect_high": high, "p_value": np.where(ok, p_value, np.nan),
    }


def level_positions(
    low: np.ndarray,
    high: np.ndarray,
    binned: np.ndarray,
    block: np.ndarray,
    nblocks: int,
    log: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Where each level sits on the scale its trend is read on, and that scale per block.

    A value is its own position; a binned interval sits at its midpoint (in
    log10 space on a log scale). *log* says, per block, whether the values
    are on a log scale (decided by the caller; the positions are then
    log10 values). A block not on a log scale whose positive values span two
    decades or more while zero or negative values were tried too (a weight
    decay of 0, 1e-5, 1e-4, 1e-3) is read by rank (``"rank"``: 0, 1, 2,
    ...). Otherwise ``"linear"``. Returns ``(x, scale)``: positions per level
    (NaN for non-numeric levels) and the scale name per block.
    """
    low = np.asarray(low, dtype=float)
    high = np.asarray(high, dtype=float)
    block = np.asarray(block, dtype=np.intp)
    lo = np.full(nblocks, np.inf)
    hi = np.full(nblocks, -np.inf)
    pos_lo = np.full(nblocks, np.inf)
    fin = np.isfinite(low) & np.isfinite(high)
    np.minimum.at(lo, block[fin], low[fin])
    np.maximum.at(hi, block[fin], high[fin])
    pos = fin & (low > 0)
    np.minimum.at(pos_lo, block[pos], low[pos])
    with np.errstate(invalid="ignore", divide="ignore"):
        log = np.asarray(log, dtype=bool) & (lo > 0)
        rank = ~log & (lo <= 0) & (hi / pos_lo >= 100)
        lg = log[block]
        a = np.where(lg, np.log10(np.where(low > 0, low, np.nan)), low)
        b = np.where(lg, np.log10(np.where(high > 0, high, np.nan)), high)
    x = np.where(np.asarray(binned, dtype=bool), (a + b) / 2, a)
    if rank.any():
        order = np.lexsort((np.where(np.isfinite(x), x, np.inf), block))
        starts = np.searchsorted(block[order], np.arange(nblocks))
        ranks = np.empty(len(x))
        ranks[order] = np.arange(len(x)) - starts[block[order]]
        x = np.where(rank[block] & np.isfinite(x), ranks, x)
    scale = np.where(log, "log", np.where(rank, "rank", "linear")).astype(object)
    return x, scale
