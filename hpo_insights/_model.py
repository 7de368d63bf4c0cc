"""The adjusted model: one least-squares model of the objective on all parameters together.

Every claim :func:`hpo_insights.findings` makes about a parameter is a question
asked of this model, fitted once (the statsmodels ``results`` pattern).

Terms (decided once over all studies, so every study and every pooled fit
uses the same columns)
    * a **categorical** parameter (non-numeric values, or a recorded
      ``CategoricalDistribution``), and a numeric one with fewer than
      :data:`SMOOTH_MIN_VALUES` distinct values: one indicator column per level
      except the first (treatment coding);
    * any other numeric parameter: a **smooth term**, the quadratic
      ``z, z**2 - mean(z**2)`` in ``z = (u - mean u) / sd u``, where ``u`` is
      ``log10`` of the value for a log-scale parameter (its recorded
      distribution says ``log``, or, with none recorded, the rule of
      :func:`hpo_insights._binning.is_log_scale`) and the value otherwise.
      No quantile bins.
    * A trial without a value for a parameter (a conditional parameter) gets
      the mean of its study's trials that have one, so the term is centred over
      those and 0 elsewhere.

Fits (all from sufficient statistics)
    Per study ``g`` the design ``X_g`` (all terms) and the objective ``y_g`` are
    centred on the study's means (the study's intercept), divided by one
    scale per column (the root sum of squares over all trials) and ``y`` by its
    largest absolute centred value, so that the fit is scale-free: an
    objective times 1e-300 or 1e300 gives the same tests. What is kept is the
    Gram matrix ``[X_g y_g]' [X_g y_g]`` of each study, its size and the
    column means. :meth:`Model.fit` then solves any model of the form

        ``y = alpha_g + sum_{c in specific} X_g[:, c] beta_{g, c}
                      + sum_{c in common} X_g[:, c] beta_c + e``

    over a set of studies: *specific* columns get one coefficient per study,
    *common* columns one coefficient shared by all (the study stays a block
    factor). A single study with every column specific is that study's
    adjusted model; every column common is the pooled model with the study as
    a block; one parameter common and the rest specific, against all
    specific, is the budget x parameter interaction test with every other
    parameter free to differ between budgets. Solutions use the
    eigendecomposition of the Gram matrix (eigenvalues below ``1e-10`` of the
    largest are taken as zero: aliased columns lower the rank, they do not
    fail).

API
    ``Model.build(done, pcols, y, groups, dists)``; ``model.terms`` (list of
    :class:`Term`, with ``cols`` its column indices); ``model.fit(groups,
    specific, common) -> Fit`` (``rss``, ``rank``, ``df_resid``, ``beta``,
    ``cov_unscaled``, in scaled units); ``model.partial_f(...)``;
    ``model.y_scale`` converts scaled objective units back;
    :meth:`Term.rows` builds the term's columns for new values (grids).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hpo_insights import _binning, _frame

__all__ = ["SMOOTH_MIN_VALUES", "Fit", "Model", "Term"]

SMOOTH_MIN_VALUES = 5  # numeric parameters with at least this many distinct values: smooth
EIG_TOL = 1e-10


@dataclass
class Term:
    """One parameter's columns in the design."""

    param: str  # bare name
    column: str  # params_<name>
    kind: str  # "smooth" or "levels"
    log: bool = False
    center: float = 0.0
    scale: float = 1.0
    qcenter: float = 0.0
    levels: list = field(default_factory=list)  # for "levels": every level, sorted
    numeric: bool = False  # levels are numbers
    cols: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    lower_bound: float = np.nan  # a natural bound of the values (0, 1), NaN if none
    upper_bound: float = np.nan
    dist: dict | None = None

    def u(self, x: np.ndarray) -> np.ndarray:
        """Values on the term's scale (log10 for a log parameter)."""
        x = np.asarray(x, dtype=float)
        if self.log:
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.log10(x)
        return x

    def rows(self, x) -> np.ndarray:
        """The term's design columns (unscaled) for values *x* (smooth terms)."""
        z = (self.u(x) - self.center) / self.scale
        return np.column_stack([z, z * z - self.qcenter])


