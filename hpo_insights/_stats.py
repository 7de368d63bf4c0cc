"""Statistics several analyses share (numpy; scipy imported inside the functions).

Everything here works on arrays of sufficient statistics and is vectorized over
*blocks* (one block = one parameter in one group, or one pair of budgets); nothing
loops over trials or resamples.

t tests (:func:`t_two_sided_p`, :func:`t_quantile`, :func:`t_ratio`)
    p-values, quantiles and statistics of Student t, NaN where there are no
    degrees of freedom (trend shapes, ``hpo_insights._trend_stats``).
One-way F test (:func:`one_way_f`, :func:`noncentral_f_interval`)
    eta^2, epsilon^2 and the F test of a parameter's levels, and the interval
    of the population share by inverting the noncentral F (``variance_explained``).
Cramér's V (:func:`cramers_v`)
    Association of two parameters' levels with its chi-square test
    (``sampling_association``, ``variance_explained``'s ``cramers_v``).
Permutation tests and bootstrap (:func:`top_mean_permutation`, :func:`top_mean_bootstrap`)
    Difference of the mean of the top *k* trials of two samples, with a
    two-sided Monte-Carlo (or exact, when the splits are few) permutation
    p-value, and its percentile bootstrap interval (``scaling_check``).
Interaction F test (:func:`interaction_f`)
    Two-way layout (budget x level): the additive model against the
    cell-means model, by least squares on all trials (``param_consistency``).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "combinations_array",
    "cramers_v",
    "interaction_f",
    "noncentral_f_interval",
    "one_way_f",
    "t_quantile",
    "t_ratio",
    "t_two_sided_p",
    "top_mean",
    "top_mean_bootstrap",
    "top_mean_permutation",
]


# --- scale ----------------------------------------------------------------------------
def pow2_scale(values: np.ndarray) -> float:
    """The power of two at or just above the largest finite ``|value|`` (1.0 when there is none).

    Dividing by it is exact (no rounding, barring underflow) and brings the
    values into [-1, 1], so sums of squares neither overflow nor underflow
    whatever the objective's magnitude (1e-300 or 1e300), and every figure
    that is a ratio (shares, F, t, p-values) comes out the same at any scale.
    """
    v = np.asarray(values, dtype=float)
    if len(v) == 0:
        return 1.0
    top = max(-float(v.min()), float(v.max()))  # no |v| copy; NaN or inf: the slow path
    if not math.isfinite(top):
        v = np.abs(v)
        v = v[np.isfinite(v)]
        top = float(v.max()) if len(v) else 0.0
    return float(np.ldexp(1.0, int(np.frexp(top)[1]))) if top > 0 else 1.0


# --- t tests --------------------------------------------------------------------------
def t_two_sided_p(t: np.ndarray, df: np.ndarray) -> np.ndarray:
    """Two-sided p-value of t statistics (NaN where df < 1 or t is NaN)."""
    from scipy import stats

    t = np.asarray(t, dtype=float)
    df = np.asarray(df, dtype=float)
    out = np.full(t.shape, np.nan)
    ok = (df >= 1) & ~np.isnan(t)
    out[ok] = 2 * stats.t.sf(np.abs(t[ok]), df[ok])
    return out


def t_quantile(p: float, df: np.ndarray) -> np.ndarray:
    """The *p* quantile of Student t with *df* degrees of freedom (NaN where df < 1)."""
    from scipy import stats

    df = np.asarray(df, dtype=float)
    out = np.full(df.shape, np.nan)
    ok = df >= 1
    out[ok] = stats.t.ppf(p, df[ok])
    return out


def t_ratio(est: np.ndarray, se: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """est / se, with an exact zero variance giving +-inf (or 0 when est is zero too)."""
    tiny = 64 * np.finfo(float).eps * np.abs(scale)  # relative: no floor in objective units
    with np.errstate(divide="ignore", invalid="ignore"):
        t = est / se
        zero_se = se == 0
        t = np.where(zero_se & (np.abs(est) <= tiny), 0.0, t)
        t = np.where(zero_se & (np.abs(est) > tiny), np.sign(est) * np.inf, t)
    return t


# --- one-way F test ------------------------------------------------------------------
def one_way_f(ssb, sst, n, k, degenerate) -> dict[str, np.ndarray]:
    """eta^2, epsilon^2 and the one-way F test, elementwise over blocks.

    From the between and total sums of squares *ssb*, *sst* of *n* values in
    *k* levels; *degenerate* blocks give NaN. Returns ``share`` (eta^2),
    ``corrected`` (epsilon^2), ``F`` and ``p``.
    """
    from scipy import stats

    df_b, df_w = k - 1, n - k
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(degenerate, np.nan, np.clip(ssb / sst, 0.0, 1.0))
        ssw = np.maximum(sst - ssb, 0.0)
        msw = ssw / df_w
        testable = ~degenerate & (df_w >= 1) & (df_b >= 1)
        corrected = np.where(testable, (ssb - df_b * msw) / sst, np.nan)
        F = np.where(testable, (ssb / df_b) / msw, np.nan)
    exact = testable & (ssw <= 1e-24 * np.maximum(sst, 1e-300))  # values explain everything
    F = np.where(exact, np.inf, F)
    corrected = np.where(exact, 1.0, corrected)
    p = np.full(F.shape, np.nan)
    ok = testable & ~exact
    p[ok] = stats.f.sf(F[ok], df_b[ok], df_w[ok])
    p[exact] = 0.0
    return {"share": share, "corrected": corrected, "F": F, "p": p}


def noncentral_f_interval(F, d1, d2, n, confidence) -> tuple[np.ndarray, np.ndarray]:
    """Interval of the population share ``lam / (lam + n)`` by inverting the noncentral F.

    ``lam`` is the noncentrality ``SS_between(true means) / sigma^2``; the bounds
    are the ``lam`` at which the observed F is the upper and lower
    ``(1 - confidence) / 2`` quantile (``lam = 0`` when even ``lam = 0`` puts F
    beyond it). Vectorized bisection (60 steps) over all blocks and both bounds at
    once (each element's steps are its own, so this is the same as one bisection per
    bound), on ``scipy.special.ncfdtr`` (what ``scipy.stats.ncf.cdf`` computes for
    these valid arguments, without its per-call argument handling).
    """
    from scipy import special

    a = (1 - confidence) / 2
    low = np.full(F.shape, np.nan)
    high = np.full(F.shape, np.nan)
    ok = np.isfinite(F)
    inf = np.isposinf(F)
    low[inf], high[inf] = 1.0, 1.0
    if not ok.any():
        return low, high
    f, a1, a2, nn = F[ok], d1[ok], d2[ok], n[ok]
    at0 = special.fdtr(a1, a2, f)
    m = len(f)
    # both bounds as one problem: the lower bound's rows (target 1 - a), then the upper's (a)
    target = np.r_[np.full(m, 1 - a), np.full(m, a)]
    lam = _bisect_ncf(np.r_[f, f], np.r_[a1, a1], np.r_[a2, a2], np.r_[at0, at0], target)
    lam_lo, lam_hi = lam[:m], lam[m:]
    low[ok] = lam_lo / (lam_lo + nn)
    high[ok] = lam_hi / (lam_hi + nn)
    return low, high


def _bisect_ncf(f: np.ndarray, d1: np.ndarray, d2: np.ndarray, at0: np.ndarray,
                target: np.ndarray) -> np.ndarray:
    """The noncentrality at which the noncentral F cdf at *f* is *target* (0 where even the
    central F's cdf, *at0*, is at most the target)."""
    from scipy import special

    lam = np.zeros(len(f))
    need = at0 > target  # else the bound is lam = 0
    if not need.any():
        return lam
    fi, b1, b2, t = f[need], d1[need], d2[need], target[need]
    lo = np.zeros(len(fi))
    hi = np.maximum(10.0, 4.0 * b1 * fi)
    for _ in range(60):  # grow the bracket until the cdf falls below the target
        grow = special.ncfdtr(b1, b2, hi, fi) > t
        if not grow.any():
            break
        hi = np.where(grow, hi * 4.0, hi)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        above = special.ncfdtr(b1, b2, mid, fi) > t
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    lam[need] = 0.5 * (lo + hi)
    return lam


# --- Cramér's V ----------------------------------------------------------------------
def cramers_v(
    codes_a: np.ndarray, group_a: np.ndarray, codes_b: np.ndarray, group_b: np.ndarray,
    offset_b: np.ndarray, ngroups: int,
) -> dict[str, np.ndarray]:
    """Cramér's V and the chi-square test per group, from two parameters' level codes.

    ``codes_*`` are per-trial level codes (``-1``: no value) into level tables
    ordered by group; ``group_*`` give each level's group and ``offset_b`` the
    first level of each group of *b*. All groups at once: one ``bincount`` of
    (level of a, group-local level of b).
    """
    from scipy import stats

    both = (codes_a >= 0) & (codes_b >= 0)
    ca, cb = codes_a[both], codes_b[both]
    lb = cb - offset_b[group_b[cb]] if len(cb) else cb
    width = int(lb.max()) + 1 if len(lb) else 1
    nla = len(group_a)
    table = np.bincount(ca * width + lb, minlength=nla * width).reshape(nla, width).astype(float)
    rows = table.sum(axis=1)
    n = np.bincount(group_a, weights=rows, minlength=ngroups)
    colsum = np.zeros((ngroups, width))
    np.add.at(colsum, group_a, table)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = rows[:, None] * colsum[group_a] / n[group_a][:, None]
        contrib = np.where(expected > 0, (table - expected) ** 2 / expected, 0.0)
    chi2 = np.bincount(group_a, weights=contrib.sum(axis=1), minlength=ngroups)
    r = np.bincount(group_a, weights=rows > 0, minlength=ngroups)
    c = (colsum > 0).sum(axis=1)
    m = np.minimum(r, c) - 1
    ok = (m >= 1) & (n > 0)
    v = np.full(ngroups, np.nan)
    p = np.full(ngroups, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        v[ok] = np.sqrt(np.clip(chi2[ok] / (n[ok] * m[ok]), 0.0, 1.0))
    dof = (r - 1) * (c - 1)
    p[ok] = stats.chi2.sf(chi2[ok], dof[ok])
    return {"cramers_v": v, "n_trials": n.astype(np.int64), "p_value": p}


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
    tol = 1e-12 * float(np.max(np.abs(pooled)))  # relative to the values, at any magnitude
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
    y = y / pow2_scale(y)  # exact; F and p are ratios: no square overflows at any scale
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
            f = 0.0 if num <= 1e-24 * float(np.sum(y * y)) else np.inf
            out += [f, 1.0 if f == 0 else 0.0]
        else:
            f = (num / dfn) / s2
            out += [f, float(stats.f.sf(f, dfn, df_den))]
    return out[0], float(df_num), float(df_den), out[1], out[2], out[3]
