"""Design-space (search-space) importance: an additive model reweighted toward the search space.

The marginal shares of :func:`hpo_insights.variance_explained` describe the
variance among the trials that were tried. An adaptive sampler (TPE) piles
trials up near the optimum, so those shares say little about how much each
parameter matters over the space that was *searched*. This module estimates
the latter:

1. Each parameter gets a *search-space distribution* from its recorded
   Optuna distribution (``distributions_<name>``): uniform over the choices of
   a categorical, over the values ``low, low + step, ..., high`` of an integer
   or stepped float (log-integers with Optuna's probabilities), continuous
   uniform over ``[low, high]`` for floats, on the log scale when ``log``.
   Without a recorded distribution the observed values stand in (see
   :func:`terms`).
2. Optionally (``reweight=True``) each trial is weighted by
   ``prod_j q_j(x_j) / p_j(x_j)``: search-space mass over sampling frequency
   of the cell (level, or equal-width bin of the parameter's scale) its value
   falls in, per parameter. Weights are scaled to mean 1 and clipped at
   ``max_weight``. Without weights every trial counts once.
3. A (weighted) least-squares main-effects (additive) model is fitted: one-hot
   terms for parameters with few levels, Legendre polynomials of degree
   ``degree`` in the parameter's (log) scale mapped onto [-1, 1] otherwise.
4. Each parameter's fitted component ``f_j`` is evaluated on the search-space
   distribution (its levels, or a Gauss-Legendre rule of ``NODES`` points) and
   ``V_j = Var_q(f_j)``. For an additive function the variance under the
   (product) search-space distribution is exactly ``sum_j V_j``; the share of
   *j* is ``V_j / sum_k V_k``. The part of ``V_j`` expected from noise alone
   is ``trace(M_j Cov(beta_j))`` (see :func:`fit_group`).

Everything is vectorized per (group, parameter); no loop runs over trials.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from hpo_insights import _binning, _frame, _mask, _stats
from hpo_insights._errors import TrialsError, TrialsWarning

#: Quadrature points of a continuous parameter's component (exact for polynomials to degree 63).
NODES = 32
#: Pseudo-count added to every cell when estimating sampling frequencies.
ALPHA = 0.5
#: Legacy Optuna distribution names and what they mean today.
_LEGACY = {
    "UniformDistribution": ("FloatDistribution", False),
    "LogUniformDistribution": ("FloatDistribution", True),
    "DiscreteUniformDistribution": ("FloatDistribution", False),
    "IntUniformDistribution": ("IntDistribution", False),
    "IntLogUniformDistribution": ("IntDistribution", True),
}


@dataclass(frozen=True)
class Term:
    """One parameter's part of the additive model, for the rows of one group.

    ``cell[i]`` is the cell (level or bin) of row *i*, ``-1`` when the value
    lies outside the search space; ``mass[c]`` is the search-space
    probability of cell *c*. ``kind`` is ``"levels"`` (one-hot over
    ``level[i]``, levels with probabilities ``q``) or ``"smooth"`` (Legendre
    polynomials of ``t[i]`` in [-1, 1], quadrature nodes ``nodes`` with
    probabilities ``q``).
    """

    kind: str
    cell: np.ndarray
    mass: np.ndarray
    level: np.ndarray | None = None
    t: np.ndarray | None = None
    nodes: np.ndarray | None = None
    q: np.ndarray | None = None
    source: str = "distribution"


def n_cells(n: int) -> int:
    """Equal-width bins of a smooth parameter's scale for its sampling frequency.

    ``round(1.5 * n ** (1/3))`` clipped to [2, 25]: 7 bins at 100 trials, 15
    at 1,000, 25 from about 4,400 trials on.
    """
    return int(min(25, max(2, round(1.5 * n ** (1.0 / 3.0)))))


def _spec(dist: dict | None) -> dict | None:
    """A recorded distribution as ``{"kind", "low", "high", "log", "step", "choices"}``."""
    if dist is None:
        return None
    name = dist.get("name")
    attrs = dist.get("attributes") or {}
    log = bool(attrs.get("log", False))
    if name in _LEGACY:
        name, log = _LEGACY[name]
    if name == "CategoricalDistribution":
        return {"kind": "categorical", "choices": list(attrs.get("choices", []))}
    if name not in ("FloatDistribution", "IntDistribution"):
        return None
    low, high = float(attrs["low"]), float(attrs["high"])
    step = attrs.get("step", attrs.get("q"))
    if name == "IntDistribution":
        step = 1 if step is None else step
    return {
        "kind": "int" if name == "IntDistribution" else "float",
        "low": low,
        "high": high,
        "log": log,
        "step": None if step is None else float(step),
    }


def _level_codes(values: np.ndarray, low: float, step: float, k: int) -> np.ndarray:
    """Index of each value on the grid ``low + step * i`` (``-1`` when off the grid)."""
    pos = (values - low) / step
    code = np.rint(pos)
    ok = np.isfinite(pos) & (np.abs(pos - code) <= 1e-6) & (code >= 0) & (code < k)
    return np.where(ok, code, -1).astype(np.intp)


def _smooth(
    scale: np.ndarray, a: float, b: float, nodes_scale: np.ndarray | None, q: np.ndarray | None,
    n: int,
) -> Term:
    """A smooth term on [a, b] of a (log) scale; Gauss-Legendre nodes unless *nodes_scale*."""
    width = b - a
    with np.errstate(invalid="ignore", divide="ignore"):
        t = 2.0 * (scale - a) / width - 1.0 if width > 0 else np.zeros_like(scale)
    tol = 1e-9
    inside = np.isfinite(t) & (t >= -1.0 - tol) & (t <= 1.0 + tol)
    t = np.clip(np.where(inside, t, 0.0), -1.0, 1.0)
    c = n_cells(n)
    cell = np.minimum(((t + 1.0) * 0.5 * c).astype(np.intp), c - 1)
    cell = np.where(inside, cell, -1)
    if nodes_scale is None:
        nodes, wts = np.polynomial.legendre.leggauss(NODES)
        q = wts / wts.sum()
        mass = np.full(c, 1.0 / c)
    else:
        nodes = 2.0 * (nodes_scale - a) / width - 1.0 if width > 0 else np.zeros_like(nodes_scale)
        node_cell = np.minimum(((nodes + 1.0) * 0.5 * c).astype(np.intp), c - 1)
        mass = np.bincount(node_cell, weights=q, minlength=c)
    return Term(kind="smooth", cell=cell, mass=mass, t=t, nodes=nodes, q=q)


def _levels(code: np.ndarray, q: np.ndarray, source: str = "distribution") -> Term:
    return Term(kind="levels", cell=code, mass=q, level=code, q=q, source=source)


def _grid_term(values: np.ndarray, spec: dict, max_levels: int, n: int) -> Term:
    """An integer or stepped-float parameter: a grid of values with search probabilities."""
    low, high, step = spec["low"], spec["high"], spec["step"]
    k = int(math.floor((high - low) / step + 1e-9)) + 1
    grid = low + step * np.arange(k)
    if spec["log"] and spec["kind"] == "int" and low >= 1:
        # Optuna draws log-integers uniformly in [log(low - .5), log(high + .5)] and rounds.
        edges = np.log(np.concatenate([grid - 0.5 * step, [grid[-1] + 0.5 * step]]))
        q = np.diff(edges) / (edges[-1] - edges[0])
    else:
        q = np.full(k, 1.0 / k)
    code = _level_codes(values, low, step, k)
    if k <= max_levels:
        return _levels(code, q)
    use_log = spec["log"] and low > 0
    scale_grid = np.log(grid) if use_log else grid
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.log(values) if use_log else values.astype(float)
    smooth = _smooth(scale, scale_grid[0], scale_grid[-1], scale_grid, q, n)
    return replace(smooth, cell=np.where(code >= 0, smooth.cell, -1))


def _categorical_term(values: pd.Series, choices: list, source: str) -> Term:
    # An object index matches like a dict (2 == 2.0), first occurrence of a repeated choice.
    index = pd.Index(choices, dtype=object)
    if not index.is_unique:
        index = index.drop_duplicates()
    code = np.asarray(index.get_indexer(values.astype(object)), dtype=np.intp)
    k = len(index)
    return _levels(code, np.full(k, 1.0 / k), source)


def term(values: pd.Series, dist: dict | None, *, max_levels: int, n: int) -> Term:
    """The search-space term of one parameter from its values (one group) and distribution.

    Without a recorded distribution (``source="observed"``): non-numeric
    values, numbers with at most *max_levels* distinct values and whole
    numbers with at most ``4 * max_levels`` are uniform over the values seen
    (one-hot, or a smooth term over those values); other numbers are uniform
    over ``[min, max]`` seen, on the log scale when all are positive and
    ``max / min > 100``.
    """
    spec = _spec(dist)
    if spec is not None and spec["kind"] == "categorical":
        return _categorical_term(values, spec["choices"], "distribution")
    if spec is not None:
        x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        if spec["step"] is not None:
            return _grid_term(x, spec, max_levels, n)
        use_log = spec["log"] and spec["low"] > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.log(x) if use_log else x
        a, b = (math.log(spec["low"]), math.log(spec["high"])) if use_log else (
            spec["low"], spec["high"])
        return _smooth(scale, a, b, None, None, n)
    # No recorded distribution: the observed values stand in for the search space.
    if not _frame.is_numeric_param(values):
        numeric = pd.api.types.infer_dtype(values, skipna=True) in (
            "integer", "floating", "mixed-integer-float")
        if not numeric:
            seen = list(pd.unique(values))
            try:
                seen = sorted(seen)
            except TypeError:
                pass
            return _categorical_term(values, seen, "observed")
        values = pd.to_numeric(values)
    x = values.to_numpy(dtype=float)
    uniq = np.unique(x)
    whole = bool(np.all(uniq == np.round(uniq)))
    if len(uniq) <= max_levels or (whole and len(uniq) <= 4 * max_levels):
        code = np.searchsorted(uniq, x).astype(np.intp)
        if len(uniq) <= max_levels:
            return _levels(code, np.full(len(uniq), 1.0 / len(uniq)), "observed")
        t = _smooth(x, uniq[0], uniq[-1], uniq, np.full(len(uniq), 1.0 / len(uniq)), n)
        return replace(t, source="observed")
    lo, hi = float(uniq[0]), float(uniq[-1])
    use_log = lo > 0 and hi / lo > 100
    scale = np.log(x) if use_log else x
    a, b = (math.log(lo), math.log(hi)) if use_log else (lo, hi)
    t = _smooth(scale, a, b, None, None, n)
    return replace(t, source="observed")


def weights(terms: Sequence[Term], rows: np.ndarray, max_weight: float) -> np.ndarray:
    """``prod_j mass_j(cell) / freq_j(cell)`` over *rows*, mean 1, clipped at *max_weight*.

    ``freq_j(c) = (n_c + ALPHA) / (n + ALPHA * C_j)`` is the smoothed sampling
    frequency of cell *c* among the rows. Weights are scaled to mean 1,
    clipped at *max_weight* and scaled to mean 1 again (repeated until the
    cap holds).
    """
    n = len(rows)
    logw = np.zeros(n)
    for tm in terms:
        cell = tm.cell[rows]
        c = len(tm.mass)
        count = np.bincount(cell, minlength=c)
        freq = (count + ALPHA) / (n + ALPHA * c)
        with np.errstate(divide="ignore"):
            logw += np.log(tm.mass[cell]) - np.log(freq[cell])
    return _clipped(np.exp(logw - logw.max()), max_weight)


def _clipped(w: np.ndarray, max_weight: float) -> np.ndarray:
    w = w / w.mean()
    if np.isfinite(max_weight):
        for _ in range(20):  # clip, rescale; a few rounds settle the cap
            if w.max() <= max_weight * (1 + 1e-9):
                break
            w = np.minimum(w, max_weight)
            w /= w.mean()
    return w


def _legendre(t: np.ndarray, degree: int) -> np.ndarray:
    return np.polynomial.legendre.legvander(t, degree)[:, 1:]


def _coefficient_draws(
    beta: np.ndarray, cov: np.ndarray | None, n_draws: int, seed: int | None, df: int = 0,
) -> np.ndarray | None:
    """``n_draws`` coefficient vectors (columns) from their sampling distribution, or None.

    ``beta + L z sqrt(df / c)``: ``L L' = cov``, ``z`` standard normal, ``c`` chi-squared
    with *df* (the residual degrees of freedom) per draw, so the draws are multivariate
    t: the noise variance behind *cov* is itself estimated (the posterior of the
    coefficients of a normal linear model under a flat prior). ``df=0`` leaves it
    out (normal draws).
    """
    if cov is None or n_draws <= 0:
        return None
    vals, vecs = np.linalg.eigh((cov + cov.T) / 2.0)
    root = vecs * np.sqrt(np.clip(vals, 0.0, None))
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((len(beta), n_draws))
    spread = root @ z
    if df > 0:
        spread *= np.sqrt(df / rng.chisquare(df, n_draws))
    return beta[:, None] + spread


def _inside(terms: Sequence[Term]) -> np.ndarray:
    """Rows whose every parameter lies inside its search space."""
    inside = np.ones(len(terms[0].cell), dtype=bool)
    for tm in terms:
        inside &= tm.cell >= 0
    return np.flatnonzero(inside)


def _level_block(tm: Term, rows: np.ndarray, w: np.ndarray) -> tuple:
    """One-hot columns of the levels tried (the most tried one is the reference)."""
    lv = tm.level[rows]
    k = len(tm.q)
    tried = np.bincount(lv, weights=w, minlength=k)
    seen = tried > 0
    ref = int(np.argmax(tried))
    cols = np.flatnonzero(seen & (np.arange(k) != ref))
    pos = np.full(k, -1)
    pos[cols] = np.arange(len(cols))
    x = np.zeros((len(rows), len(cols)))
    hit = pos[lv] >= 0
    x[np.flatnonzero(hit), pos[lv][hit]] = 1.0
    node = np.zeros((k, len(cols)))
    node[cols, np.arange(len(cols))] = 1.0
    q = np.where(seen, tm.q, 0.0)  # levels never tried carry no estimate
    q = q / q.sum() if q.sum() > 0 else q
    return x, node, q


def _smooth_block(tm: Term, rows: np.ndarray, degree: int) -> tuple:
    """Legendre columns of a smooth term (degree at most the distinct values tried - 1)."""
    d = min(degree, max(len(np.unique(tm.t[rows])) - 1, 0))
    return _legendre(tm.t[rows], d), _legendre(tm.nodes, d), tm.q


def _least_squares(design: np.ndarray, yy: np.ndarray, w: np.ndarray, reweight: bool) -> dict:
    """Weighted least squares from the normal equations: beta, R², and Cov(beta)."""
    n, p = design.shape
    # Normal equations: two p x p products instead of a factorization of the n x p design.
    xtw = design.T if not reweight else design.T * w
    gram = xtw @ design
    inv = np.linalg.pinv(gram, rcond=1e-12, hermitian=True)
    beta = inv @ (xtw @ yy)
    fitted = design @ beta
    ybar = float(np.average(yy, weights=w))
    tss = float(np.sum(w * (yy - ybar) ** 2))
    rss = float(np.sum(w * (yy - fitted) ** 2))
    cov = None
    if n > p:  # sampling covariance of beta (sandwich form, homoscedastic noise)
        s2 = float(np.sum((yy - fitted) ** 2)) / (n - p)
        middle = gram if not reweight else (xtw * w) @ design
        cov = s2 * (inv @ middle @ inv)
    return {"beta": beta, "cov": cov, "r2": 1.0 - rss / tss if tss > 0 else float("nan")}


def _wald(b: np.ndarray, c: np.ndarray) -> float:
    """The Wald statistic of coefficients *b* over their number (a partial F)."""
    if not len(b):
        return float("nan")
    if np.trace(c) > 0:
        return float(b @ np.linalg.pinv(c, hermitian=True) @ b) / len(b)
    # an exact fit: no noise, every non-zero component is all signal
    return np.inf if np.any(b != 0) else float("nan")


def _component(node: np.ndarray, q: np.ndarray, beta: np.ndarray, cov: np.ndarray | None,
               draws: np.ndarray | None) -> tuple[float, float, float, np.ndarray | None]:
    """Variance of one fitted component over its search-space distribution, with its chance
    part, Wald statistic and the variance for every coefficient draw."""
    f = node @ beta
    var = max(float(q @ (f - float(q @ f)) ** 2), 0.0)
    chance = wald = float("nan")
    if cov is not None:
        centred = node - q @ node
        m = centred.T @ (centred * q[:, None])
        chance = max(float(np.sum(m * cov)), 0.0)
        wald = _wald(beta, cov)
    var_draws = None
    if draws is not None:
        fd = node @ draws  # the component at every node, for every draw
        var_draws = q @ (fd - q @ fd) ** 2
    return var, chance, wald, var_draws


def fit_group(
    terms: Sequence[Term], y: np.ndarray, *, degree: int, max_weight: float, reweight: bool,
    n_draws: int = 0, seed: int | None = 0,
) -> dict[str, np.ndarray | float]:
    """Fit the weighted additive model of one group; per-parameter component variances.

    Returns ``variance`` (``V_j`` per term, NaN when the fit is impossible),
    ``n_used`` (rows inside the search space), ``n_outside``, ``n_eff``
    (Kish's effective sample size of the weights), ``r2`` (weighted R² of
    the fitted model), ``wald`` (each term's Wald statistic over its degrees
    of freedom: its partial F in this fit), ``df_term`` and ``df_resid``
    (the degrees of freedom of that F) and ``variance_draws`` (``V_j`` for
    *n_draws* coefficient vectors drawn from their sampling distribution,
    multivariate t with ``df_resid`` degrees of freedom, seeded by *seed*: the
    spread of the whole-space variance, extrapolation included).
    """
    rows = _inside(terms)
    n = len(rows)
    nan = np.full(len(terms), np.nan)
    out: dict = {"variance": nan, "chance": nan, "n_used": n, "n_outside": len(y) - n,
                 "n_eff": float("nan"), "r2": float("nan"), "coverage": nan, "wald": nan,
                 "df_term": nan, "df_resid": 0, "variance_draws": np.full((len(terms), 0), np.nan)}
    if n == 0:
        return out
    out["coverage"] = np.array([
        float(tm.mass[np.bincount(tm.cell[rows], minlength=len(tm.mass)) > 0].sum()) for tm in terms
    ])
    w = weights(terms, rows, max_weight) if reweight else np.ones(n)
    out["n_eff"] = float(w.sum() ** 2 / (w * w).sum())
    blocks = [_level_block(tm, rows, w) if tm.kind == "levels" else
              _smooth_block(tm, rows, degree) for tm in terms]
    design = np.column_stack([np.ones(n), *(b[0] for b in blocks)])
    p = design.shape[1]
    if n < p:
        return out
    # the fit on y over a power of two (exact): no square overflows or underflows at any
    # magnitude; variances are scaled back at the end (inf past the float range)
    unit = _stats.pow2_scale(y[rows])
    out["unit"] = unit
    fit = _least_squares(design, y[rows] / unit, w, reweight)
    out["r2"], out["df_resid"] = fit["r2"], n - p
    draws = _coefficient_draws(fit["beta"], fit["cov"], n_draws, seed, df=n - p)
    var, chance, wald = np.empty(len(terms)), np.full(len(terms), np.nan), np.full(len(terms),
                                                                                  np.nan)
    var_draws = np.full((len(terms), 0 if draws is None else draws.shape[1]), np.nan)
    spans = np.cumsum([1] + [b[0].shape[1] for b in blocks])
    for j, (_, node, q) in enumerate(blocks):
        sl = slice(spans[j], spans[j + 1])
        cov = None if fit["cov"] is None else fit["cov"][sl, sl]
        var[j], chance[j], wald[j], vd = _component(
            node, q, fit["beta"][sl], cov, None if draws is None else draws[sl])
        if vd is not None:
            var_draws[j] = vd
    out["df_term"] = np.diff(spans).astype(float)
    out["variance_scaled"], out["chance_scaled"] = var, chance
    out["wald"], out["variance_draws"] = wald, var_draws
    with np.errstate(over="ignore"):
        out["variance"] = var * unit * unit
        out["chance"] = chance * unit * unit
    return out


def search_space_shares(
    trials: pd.DataFrame,
    *,
    params: str | Sequence[str] | None,
    objective: str | None,
    by: str | None,
    degree: int,
    max_levels: int,
    max_weight: float,
    reweight: bool,
    exclude_collapsed: bool = True,
    confidence: float = 0.95,
    n_draws: int = 1000,
    seed: int | None = 0,
) -> pd.DataFrame:
    """The table of :func:`hpo_insights.search_space_importance` (arguments checked there)."""
    pcols = _frame.param_columns(trials, params)
    trials, excluded = _drop_collapsed(trials, by, exclude_collapsed)
    done, ycol, codes, groups = _binning.prepare(trials, objective=objective, by=by, columns=pcols)
    complete = done[pcols].notna().all(axis=1).to_numpy()
    dists = _binning.distributions(trials, pcols, by)
    y_all = done[ycol].to_numpy(dtype=float)
    counts = np.bincount(codes, minlength=len(groups))
    _binning.warn_empty_groups(groups, counts, by)
    rows, notes = [], {"missing": 0, "outside": 0, "few": [], "const": [], "conditional": []}
    fit_args = {"degree": degree, "max_weight": max_weight, "reweight": reweight,
                "n_draws": n_draws, "seed": seed}
    for g, key in enumerate(groups):
        if counts[g] == 0:
            notes["missing"] += int(((codes == g) & ~complete).sum())
            continue
        gcols, sel = _group_members(done, pcols, codes == g, complete, params is None, notes, key)
        dist_key = "all" if by is None else key
        fitted: list[dict] = []
        if len(sel):
            sub = done.iloc[sel]
            terms = [term(sub[p], dists[p].get(dist_key), max_levels=max_levels, n=len(sel))
                     for p in gcols]
            res = fit_group(terms, y_all[sel], **fit_args)
            notes["outside"] += int(res["n_outside"])
            fitted = _fitted_rows(res, terms, gcols, y_all[sel], confidence, notes, key)
        for row in fitted:
            row.update(_g=g, n_excluded=int(excluded.get(key, 0)))
        done_params = {r["param"] for r in fitted}
        rows += fitted + [
            {"_g": g, "param": p[len(_frame.PARAM_PREFIX):], "n_trials": 0,
             "n_excluded": int(excluded.get(key, 0)),
             "source": "distribution" if dists[p].get(dist_key) else "observed"}
            for p in pcols if p[len(_frame.PARAM_PREFIX):] not in done_params
        ]
    if not any("share" in r for r in rows):
        names = [p[len(_frame.PARAM_PREFIX):] for p in pcols]
        raise TrialsError(
            "No completed trial has a value for every parameter asked "
            f"({', '.join(names)}): pass params= naming parameters that every trial has."
        )
    _warn(notes, len(groups))
    return _result(rows, groups, by)


def _drop_collapsed(trials: pd.DataFrame, by: str | None, exclude: bool) -> tuple:
    """The trials without the collapsed ones, and how many were left out per group."""
    if not exclude:
        return trials, {}
    mask = _mask.collapsed(trials)
    if not mask.any():
        return trials, {}
    if by is None:
        excluded = {"all": int(mask.sum())}
    else:
        excluded = _frame.group_labels(trials, by)[mask].value_counts(dropna=False).to_dict()
    return trials.iloc[np.flatnonzero(~mask)], excluded


def _group_members(done: pd.DataFrame, pcols: list[str], member: np.ndarray,
                   complete: np.ndarray, all_params: bool, notes: dict, key) -> tuple:
    """The parameters fitted in one group and the rows fitted (counted in *notes*)."""
    sel = np.flatnonzero(member & complete)
    notes["missing"] += int((member & ~complete).sum())
    if len(sel) == 0 and all_params:
        # A conditional space where no trial has every parameter (branches of a grid, a
        # parameter never active in this group): as Optuna's intersection search space,
        # fit the parameters every completed trial of the group has; the others get NaN.
        members = np.flatnonzero(member)
        shared = [p for p in pcols if done[p].iloc[members].notna().all()]
        if shared:
            notes["conditional"].append(str(key))
            notes["missing"] -= len(members)  # used after all
            return shared, members
    if len(sel) == 0:  # every trial of the group lacks some parameter
        notes["few"].append(str(key))
    return pcols, sel


def _shares(res: dict, y: np.ndarray, notes: dict, key) -> tuple[np.ndarray, np.ndarray]:
    """Shares and corrected shares of one fitted group (NaN when impossible or constant)."""
    # shares from the variances in scaled units (ratios: the same at any magnitude)
    var = res.get("variance_scaled", res["variance"])
    unit = res.get("unit", 1.0)
    total = float(np.nansum(var))
    scale = float(np.max(np.abs(y))) / unit if len(y) else 0.0
    if np.isnan(var).all():
        notes["few"].append(str(key))
        share = var
    elif total <= (64 * np.finfo(float).eps * max(scale, 1e-300)) ** 2:
        notes["const"].append(str(key))
        share = np.full(len(var), np.nan)
    else:
        share = var / total
    # The bias correction shrinks each component by its own signal-to-noise in the fit,
    # V_j (1 - 1/W_j) with W_j its partial F: for a term uncorrelated with the others this
    # is V_j minus its expected noise part, and it is positive whenever W_j > 1, so a term
    # whose partial F test is significant at any usual level is never zeroed. (Subtracting
    # the chance variance over the whole space instead zeroed real effects whenever part of
    # the range was never tried: extrapolation inflated the chance part.)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = var * np.clip(1.0 - 1.0 / res["wald"], 0.0, 1.0)
        share_c = corr / corr.sum() if corr.sum() > 0 else np.full(len(var), np.nan)
    return share, np.where(np.isnan(share), np.nan, share_c)


def _fitted_rows(res: dict, terms: list[Term], gcols: list[str], y: np.ndarray,
                 confidence: float, notes: dict, key) -> list[dict]:
    """One result row per fitted parameter of a group."""
    share, share_c = _shares(res, y, notes, key)
    low, high = _share_interval(res["variance_draws"], confidence)
    low = _boundary(low, res, 1.0 - confidence)
    low, high = np.where(np.isnan(share), np.nan, low), np.where(np.isnan(share), np.nan, high)
    return [{
        "param": p[len(_frame.PARAM_PREFIX):], "share": share[j],
        "share_corrected": share_c[j], "ci_low": low[j], "ci_high": high[j],
        "variance": res["variance"][j],
        "variance_chance": res["chance"][j], "coverage": res["coverage"][j],
        "n_trials": int(res["n_used"]),
        "n_eff": res["n_eff"], "r2": res["r2"], "source": terms[j].source,
    } for j, p in enumerate(gcols)]


def _boundary(low: np.ndarray, res: dict, alpha: float) -> np.ndarray:
    """``ci_low`` is 0 where the term's partial F test does not reject "no effect" at *alpha*.

    A share of 0 lies on the edge of [0, 1], where the draws' percentiles never
    reach; the interval is extended to 0 exactly when the data are consistent
    with no effect (the test inverted at that point), so it covers a true 0
    with probability ``1 - alpha`` and never covers less than before elsewhere.
    """
    from scipy import stats

    wald, df, dfr = res["wald"], res["df_term"], res["df_resid"]
    if dfr < 1 or not np.isfinite(low).any():
        return low
    with np.errstate(invalid="ignore"):
        p = stats.f.sf(wald, df, dfr)  # (an exact fit's inf gives 0; NaN stays NaN)
    return np.where(p > alpha, 0.0, low)


_RESULT_COLUMNS = {  # the result's columns after the group's, and their types
    "param": object, "share": float, "share_corrected": float, "ci_low": float,
    "ci_high": float, "variance": float, "variance_chance": float, "coverage": float,
    "n_trials": np.int64, "n_excluded": np.int64, "n_eff": float, "r2": float,
    "source": object,
}


def _result(rows: list[dict], groups: pd.Index, by: str | None) -> pd.DataFrame:
    """The tidy result: typed columns, groups in order, share descending within a group
    (one frame built from the rows' columns; a row without a figure has NaN)."""
    g = np.array([r["_g"] for r in rows], dtype=np.intp)
    share = np.array([r.get("share", np.nan) for r in rows], dtype=float)
    order = np.lexsort((-np.nan_to_num(share, nan=-1.0), g)).tolist()
    out = {} if by is None else {by: groups.to_numpy(dtype=object)[g[order]]}
    for name, kind in _RESULT_COLUMNS.items():
        out[name] = np.array([rows[i].get(name, np.nan) for i in order], dtype=kind)
    return pd.DataFrame(out)


def _share_interval(var_draws: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of each share over coefficient draws (NaN without draws)."""
    k = var_draws.shape[0]
    if var_draws.shape[1] == 0 or not np.isfinite(var_draws).any():
        return np.full(k, np.nan), np.full(k, np.nan)
    total = np.nansum(var_draws, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(total > 0, var_draws / total, np.nan)
    tail = (1.0 - confidence) / 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a term without draws: all-NaN row
        low, high = np.nanquantile(shares, [tail, 1.0 - tail], axis=1)
    return low, high


def _warn(notes: dict, ngroups: int) -> None:
    parts = []
    if notes["missing"]:
        parts.append(f"{notes['missing']} completed trial(s) lack a value for some parameter "
                     "and are left out (the additive model needs every parameter)")
    if notes["conditional"]:
        parts.append(f"no trial has every parameter in {len(notes['conditional'])} group(s) "
                     f"({', '.join(notes['conditional'])}): there the parameters every trial "
                     "has are fitted and the others' share is NaN")
    if notes["outside"]:
        parts.append(f"{notes['outside']} trial(s) have a value outside the recorded search "
                     "space and are left out")
    if notes["few"]:
        parts.append(f"share is NaN in {len(notes['few'])} of {ngroups} group(s) with fewer "
                     f"usable trials than model coefficients ({', '.join(notes['few'])})")
    if notes["const"]:
        parts.append(f"share is NaN in {len(notes['const'])} group(s) where the fitted model "
                     f"is constant ({', '.join(notes['const'])})")
    if parts:
        warnings.warn("; ".join(parts) + ".", TrialsWarning, stacklevel=4)