@dataclass
class Fit:
    """One least-squares fit, in scaled units (see the module docstring)."""

    rss: float
    rank: int
    n: int
    df_resid: int
    beta: np.ndarray  # coefficients of the fitted columns, in the order asked
    cov_unscaled: np.ndarray  # pseudo-inverse of the Gram matrix (times sigma^2: covariance)
    index: dict  # (group or None, column) -> position in beta

    @property
    def mse(self) -> float:
        return self.rss / self.df_resid if self.df_resid > 0 else np.nan


class Model:
    """Sufficient statistics of the adjusted model of every study (see the module docstring)."""

    def __init__(self) -> None:
        self.terms: list[Term] = []
        self.grams: np.ndarray  # (ngroups, p + 1, p + 1)
        self.n: np.ndarray  # trials per group
        self.xbar: np.ndarray  # (ngroups, p) column means, scaled units
        self.ybar: np.ndarray  # (ngroups,) objective means, scaled units
        self.col_scale: np.ndarray
        self.y_scale: float = 1.0
        self.y_shift: float = 0.0
        self.p: int = 0

    # --- building ---------------------------------------------------------------
    @classmethod
    def build(cls, done: pd.DataFrame, pcols: list[str], y: np.ndarray, gcodes: np.ndarray,
              ngroups: int, dists: dict[str, dict | None]) -> Model:
        """Terms from the trials *done* (rows aligned with *y* and *gcodes*), then the Grams."""
        self = cls()
        n = len(y)
        blocks, masks = [], []
        start = 0
        for pcol in pcols:
            term, block, has = _term(done[pcol], pcol, dists.get(pcol))
            if term is None or block.shape[1] == 0:
                continue
            term.cols = np.arange(start, start + block.shape[1])
            start += block.shape[1]
            self.terms.append(term)
            blocks.append(block)
            masks.append(has)
        self.p = start
        X = np.column_stack(blocks) if blocks else np.zeros((n, 0))
        # conditional parameters: a missing value takes its study's mean of the present ones
        for term, has in zip(self.terms, masks, strict=True):
            if has.all():
                continue
            for c in term.cols:
                col = X[:, c]
                sums = np.bincount(gcodes[has], weights=col[has], minlength=ngroups)
                cnt = np.bincount(gcodes[has], minlength=ngroups)
                with np.errstate(invalid="ignore", divide="ignore"):
                    mean = np.where(cnt > 0, sums / np.maximum(cnt, 1), 0.0)
                X[~has, c] = mean[gcodes[~has]]
        self.n = np.bincount(gcodes, minlength=ngroups)
        cnt = np.maximum(self.n, 1)
        # scale y first (values near 1e300 would overflow any square)
        yf = np.asarray(y, dtype=float)
        big = float(np.max(np.abs(yf))) if n else 1.0
        big = big if np.isfinite(big) and big > 0 else 1.0
        ys = yf / big
        ymean = np.bincount(gcodes, weights=ys, minlength=ngroups) / cnt
        yc = ys - ymean[gcodes]
        yspread = float(np.max(np.abs(yc))) if n else 0.0
        yspread = yspread if yspread > 0 else 1.0
        yc = yc / yspread
        self.y_scale = big * yspread  # scaled objective * y_scale = objective units
        self.ybar = ymean / yspread
        xmean = np.zeros((ngroups, self.p))
        for c in range(self.p):
            xmean[:, c] = np.bincount(gcodes, weights=X[:, c], minlength=ngroups) / cnt
        Xc = X - xmean[gcodes]
        scale = np.sqrt(np.einsum("ij,ij->j", Xc, Xc))
        scale = np.where(scale > 0, scale, 1.0)
        self.col_scale = scale
        Xc = Xc / scale
        self.X, self.yc = Xc, yc  # centred and scaled design and objective (residuals)
        self.xbar = xmean / scale
        Z = np.column_stack([Xc, yc])
        order = np.argsort(gcodes, kind="stable")
        bounds = np.searchsorted(gcodes[order], np.arange(ngroups + 1))
        self.grams = np.zeros((ngroups, self.p + 1, self.p + 1))
        for g in range(ngroups):
            rows = order[bounds[g]:bounds[g + 1]]
            zg = Z[rows]
            self.grams[g] = zg.T @ zg
        return self

    # --- fitting ----------------------------------------------------------------
    def fit(self, groups, specific, common=()) -> Fit:
        """Least squares over *groups* with *specific* (per group) and *common* columns."""
        groups = [int(g) for g in groups]
        specific = np.asarray(specific, dtype=np.intp)
        common = np.asarray(common, dtype=np.intp)
        if len(groups) > 1 and not len(common):
            return self._separate(groups, specific)
        if len(groups) > 1 and len(specific):
            return self._eliminated(groups, specific, common)
        return self._joint(groups, specific, common)

    def _joint(self, groups: list[int], specific: np.ndarray, common: np.ndarray) -> Fit:
        """Every coefficient solved at once: one group, or shared columns only."""
        A, b, yy, index = self._normal_equations(groups, specific, common)
        ntr = int(self.n[groups].sum())
        if not len(b):
            return Fit(rss=float(yy), rank=0, n=ntr, df_resid=ntr - len(groups), beta=np.zeros(0),
                       cov_unscaled=np.zeros((0, 0)), index=index)
        inv, rank = _pinv(A)
        beta = inv @ b
        rss = max(float(yy - b @ beta), 0.0)
        return Fit(rss=rss, rank=rank, n=ntr, df_resid=ntr - len(groups) - rank, beta=beta,
                   cov_unscaled=inv, index=index)

    def _normal_equations(self, groups: list[int], specific: np.ndarray,
                          common: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, dict]:
        """``A = X'X``, ``b = X'y``, ``y'y`` of the model, from the groups' Gram matrices.

        Coefficients: the common columns first, then each group's specific ones.
        """
        y = self.p
        nc, ns = len(common), len(specific)
        index: dict = {(None, int(c)): i for i, c in enumerate(common)}
        for k, g in enumerate(groups):
            for j, c in enumerate(specific):
                index[(g, int(c))] = nc + k * ns + j
        P = nc + len(groups) * ns
        A = np.zeros((P, P))
        b = np.zeros(P)
        yy = 0.0
        for k, g in enumerate(groups):
            G = self.grams[g]
            yy += G[y, y]
            A[:nc, :nc] += G[np.ix_(common, common)]
            b[:nc] += G[common, y]
            s = slice(nc + k * ns, nc + (k + 1) * ns)
            A[s, s] = G[np.ix_(specific, specific)]
            b[s] = G[specific, y]
            A[s, :nc] = G[np.ix_(specific, common)]
            A[:nc, s] = A[s, :nc].T
        return A, b, float(yy), index

    def _eliminated(self, groups: list[int], specific: np.ndarray, common: np.ndarray) -> Fit:
        """Shared columns after each group's own columns are projected out (Frisch-Waugh).

        With ``P_g`` the projection on group *g*'s specific columns, the shared
        coefficients solve ``sum_g C_g' (I - P_g) C_g beta = sum_g C_g' (I - P_g) y_g``,
        where ``C' (I - P) C = C'C - C'S (S'S)^+ S'C`` from the Gram matrix alone;
        the rank is the groups' specific ranks plus that of the summed matrix.
        Linear in the number of groups. Only the shared coefficients are returned.
        """
        y = self.p
        nc = len(common)
        A = np.zeros((nc, nc))
        b = np.zeros(nc)
        yy = 0.0
        rank = 0
        for g in groups:
            G = self.grams[g]
            inv, k = _pinv(G[np.ix_(specific, specific)])
            B = G[np.ix_(specific, common)]
            bs = G[specific, y]
            A += G[np.ix_(common, common)] - B.T @ inv @ B
            b += G[common, y] - B.T @ inv @ bs
            yy += G[y, y] - bs @ inv @ bs
            rank += k
        inv, k = _pinv(A)
        beta = inv @ b
        rss = max(float(yy - b @ beta), 0.0)
        rank += k
        n = int(self.n[groups].sum())
        index = {(None, int(c)): i for i, c in enumerate(common)}
        return Fit(rss=rss, rank=rank, n=n, df_resid=n - len(groups) - rank, beta=beta,
                   cov_unscaled=inv, index=index)

    def _separate(self, groups: list[int], specific: np.ndarray) -> Fit:
        """A block-diagonal fit (no shared column) as the sum of the groups' own fits."""
        fits = [self.fit([g], specific) for g in groups]
        P = sum(len(f.beta) for f in fits)
        beta = np.concatenate([f.beta for f in fits]) if P else np.zeros(0)
        cov = np.zeros((P, P))
        index: dict = {}
        pos = 0
        for g, f in zip(groups, fits, strict=True):
            k = len(f.beta)
            cov[pos:pos + k, pos:pos + k] = f.cov_unscaled
            for (_, c), i in f.index.items():
                index[(g, c)] = pos + i
            pos += k
        rank = sum(f.rank for f in fits)
        n = sum(f.n for f in fits)
        return Fit(rss=float(sum(f.rss for f in fits)), rank=rank, n=n,
                   df_resid=n - len(groups) - rank, beta=beta, cov_unscaled=cov, index=index)

    def all_cols(self) -> np.ndarray:
        return np.arange(self.p)

    def without(self, term: Term) -> np.ndarray:
        return np.setdiff1d(np.arange(self.p), term.cols)


