"""What to try next: the searched range's edges, values to drop, and thin spots near the best."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from hpo_insights import _binning, _frame, _mask
from hpo_insights._errors import TrialsError

__all__ = ["suggestions"]

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

    The "edge" and "worse" rows are the claims of :func:`hpo_insights.findings`
    of the same trials (one adjusted model per study, the page's error rate
    controlled over every claim); "sparse" rows say where the neighbourhood
    of the best trial is thin, for the parameters that matter.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    params : str, sequence of str or None, default None
        The parameter(s), with or without ``params_``; ``None`` means all.
        Every parameter stays in the adjusted model.
    studies : str or sequence of str, optional
        Only these studies (the ``study`` column); ``None`` means every study.
    objective : str, optional
        The objective column; ``None`` means the frame's single objective.
    direction : {"maximize", "minimize"}, optional
        Overrides ``study_direction``.
    by : str or None, default "study"
        Suggestions per value of this column; ``None`` pools all trials.
    bins : int or None, default None
        Binning of float parameters for the "sparse" rows, as in
        :func:`hpo_insights.value_table` (binned parameters have none).
    alpha : float, default 0.05
        The family-wise error rate over all claims of these trials (as
        :func:`hpo_insights.findings`).
    min_trials : int, default 3
        ``"sparse"``: combinations near the best trial with fewer trials.
    exclude_collapsed : bool, default True
        Leave out collapsed trials (findings always does).

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

        * ``"edge"``: a parameter that matters has its best fitted value at
          the smallest or largest value tried, the fitted slope there points
          outward with confidence, and that end is not a natural bound (0
          for a non-negative parameter, 1 for a linear one within [0, 1]):
          widen the range past it. ``value`` is the end, ``difference`` the
          fitted slope there (objective units per decade for a log-scale
          parameter, per unit otherwise) with its interval; ``p_value`` the
          page-adjusted p-value that made the claim; ``n_trials`` the trials
          with a value.
        * ``"worse"``: a value (with at least 8 trials) of a parameter that
          matters, worse than another value with confidence in the adjusted
          model: ``other_value`` is the best value, ``difference`` the fitted
          gap to the value it is most surely worse than (negative), with its
          interval; ``p_value`` page-adjusted. It can be dropped.
        * ``"sparse"``: one row per pair of parameters that matter (neither
          binned): ``value`` the number of the combinations of values next
          to the best trial's (each the best trial's or next to it in value
          order; categorical: the best trial's) tried fewer than
          *min_trials* times, ``n_trials`` the fewest trials in one of them.

    Raises
    ------
    TrialsError
        Bad *alpha* or *min_trials*; as :func:`hpo_insights.findings`.
    TypeError
        *trials* is not a DataFrame.

    Notes
    -----
    ``docs/statistics.md`` ("Findings") defines the tests; the report takes
    these rows from the findings of the whole page, so a suggestion made on
    one study alone may differ (its error budget is that study's).

    Examples
    --------
    >>> import hpo_insights as hi
    >>> sg = hi.suggestions(hi.datasets.example(), studies="transformer-200M")
    >>> sg[["param", "kind", "value", "other_value"]]
         param   kind value other_value
    0  dropout   edge   0.7        None
    1  dropout  worse   0.5         0.7
    """
    if isinstance(alpha, bool) or not isinstance(alpha, float | int) or not 0 < alpha < 1:
        raise TrialsError(f"alpha must be a number in (0, 1), got {alpha!r} instead.")
    if isinstance(min_trials, bool) or not isinstance(min_trials, int | np.integer) or (
        min_trials < 1
    ):
        raise TrialsError(f"min_trials must be a positive integer, got {min_trials!r} instead.")
    from hpo_insights.findings import findings

    trials = _frame.select_studies(_frame.check_frame(trials), studies)
    mask, _ = _mask.collapsed_rows(trials, exclude_collapsed)
    kept = trials if mask is None else trials[~mask]
    pcols = _frame.param_columns(kept, params)
    _frame.check_by(by)
    src = _frame.group_column(kept, by)
    work = kept if src is not None else kept.assign(_pooled="all")
    gcol = src if src is not None else "_pooled"
    if direction is not None:
        work = work.assign(study_direction=direction)
    f = findings(work, objective=objective, params=[c[len(_frame.PARAM_PREFIX):] for c in pcols],
                 budget=gcol, alpha=alpha)
    groups = pd.Index(pd.unique(work[gcol].to_numpy(dtype=object)))
    signs, _ = _frame.signs(work, None, gcol, groups, objective=objective)
    glabel = {str(g): i for i, g in enumerate(groups)}
    order = {p[len(_frame.PARAM_PREFIX):]: i for i, p in enumerate(pcols)}
    parts = [_claims(f, glabel, order)]
    matters = f[f.claimed & (f.claim == "matters")]
    pooled = set(matters.param[~matters.study.isin(list(glabel))])
    per_group = {i: pooled | set(matters.param[matters.study == str(g)])
                 for i, g in enumerate(groups)}
    sparse_cols = [p for p in pcols
                   if any(p[len(_frame.PARAM_PREFIX):] in v for v in per_group.values())]
    if len(sparse_cols) >= 2:
        sp = _sparse(work, sparse_cols, objective, gcol, bins, groups, signs, min_trials)
        parts.append(_sparse_lines(sp, per_group, min_trials, order))
    parts = [p for p in parts if len(p)]
    out = pd.concat(parts, ignore_index=True) if parts else _empty()
    out = out.sort_values(["_group", "_kind", "_order"], kind="stable", ignore_index=True)
    result = {} if by is None else {by: groups.to_numpy(dtype=object)[
        out["_group"].to_numpy(dtype=np.intp)]}
    result.update({c: out[c].to_numpy() for c in COLUMNS})
    frame = pd.DataFrame(result, columns=[*([] if by is None else [by]), *COLUMNS])
    for c in ("value", "other_param", "other_value"):
        col = frame[c].astype(object)
        frame[c] = col.where(col.notna(), None)
    return frame.astype({"n_trials": np.int64, "difference": float, "ci_low": float,
                         "ci_high": float, "p_value": float})


