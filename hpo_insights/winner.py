"""The winner's margin: is the best configuration really better than the next ones?

:func:`compare_top` pairs the per-fold scores of the best configuration with
those of the runners-up (every configuration of a cross-validated search is
scored on the same folds) and tests each difference with the corrected
resampled t-test of Nadeau & Bengio (2003). :func:`compare_top_findings` gives
the same answers as rows of the findings contract (``hpo_insights.findings``).
Definitions and the simulated error rates: ``docs/statistics.md`` ("The
winner's margin").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from hpo_insights import _arguments, _multiplicity, _stats
from hpo_insights import _frame as F
from hpo_insights._errors import TrialsError

__all__ = ["compare_top", "compare_top_findings"]

COLUMNS = [
    "study", "best", "other", "rank", "best_value", "other_value", "difference", "ci_low",
    "ci_high", "t", "df", "p_value", "p_adjusted", "better", "n_folds", "test_train_ratio",
    "n_trials",
]
_SPLIT = re.compile(r"^user_attrs_split(\d+)_test_(.+)$")


def _folds_from_trials(trials: pd.DataFrame, objective: str | None) -> pd.DataFrame:
    """The folds of a trials frame that kept scikit-learn's ``split<k>_test_<scorer>``."""
    found: dict[str, list[tuple[int, str]]] = {}
    for col in trials.columns:
        m = _SPLIT.match(str(col))
        if m:
            found.setdefault(m.group(2), []).append((int(m.group(1)), col))
    if not found:
        raise TrialsError(
            "compare_top needs per-fold scores: the trials frame has no "
            "user_attrs_split<k>_test_<scorer> columns. Pass hi.load_folds(source) (a "
            "scikit-learn search, its cv_results_ or their CSV) or a frame with columns "
            "study, number, fold, value."
        )
    ycol = F.objective_column(trials, objective)
    if len(found) == 1:
        scorer = next(iter(found))
    else:
        metric = trials["study_metric_name"].dropna().unique() if \
            "study_metric_name" in trials.columns else []
        hits = [m for m in metric if m in found]
        if len(hits) != 1:
            raise TrialsError(
                f"The trials frame has per-fold scores of {len(found)} scorers "
                f"({', '.join(sorted(found))}) and its metric name does not say which is the "
                f"objective {ycol!r}: pass hi.load_folds(source, objective=...)."
            )
        scorer = hits[0]
    cols = [c for _, c in sorted(found[scorer])]
    scores = trials[cols].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    value = pd.to_numeric(trials[ycol], errors="coerce").to_numpy(float)
    ok = np.isfinite(value) & np.isfinite(scores).all(axis=1)
    if ok.any() and not np.allclose(scores[ok].mean(axis=1), value[ok], rtol=1e-9, atol=1e-12):
        raise TrialsError(
            f"The columns {cols[0]!r}... are not the folds of the objective {ycol!r}: their "
            "mean differs from it. Pass hi.load_folds(source, objective=...) instead."
        )
    n, k = scores.shape
    out = pd.DataFrame({
        F.STUDY: np.repeat(trials[F.STUDY].to_numpy(), k),
        F.NUMBER: np.repeat(trials[F.NUMBER].to_numpy(), k),
        F.STATE: np.repeat(trials[F.STATE].to_numpy(), k),
        "fold": np.tile(np.arange(k), n),
        F.VALUE: scores.reshape(-1),
    })
    if F.DIRECTION in trials.columns:
        out[F.DIRECTION] = np.repeat(trials[F.DIRECTION].to_numpy(), k)
    return out


def _as_folds(data: pd.DataFrame, objective: str | None) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            "compare_top takes per-fold scores (hi.load_folds(...)) or a trials frame that "
            f"kept them, got {type(data).__name__} instead."
        )
    if "fold" in data.columns:
        missing = [c for c in (F.STUDY, F.NUMBER, F.VALUE) if c not in data.columns]
        if missing:
            raise TrialsError(
                f"The folds frame has no {', '.join(map(repr, missing))} column: expected "
                "columns study, number, fold, value (as hi.load_folds returns)."
            )
        return data
    return _folds_from_trials(F.check_frame(data), objective)