def _pinv(A: np.ndarray) -> tuple[np.ndarray, int]:
    """Pseudo-inverse of a symmetric matrix and its rank (eigenvalues below EIG_TOL of the
    largest count as zero)."""
    vals, vecs = np.linalg.eigh(A)
    top = float(vals.max()) if len(vals) else 0.0
    keep = vals > EIG_TOL * max(top, 1e-300)
    return (vecs[:, keep] / vals[keep]) @ vecs[:, keep].T, int(keep.sum())


def partial_f(full: Fit, reduced: Fit, denom: Fit | None = None) -> tuple[float, int, int]:
    """p-value, numerator and denominator df of the F test of *reduced* against *full*.

    The denominator is the mean square residual of *denom* (default *full*),
    a model that contains both.
    """
    from scipy import stats

    denom = full if denom is None else denom
    df1 = full.rank - reduced.rank
    df2 = denom.df_resid
    if df1 < 1 or df2 < 1:
        return np.nan, df1, df2
    ss = max(reduced.rss - full.rss, 0.0)
    ms = denom.rss / df2
    if ms <= 1e-28:
        return (0.0 if ss > 1e-28 else 1.0), df1, df2
    return float(stats.f.sf((ss / df1) / ms, df1, df2)), df1, df2


# --- terms ------------------------------------------------------------------------
def _term(values: pd.Series, pcol: str, dist: dict | None):
    """The term of one parameter and its unscaled design columns (before centring)."""
    name = pcol[len(_frame.PARAM_PREFIX):]
    has = values.notna().to_numpy()
    if not has.any():
        return None, np.zeros((len(values), 0)), has
    vals, numeric = _binning.as_numeric(values)
    categorical = not numeric or (dist or {}).get("name") == "CategoricalDistribution"
    x = None
    if numeric:
        x = pd.to_numeric(vals, errors="coerce").to_numpy(dtype=float)
        has = has & np.isfinite(x)
        if not has.any():
            return None, np.zeros((len(values), 0)), has
    if not categorical and len(np.unique(x[has])) >= SMOOTH_MIN_VALUES:
        term, block = _smooth_term(name, pcol, x, has, dist)
        return term, block, has
    # levels (categorical or few numeric values)
    term, block = _levels_term(name, pcol, vals, x, has, numeric, categorical, dist)
    return term, block, has