def _claims(f: pd.DataFrame, glabel: dict, order: dict) -> pd.DataFrame:
    """The claimed "edge" and "worse" rows of findings, as suggestions."""
    c = f[f.claimed & f.claim.isin(["edge", "worse"]) & f.study.isin(list(glabel))]
    if not len(c):
        return _empty()
    edge = (c.claim == "edge").to_numpy()
    eff, lo, hi = (c[k].to_numpy(dtype=float) for k in ("effect", "effect_low", "effect_high"))
    value = np.where(edge, c.best_value.to_numpy(dtype=object), c.value.to_numpy(dtype=object))
    value = [_typed(v, b) for v, b in zip(value, c.best_value.to_numpy(dtype=object),
                                          strict=True)]
    return pd.DataFrame({
        "_group": c.study.map(glabel).to_numpy(), "_kind": np.where(edge, 0, 1),
        "_order": c.param.map(order).to_numpy(),
        "param": c.param.to_numpy(dtype=object), "kind": c.claim.to_numpy(dtype=object),
        "value": value,
        "other_param": np.where(edge, None, c.param.to_numpy(dtype=object)),
        "other_value": np.where(edge, None, c.best_value.to_numpy(dtype=object)),
        "difference": np.where(edge, eff, -eff), "ci_low": np.where(edge, lo, -hi),
        "ci_high": np.where(edge, hi, -lo), "p_value": c.p_adjusted.to_numpy(dtype=float),
        "n_trials": c.n_trials.to_numpy(dtype=np.int64), "detail": c.detail.to_numpy(),
    })


def _typed(value: object, like: object) -> object:
    """A "worse" value (text in findings) back as a number when the best value is one."""
    if isinstance(value, str) and isinstance(like, int | float | np.integer | np.floating):
        try:
            num = float(value)
        except ValueError:
            return value
        return int(num) if isinstance(like, int | np.integer) and num.is_integer() else num
    return value


def _sparse_lines(sp: pd.DataFrame, per_group: dict, min_trials: int,
                  order: dict) -> pd.DataFrame:
    """One line per (group, pair of parameters that matter) from the thin cells."""
    if not len(sp):
        return _empty()
    keep = np.array([p in per_group[g] and q in per_group[g] for g, p, q in zip(
        sp["_group"], sp["param"], sp["other_param"], strict=True)], dtype=bool)
    sp = sp[keep]
    if not len(sp):
        return _empty()
    agg = sp.groupby(["_group", "param", "other_param"], sort=False).agg(
        cells=("n_trials", "size"), fewest=("n_trials", "min"), total=("_total", "first"))
    agg = agg.reset_index()
    return pd.DataFrame({
        "_group": agg["_group"].to_numpy(), "_kind": 2,
        "_order": agg["param"].map(order).to_numpy(),
        "param": agg["param"].to_numpy(dtype=object), "kind": "sparse",
        "value": agg["cells"].to_numpy(), "other_param": agg["other_param"].to_numpy(dtype=object),
        "other_value": None, "difference": np.nan, "ci_low": np.nan, "ci_high": np.nan,
        "p_value": np.nan, "n_trials": agg["fewest"].to_numpy(dtype=np.int64),
        "detail": [f"{p} x {q}: {c} of the {t} combinations next to the best trial were tried "
                   f"fewer than {min_trials} times (fewest: {m})."
                   for p, q, c, t, m in zip(agg["param"], agg["other_param"], agg["cells"],
                                            agg["total"], agg["fewest"], strict=True)],
    })


def _empty() -> pd.DataFrame:
    return pd.DataFrame({"_group": pd.Series(dtype=np.intp), "_kind": pd.Series(dtype=np.intp),
                         "_order": pd.Series(dtype=np.intp),
                         **{c: pd.Series(dtype=object) for c in COLUMNS}})


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
            total = np.bincount(gg, minlength=ng)
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
                "_total": total[gg[thin]],
                "detail": "",
            }))
    if not rows:
        return _empty()
    out = pd.concat(rows, ignore_index=True)
    # keep the group codes of level_tables (same order of appearance)
    remap = pd.Index(groups).get_indexer(groups2)
    out["_group"] = remap[out["_group"].to_numpy()]
    return out.sort_values("_group", kind="stable", ignore_index=True)
