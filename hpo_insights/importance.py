"""How much of the objective's variance each parameter explains, with the evidence.

:func:`variance_explained` gives, per study and parameter, the one-way share
(eta squared), its bias-corrected value with an interval and a no-effect test,
and the share the parameter keeps when all parameters are fitted together
(the *adjusted* share, which is what separates an effect from a parameter
that an adaptive sampler merely tried together with an important one).
``docs/statistics.md`` defines every figure and reports how often each
verdict is wrong, measured by simulation.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hpo_insights import _binning, _frame, _guard, _mask, _stats
from hpo_insights._deprecation import complement, renamed_arguments
from hpo_insights._errors import TrialsError, TrialsWarning

__all__ = ["variance_explained"]

ALPHA = 0.05  # level of the tests behind ``matters``
CONFOUND_MARGIN = 0.10  # share_corrected - share_adjusted above this flags confounding
SMOOTH_MIN_VALUES = 5  # numeric, non-categorical parameters with this many values: quadratic term
CI_METHODS = ("noncentral-f", "bootstrap")
COLUMNS = [
    "param", "share", "share_corrected", "ci_low", "ci_high", "p_value", "share_adjusted",
    "p_partial", "matters", "confounded_with", "cramers_v", "n_trials", "n_values",
    "n_excluded",
]


@dataclass
class _Param:
    """One parameter's levels over all groups, and its one-way sums per group."""

    name: str
    levels: _binning.Levels
    level_group: np.ndarray  # group code of each level
    offset: np.ndarray  # first level of each group (levels are ordered by group)
    smooth: np.ndarray  # per group: fitted as a quadratic in the adjusted model
    log: np.ndarray  # per group: the quadratic is in log10 of the values
    n: np.ndarray  # per group: trials with a value
    k: np.ndarray  # per group: levels (values or bins) with a trial
    ssb: np.ndarray  # per group: between-level sum of squares
    sst: np.ndarray  # per group: total sum of squares (same trials)
    scale: np.ndarray  # per group: largest |level mean| of the raw objective (zero test)


