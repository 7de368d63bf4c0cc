"""What to try next: the searched range's edges, values to drop, and thin spots near the best."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from hpo_insights import _binning, _frame
from hpo_insights._errors import TrialsError
from hpo_insights._levels import level_tables

__all__ = ["suggestions"]

KINDS = ("edge", "worse", "sparse")
COLUMNS = ["param", "kind", "value", "other_param", "other_value", "difference", "ci_low",
           "ci_high", "p_value", "n_trials", "detail"]


def suggestions(
    trials: pd.DataFrame,
    *,
    params: str | Sequence[str] | None = None,
    studies: str | Sequence[str] | None = None,
    objective: str | None = None,
    direction: str | None = None,
    by: str | None = "study",
    bins: int | None = None,
    alpha: float = 0.05,
    min_trials: int = 3,
    exclude_collapsed: bool = True,
) -> pd.DataFrame:
    """Where the next trials would teach the most: one row per suggestion.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    params : str, sequence of str or None, default None
        The parameter(s), with or without ``params_``; ``None`` means all.
    studies : str or sequence of str, optional
        Only these studies (the ``study`` column); ``None`` means every study.
    objective : str, optional
        The objective column; ``None`` means the frame's single objective.
    direction : {"maximize", "minimize"}, optional
        Overrides ``study_direction``.
    by : str or None, default "study"
        Suggestions per value of this column; ``None`` pools all trials.
    bins : int or None, default None
        Binning of float parameters, as in :func:`hpo_insights.value_table`.
    alpha : float, default 0.05
        Level of the trend test behind ``"edge"`` and of the simultaneous
        intervals behind ``"worse"``.
    min_trials : int, default 3
        ``"sparse"``: combinations near the best trial with fewer trials.
    exclude_collapsed : bool, default True
        Leave out collapsed trials, as :func:`hpo_insights.value_table`.

    Returns
    -------
    pandas.DataFrame
        Columns ``study`` (named after *by*; absent when ``by=None``),
        ``param``, ``kind``, ``value``, ``other_param``, ``other_value``,
        ``difference``, ``ci_low``, ``ci_high``, ``p_value``, ``n_trials``,
        ``detail`` (one plain sentence); by group, then kind
        (``"edge"``, ``"worse"``, ``"sparse"``), then parameter order.
        Differences are in objective units, signed so that positive is
        better (higher when maximizing, lower when minimizing).

        * ``"edge"``: the best value (highest mean) is the smallest or the
          largest value tried, and :func:`hpo_insights.classify_trend`
          (``method="shape"``) finds the objective improving toward it:
          widen the range past it. ``value`` is that value, ``difference``
          the fitted improvement across the tried range toward it, with its
          95% interval and the trend's ``p_value``; ``n_trials`` at the value.
        * ``"worse"``: a value whose mean is worse than the best value's
          with confidence: ``other_value`` is the best value, ``difference``
          the mean at ``value`` minus the mean at the best (negative), with a
          simultaneous (1 − alpha) interval that lies below zero; ``p_value``
          Bonferroni-adjusted (see Notes). Such values can be dropped from
          the search.
        * ``"sparse"``: a combination of two parameters' values, each the best
          trial's or next to it (in value order; categorical parameters only
          the best trial's), tried fewer than *min_trials* times: ``value``
          and ``other_value`` for ``param`` and ``other_param``,
          ``n_trials`` the count. The neighbourhood of the best is thinly
          explored there. Parameters binned into intervals (continuous
          floats) are left out: their neighbouring intervals are not values
          one would set.

    Raises
    ------
    TrialsError
        Bad *alpha* or *min_trials*; as :func:`hpo_insights.value_table`.
    TypeError
        *trials* is not a DataFrame.

    Notes
    -----
    ``"worse"`` compares every value with the best one using the per-value
    means model (the residual variance pooled over the values, ``N - k``
    degrees of freedom) and two-sided t intervals Bonferroni-adjusted over
    all ``k (k - 1) / 2`` pairs of values: the best value is chosen by the
    same data, and only a guarantee over every pair keeps the chance of
    calling some value worse, when all are equal, at most *alpha*
    (adjusting for the ``k - 1`` comparisons with the best alone gave 11%
    at k = 5 in simulation). ``"edge"`` requires both the best
    mean at the edge and a significant monotone trend toward it; a best value
    of 0 at the low end (no weight decay, say) is a natural bound and gives
    no suggestion.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> sg = hi.suggestions(hi.datasets.example(), studies="transformer-200M")
    >>> sg[sg.kind == "edge"][["param", "value", "difference", "ci_low", "ci_high"]].round(4)
               param               value  difference  ci_low  ci_high
    0  learning_rate  [1.1e-05, 1.9e-05)      0.0147  0.0091   0.0203
    1        dropout                 0.7      0.0249  0.0185   0.0314
    >>> print(sg.detail[1])
    dropout: best at 0.7, the largest value tried, and the objective improves toward it by 0.0249
    across the range (95% CI 0.0185 to 0.0314); try values above it.
    >>> sg[sg.kind == "worse"][["param", "value", "other_value", "difference"]].round(4).head(3)
               param               value         other_value  difference
    2       n_layers                  10                   8     -0.0106
    3        n_heads                   8                  16     -0.0169
    4  learning_rate  [5.5e-05, 0.00038]  [1.1e-05, 1.9e-05)     -0.0144

    The learning rate's true optimum here is 3e-05 (``EXAMPLE_TRUTH``), inside the range but
    near its low end: with 46 trials the lowest bin scores best and the trend is decreasing,
    so the edge suggestion is what these trials support.
    """
    if isinstance(alpha, bool) or not isinstance(alpha, float | int) or not 0 < alpha < 1:
        raise TrialsError(f"alpha must be a number in (0, 1), got {alpha!r} instead.")
    if isinstance(min_trials, bool) or not isinstance(min_trials, int | np.integer) or (
        min_trials < 1
    ):
        raise TrialsError(f"min_trials must be a positive integer, got {min_trials!r} instead.")
    from hpo_insights.trends import _without_collapsed, classify_trend

    trials = _frame.select_studies(_frame.check_frame(trials), studies)
    kept, _ = _without_collapsed(trials, exclude_collapsed)
    ct = classify_trend(kept, params=params, method="shape", alpha=alpha, objective=objective,
                        direction=direction, by=by, bins=bins, exclude_collapsed=False)
    long, groups = level_tables(kept, params, objective=objective, by=by, bins=bins)
    signs, _ = _frame.signs(kept, direction, by, groups)
    key = pd.factorize(pd.MultiIndex.from_arrays([long["group"], long["param"]]))[0]
    parts = [
        _edges(ct, long, key, groups, by, signs),
        _worse(long, key, signs, alpha),
        _sparse(kept, params, objective, by, bins, groups, signs, min_trials),
    ]
    out = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(
        len(p) for p in parts) else parts[0]
    out = out.sort_values(["_group", "_kind"], kind="stable", ignore_index=True)
    result = {} if by is None else {by: groups.to_numpy(dtype=object)[
        out["_group"].to_numpy(dtype=np.intp)]}
    result.update({c: out[c].to_numpy() for c in COLUMNS})
    frame = pd.DataFrame(result, columns=[*([] if by is None else [by]), *COLUMNS])
    for c in ("value", "other_param", "other_value"):
        col = frame[c].astype(object)
        frame[c] = col.where(col.notna(), None)
    return frame.astype({"n_trials": np.int64, "difference": float, "ci_low": float,
                         "ci_high": float, "p_value": float})


def _empty() -> pd.DataFrame:
    return pd.DataFrame({"_group": pd.Series(dtype=np.intp), "_kind": pd.Series(dtype=np.intp),
                         **{c: pd.Series(dtype=object) for c in COLUMNS}})


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def _show(value: object) -> str:
    """A value as people write it: 0.3, not 0.30000000000000004."""
    if isinstance(value, float | np.floating):
        return f"{float(value):.6g}"
    return str(value)


def _edges(ct: pd.DataFrame, long: pd.DataFrame, key: np.ndarray, groups: pd.Index,
           by: str | None, signs: np.ndarray) -> pd.DataFrame:
    """Best value at the end of the tried range, with a significant trend toward it."""
    frame = pd.DataFrame({"block": key})
    gb = frame.groupby("block", sort=False)
    first = gb.head(1).index.to_numpy()
    last = gb.tail(1).index.to_numpy()
    if not len(ct):
        return _empty()
    group = long["group"].to_numpy()[first]
    sign = signs[group]
    values = long["value"]
    counts = long["count"].to_numpy()
    monotone = ct["trend"].isin(["increasing", "decreasing"]).to_numpy()
    better = sign * ct["effect"].to_numpy()  # > 0: better toward the largest value
    best = ct["best_value"].to_numpy(dtype=object)
    at_high = monotone & (better > 0) & _same(best, values.iloc[last].to_numpy(dtype=object))
    at_low = monotone & (better < 0) & _same(best, values.iloc[first].to_numpy(dtype=object))
    at_low &= ~_is_zero(best)  # 0 at the low end (no weight decay, say) is a natural bound
    rows = np.flatnonzero(at_high | at_low)
    if not len(rows):
        return _empty()
    high = at_high[rows]
    flip = np.where(high, 1.0, -1.0) * sign[rows]
    lo = ct["effect_low"].to_numpy()[rows] * flip
    hi_ = ct["effect_high"].to_numpy()[rows] * flip
    diff = better[rows] * np.where(high, 1.0, -1.0)
    params = ct["param"].to_numpy(dtype=object)[rows]
    where = np.where(high, "largest", "smallest")
    detail = [
        f"{p}: best at {_show(v)}, the {w} value tried, and the objective improves toward it by "
        f"{_fmt(d)} across the range (95% CI {_fmt(min(a, b))} to {_fmt(max(a, b))}); "
        f"try values {'above' if w == 'largest' else 'below'} it."
        for p, v, w, d, a, b in zip(params, best[rows], where, diff, lo, hi_, strict=True)
    ]
    block_of_row = rows  # blocks are in the same order as ct rows
    at = np.where(high, last[block_of_row], first[block_of_row])
    return pd.DataFrame({
        "_group": group[rows], "_kind": 0, "param": params, "kind": "edge",
        "value": best[rows], "other_param": None, "other_value": None, "difference": diff,
        "ci_low": np.minimum(lo, hi_), "ci_high": np.maximum(lo, hi_),
        "p_value": ct["p_value"].to_numpy()[rows], "n_trials": counts[at], "detail": detail,
    })


def _is_zero(a: np.ndarray) -> np.ndarray:
    return np.array([isinstance(x, int | float | np.integer | np.floating) and not isinstance(
        x, bool) and x == 0 for x in a], dtype=bool)


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.array([x == y for x, y in zip(a, b, strict=True)], dtype=bool)


def _worse(long: pd.DataFrame, key: np.ndarray, signs: np.ndarray, alpha: float) -> pd.DataFrame:
    """Values worse than the best value with simultaneous confidence."""
    from scipy import stats

    nblocks = int(key.max()) + 1 if len(key) else 0
    n = long["count"].to_numpy(dtype=float)
    mean = long["mean"].to_numpy()
    ss = long["ss"].to_numpy()
    group = long["group"].to_numpy()
    score = mean * signs[group]
    k = np.bincount(key, minlength=nblocks)
    df = np.bincount(key, weights=n, minlength=nblocks) - k
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = np.bincount(key, weights=ss, minlength=nblocks) / df
    best = pd.Series(score).groupby(key, sort=False).idxmax()
    best_row = np.empty(nblocks, dtype=np.intp)
    best_row[best.index.to_numpy()] = best.to_numpy()
    b = best_row[key]
    kb, dfb = k[key], df[key]
    ok = (kb >= 2) & (dfb >= 1) & (np.arange(len(key)) != b) & np.isfinite(s2[key])
    if not ok.any():
        return _empty()
    idx = np.flatnonzero(ok)
    diff = score[idx] - score[b[idx]]
    se = np.sqrt(s2[key[idx]] * (1 / n[idx] + 1 / n[b[idx]]))
    m = kb[idx] * (kb[idx] - 1) / 2  # every pair of values: the best was chosen from the data
    q = stats.t.ppf(1 - alpha / (2 * m), dfb[idx])
    lo, hi_ = diff - q * se, diff + q * se
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.minimum(1.0, 2 * stats.t.sf(np.abs(diff / se), dfb[idx]) * m)
    p = np.where(se == 0, np.where(diff < 0, 0.0, 1.0), p)
    keep = hi_ < 0
    idx, diff, lo, hi_, p = idx[keep], diff[keep], lo[keep], hi_[keep], p[keep]
    if not len(idx):
        return _empty()
    values = long["value"]
    value = values.iloc[idx].to_numpy(dtype=object)
    best_value = values.iloc[b[idx]].to_numpy(dtype=object)
    params = long["param"].to_numpy(dtype=object)[idx]
    level = round((1 - alpha) * 100, 1)
    detail = [
        f"{pa}={_show(v)} is worse than {pa}={_show(bv)} by {_fmt(-d)} ({level:g}% simultaneous CI "
        f"{_fmt(-h)} to {_fmt(-lw)}); it can be dropped from the search."
        for pa, v, bv, d, lw, h in zip(params, value, best_value, diff, lo, hi_, strict=True)
    ]
    return pd.DataFrame({
        "_group": group[idx], "_kind": 1, "param": params, "kind": "worse", "value": value,
        "other_param": params, "other_value": best_value, "difference": diff, "ci_low": lo,
        "ci_high": hi_, "p_value": p, "n_trials": n[idx].astype(np.int64), "detail": detail,
    })


def _sparse(trials: pd.DataFrame, params, objective, by, bins: int, groups: pd.Index,
            signs: np.ndarray, min_trials: int) -> pd.DataFrame:
    """Pairs of values next to the best trial's that few trials tried."""
    pcols = _frame.param_columns(trials, params)
    if len(pcols) < 2:
        return _empty()
    done, ycol, gcodes, groups2 = _binning.prepare(trials, objective=objective, by=by,
                                                   columns=pcols, number=True)
    ng = len(groups2)
    y = done[ycol].to_numpy() * signs[gcodes]
    # the best trial of every group: highest signed objective, ties to the lower number
    order = np.lexsort((done[_frame.NUMBER].to_numpy(), -y, gcodes))
    firsts = np.flatnonzero(np.r_[True, gcodes[order][1:] != gcodes[order][:-1]])
    best_of = np.full(ng, -1, dtype=np.intp)
    best_of[gcodes[order][firsts]] = order[firsts]
    has = best_of >= 0
    levels = {}
    for pcol in pcols:
        lv = _binning.levels(done[pcol], gcodes, ng, bins=bins, groups=groups2,
                             dists=_binning.group_distributions(trials, pcol, by))
        tab_group = lv.table["group"].to_numpy()
        start = np.searchsorted(tab_group, np.arange(ng + 1))
        levels[pcol] = (lv, start)
    grid = [p for p in pcols if not levels[p][0].table["binned"].any()]
    rows = []
    for i, p in enumerate(grid):
        lp, sp = levels[p]
        for q in grid[i + 1:]:
            lq, sq = levels[q]
            both = (lp.codes >= 0) & (lq.codes >= 0)
            nq = len(lq.table)
            cell = lp.codes[both].astype(np.int64) * nq + lq.codes[both]
            keys, counts = np.unique(cell, return_counts=True)
            g = np.flatnonzero(has)
            bp, bq = lp.codes[best_of[g]], lq.codes[best_of[g]]
            ok = (bp >= 0) & (bq >= 0)
            g, bp, bq = g[ok], bp[ok], bq[ok]
            steps_p = np.array([-1, 0, 1]) if lp.numeric else np.array([0])
            steps_q = np.array([-1, 0, 1]) if lq.numeric else np.array([0])
            cp = (bp[:, None, None] + steps_p[None, :, None]) + 0 * steps_q[None, None, :]
            cq = (bq[:, None, None] + steps_q[None, None, :]) + 0 * steps_p[None, :, None]
            gg = np.broadcast_to(g[:, None, None], cp.shape)
            inside = (cp >= sp[gg]) & (cp < sp[gg + 1]) & (cq >= sq[gg]) & (cq < sq[gg + 1])
            cp, cq, gg = cp[inside], cq[inside], gg[inside]
            want = cp.astype(np.int64) * nq + cq
            pos = np.searchsorted(keys, want)
            found = (pos < len(keys)) & (keys[np.minimum(pos, len(keys) - 1)] == want)
            n_cell = np.where(found, counts[np.minimum(pos, len(keys) - 1)], 0)
            thin = n_cell < min_trials
            if not thin.any():
                continue
            vp = lp.table["value"].to_numpy(dtype=object)[cp[thin]]
            vq = lq.table["value"].to_numpy(dtype=object)[cq[thin]]
            pn, qn = p[len(_frame.PARAM_PREFIX):], q[len(_frame.PARAM_PREFIX):]
            rows.append(pd.DataFrame({
                "_group": gg[thin], "_kind": 2, "param": pn, "kind": "sparse", "value": vp,
                "other_param": qn, "other_value": vq, "difference": np.nan, "ci_low": np.nan,
                "ci_high": np.nan, "p_value": np.nan, "n_trials": n_cell[thin],
                "detail": [f"{pn}={_show(a)} with {qn}={_show(b)}, next to the best trial, "
                           f"was tried "
                           f"{c} time{'s' if c != 1 else ''}; try it."
                           for a, b, c in zip(vp, vq, n_cell[thin], strict=True)],
            }))
    if not rows:
        return _empty()
    out = pd.concat(rows, ignore_index=True)
    # keep the group codes of level_tables (same order of appearance)
    remap = pd.Index(groups).get_indexer(groups2)
    out["_group"] = remap[out["_group"].to_numpy()]
    return out.sort_values("_group", kind="stable", ignore_index=True)
