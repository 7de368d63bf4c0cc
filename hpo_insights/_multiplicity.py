"""Multiple-testing procedures, in plain numpy: Bonferroni, Holm, Benjamini-Hochberg, graphs.

API
---
``bonferroni(p)``, ``holm(p)``, ``bh(p)``
    Adjusted p-values (same shape as *p*; NaN stays NaN and does not count as
    a test). A hypothesis is rejected at level ``alpha`` when its adjusted
    p-value is ``<= alpha``... or, as :func:`hpo_insights.findings` words it,
    ``< alpha`` (the two differ only on a set of probability zero).
``graph(p, weights, transitions)``
    Adjusted p-values of the graphical procedure of Bretz, Maurer, Brannath
    and Posch (2009, *Statistics in Medicine* 28:586): weighted Bonferroni
    tests whose level is passed along the edges of a directed graph when a
    hypothesis is rejected. It controls the family-wise error rate in the
    strong sense over all hypotheses for any weights summing to at most 1 and
    any transition matrix with rows summing to at most 1. Holm is the graph
    with equal weights and edges ``1 / (m - 1)`` between all hypotheses;
    gatekeeping is a graph whose secondary hypotheses start at weight 0 and
    receive weight only from their parent.

The adjusted p-value of hypothesis *i* is the smallest level at which the
procedure rejects it (for graphs: Bretz et al., section 3.3, computed by the
sequential algorithm with the running maximum of ``p_i / w_i``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["bh", "bonferroni", "graph", "holm"]


def _valid(p: np.ndarray) -> np.ndarray:
    return np.isfinite(p)


def bonferroni(p) -> np.ndarray:
    """Bonferroni adjusted p-values: ``min(1, m p)``, *m* the number of finite p-values.

    >>> bonferroni([0.01, 0.04, float("nan")]).tolist()
    [0.02, 0.08, nan]
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = _valid(p)
    out[ok] = np.minimum(1.0, p[ok] * ok.sum())
    return out


def holm(p) -> np.ndarray:
    """Holm's step-down adjusted p-values.

    With the finite p-values sorted, ``p_(1) <= ... <= p_(m)``, the adjusted
    value of ``p_(i)`` is ``max_{j <= i} min(1, (m - j + 1) p_(j))``.

    >>> holm([0.01, 0.04, 0.03, 0.005]).tolist()
    [0.03, 0.06, 0.06, 0.02]
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(_valid(p))
    m = len(ok)
    if not m:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    steps = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(steps)
    return out


def bh(p) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (false discovery rate; q-values).

    With the finite p-values sorted, the adjusted value of ``p_(i)`` is
    ``min_{j >= i} min(1, m p_(j) / j)``.

    >>> bh([0.01, 0.04, 0.03, 0.005]).tolist()
    [0.02, 0.04, 0.04, 0.02]
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(_valid(p))
    m = len(ok)
    if not m:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    steps = np.minimum(1.0, p[order] * m / np.arange(1, m + 1))
    out[order] = np.minimum.accumulate(steps[::-1])[::-1]
    return out


def graph(p, weights, transitions) -> np.ndarray:
    """Adjusted p-values of the graphical weighted-Bonferroni procedure (Bretz et al. 2009).

    Parameters
    ----------
    p : array of shape (m,)
        Raw p-values; NaN means "not tested" (never rejected; its weight is
        passed on as if it were rejected would be wrong, so it simply keeps it).
    weights : array of shape (m,)
        Initial share of the level of each hypothesis (``sum <= 1``).
    transitions : array of shape (m, m)
        ``transitions[i, j]``: share of *i*'s level passed to *j* when *i* is
        rejected (zero diagonal, rows summing to at most 1).

    Returns
    -------
    numpy.ndarray
        Adjusted p-values; hypothesis *i* is rejected at level ``alpha`` when
        its value is ``<= alpha``. NaN for untested hypotheses.

    Notes
    -----
    Algorithm: repeatedly take the unrejected hypothesis with the smallest
    ``p_i / w_i`` (infinite when ``w_i = 0``); its adjusted p-value is the
    running maximum of these ratios (capped at 1); remove it and update
    ``w_j += w_i G_ij`` and ``G_jk = (G_jk + G_ji G_ik) / (1 - G_ji G_ij)``.
    Hypotheses never reached (weight 0 throughout) get 1.

    Examples
    --------
    Holm with three hypotheses is the graph with weights 1/3 and edges 1/2:

    >>> import numpy as np
    >>> g = (np.ones((3, 3)) - np.eye(3)) / 2
    >>> graph([0.01, 0.04, 0.03], np.full(3, 1 / 3), g).round(4).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p, dtype=float)
    w = np.array(weights, dtype=float)
    G = np.array(transitions, dtype=float)
    m = len(p)
    out = np.full(m, np.nan)
    active = np.isfinite(p)
    out[~active] = np.nan
    # untested hypotheses: remove them from the graph, passing nothing (conservative:
    # their weight is lost, which keeps the family-wise error rate controlled)
    w[~active] = 0.0
    G[~active, :] = 0.0
    G[:, ~active] = 0.0
    running = 0.0
    while active.any():
        idx = np.flatnonzero(active)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(w[idx] > 0, p[idx] / w[idx], np.inf)
        k = int(np.argmin(ratio))
        i = idx[k]
        r = ratio[k]
        if not np.isfinite(r):
            out[idx] = 1.0
            break
        running = max(running, min(1.0, r))
        out[i] = running
        active[i] = False
        rest = np.flatnonzero(active)
        if not len(rest):
            break
        gi = G[i, rest]  # i -> j
        gj = G[rest, i]  # j -> i
        w[rest] += w[i] * gi
        with np.errstate(divide="ignore", invalid="ignore"):
            denom = (1.0 - gj * gi)[:, None]  # 1 - g_ji g_ij, per row j
            newG = (G[np.ix_(rest, rest)] + np.outer(gj, gi)) / denom
        newG = np.where(np.isfinite(newG), newG, 0.0)
        np.fill_diagonal(newG, 0.0)
        G[np.ix_(rest, rest)] = newG
        G[i, :] = 0.0
        G[:, i] = 0.0
        w[i] = 0.0
    return out