def _select(folds: pd.DataFrame, studies: str | Sequence[str] | None) -> pd.DataFrame:
    """The folds of the named studies, in that order (an unknown name is an error)."""
    names = F.study_names(studies)
    if names is None:
        return folds
    present = list(pd.unique(folds[F.STUDY]))
    unknown = [s for s in names if s not in present]
    if unknown:
        raise TrialsError(F.unknown_studies_message(unknown, present, "the folds"))
    parts = [folds[folds[F.STUDY] == s] for s in names]
    return pd.concat(parts, ignore_index=True)


def _matrix(sub: pd.DataFrame, study: object) -> tuple[np.ndarray, np.ndarray, int]:
    """Scores as a (configuration × fold) matrix over configurations with every fold finite,
    their numbers, and how many configurations were left out (not COMPLETE, or a fold
    without a finite score)."""
    n_all = int(sub[F.NUMBER].nunique())
    if "state" in sub.columns:
        sub = sub[sub["state"].astype(str) == "COMPLETE"]
    dup = sub.duplicated([F.NUMBER, "fold"])
    if dup.any():
        raise TrialsError(
            f"Study {study!r} has several scores for one (number, fold) pair, e.g. number "
            f"{sub.loc[dup, F.NUMBER].iloc[0]!r}: expected one row per trial and fold."
        )
    wide = sub.pivot(index=F.NUMBER, columns="fold", values=F.VALUE)
    values = wide.apply(pd.to_numeric, errors="coerce").to_numpy(float)
    ok = np.isfinite(values).all(axis=1)
    return values[ok], wide.index.to_numpy()[ok], n_all - int(ok.sum())