@renamed_arguments(confidence=("alpha", complement))
def variance_explained(
    trials: pd.DataFrame,
    *,
    params: str | Sequence[str] | None = None,
    studies: str | Sequence[str] | None = None,
    objective: str | None = None,
    by: str | None = "study",
    bins: int | None = None,
    ci: bool | str = True,
    alpha: float = 0.05,
    seed: int | None = 0,
    n_resamples: int = 1000,
    exclude_collapsed: bool = True,
    space: str = "trials",
) -> pd.DataFrame:
    """Share of objective variance explained by each parameter, with its evidence.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    params : str, sequence of str or None, default None
        Parameter names, with or without ``params_``; ``None`` means all.
        The adjusted model fits these parameters together.
    studies : str or sequence of str, optional
        Only these studies (the ``study`` column), in this order; ``None``
        means every study. An unknown name is an error listing the studies.
    objective : str, optional
        The objective column; ``None`` means the frame's single objective.
    by : str or None, default "study"
        One block per value of this column; ``None`` pools all trials.
    bins : int or None, default None
        Binning of float parameters, as in :func:`~hpo_insights.value_table`;
        ``None`` is the default rule: ``n // 10`` bins for *n* values, 3 to 10.
    ci : bool or {"noncentral-f", "bootstrap"}, default True
        The interval of the share: ``True`` is ``"noncentral-f"`` (inverting
        the noncentral F distribution); ``"bootstrap"`` resamples trials
        within each block; ``False`` leaves ``ci_low``/``ci_high`` NaN.
    alpha : float, default 0.05
        Error rate of the interval: it covers the share with probability
        ``1 - alpha``. ``confidence=`` (the old name, ``1 - alpha``) still
        works until 0.4.0 with a FutureWarning.
    seed : int or None, default 0
        Seed of the bootstrap resampling (only used with ``ci="bootstrap"``).
    n_resamples : int, default 1000
        Bootstrap resamples (only used with ``ci="bootstrap"``).
    exclude_collapsed : bool, default True
        Leave out the trials that :func:`~hpo_insights.detect_collapse` flags
        (their objective measures a broken model, not the parameters).
    space : {"trials", "search"}, default "trials"
        ``"trials"``: the shares above, among the trials tried. ``"search"``:
        the design-space estimate of :func:`~hpo_insights.search_space_importance`
        instead (its columns; *bins*, *ci*, *alpha*, *seed* and
        *n_resamples* unused).

    Returns
    -------
    pandas.DataFrame
        One row per (``study``, ``param``), columns:

        - ``study`` (named after *by*; absent when ``by=None``), ``param``;
        - ``share``: one-way eta squared, ``SS_between / SS_total`` in [0, 1];
        - ``share_corrected``: epsilon squared, ``(SS_between - (k - 1) *
          MS_within) / SS_total`` (the one-way model's adjusted R squared),
          about 0 on average for a parameter without effect; not clipped, so
          it can be slightly negative;
        - ``ci_low``, ``ci_high``: the ``1 - alpha`` interval of the share;
        - ``p_value``: one-way F-test of "no difference between the values";
        - ``share_adjusted``: the share the parameter keeps when all
          parameters are fitted together (type-II sum of squares of a
          main-effects least-squares model, minus its chance part ``df *
          MS_residual``, over ``SS_total``); not clipped;
        - ``p_partial``: partial F-test of the parameter in that model;
        - ``matters``: ``p_partial < 0.05`` (pandas ``"boolean"``, <NA> when
          it cannot be tested);
        - ``confounded_with``: when ``share_corrected`` exceeds
          ``share_adjusted`` by more than 0.10 and more than twice, the
          parameter it was sampled together with (the one that takes the most
          of its sum of squares in a two-parameter model), else missing (NaN);
          ``cramers_v``: Cramér's V between the two (see
          :func:`~hpo_insights.sampling_association`);
        - ``n_trials`` (trials used), ``n_values`` (values or bins),
          ``n_excluded`` (collapsed trials left out).

        Groups in order of appearance, ``share`` descending within a group
        (NaN last).

    Raises
    ------
    TrialsError
        Unknown parameter, no completed trial, unknown or non-numeric
        objective, bad *bins*, *ci*, *alpha* or *n_resamples*.
    TypeError
        *trials* is not a DataFrame.

    Notes
    -----
    The one-way figures use the COMPLETE trials with a finite objective that
    have a value for the parameter, with the levels of the binning rule. Under
    an adaptive sampler (TPE) ``share`` and ``p_value`` measure how the
    objective differs between the values *as they were sampled*, which
    includes the effect of the parameters sampled together with them; the
    adjusted figures separate the parameters. ``docs/statistics.md`` gives
    every definition, assumption and measured error rate.

    A parameter with a single value, or a constant objective, gives NaN and
    one :class:`~hpo_insights.TrialsWarning`; so do tests without residual
    degrees of freedom (too few trials), and a parameter with more than
    1,000 distinct values in a group (an ID-like categorical: with k values
    among n trials, noise alone gives a share near ``(k - 1) / (n - 1)``).
    Such parameters are left out of the adjusted model.

    Examples
    --------
    >>> import pandas as pd
    >>> import hpo_insights as hi
    >>> trials = pd.DataFrame({"study": "a", "number": range(5), "state": "COMPLETE",
    ...     "value": [0.5, 0.7, 0.8, 0.9, 0.6], "params_lr": [0.1, 0.1, 0.01, 0.01, 0.001],
    ...     "params_opt": ["adam", "sgd", "adam", "adam", "sgd"], "study_direction": "maximize"})
    >>> ve = hi.variance_explained(trials)
    >>> ve[["study", "param", "share", "share_corrected", "p_value"]].round(3)
      study param  share  share_corrected  p_value
    0     a    lr  0.750            0.500    0.250
    1     a   opt  0.083           -0.222    0.638
    >>> ve = hi.variance_explained(hi.datasets.example(), studies="transformer-20M")
    >>> ve[["param", "share", "share_corrected", "share_adjusted", "matters"]].round(2)
               param  share  share_corrected  share_adjusted  matters
    0  learning_rate   0.35             0.30            0.36     True
    1        dropout   0.26             0.21            0.11     True
    2       n_layers   0.23             0.16            0.03    False
    3        d_model   0.08            -0.01            0.06     True
    4        n_heads   0.05             0.03            0.02    False
    5   weight_decay   0.04            -0.00           -0.00    False
    6     d_ff_ratio   0.01            -0.01           -0.01    False
    """
    if space == "search":
        from hpo_insights.importance_space import search_space_importance

        return search_space_importance(
            trials, params=params, studies=studies, objective=objective, by=by,
            exclude_collapsed=exclude_collapsed,
        )
    if space != "trials":
        raise TrialsError(f"space must be 'trials' or 'search', got {space!r} instead.")
    trials = _frame.select_studies(_guard.frame(trials), studies)
    _guard.names("params", params)
    _guard.text("objective", objective)
    _binning.check_bins(bins)
    method = _check_options(ci, alpha, n_resamples)
    confidence = 1 - alpha
    pcols = _frame.param_columns(trials, params)
    mask = _mask.collapsed(trials) if exclude_collapsed else np.zeros(len(trials), dtype=bool)
    kept = trials[~mask] if mask.any() else trials
    done, ycol, gcodes, groups = _binning.prepare(kept, objective=objective, by=by, columns=pcols)
    ngroups = len(groups)
    _binning.warn_empty_groups(groups, np.bincount(gcodes, minlength=ngroups), by)
    y = done[ycol].to_numpy(dtype=float)
    y = y / _stats.pow2_scale(y)  # (exact) so that the sums below cannot overflow
    # centre per group: sums of squares from sums stay exact to rounding
    gsum = np.bincount(gcodes, weights=y, minlength=ngroups)
    gcount = np.bincount(gcodes, minlength=ngroups)
    gmean = gsum / np.maximum(gcount, 1)
    y = y - gmean[gcodes]
    # and divide by a power of two per group (exact): shares, tests and intervals are
    # ratios, so they do not change, and no square overflows or underflows at any scale
    if ngroups == 1:
        spread = np.array([np.abs(y).max()]) if len(y) else np.zeros(1)
    else:
        spread = np.zeros(ngroups)
        np.maximum.at(spread, gcodes, np.abs(y))
    unit = np.array([_stats.pow2_scale(np.array([v])) for v in spread])
    y = y / unit[gcodes]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        gmean = gmean / unit  # (inf for a constant objective of huge magnitude: zero spread)
    dists = _binning.distributions(kept, pcols, by)
    infos = [_one_param(done, pcol, y, gcodes, groups, dists[pcol], bins, gmean)
             for pcol in pcols]
    if not any(p.n.any() for p in infos):
        names = ", ".join(p.name for p in infos)
        raise TrialsError(
            f"No completed trial has a value for {names}: the parameter column(s) are empty "
            "among COMPLETE trials with a finite objective."
        )
    n = np.stack([p.n for p in infos], axis=1).astype(float)  # (group, param)
    k = np.stack([p.k for p in infos], axis=1).astype(float)
    ssb = np.stack([p.ssb for p in infos], axis=1)
    sst = np.stack([p.sst for p in infos], axis=1)
    scale = np.stack([p.scale for p in infos], axis=1)
    zero = np.array([[_binning.is_zero_ss(t, s, c) for t, s, c in zip(rt, rs, rc, strict=True)]
                     for rt, rs, rc in zip(sst, scale, n, strict=True)]).reshape(n.shape)
    many = k > _frame.MAX_LEVELS  # noise alone would give a share near (k-1)/(n-1)
    degenerate = zero | (k < 2) | many
    one = _stats.one_way_f(ssb, sst, n, k, degenerate)
    low = high = np.full(n.shape, np.nan)
    if method == "noncentral-f":
        low, high = _stats.noncentral_f_interval(one["F"], k - 1, n - k, n, confidence)
    elif method == "bootstrap":
        low, high = _bootstrap_interval(infos, y, gcodes, ngroups, confidence, n_resamples, seed)
    if method is not None:
        bad = degenerate | ~np.isfinite(one["p"])
        low, high = np.where(bad, np.nan, low), np.where(bad, np.nan, high)
    adj = _adjusted(infos, done, y, gcodes, ngroups, degenerate, one["corrected"])
    partner = adj["partner"]
    vpart = _partner_association(infos, partner, ngroups)
    n_excl = _n_excluded(trials, mask, pcols, groups, by, objective)

    present = n > 0
    gi, pi = np.nonzero(present)  # row-major: group, then parameter order
    out: dict = {}
    if by is not None:
        out[by] = groups.to_numpy(dtype=object)[gi]
    matters = pd.array(adj["p"][gi, pi] < ALPHA, dtype="boolean")
    matters[~np.isfinite(adj["p"][gi, pi])] = pd.NA
    out.update(
        param=np.array([infos[j].name for j in pi], dtype=object),
        share=one["share"][gi, pi],
        share_corrected=one["corrected"][gi, pi],
        ci_low=low[gi, pi],
        ci_high=high[gi, pi],
        p_value=one["p"][gi, pi],
        share_adjusted=adj["share"][gi, pi],
        p_partial=adj["p"][gi, pi],
        matters=matters,
        confounded_with=np.array(
            [infos[j].name if j >= 0 else None for j in partner[gi, pi]], dtype=object
        ),
        cramers_v=vpart[gi, pi],
        n_trials=n[gi, pi].astype(np.int64),
        n_values=k[gi, pi].astype(np.int64),
        n_excluded=n_excl[gi, pi].astype(np.int64),
    )
    result = pd.DataFrame(out)
    _warn(degenerate[present], k[present], zero[present], one["p"][present], len(gi),
          many[present])
    share = result["share"].to_numpy()
    order = np.lexsort((-np.nan_to_num(share, nan=-1.0), gi))
    return result.iloc[order].reset_index(drop=True)


