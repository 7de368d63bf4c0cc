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
    beta: np.ndarray, cov: np.ndarray | None, n_draws: int, seed: int | None
) -> np.ndarray | None:
    """``n_draws`` coefficient vectors from ``N(beta, cov)`` (columns), or None without *cov*."""
    if cov is None or n_draws <= 0:
        return None
    vals, vecs = np.linalg.eigh((cov + cov.T) / 2.0)
    root = vecs * np.sqrt(np.clip(vals, 0.0, None))
    z = np.random.default_rng(seed).standard_normal((len(beta), n_draws))
    return beta[:, None] + root @ z


def fit_group(
    terms: Sequence[Term], y: np.ndarray, *, degree: int, max_weight: float, reweight: bool,
    n_draws: int = 0, seed: int | None = 0,
) -> dict[str, np.ndarray | float]:
    """Fit the weighted additive model of one group; per-parameter component variances.

    Returns ``variance`` (``V_j`` per term, NaN when the fit is impossible),
    ``n_used`` (rows inside the search space), ``n_outside``, ``n_eff``
    (Kish's effective sample size of the weights), ``r2`` (weighted R² of
    the fitted model), ``wald`` (each term's Wald statistic over its degrees
    of freedom: its partial F in this fit) and ``variance_draws`` (``V_j`` for
    *n_draws* coefficient vectors drawn from their sampling distribution,
    seeded by *seed*: the spread of the whole-space variance, extrapolation
    included).
    """
    inside = np.ones(len(y), dtype=bool)
    for tm in terms:
        inside &= tm.cell >= 0
    rows = np.flatnonzero(inside)
    n = len(rows)
    nan = np.full(len(terms), np.nan)
    out: dict = {"variance": nan, "chance": nan, "n_used": n, "n_outside": len(y) - n,
                 "n_eff": float("nan"), "r2": float("nan"), "coverage": nan, "wald": nan,
                 "variance_draws": np.full((len(terms), 0), np.nan)}
    if n == 0:
        return out
    out["coverage"] = np.array([
        float(tm.mass[np.bincount(tm.cell[rows], minlength=len(tm.mass)) > 0].sum()) for tm in terms
    ])
    w = weights(terms, rows, max_weight) if reweight else np.ones(n)
    out["n_eff"] = float(w.sum() ** 2 / (w * w).sum())
    blocks, evals = [], []
    for tm in terms:
        if tm.kind == "levels":
            lv = tm.level[rows]
            k = len(tm.q)
            seen = np.bincount(lv, weights=w, minlength=k) > 0
            ref = int(np.argmax(np.bincount(lv, weights=w, minlength=k)))
            cols = np.flatnonzero(seen & (np.arange(k) != ref))
            pos = np.full(k, -1)
            pos[cols] = np.arange(len(cols))
            x = np.zeros((n, len(cols)))
            hit = pos[lv] >= 0
            x[np.flatnonzero(hit), pos[lv][hit]] = 1.0
            node = np.zeros((k, len(cols)))
            node[cols, np.arange(len(cols))] = 1.0
            q = np.where(seen, tm.q, 0.0)  # levels never tried carry no estimate
            q = q / q.sum() if q.sum() > 0 else q
        else:
            d = min(degree, max(len(np.unique(tm.t[rows])) - 1, 0))
            x = _legendre(tm.t[rows], d)
            node = _legendre(tm.nodes, d)
            q = tm.q
        blocks.append(x)
        evals.append((node, q))
    design = np.column_stack([np.ones(n), *blocks])
    p = design.shape[1]
    if n < p:
        return out
    # the fit on y over a power of two (exact): no square overflows or underflows at any
    # magnitude; variances are scaled back at the end (inf past the float range)
    unit = _stats.pow2_scale(y[rows])
    out["unit"] = unit
    yy = y[rows] / unit
    # Normal equations: two p x p products instead of a factorization of the n x p design.
    xtw = design.T if not reweight else design.T * w
    gram = xtw @ design
    inv = np.linalg.pinv(gram, rcond=1e-12, hermitian=True)
    beta = inv @ (xtw @ yy)
    fitted = design @ beta
    ybar = float(np.average(yy, weights=w))
    tss = float(np.sum(w * (yy - ybar) ** 2))
    rss = float(np.sum(w * (yy - fitted) ** 2))
    out["r2"] = 1.0 - rss / tss if tss > 0 else float("nan")
    cov = None
    if n > p:  # sampling covariance of beta (sandwich form, homoscedastic noise)
        s2 = float(np.sum((yy - fitted) ** 2)) / (n - p)
        middle = gram if not reweight else (xtw * w) @ design
        cov = s2 * (inv @ middle @ inv)
    var = np.empty(len(terms))
    chance = np.full(len(terms), np.nan)
    wald = np.full(len(terms), np.nan)
    draws = _coefficient_draws(beta, cov, n_draws, seed)
    var_draws = np.full((len(terms), 0 if draws is None else draws.shape[1]), np.nan)
    start = 1
    for j, (x, (node, q)) in enumerate(zip(blocks, evals, strict=True)):
        sl = slice(start, start + x.shape[1])
        start += x.shape[1]
        f = node @ beta[sl]
        mean = float(q @ f)
        var[j] = max(float(q @ (f - mean) ** 2), 0.0)
        if cov is not None:
            centred = node - q @ node
            m = centred.T @ (centred * q[:, None])
            chance[j] = max(float(np.sum(m * cov[sl, sl])), 0.0)
            if x.shape[1]:
                b, c = beta[sl], cov[sl, sl]
                if np.trace(c) > 0:
                    wald[j] = float(b @ np.linalg.pinv(c, hermitian=True) @ b) / x.shape[1]
                else:  # an exact fit: no noise, every non-zero component is all signal
                    wald[j] = np.inf if np.any(b != 0) else np.nan
        if draws is not None:
            fd = node @ draws[sl]  # the component at every node, for every draw
            var_draws[j] = q @ (fd - q @ fd) ** 2
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
    excluded: dict = {}
    if exclude_collapsed:
        mask = _mask.collapsed(trials)
        if mask.any():
            excluded = _frame.group_labels(trials, by)[mask].value_counts(dropna=False).to_dict()
            if by is None:
                excluded = {"all": int(mask.sum())}
            trials = trials.iloc[np.flatnonzero(~mask)]
    done, ycol, codes, groups = _binning.prepare(trials, objective=objective, by=by, columns=pcols)
    complete = done[pcols].notna().all(axis=1).to_numpy()
    dists = {p: _binning.group_distributions(trials, p, by) for p in pcols}
    names = [p[len(_frame.PARAM_PREFIX):] for p in pcols]
    y_all = done[ycol].to_numpy(dtype=float)
    counts = np.bincount(codes, minlength=len(groups))
    _binning.warn_empty_groups(groups, counts, by)
    rows, notes = [], {"missing": 0, "outside": 0, "few": [], "const": [], "conditional": []}
    fitted_any = False
    for g, key in enumerate(groups):
        sel = np.flatnonzero((codes == g) & complete)
        notes["missing"] += int(((codes == g) & ~complete).sum())
        if counts[g] == 0:
            continue
        dist_key = "all" if by is None else key
        gcols = pcols
        if len(sel) == 0 and params is None:
            # A conditional space where no trial has every parameter (branches of a grid, a
            # parameter never active in this group): as Optuna's intersection search space,
            # fit the parameters every completed trial of the group has; the others get NaN.
            members = np.flatnonzero(codes == g)
            shared = [p for p in pcols if done[p].iloc[members].notna().all()]
            if shared:
                gcols, sel = shared, members
                notes["conditional"].append(str(key))
                notes["missing"] -= len(members)  # used after all
        if len(sel) == 0:  # every trial of the group lacks some parameter
            notes["few"].append(str(key))
            for name, p in zip(names, pcols, strict=True):
                rows.append({"_g": g, "param": name, "n_excluded": int(excluded.get(key, 0)),
                             "n_trials": 0, "source": "distribution" if dists[p].get(dist_key)
                             else "observed"})
            continue
        fitted_any = True
        sub = done.iloc[sel]
        terms = [
            term(sub[p], dists[p].get(dist_key), max_levels=max_levels, n=len(sel))
            for p in gcols
        ]
        res = fit_group(terms, y_all[sel], degree=degree, max_weight=max_weight,
                        reweight=reweight, n_draws=n_draws, seed=seed)
        notes["outside"] += int(res["n_outside"])
        # shares from the variances in scaled units (ratios: the same at any magnitude)
        var = res.get("variance_scaled", res["variance"])
        unit = res.get("unit", 1.0)
        total = float(np.nansum(var))
        scale = float(np.max(np.abs(y_all[sel]))) / unit if len(sel) else 0.0
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
        share_c = np.where(np.isnan(share), np.nan, share_c)
        low, high = _share_interval(res["variance_draws"], confidence)
        low, high = np.where(np.isnan(share), np.nan, low), np.where(np.isnan(share), np.nan, high)
        for j, p in enumerate(gcols):
            rows.append({
                "_g": g, "param": p[len(_frame.PARAM_PREFIX):], "share": share[j],
                "share_corrected": share_c[j], "ci_low": low[j], "ci_high": high[j],
                "variance": res["variance"][j],
                "variance_chance": res["chance"][j], "coverage": res["coverage"][j],
                "n_excluded": int(excluded.get(key, 0)), "n_trials": int(res["n_used"]),
                "n_eff": res["n_eff"], "r2": res["r2"], "source": terms[j].source,
            })
        for name, p in zip(names, pcols, strict=True):
            if p not in gcols:  # not in every trial of a conditional group: no share
                rows.append({"_g": g, "param": name, "n_excluded": int(excluded.get(key, 0)),
                             "n_trials": 0, "source": "distribution" if dists[p].get(dist_key)
                             else "observed"})
    if not fitted_any:
        raise TrialsError(
            "No completed trial has a value for every parameter asked "
            f"({', '.join(names)}): pass params= naming parameters that every trial has."
        )
    result = pd.DataFrame(rows, columns=["_g", "param", "share", "share_corrected", "ci_low",
                                         "ci_high", "variance", "variance_chance", "coverage",
                                         "n_trials", "n_excluded", "n_eff", "r2", "source"])
    result = result.astype({c: float for c in ("share", "share_corrected", "ci_low",
                                                 "ci_high", "variance", "variance_chance",
                                                 "coverage", "n_eff", "r2")})
    _warn(notes, len(groups))
    order = np.lexsort((-np.nan_to_num(result["share"].to_numpy(float), nan=-1.0),
                        result["_g"].to_numpy()))
    result = result.iloc[order].reset_index(drop=True)
    if by is not None:
        result.insert(0, by, groups.to_numpy(dtype=object)[result["_g"].to_numpy(dtype=np.intp)])
    result = result.drop(columns="_g")
    result["n_trials"] = result["n_trials"].astype(np.int64)
    result["n_excluded"] = result["n_excluded"].astype(np.int64)
    return result


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