def compare_top(
    trials_or_folds: pd.DataFrame,
    *,
    k: int = 1,
    studies: str | Sequence[str] | None = None,
    objective: str | None = None,
    direction: str | None = None,
    test_train_ratio: float | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The best configuration against the next *k*, fold by fold, with a corrected t-test.

    Parameters
    ----------
    trials_or_folds : pandas.DataFrame
        Per-fold scores, ``hi.load_folds(source)`` (columns ``study, number,
        fold, value``, optionally ``state`` and ``study_direction``), or a trials
        frame that kept scikit-learn's ``user_attrs_split<k>_test_<scorer>``
        columns (``hi.load(search)``).
    k : int, default 1
        How many runners-up to compare with the best (the 2nd, ..., the
        (k+1)-th); fewer when a study has fewer configurations.
    studies : str or sequence of str, optional
        The studies to compare within (each on its own). Default: all.
    objective : str, optional
        For a trials frame: the objective column whose folds to use.
    direction : str, optional
        ``"maximize"``/``"minimize"`` when the frame has no ``study_direction``.
    test_train_ratio : float, optional
        ``n_test / n_train`` of one fold. Default ``1 / (J - 1)``: plain J-fold
        cross-validation (each fold tests on 1/J of the data and trains on the
        rest). Give it for repeated K-fold (``1 / (K - 1)`` with J = R·K scores)
        or a ``ShuffleSplit`` (``test_size / train_size``).
    alpha : float, default 0.05
        Level of the intervals and of ``better`` (Holm-adjusted over the *k*
        comparisons of a study).

    Returns
    -------
    pandas.DataFrame
        One row per (study, runner-up), studies in order, ``rank`` ascending:
        ``best`` and ``other`` (trial numbers), ``rank`` (the other's rank by
        mean score, 2 = runner-up), ``best_value``/``other_value`` (mean over
        folds), ``difference`` (mean of the paired per-fold differences, best
        minus other for ``maximize``, other minus best for ``minimize``: > 0
        favours the best), ``ci_low``/``ci_high`` (its 1 − alpha interval with
        the corrected variance), ``t``, ``df`` (J − 1), ``p_value``
        (two-sided), ``p_adjusted`` (Holm over the study's k comparisons),
        ``better`` (``p_adjusted < alpha`` and ``difference > 0``; ``False``
        reads "not established", never "equal"), ``n_folds`` (J),
        ``test_train_ratio`` and ``n_trials`` (configurations with every fold
        scored).

    Notes
    -----
    With d_j the difference on fold j (j = 1..J), d̄ its mean and s² its sample
    variance (ddof 1), the corrected resampled t statistic is
    t = d̄ / sqrt((1/J + n_test/n_train) · s²) on J − 1 degrees of freedom
    (Nadeau & Bengio 2003). The folds share training data, so the fold
    differences are positively correlated; the plain paired t-test
    (variance s²/J) then rejects too often, the correction widens it. Only
    COMPLETE configurations with a finite score on every fold take part.

    Examples
    --------
    >>> import pandas as pd
    >>> import hpo_insights as hi
    >>> folds = pd.DataFrame({"study": "s", "number": [0] * 5 + [1] * 5,
    ...                       "fold": list(range(5)) * 2,
    ...                       "value": [.90, .92, .91, .93, .90, .89, .90, .91, .90, .88],
    ...                       "study_direction": "maximize"})
    >>> top = hi.compare_top(folds)
    >>> top[["best", "other", "difference", "n_folds"]].round(3)
       best  other  difference  n_folds
    0     0      1       0.016        5
    >>> round(float(top["p_value"].iloc[0]), 3), bool(top["better"].iloc[0])
    (0.105, False)
    """
    k = _arguments.integer("k", k, low=1)
    alpha = _arguments.real("alpha", alpha, low=0, high=1, low_open=True, high_open=True)
    if test_train_ratio is not None:
        test_train_ratio = _arguments.real("test_train_ratio", test_train_ratio, low=0,
                                       low_open=True)
    direction = _arguments.direction(direction)
    folds = _as_folds(trials_or_folds, objective)
    folds = _select(folds, studies)
    from scipy import stats

    rows = []
    names = list(pd.unique(folds[F.STUDY]))
    dirs = F.directions(folds, direction, by=F.STUDY)
    for study in names:
        sub = folds[folds[F.STUDY] == study]
        values, numbers, _ = _matrix(sub, study)
        n, J = values.shape
        if n < 2 or J < 2:
            continue
        sign = 1.0 if dirs.loc[study] == "maximize" else -1.0
        means = values.mean(axis=1)
        order = np.lexsort((numbers, -sign * means))  # best first; ties by number
        best = order[0]
        others = order[1:k + 1]
        ratio = 1.0 / (J - 1) if test_train_ratio is None else test_train_ratio
        d = sign * (values[best][None, :] - values[others])  # (k, J)
        dbar = d.mean(axis=1)
        var = d.var(axis=1, ddof=1)
        se = np.sqrt((1.0 / J + ratio) * var)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(se > 0, dbar / se, np.where(dbar == 0, 0.0, np.sign(dbar) * np.inf))
        p = np.minimum(1.0, _stats.t_two_sided_p(t, np.full(t.shape, J - 1.0)))
        q = stats.t.ppf(1 - alpha / 2, J - 1)
        padj = _multiplicity.holm(p)
        for i, o in enumerate(others):
            rows.append({
                "study": study, "best": numbers[best], "other": numbers[o], "rank": i + 2,
                "best_value": means[best], "other_value": means[o], "difference": dbar[i],
                "ci_low": dbar[i] - q * se[i], "ci_high": dbar[i] + q * se[i], "t": t[i],
                "df": J - 1, "p_value": p[i], "p_adjusted": padj[i],
                "better": bool(padj[i] < alpha and dbar[i] > 0), "n_folds": J,
                "test_train_ratio": ratio, "n_trials": n,
            })
    out = pd.DataFrame(rows, columns=COLUMNS)
    return out.astype({"best": "int64", "other": "int64", "rank": "int64", "df": "int64",
                       "n_folds": "int64", "n_trials": "int64", "better": "bool",
                       "study": "str"})


def compare_top_findings(
    trials_or_folds: pd.DataFrame,
    *,
    k: int = 1,
    studies: str | Sequence[str] | None = None,
    objective: str | None = None,
    direction: str | None = None,
    test_train_ratio: float | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """:func:`compare_top` as rows of the findings contract (``hi.findings``' columns).

    One row per (study, runner-up): ``param`` ``<NA>`` (a claim about
    configurations, not a parameter), ``claim`` ``"best_better"``, ``value``
    ``"yes"`` or ``"not established"``, ``claimed`` = ``better``, ``effect``
    (``effect_low``, ``effect_high``) = the difference and its interval,
    ``p_value``, ``p_adjusted`` (Holm over the study's comparisons), ``n_trials``
    (configurations with every fold), ``n_pruned`` (configurations left out:
    not COMPLETE or a fold without a score), ``section`` ``"winner"``,
    ``best_value`` the best's mean and ``best_low``/``best_high`` its interval
    (same corrected variance, over its own folds), ``detail`` one sentence.

    Examples
    --------
    >>> import pandas as pd
    >>> import hpo_insights as hi
    >>> from hpo_insights.winner import compare_top_findings
    >>> folds = pd.DataFrame({"study": "s", "number": [0] * 5 + [1] * 5,
    ...                       "fold": list(range(5)) * 2,
    ...                       "value": [.90, .92, .91, .93, .90, .89, .90, .91, .90, .88],
    ...                       "study_direction": "maximize"})
    >>> print(compare_top_findings(folds)["detail"].iloc[0])
    the best (#0) is better than the 2nd (#1) by 0.016 [-0.0052, 0.037]: not established
    """
    top = compare_top(trials_or_folds, k=k, studies=studies, objective=objective,
                      direction=direction, test_train_ratio=test_train_ratio, alpha=alpha)
    folds = _select(_as_folds(trials_or_folds, objective), studies)
    from scipy import stats

    rows = []
    for r in top.itertuples(index=False):
        sub = folds[folds[F.STUDY] == r.study]
        values, numbers, dropped = _matrix(sub, r.study)
        best = values[list(numbers).index(r.best)]
        J = len(best)
        se = np.sqrt((1.0 / J + r.test_train_ratio) * best.var(ddof=1))
        q = stats.t.ppf(1 - alpha / 2, J - 1)
        verdict = "yes" if r.better else "not established"
        ordinal = _ordinal(r.rank)
        rows.append({
            "study": r.study, "param": pd.NA, "claim": "best_better", "value": verdict,
            "claimed": bool(r.better), "effect": r.difference, "effect_low": r.ci_low,
            "effect_high": r.ci_high, "p_value": r.p_value, "p_adjusted": r.p_adjusted,
            "n_trials": r.n_trials, "n_pruned": dropped, "section": "winner",
            "best_low": r.best_value - q * se, "best_high": r.best_value + q * se,
            "best_value": r.best_value,
            "detail": (f"the best (#{r.best}) is better than the {ordinal} (#{r.other}) by "
                       f"{r.difference:.2g} [{r.ci_low:.2g}, {r.ci_high:.2g}]: "
                       + ("established" if r.better else "not established")),
        })
    from hpo_insights._claims import COLUMNS as FINDINGS_COLUMNS

    cols = [c for c in FINDINGS_COLUMNS if c in rows[0]] if rows else [
        c for c in FINDINGS_COLUMNS if c != "n_outliers"]
    return pd.DataFrame(rows, columns=cols)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def findings_rows(ctx: Any) -> list:
    """The winner's margin of every study that kept per-fold scores, as rows of
    :func:`hpo_insights.findings`.

    A family of :data:`hpo_insights.findings.FAMILIES`: where the trials kept
    scikit-learn's ``user_attrs_split<k>_test_<scorer>`` columns, the rows of
    :func:`compare_top_findings` with ``k=2`` (claim ``"best_better"``,
    section ``"winner"``), the study named by its label as the other claims
    are. Outside the page's graph of tests, like the collapse and plateau rows:
    each study's comparisons are Holm-adjusted, and the error rate under the
    null is measured by simulation (``bench/compare_top_sim.py``,
    ``docs/statistics.md``).
    """
    trials = ctx.trials
    if not any(_SPLIT.match(str(c)) for c in trials.columns):
        return []
    try:
        rows = compare_top_findings(trials, k=2, alpha=ctx.alpha)
    except TrialsError:
        return []
    # the other claims name a study by its budget label (the study itself without budgets)
    pairs = trials[[F.STUDY, ctx.budget_col]].drop_duplicates(F.STUDY)
    label = {s: str(b) for s, b in zip(pairs[F.STUDY], pairs[ctx.budget_col], strict=True)}
    out = []
    for r in rows.to_dict("records"):
        r["study"] = label.get(r["study"], str(r["study"]))
        r["param"] = ""
        r["n_outliers"] = 0
        out.append(r)
    ctx.extra.setdefault("rows", []).extend(out)
    return []