# --- options and preparation --------------------------------------------------
def _check_options(ci: bool | str, alpha: float, n_resamples: int) -> str | None:
    if ci is True:
        method = CI_METHODS[0]
    elif ci is False or ci is None:
        method = None
    elif isinstance(ci, str) and ci in CI_METHODS:
        method = ci
    else:
        raise TrialsError(
            f"ci must be True, False or one of {', '.join(map(repr, CI_METHODS))}, "
            f"got {ci!r} instead."
        )
    if isinstance(alpha, bool) or not isinstance(alpha, float | int) or not (0 < alpha < 1):
        raise TrialsError(f"alpha must be a number in (0, 1), got {alpha!r} instead.")
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int | np.integer) or (
        n_resamples < 10
    ):
        raise TrialsError(
            f"n_resamples must be an integer of at least 10, got {n_resamples!r} instead."
        )
    return method


def _n_excluded(
    trials: pd.DataFrame, mask: np.ndarray, pcols: list[str], groups: pd.Index,
    by: str | None, objective: str | None,
) -> np.ndarray:
    """Collapsed trials left out, per (group, parameter): those with a value for it."""
    out = np.zeros((len(groups), len(pcols)))
    if not mask.any():
        return out
    gone = trials[mask]
    src = _frame.group_column(gone, by)
    if src is None:
        gpos = np.zeros(len(gone), dtype=np.intp)
    else:
        gpos = groups.get_indexer(pd.Index(gone[src]))
    ok = gpos >= 0
    for j, pcol in enumerate(pcols):
        has = gone[pcol].notna().to_numpy() & ok
        out[:, j] = np.bincount(gpos[has], minlength=len(groups))
    return out


