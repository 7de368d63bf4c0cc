"""The statistics behind trend shapes and cross-budget verdicts (pure numpy).

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

Permutation tests (:func:`top_mean_permutation`)
    Difference of the mean of the top *k* trials of two samples, with a
    two-sided Monte-Carlo (or exact, when the splits are few) permutation
    p-value. One index matrix is drawn for all permutations.

Interaction F test (:func:`interaction_f`)
    Two-way layout (budget x level): the additive model against the
    cell-means model, by least squares on all trials.
"""

from __future__ import annotations

import math

import numpy as np

LABELS = ("increasing", "decreasing", "peaked", "valley", "no evidence", "inconclusive")


def _t_sf2(t: np.ndarray, df: np.ndarray) -> np.ndarray:
    """Two-sided p-value of t statistics (NaN where df < 1 or t is NaN)."""
    from scipy import stats

    t = np.asarray(t, dtype=float)
    df = np.asarray(df, dtype=float)
    out = np.full(t.shape, np.nan)
    ok = (df >= 1) & ~np.isnan(t)
    out[ok] = 2 * stats.t.sf(np.abs(t[ok]), df[ok])
    return out


def _t_ppf(p: float, df: np.ndarray) -> np.ndarray:
    from scipy import stats

    df = np.asarray(df, dtype=float)
    out = np.full(df.shape, np.nan)
    ok = df >= 1
    out[ok] = stats.t.ppf(p, df[ok])
    return out