def _smooth_term(name: str, pcol: str, x: np.ndarray, has: np.ndarray,
                 dist: dict | None) -> tuple[Term, np.ndarray]:
    """A numeric parameter with many values: the quadratic in its standardized scale."""
    xs = x[has]
    log = bool(_binning.is_log_scale(xs, dist))
    term = Term(param=name, column=pcol, kind="smooth", log=log, dist=dist)
    u = term.u(xs)
    # scale first, so that huge values do not overflow the squares
    big = float(np.max(np.abs(u)))
    big = big if big > 0 and np.isfinite(big) else 1.0
    term.center = float(np.mean(u / big)) * big
    term.scale = float(np.std(u / big)) * big or 1.0
    z = (u - term.center) / term.scale
    term.qcenter = float(np.mean(z * z))
    low, high = float(xs.min()), float(xs.max())
    lo_d, hi_d = _dist_bounds(dist)
    if low >= 0 and (lo_d is None or lo_d >= 0):
        term.lower_bound = 0.0
    if high <= 1 and low >= 0 and (hi_d is None or hi_d <= 1) and not log:
        term.upper_bound = 1.0
    block = np.zeros((len(x), 2))
    block[has] = term.rows(xs)
    return term, block


def _levels_term(name: str, pcol: str, vals: pd.Series, x: np.ndarray | None, has: np.ndarray,
                 numeric: bool, categorical: bool,
                 dist: dict | None) -> tuple[Term, np.ndarray]:
    """Indicators of every level but the first (treatment coding)."""
    if numeric:
        uniq = sorted(pd.unique(x[has]).tolist())
        key = x
    else:
        uniq = _binning.ordered_levels(list(pd.unique(vals[has].astype(object))))
        key = vals.astype(object).to_numpy()
    term = Term(param=name, column=pcol, kind="levels", levels=uniq,
                numeric=bool(numeric and not categorical), dist=dist)
    if term.numeric:
        _level_bounds(term, uniq, dist)
    if len(uniq) < 2:
        return term, np.zeros((len(vals), 0))
    idx = pd.Index(uniq).get_indexer(key[has])
    block = np.zeros((len(vals), len(uniq) - 1))
    rows = np.flatnonzero(has)
    sel = idx > 0
    block[rows[sel], idx[sel] - 1] = 1.0
    return term, block