def _one_param(
    done: pd.DataFrame, pcol: str, y: np.ndarray, gcodes: np.ndarray, groups: pd.Index,
    dists: dict, bins: int | None, gmean: np.ndarray,
) -> _Param:
    """Levels and one-way sums of *pcol*; *dists* are its recorded distributions per group."""
    ngroups = len(groups)
    lv = _binning.levels(done[pcol], gcodes, ngroups, bins=bins, groups=groups, dists=dists)
    nlev = len(lv.table)
    lgroup = lv.table["group"].to_numpy(dtype=np.intp)
    stats = _binning.level_stats(lv.codes, y, nlev)
    count, mean = stats["count"], stats["mean"]
    n = np.bincount(lgroup, weights=count, minlength=ngroups)
    with np.errstate(invalid="ignore", divide="ignore"):
        grand = np.bincount(lgroup, weights=count * mean, minlength=ngroups) / n
    ssb = np.bincount(lgroup, weights=count * (mean - grand[lgroup]) ** 2, minlength=ngroups)
    ssw = np.bincount(lgroup, weights=stats["ss"], minlength=ngroups)
    k = np.bincount(lgroup, minlength=ngroups)
    scale = np.zeros(ngroups)
    if nlev:  # the size of the objective's values (before centring), for the zero test
        np.maximum.at(scale, lgroup, np.abs(mean + gmean[lgroup]))
    offset = np.searchsorted(lgroup, np.arange(ngroups))
    smooth = np.zeros(ngroups, dtype=bool)
    log = np.zeros(ngroups, dtype=bool)
    if lv.numeric:
        smooth, log = _smooth_groups(lv, done[pcol], gcodes, ngroups, groups, dists, k)
    return _Param(
        name=pcol[len(_frame.PARAM_PREFIX):], levels=lv, level_group=lgroup, offset=offset,
        smooth=smooth, log=log, n=n, k=k, ssb=ssb, sst=ssb + ssw, scale=scale,
    )