def _ratio(est: np.ndarray, se: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """est / se, with an exact zero variance giving +-inf (or 0 when est is zero too)."""
    tiny = 64 * np.finfo(float).eps * np.maximum(np.abs(scale), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = est / se
        zero_se = se == 0
        t = np.where(zero_se & (np.abs(est) <= tiny), 0.0, t)
        t = np.where(zero_se & (np.abs(est) > tiny), np.sign(est) * np.inf, t)
    return t


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
    t_lin = _ratio(linear, linear_se, scale)
    t_cur = _ratio(bulge, bulge_se, scale)
    p_lin = np.where(ok, _t_sf2(t_lin, df), np.nan)
    p_cur = np.where(ok, _t_sf2(t_cur, df), np.nan)
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
    tq = _t_ppf((1 + confidence) / 2, df)
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


# --- permutation test of a difference of top-k means ------------------------------------
def top_mean(values: np.ndarray, k: int) -> np.ndarray:
    """Mean of the *k* largest entries of each row of a 2-d array (or of a 1-d array)."""
    values = np.asarray(values, dtype=float)
    m = values.shape[-1]
    top = np.partition(values, m - k, axis=-1)[..., m - k:]
    return top.mean(axis=-1)


def combinations_array(n: int, k: int) -> np.ndarray:
    """Every k-subset of ``range(n)`` as rows of an int array, in lexicographic order.

    Built one column at a time (a loop over the *k* positions, not over the
    subsets): each partial row is extended by every larger index that still
    leaves room for the remaining positions.
    """
    if k == 0:
        return np.zeros((1, 0), dtype=np.intp)
    rows = np.arange(n - k + 1, dtype=np.intp)[:, None]
    for pos in range(1, k):
        last = rows[:, -1]
        stop = n - k + pos + 1  # exclusive bound of the index at this position
        counts = np.maximum(stop - last - 1, 0)
        rep = np.repeat(np.arange(len(rows)), counts)
        starts = np.repeat(last + 1, counts)
        offsets = np.arange(len(rep)) - np.repeat(np.cumsum(counts) - counts, counts)
        rows = np.column_stack([rows[rep], starts + offsets])
    return rows


def _splits(n_total: int, n_a: int, n_perm: int, rng: np.random.Generator) -> tuple[np.ndarray,
                                                                                         bool]:
    """Row-wise index sets of the first sample: every split when few, else *n_perm* random ones."""
    if math.comb(n_total, n_a) <= n_perm:
        return combinations_array(n_total, n_a), True
    order = np.argsort(rng.random((n_perm, n_total)), axis=1)
    return order, False


def top_mean_permutation(
    a: np.ndarray,
    b: np.ndarray,
    k: int,
    *,
    n_perm: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float, bool]:
    """Difference ``top_mean(b, k) - top_mean(a, k)`` and its permutation p-values.

    The null hypothesis is that both samples come from one distribution
    (labels exchangeable). Returns ``(difference, p_greater, p_less,
    exact)``: one-sided p-values for "b is better" and "b is worse". When
    ``comb(len(a) + len(b), len(a)) <= n_perm`` every split is enumerated and
    the p-values are exact (the observed split counts once among them);
    otherwise *n_perm* random splits give ``(1 + hits) / (1 + n_perm)``.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    obs = top_mean(b, k) - top_mean(a, k)
    pooled = np.concatenate([a, b])
    n_total, n_a = len(pooled), len(a)
    rng = np.random.default_rng(seed)
    idx, exact = _splits(n_total, n_a, n_perm, rng)
    if exact:
        in_a = np.zeros((len(idx), n_total), dtype=bool)
        np.put_along_axis(in_a, idx, True, axis=1)
        vals = np.broadcast_to(pooled, in_a.shape)
        pa = vals[in_a].reshape(len(idx), n_a)
        pb = vals[~in_a].reshape(len(idx), n_total - n_a)
    else:
        perm = pooled[idx]
        pa, pb = perm[:, :n_a], perm[:, n_a:]
    null = top_mean(pb, k) - top_mean(pa, k)
    tol = 1e-12 * max(1.0, float(np.max(np.abs(pooled))))
    ge = int(np.count_nonzero(null >= obs - tol))
    le = int(np.count_nonzero(null <= obs + tol))
    if exact:
        return float(obs), ge / len(idx), le / len(idx), True
    return float(obs), (1 + ge) / (1 + n_perm), (1 + le) / (1 + n_perm), False


def top_mean_bootstrap(
    a: np.ndarray,
    b: np.ndarray,
    k: int,
    *,
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``top_mean(b, k) - top_mean(a, k)``.

    Each sample is resampled with replacement on its own (*n_boot* index
    matrices drawn at once from ``default_rng(seed)``: first ``a``'s
    ``(n_boot, len(a))``, then ``b``'s). Reliable when *k* is a fair share of
    the trials; for ``k = 1`` (maxima) the bootstrap is known to be
    inconsistent and the interval too narrow.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    rng = np.random.default_rng(seed)
    ia = rng.integers(0, len(a), (n_boot, len(a)))
    ib = rng.integers(0, len(b), (n_boot, len(b)))
    d = top_mean(b[ib], k) - top_mean(a[ia], k)
    lo, hi = np.quantile(d, [(1 - confidence) / 2, (1 + confidence) / 2])
    return float(lo), float(hi)


# --- budget x level interaction --------------------------------------------------------
def interaction_f(
    y: np.ndarray, row: np.ndarray, col: np.ndarray
) -> tuple[float, float, float, float, float, float]:
    """F test of the row x column interaction in a two-way layout, by least squares.

    Compares the additive model ``y ~ row + col`` with the cell-means model.
    Empty cells are allowed (the interaction's degrees of freedom are the
    cells observed minus the additive model's parameters). Returns
    ``(F, df_num, df_den, p, F_col, p_col)``; ``F_col`` tests the column
    (parameter) main effect against ``y ~ row`` with the cell-means residual
    variance. NaN when a test has no degrees of freedom.
    """
    from scipy import stats

    y = np.asarray(y, dtype=float)
    row = np.asarray(row, dtype=np.intp)
    col = np.asarray(col, dtype=np.intp)
    nr, nc = int(row.max()) + 1, int(col.max()) + 1
    cell = row * nc + col
    cnt = np.bincount(cell, minlength=nr * nc)
    tot = np.bincount(cell, weights=y, minlength=nr * nc)
    seen = cnt > 0
    cm = np.divide(tot, cnt, out=np.zeros_like(tot), where=seen)
    rss_full = float(np.sum((y - cm[cell]) ** 2))
    n, n_cells = len(y), int(seen.sum())
    # additive model on the cell means, weighted by the counts (same fit as on all trials)
    design = np.zeros((nr * nc, nr + nc - 1))
    r_of, c_of = np.divmod(np.arange(nr * nc), nc)
    design[np.arange(nr * nc), r_of] = 1.0
    has = c_of > 0
    design[np.flatnonzero(has), nr + c_of[has] - 1] = 1.0
    w = np.sqrt(cnt[seen])
    sub = design[seen]
    rank = np.linalg.matrix_rank(sub)
    beta = np.linalg.lstsq(sub * w[:, None], cm[seen] * w, rcond=None)[0]
    rss_add = float(np.sum((y - (design @ beta)[cell]) ** 2))
    rmeans = np.bincount(row, weights=y, minlength=nr) / np.maximum(np.bincount(row, minlength=nr),
                                                                    1)
    rss_row = float(np.sum((y - rmeans[row]) ** 2))
    rank_row = int((np.bincount(row, minlength=nr) > 0).sum())
    df_den = n - n_cells
    df_num = n_cells - rank
    df_col = rank - rank_row
    nan = float("nan")
    if df_den < 1:
        return nan, float(df_num), float(df_den), nan, nan, nan
    s2 = rss_full / df_den
    out = []
    for num, dfn in ((max(rss_add - rss_full, 0.0), df_num), (max(rss_row - rss_add, 0.0),
                                                              df_col)):
        if dfn < 1:
            out += [nan, nan]
        elif s2 == 0:
            f = 0.0 if num <= 1e-24 * max(1.0, float(np.sum(y * y))) else np.inf
            out += [f, 1.0 if f == 0 else 0.0]
        else:
            f = (num / dfn) / s2
            out += [f, float(stats.f.sf(f, dfn, df_den))]
    return out[0], float(df_num), float(df_den), out[1], out[2], out[3]