def _level_bounds(term: Term, uniq: list, dist: dict | None) -> None:
    """Natural bounds of a numeric parameter with few values (0; 1 for fractions in [0, 1])."""
    lo_d, hi_d = _dist_bounds(dist)
    if uniq[0] >= 0 and (lo_d is None or lo_d >= 0):
        term.lower_bound = 0.0
    if uniq[-1] <= 1 and uniq[0] >= 0 and (hi_d is None or hi_d <= 1) and any(
            not float(v).is_integer() for v in uniq):
        term.upper_bound = 1.0


def _dist_bounds(dist: dict | None) -> tuple[float | None, float | None]:
    attrs = (dist or {}).get("attributes") or {}
    lo, hi = attrs.get("low"), attrs.get("high")
    return (float(lo) if lo is not None else None, float(hi) if hi is not None else None)


def level_codes(term: Term, values: pd.Series) -> np.ndarray:
    """Index of each row's level in ``term.levels`` (-1 when missing)."""
    vals, numeric = _binning.as_numeric(values)
    if term.numeric or (numeric and all(isinstance(v, int | float) for v in term.levels)):
        key = pd.to_numeric(vals, errors="coerce").to_numpy(dtype=float)
    else:
        key = vals.astype(object).to_numpy()
    return pd.Index(term.levels).get_indexer(key)
