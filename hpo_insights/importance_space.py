"""How much each parameter matters over the search space (not only among the trials tried)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from hpo_insights import _frame, _guard, _search_space
from hpo_insights._errors import TrialsError

__all__ = ["search_space_importance"]


def search_space_importance(
    trials: pd.DataFrame,
    *,
    params: str | Sequence[str] | None = None,
    studies: str | Sequence[str] | None = None,
    objective: str | None = None,
    by: str | None = "study",
    degree: int = 3,
    max_levels: int = 12,
    max_weight: float = 20.0,
    reweight: bool = False,
    exclude_collapsed: bool = True,
    alpha: float = 0.05,
    seed: int | None = 0,
    n_resamples: int = 1000,
) -> pd.DataFrame:
    """Each parameter's share of the objective's variance over the search space.

    A design-space estimate: an additive (main-effects) model is fitted to
    the trials by least squares, and each parameter's share is the variance
    of its fitted component under the *search-space* distribution (the
    recorded Optuna distributions) over the sum of those variances. Unlike
    :func:`~hpo_insights.variance_explained`'s eta squared it does not depend
    on where an adaptive sampler happened to pile up trials. Also reachable
    as ``hi.variance_explained(trials, space="search")``.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    params : str, sequence of str or None, default None
        Parameter names, with or without ``params_``; ``None`` means all. They
        are fitted together, so the shares depend on which are named. With
        ``None``, a group in which no completed trial has every parameter (a
        conditional space: branches of a grid, a parameter never active there)
        fits the parameters every one of its trials has (Optuna's intersection
        search space) and gives the others a NaN share, with a ``TrialsWarning``.
    studies : str or sequence of str, optional
        Only these studies (the ``study`` column), in this order; ``None``
        means every study. An unknown name is an error listing the studies.
    objective : str, optional
        The objective column; ``None`` means the frame's single objective.
    by : str or None, default "study"
        One model per value of this column; ``None`` pools all trials.
    degree : int, default 3
        Degree of the Legendre polynomial of a smooth (continuous, or integer
        with more than *max_levels* values) parameter, on its log scale when
        the distribution is ``log``.
    max_levels : int, default 12
        Integer and stepped parameters with at most this many values, and all
        categoricals, get one coefficient per value (one-hot).
    max_weight : float, default 20.0
        With ``reweight=True``: cap on a trial's weight (weights have mean
        1); ``math.inf`` for none.
    reweight : bool, default False
        ``True`` weights each trial by search-space probability over sampling
        frequency before fitting (see Notes). Off by default: on the
        benchmarks in ``docs/benchmarks.md`` the weights cost more in
        variance than they remove in bias.
    exclude_collapsed : bool, default True
        Leave out the trials :func:`~hpo_insights.detect_collapse` flags
        (collapsed predictions; their objective is an outlier no additive
        model describes), counted in ``n_excluded``.
    alpha : float, default 0.05
        ``ci_low``/``ci_high`` cover each share with probability ``1 - alpha``.
    seed : int or None, default 0
        Seeds the coefficient draws of the interval (``None``: fresh entropy).
    n_resamples : int, default 1000
        Coefficient draws behind the interval; ``0`` gives NaN intervals.

    Returns
    -------
    pandas.DataFrame
        One row per (``study``, ``param``): ``study`` (named after *by*;
        absent when ``by=None``), ``param``, ``share`` (in [0, 1], summing to
        1 within a group), ``share_corrected`` (the same from each
        component's variance shrunk by its signal-to-noise in the fit,
        ``variance * max(1 - 1/F_j, 0)`` with ``F_j`` the parameter's partial F
        statistic: positive whenever ``F_j > 1``, so never zero for a parameter
        whose partial F test is significant), ``ci_low``/``ci_high`` (an
        interval of ``share`` from the sampling distribution of the fitted
        coefficients: it widens where the space is extrapolated, see
        ``coverage``; ``ci_low`` is 0 when the parameter's partial F test
        does not reject "no effect" at *alpha*), ``variance`` (``Var(f_j)``
        of the fitted component under the search-space distribution, in
        objective units squared), ``variance_chance`` (the part of
        ``variance`` expected from noise alone, NaN when no degree of freedom
        is left), ``coverage`` (search-space probability of the levels, or of
        the equal-width bins of the parameter's scale, that hold at least one
        fitted trial: below 1 the share extrapolates into untried regions),
        ``n_trials`` (trials fitted), ``n_excluded`` (collapsed trials left
        out), ``n_eff`` (Kish's effective
        sample size of the weights; ``n_trials`` when unweighted),
        ``r2`` (weighted R² of the additive model, the same on every row of a
        group) and ``source`` (``"distribution"``, or ``"observed"`` when no
        distribution was recorded). Groups in order of appearance, ``share``
        descending within a group.

    Raises
    ------
    TrialsError
        Unknown parameter or objective, no completed trial, bad *degree*,
        *max_levels* or *max_weight*.
    TypeError
        *trials* is not a DataFrame.

    Notes
    -----
    The search-space distribution of a parameter is uniform over a
    categorical's choices, over the grid ``low, low + step, ..., high`` of
    an integer or stepped float (log-integers with Optuna's probabilities),
    and continuous uniform over ``[low, high]`` of a float, in log space when
    ``log=True``. Without a recorded distribution the observed values stand
    in: uniform over the values seen (non-numbers, whole numbers, at most
    *max_levels* distinct values), else uniform over ``[min, max]`` seen, in
    log space when all are positive and ``max / min > 100``.

    The fitted component of *j* is evaluated at each level (one-hot terms)
    or at 32 Gauss-Legendre points (polynomial terms);
    ``variance = sum_k q_k (f_j(x_k) - mean_q f_j)^2``. For an additive
    objective and the product search-space distribution the variance of the
    objective is exactly the sum of these. ``variance_chance = trace(M_j
    Cov(beta_j))``, with ``M_j`` the search-space covariance of the basis and
    ``Cov(beta_j)`` the least-squares covariance of the coefficients (noise
    variance from the residuals, ``ddof`` = number of coefficients).
    ``variance_chance`` is reported but no longer subtracted: over a space
    partly never tried it is inflated by extrapolation and zeroed real
    effects. ``share_corrected`` uses ``F_j = beta_j' Cov(beta_j)^-1 beta_j /
    df_j`` (the Wald form of the partial F test, computed in the tried region
    only); for a component uncorrelated with the others ``variance * (1 -
    1/F_j)`` is its variance less its expected noise part. The extrapolation
    uncertainty goes into the interval instead: ``n_resamples`` coefficient
    vectors are drawn from their sampling distribution (seeded), a
    multivariate t around ``beta`` with scale ``Cov(beta)`` and the residual
    degrees of freedom (the noise variance is itself estimated); each gives
    shares over the whole search space, and ``ci_low``/``ci_high`` are their
    ``alpha/2`` and ``1 - alpha/2`` quantiles (a percentile interval; it is
    wide where ``coverage`` is below 1 and the fitted polynomial is
    extrapolated). A share of 0 lies on the edge, where no percentile
    reaches: ``ci_low`` is set to 0 when the Wald form of the parameter's
    partial F test has ``p > alpha`` (the data are consistent with no
    effect). Coverage measured by ``bench/search_space_sim.py`` is in
    ``docs/statistics.md``.

    Only COMPLETE trials with a finite objective that have a value for every
    parameter in *params*, inside its recorded search space, are fitted (the
    others are counted in one :class:`~hpo_insights.TrialsWarning`). The
    method, its assumptions (independent sampling of the parameters for the
    weights, an additive objective for an exact decomposition) and its
    accuracy against Optuna's evaluators are in ``docs/statistics.md``
    (Search-space importance) and ``docs/benchmarks.md``.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> import hpo_insights as hi
    >>> a, b = np.meshgrid(np.arange(4), np.arange(3), indexing="ij")
    >>> trials = pd.DataFrame({"study": "s", "number": range(12), "state": "COMPLETE",
    ...     "value": (3.0 * a + b).ravel(), "params_a": a.ravel(), "params_b": b.ravel()})
    >>> hi.search_space_importance(trials)[["param", "share"]].round(3)  # 11.25 / (11.25 + 2/3)
      param  share
    0     a  0.944
    1     b  0.056
    """
    _frame.check_frame(trials)
    _frame.check_by(by)
    if isinstance(degree, bool) or not isinstance(degree, int) or degree < 1:
        raise TrialsError(f"degree must be a positive integer, got {degree!r} instead.")
    if isinstance(max_levels, bool) or not isinstance(max_levels, int) or max_levels < 2:
        raise TrialsError(f"max_levels must be an integer >= 2, got {max_levels!r} instead.")
    if not isinstance(max_weight, int | float) or math.isnan(max_weight) or max_weight < 1:
        raise TrialsError(f"max_weight must be a number >= 1, got {max_weight!r} instead.")
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise TrialsError(f"alpha must be a number between 0 and 1, got {alpha!r} instead.")
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int) or n_resamples < 0:
        raise TrialsError(
            f"n_resamples must be a non-negative integer, got {n_resamples!r} instead.")
    seed = _guard.seed(seed)
    trials = _frame.select_studies(trials, studies)
    return _search_space.search_space_shares(
        trials, params=params, objective=objective, by=by, degree=degree,
        max_levels=max_levels, max_weight=float(max_weight), reweight=bool(reweight),
        exclude_collapsed=bool(exclude_collapsed), confidence=1.0 - float(alpha),
        n_draws=n_resamples, seed=seed,
    )