def _smooth_groups(
    lv: _binning.Levels, values: pd.Series, gcodes: np.ndarray, ngroups: int,
    groups: pd.Index, dists: dict, k: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per group: whether the parameter is a smooth (quadratic) term, and on a log scale.

    A numeric, non-categorical parameter with at least ``SMOOTH_MIN_VALUES``
    distinct values in the group. The levels already tell: unbinned levels
    are the distinct values, and a binned group has more distinct values than
    bins (enough when there are at least ``SMOOTH_MIN_VALUES - 1`` bins; fewer
    bins are rare and counted directly). The scale is the one the binning rule
    chose for the group's values (``Levels.table["scale"]``).
    """
    smooth = np.zeros(ngroups, dtype=bool)
    log = np.zeros(ngroups, dtype=bool)
    table = lv.table
    if not len(table):
        return smooth, log
    lgroup = table["group"].to_numpy(dtype=np.intp)
    binned = np.bincount(lgroup, weights=table["binned"].to_numpy(dtype=float),
                         minlength=ngroups) > 0
    first = np.searchsorted(lgroup, np.arange(ngroups))
    scale = table["scale"].to_numpy(dtype=object)
    for g in np.flatnonzero(k > 0):
        dist = dists.get(groups[g])
        if dist is not None and dist.get("name") == "CategoricalDistribution":
            continue
        if binned[g] and k[g] < SMOOTH_MIN_VALUES - 1:
            x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
            x = x[(gcodes == g) & (lv.codes >= 0)]
            many = len(np.unique(x)) >= SMOOTH_MIN_VALUES
        else:
            many = binned[g] or k[g] >= SMOOTH_MIN_VALUES
        if many:
            smooth[g] = True
            log[g] = scale[first[g]] == "log"
    return smooth, log


# --- intervals of the share -----------------------------------------------------
def _bootstrap_interval(
    infos: list[_Param], y: np.ndarray, gcodes: np.ndarray, ngroups: int,
    confidence: float, n_resamples: int, seed: int | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of epsilon^2 over resamples of trials within each group.

    Each resample's per-level counts, sums and sums of squares come from one
    matrix product: resample counts (a multinomial draw per resample, as
    ``bincount`` of uniform indices) times the per-trial one-hot level
    indicators, for all parameters at once; no loop over resamples.
    """
    rng = np.random.default_rng(seed)
    a = (1 - confidence) / 2
    low = np.full((ngroups, len(infos)), np.nan)
    high = np.full((ngroups, len(infos)), np.nan)
    order = np.argsort(gcodes, kind="stable")
    bounds = np.searchsorted(gcodes[order], np.arange(ngroups + 1))
    for g in range(ngroups):
        rows = order[bounds[g]:bounds[g + 1]]
        m = len(rows)
        if m < 2:
            continue
        yg = y[rows]
        cols, spans = [], []
        for p in infos:
            codes = p.levels.codes[rows]
            has = codes >= 0
            kg = int(p.k[g])
            if kg < 2:
                spans.append(None)
                continue
            local = np.where(has, codes - p.offset[g], 0)
            onehot = np.zeros((m, kg))
            onehot[np.flatnonzero(has), local[has]] = 1.0
            start = sum(c.shape[1] for c in cols)
            cols.append(np.hstack([onehot, onehot * yg[:, None],
                                   (has * yg * yg)[:, None]]))
            spans.append((start, kg))
        if not cols:
            continue
        design = np.hstack(cols)
        stats = np.empty((n_resamples, design.shape[1]))
        chunk = max(1, min(n_resamples, 4_000_000 // max(m, 1)))
        for s in range(0, n_resamples, chunk):
            b = min(chunk, n_resamples - s)
            small = b * m < 2**31  # 32-bit draws are about twice as fast
            idx = rng.integers(0, m, size=(b, m), dtype=np.int32 if small else np.int64)
            idx += (np.arange(b, dtype=idx.dtype) * m)[:, None]
            w = np.bincount(idx.ravel(), minlength=b * m).reshape(b, m).astype(float)
            stats[s:s + b] = w @ design
        for j, span in enumerate(spans):
            if span is None:
                continue
            start, kg = span
            cnt = stats[:, start:start + kg]
            tot = stats[:, start + kg:start + 2 * kg]
            sq = stats[:, start + 2 * kg]
            nb = cnt.sum(axis=1)
            sb = tot.sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                between = np.where(cnt > 0, tot * tot / cnt, 0.0).sum(axis=1) - sb * sb / nb
                total = sq - sb * sb / nb
                kb = (cnt > 0).sum(axis=1)
                msw = (total - between) / (nb - kb)
                eps = (between - (kb - 1) * msw) / total
            eps = eps[np.isfinite(eps)]
            if len(eps) >= 10:
                low[g, j], high[g, j] = np.quantile(eps, [a, 1 - a])
    return low, high


# --- the adjusted (all-parameters) model ------------------------------------------
CHUNK = 1 << 15  # rows of the design built at a time (its cross-products are summed)
EXACT = 1e-12  # residual sum of squares below this share of the total: an exact fit
RCOND = 1e-7  # relative singular value below which a (column-scaled) design is rank deficient


class _Term:
    """How one parameter enters the adjusted model of one group: columns built on demand.

    ``kind`` is ``"smooth"`` (two columns: ``z``, the values on their scale
    standardized over the trials that have one, and ``z**2`` centred there),
    ``"levels"`` (one indicator per level but the first) or ``"none"`` (no
    column). A conditional parameter (missing in some trials) is centred over
    the trials that have it and 0 elsewhere, so whatever decides its presence
    (e.g. the optimizer) keeps that part. Otherwise indicator columns are
    centred over the group (the intercept is then orthogonal to every column).
    """

    def __init__(
        self, p: _Param, g: int, rows: np.ndarray | slice, x: np.ndarray | None, *,
        active: bool = True,
    ) -> None:
        self.kind, self.width = "none", 0
        if not active:
            return
        codes = p.levels.codes[rows]
        has = codes >= 0
        m = len(codes)
        self.codes, self.has = codes, has
        self.partial = bool(not has.all() and has.any())
        if p.smooth[g] and x is not None:
            v = self._values(x[rows], has, bool(p.log[g]))
            with np.errstate(over="ignore", invalid="ignore"):
                if has.all():  # (no NaN to skip: the plain reductions, same sums)
                    big = np.max(np.abs(v)) if len(v) else 0.0
                    big = big if np.isfinite(big) and big > 0 else 1.0  # keeps v*v finite
                    vb = v / big
                    mu = np.mean(vb)
                    sd = np.sqrt(np.mean(np.abs(vb - mu) ** 2))
                else:
                    big = np.nanmax(np.abs(v)) if has.any() else 0.0
                    big = big if np.isfinite(big) and big > 0 else 1.0
                    mu, sd = np.nanmean(v / big), np.nanstd(v / big)
            if np.isfinite(mu) and np.isfinite(sd):  # (infinite values: no smooth term)
                self.kind, self.width = "smooth", 2
                self.log, self.big, self.mu = bool(p.log[g]), big, mu
                self.sd = sd if sd > 0 else 1.0
                if self.partial:
                    z = np.where(has, (v / big - mu) / self.sd, 0.0)
                    self.qmean = (z * z)[has].mean()
                else:  # every row has a value: no copies through the mask
                    z = (v / big - mu) / self.sd
                    self.qmean = (z * z).mean()
                self.shift = np.zeros(2)
                if self.partial:  # (z and z**2 - qmean average 0 over `has` up to rounding)
                    quad = np.where(has, z * z - self.qmean, 0.0)
                    self.shift = np.array([z[has].mean(), quad[has].mean()])
            return
        kg = int(p.k[g])
        if kg >= 2:
            self.kind, self.width = "levels", kg - 1
            self.local = codes - p.offset[g]
            present = self.local[has] if self.partial else self.local
            count = np.bincount(present, minlength=kg)[1:].astype(float)
            self.shift = count / (has.sum() if self.partial else m)

    @staticmethod
    def _values(v: np.ndarray, has: np.ndarray, log: bool) -> np.ndarray:
        v = np.where(has, v, np.nan)
        if log:
            with np.errstate(invalid="ignore", divide="ignore"):
                v = np.log10(v)
        return v

    def fill(self, out: np.ndarray, sl: slice, x: np.ndarray | None,
             rows: np.ndarray | slice) -> None:
        """Write this term's columns for the rows ``sl`` of the group into *out*."""
        has = self.has[sl]
        if self.kind == "smooth":
            v = x[sl] if isinstance(rows, slice) else x[rows[sl]]
            if self.partial:
                v = self._values(v, has, self.log)
                z = np.where(has, (v / self.big - self.mu) / self.sd, 0.0)
                out[:, 0] = z
                out[:, 1] = np.where(has, z * z - self.qmean, 0.0)
            else:  # every row has a value: the same numbers without the masks
                if self.log:
                    with np.errstate(invalid="ignore", divide="ignore"):
                        v = np.log10(v)
                z = (v / self.big - self.mu) / self.sd
                out[:, 0] = z
                out[:, 1] = z * z - self.qmean
        else:
            # the centred indicators: -shift everywhere, plus 1 in the row's level column
            # (1 - shift, as the indicator minus its shift), written by one scatter
            local = self.local[sl]
            out[:] = -self.shift
            hit = np.flatnonzero(local >= 1)
            out[hit, local[hit] - 1] += 1.0
        if self.partial:
            if self.kind == "smooth":
                out -= self.shift
            out[~has] = 0.0


class _Fits:
    """Least-squares fits of *y* on column subsets of one design, from its cross-products.

    ``G = [X y]' [X y]`` (columns centred, so the intercept is orthogonal to
    them and is kept as column 0 of norm ``sqrt(n)``) is summed over blocks of
    rows; no ``n x p`` matrix is ever formed. Any ``R`` with ``R'R = G`` (here
    from the eigendecomposition of the column-scaled ``G``, then a QR of its
    square root) is the R factor of the QR decomposition of ``[X y]`` up to
    signs, so a fit on columns ``S`` has residual sum of squares ``base +
    |Q'y - R_S b|^2``, the small ``p x p`` problem ``R_S b = Q'y`` solved by
    ``lstsq`` (SVD: rank decided at ``RCOND`` of the scaled columns). *y*
    comes scaled (a power of two), so the arithmetic does not depend on the
    objective's magnitude.
    """

    def __init__(self, gram: np.ndarray, n: int) -> None:
        q = gram.shape[0] - 1
        d = np.sqrt(np.diag(gram))
        d = np.where(d > 0, d, 1.0)
        scaled = gram / d[:, None] / d[None, :]
        lam, vec = np.linalg.eigh(scaled)
        root = np.sqrt(np.clip(lam, 0.0, None))[:, None] * vec.T
        r = np.linalg.qr(root * d, mode="r")
        self.r = r[:q, :q]
        self.qy = r[:q, q]
        self.base = float(r[q, q] ** 2)
        self.scale = d[:q]
        self.rcond = RCOND

    def rss(self, cols: np.ndarray | None = None) -> tuple[float, int]:
        """Residual sum of squares and rank of the fit on *cols* (all columns if None)."""
        r = self.r if cols is None else self.r[:, cols]
        s = self.scale if cols is None else self.scale[cols]
        beta, _, rank, _ = np.linalg.lstsq(r / s, self.qy, rcond=self.rcond)
        res = self.qy - (r / s) @ beta
        return self.base + float(res @ res), int(rank)


def _gram(terms: list[_Term], xs: list, rows: np.ndarray | slice, y: np.ndarray) -> np.ndarray:
    """``[1 X y]' [1 X y]`` of one group, summed over blocks of ``CHUNK`` rows.

    *rows* are the group's rows (a slice when the group holds every trial);
    *y* is already narrowed to them.
    """
    m = len(y)
    spans = np.cumsum([0] + [t.width for t in terms])
    p = int(spans[-1])
    acc = np.zeros((p + 1, p + 1))
    sums = np.zeros(p + 1)
    buf = np.empty((min(m, CHUNK), p + 1))
    for start in range(0, m, CHUNK):
        sl = slice(start, min(m, start + CHUNK))
        b = buf[: sl.stop - sl.start]
        for j, t in enumerate(terms):
            if t.width:
                t.fill(b[:, spans[j]:spans[j + 1]], sl, xs[j], rows)
        b[:, p] = y[sl]
        acc += b.T @ b
        sums += b.sum(axis=0)
    acc -= np.outer(sums, sums) / m  # rounding left of the centring (exact arithmetic: 0)
    gram = np.zeros((p + 2, p + 2))
    gram[0, 0] = m
    gram[1:, 1:] = acc
    return gram


def _adjusted(
    infos: list[_Param], done: pd.DataFrame, y: np.ndarray, gcodes: np.ndarray,
    ngroups: int, degenerate: np.ndarray, corrected: np.ndarray,
) -> dict[str, np.ndarray]:
    """Type-II shares and partial F-tests of a main-effects model, per group.

    Also the confounding partner of each parameter whose one-way corrected
    share exceeds its adjusted share by more than ``CONFOUND_MARGIN`` and more
    than twice: the
    other parameter whose presence in a two-parameter model takes away the
    most of its sum of squares (-1 when none does).
    """
    from scipy import stats

    npar = len(infos)
    share = np.full((ngroups, npar), np.nan)
    p = np.full((ngroups, npar), np.nan)
    partner = np.full((ngroups, npar), -1, dtype=np.intp)
    xs = [
        pd.to_numeric(done[_frame.PARAM_PREFIX + q.name], errors="coerce").to_numpy(dtype=float)
        if q.smooth.any() else None
        for q in infos
    ]
    order = np.argsort(gcodes, kind="stable")
    bounds = np.searchsorted(gcodes[order], np.arange(ngroups + 1))
    for g in range(ngroups):
        m = int(bounds[g + 1] - bounds[g])
        # one group holding every trial: slices (views) instead of gathers
        rows = slice(0, m) if m == len(gcodes) else order[bounds[g]:bounds[g + 1]]
        if m < 3:
            continue
        yg = y[rows] - y[rows].mean()
        unit = _stats.pow2_scale(yg)
        yg = yg / unit
        sst = float(yg @ yg)
        if sst <= 0 or degenerate[g].all():
            continue
        # a parameter without a share (a single value, or more than MAX_LEVELS values)
        # stays out of the model: thousands of dummy columns would only absorb noise
        terms = [_Term(q, g, rows, xs[j], active=not degenerate[g, j])
                 for j, q in enumerate(infos)]
        fits = _Fits(_gram(terms, xs, rows, yg), m)
        rss, rank = fits.rss()
        df_res = m - rank
        if df_res < 1:
            continue
        ms_res = rss / df_res
        spans = np.cumsum([1] + [t.width for t in terms])
        cols = [np.arange(spans[j], spans[j + 1]) for j in range(len(terms))]
        for j in range(len(terms)):
            if len(cols[j]) == 0 or degenerate[g, j]:
                continue
            keep = np.setdiff1d(np.arange(spans[-1]), cols[j])
            rss_j, rank_j = fits.rss(keep)
            df_j = rank - rank_j
            if df_j < 1:
                continue  # aliased with the other parameters: not separable
            ss = max(rss_j - rss, 0.0)
            share[g, j] = (ss - df_j * ms_res) / sst
            if rss > EXACT * sst:
                p[g, j] = stats.f.sf((ss / df_j) / ms_res, df_j, df_res)
            else:
                p[g, j] = 0.0 if ss > EXACT * sst else 1.0
        with np.errstate(invalid="ignore"):
            flagged = np.flatnonzero(
                ((corrected[g] - share[g]) > CONFOUND_MARGIN) & (share[g] < corrected[g] / 2)
            )
        alone: dict[int, float] = {}  # the one-parameter fits, shared by the flagged ones
        for j in flagged:
            partner[g, j] = _partner(fits, cols, j, sst, alone)
    return {"share": share, "p": p, "partner": partner}


def _partner(fits: _Fits, cols: list[np.ndarray], j: int, sst: float,
             alone_rss: dict[int, float]) -> int:
    """The other parameter that takes the most of parameter *j*'s sum of squares.

    *alone_rss* holds the residual sum of squares of each one-parameter fit made so
    far (filled here), so that several flagged parameters fit each only once.
    """
    one = np.array([0])

    def rss_alone(q: int) -> float:
        if q not in alone_rss:
            alone_rss[q] = fits.rss(np.r_[one, cols[q]])[0]
        return alone_rss[q]

    alone = sst - rss_alone(j)
    best, most = -1, 0.0
    for q, cq in enumerate(cols):
        if q == j or len(cq) == 0:
            continue
        rss_q = rss_alone(q)
        rss_jq = fits.rss(np.r_[one, cq, cols[j]])[0]
        taken = alone - (rss_q - rss_jq)
        if taken > most:
            best, most = q, taken
    return best


def _partner_association(infos: list[_Param], partner: np.ndarray, ngroups: int) -> np.ndarray:
    """Cramér's V between each flagged parameter and its partner: (group, param)."""
    out = np.full(partner.shape, np.nan)
    gs, js = np.nonzero(partner >= 0)
    for j, q in sorted({(int(j), int(partner[g, j])) for g, j in zip(gs, js, strict=True)}):
        ia, ib = infos[j], infos[q]
        v = _stats.cramers_v(ia.levels.codes, ia.level_group, ib.levels.codes, ib.level_group,
                             ib.offset, ngroups)["cramers_v"]
        rows = partner[:, j] == q
        out[rows, j] = v[rows]
    return out


def _warn(degenerate, k, zero, p, nblocks, many) -> None:
    single = int((k < 2).sum())
    const = int((zero & (k >= 2) & ~many).sum())
    untested = int((~degenerate & ~np.isfinite(p)).sum())
    parts = []
    if degenerate.any():
        parts.append(
            f"share is NaN for {int(degenerate.sum())} of {nblocks} parameter blocks "
            f"({single} with a single value, {const} with a constant objective"
            + (f", {int(many.sum())} with more than {_frame.MAX_LEVELS} distinct values, "
               "where noise alone gives a share near (k-1)/(n-1)" if many.any() else "")
            + ")"
        )
    if untested:
        parts.append(
            f"{untested} of {nblocks} parameter blocks have too few trials for a test "
            "(no more trials than values): share_corrected, p_value and the interval are NaN"
        )
    if parts:
        warnings.warn("; ".join(parts) + ".", TrialsWarning, stacklevel=3)
