"""Probability collapse: trials whose model predicts (almost) the same probability for every input.

A classifier whose predicted probabilities span a tiny range has collapsed to
a constant: its AUC may still look fine while its recall is meaningless.
:func:`detect_collapse` flags each COMPLETE trial from the prediction
statistics the objective recorded as user attributes, and
:func:`collapse_summary` answers "did this study collapse?" per study.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from hpo_insights import _frame, _guard, _mask
from hpo_insights._errors import TrialsError

__all__ = ["collapse_summary", "detect_collapse"]

def _stat_column(trials: pd.DataFrame, role: str, name: str | None) -> str | None:
    """Resolve one statistic's column; ``None`` when it is absent but was not asked for."""
    if name is None:
        return None
    for col in (name, _frame.USER_ATTR_PREFIX + name):
        if col in trials.columns:
            return col
    if name == _mask.PRED_COLUMNS[role]:
        return None
    present = [c for c in trials.columns if c.startswith(_frame.USER_ATTR_PREFIX)]
    raise TrialsError(
        f"{role}={name!r}: no such column in the trials frame. user_attrs_ columns present: "
        f"{', '.join(present) if present else '(none)'}. Pass {role}= one of them, or "
        f"{role}=None if the trials did not record it."
    )


def _check_thresholds(min_range: float, min_std: float) -> None:
    """Both thresholds are finite and >= 0 (NaN would silently mark nothing collapsed)."""
    _guard.real("min_range", min_range, low=0.0)
    _guard.real("min_std", min_std, low=0.0)


def detect_collapse(
    trials: pd.DataFrame,
    *,
    studies: str | Sequence[str] | None = None,
    objective: str | None = None,
    pred_min: str | None = "user_attrs_pred_min",
    pred_max: str | None = "user_attrs_pred_max",
    pred_std: str | None = "user_attrs_pred_std",
    recall: str | None = "user_attrs_recall",
    min_range: float = 0.05,
    min_std: float = 0.01,
    by: str | None = "study",
) -> pd.DataFrame:
    """Flag the COMPLETE trials whose predicted probabilities collapsed to a constant.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    studies : str or sequence of str, optional
        Only these studies (the ``study`` column), in this order; ``None``
        means every study. An unknown name is an error listing the studies.
    objective : str, optional
        The objective column (``value``, ``values_<name>``); ``None`` means the
        frame's single objective.
    pred_min, pred_max, pred_std, recall : str or None
        Columns holding, per trial, the lowest and highest predicted
        probability, their standard deviation and the recall (with or without
        the ``user_attrs_`` prefix). ``None`` means "not recorded". A default
        column that is absent counts as not recorded; a column you name that
        is absent is an error.
    min_range : float, default 0.05
        A trial collapsed when ``pred_max - pred_min < min_range``. Finite and
        ``>= 0``; anything else (NaN, negative) is an error, since it would
        silently mark no trial collapsed.
    min_std : float, default 0.01
        Used only when the range is not recorded: collapsed when
        ``pred_std < min_std``. Finite and ``>= 0``.
    by : str or None, default "study"
        Group column put first in the result; ``None`` leaves it out.

    Returns
    -------
    pandas.DataFrame
        One row per COMPLETE trial with a finite objective, in frame order:
        ``study`` (named after *by*; absent when ``by=None``), ``number``,
        ``value`` (the objective), ``pred_min``, ``pred_max``, ``pred_range``
        (``pred_max - pred_min``), ``pred_std``, ``recall`` (floats, NaN when
        not recorded) and ``collapsed`` (pandas ``"boolean"``: <NA> when
        neither the range nor the std was recorded for the trial).

    Raises
    ------
    TrialsError
        A named statistic column does not exist (the message lists the
        ``user_attrs_`` columns present), no objective column, or a threshold
        that is not a finite number ``>= 0``.
    TypeError
        *trials* is not a DataFrame.

    Notes
    -----
    Only COMPLETE trials with a finite objective are looked at (PRUNED trials
    never finished their evaluation, so their predictions say nothing). The
    range rule wins when both ``pred_min`` and ``pred_max`` are recorded; the
    std rule is the fallback; with neither the answer is unknown (<NA>),
    never "not collapsed". The comparisons are strict.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> dc = hi.detect_collapse(hi.datasets.example())
    >>> list(dc.columns[:5])
    ['study', 'number', 'value', 'pred_min', 'pred_max']
    >>> list(dc.columns[5:])
    ['pred_range', 'pred_std', 'recall', 'collapsed']
    >>> dc.groupby("study", sort=False)["collapsed"].sum().to_dict()
    {'transformer-2M': 0, 'transformer-20M': 0, 'transformer-200M': 2}
    """
    trials = _frame.select_studies(_guard.frame(trials), studies)
    _check_thresholds(min_range, min_std)
    for role, name in zip(_mask.PRED_COLUMNS, (pred_min, pred_max, pred_std, recall), strict=True):
        _guard.text(role, name)
    _guard.text("objective", objective)
    _guard.text("by", by)
    cols = {
        role: _stat_column(trials, role, name)
        for role, name in zip(_mask.PRED_COLUMNS, (pred_min, pred_max, pred_std, recall),
                              strict=True)
    }
    key_col = None
    if by is not None:
        _frame.group_labels(trials, by)  # raises the shared "cannot group by" error
        key_col = by if by in trials.columns else _frame.STUDY_ATTR_PREFIX + by
    need = [*([key_col] if key_col else []), _frame.NUMBER]
    need += [c for c in cols.values() if c is not None]
    done, ycol = _frame.completed(trials, objective, columns=need)
    lo, hi_, sd, rc = (_mask.floats(done, cols[r]) for r in _mask.PRED_COLUMNS)
    rng = hi_ - lo
    has_range = np.isfinite(rng)
    has_std = np.isfinite(sd)
    flag = np.where(has_range, rng < min_range, sd < min_std)
    collapsed = pd.array(flag, dtype="boolean")
    collapsed[~(has_range | has_std)] = pd.NA
    out = {}
    if key_col is not None:
        out[by] = done[key_col].to_numpy()
    out.update(
        number=done[_frame.NUMBER].to_numpy(),
        value=done[ycol].to_numpy(dtype=float),
        pred_min=lo,
        pred_max=hi_,
        pred_range=rng,
        pred_std=sd,
        recall=rc,
        collapsed=collapsed,
    )
    return pd.DataFrame(out)


def collapse_summary(
    trials: pd.DataFrame,
    *,
    studies: str | Sequence[str] | None = None,
    objective: str | None = None,
    pred_min: str | None = "user_attrs_pred_min",
    pred_max: str | None = "user_attrs_pred_max",
    pred_std: str | None = "user_attrs_pred_std",
    recall: str | None = "user_attrs_recall",
    min_range: float = 0.05,
    min_std: float = 0.01,
    by: str | None = "study",
) -> pd.DataFrame:
    """Did each study collapse? One row per study from :func:`detect_collapse`.

    Parameters
    ----------
    trials : pandas.DataFrame
        A trials frame (see ``docs/trials-frame.md``).
    studies : str or sequence of str, optional
        Only these studies (the ``study`` column), in this order; ``None``
        means every study. An unknown name is an error listing the studies.
    objective : str, optional
        The objective column (``value``, ``values_<name>``); ``None`` means the
        frame's single objective.
    pred_min, pred_max, pred_std, recall, min_range, min_std
        As in :func:`detect_collapse`.
    by : str or None, default "study"
        One row per value of this column; ``None`` pools all trials.

    Returns
    -------
    pandas.DataFrame
        One row per group of *trials* (order of first appearance, groups
        without a COMPLETE trial included): ``study`` (named after *by*;
        absent when ``by=None``), ``collapse`` (pandas ``"boolean"``: True if any
        trial collapsed, False if some were measured and none collapsed,
        <NA> if none was measured), ``n_collapsed``, ``n_measured``
        (trials whose ``collapsed`` is not <NA>), ``pred_min`` (lowest
        ``pred_min`` of the collapsed trials), ``pred_max`` (highest
        ``pred_max`` of the collapsed trials) and ``mean_recall`` (mean recall
        of the collapsed trials); the last three are NaN without a collapsed
        trial.

    Raises
    ------
    TrialsError
        As :func:`detect_collapse`.

    See Also
    --------
    detect_collapse : the per-trial flags.

    Examples
    --------
    >>> import hpo_insights as hi
    >>> cs = hi.collapse_summary(hi.datasets.example())
    >>> cs[["study", "collapse", "n_collapsed", "n_measured"]]
                  study collapse  n_collapsed  n_measured
    0    transformer-2M    False            0          48
    1   transformer-20M    False            0          44
    2  transformer-200M     True            2          46
    """
    trials = _frame.select_studies(_guard.frame(trials), studies)
    _check_thresholds(min_range, min_std)
    flags = detect_collapse(
        trials,
        objective=objective,
        pred_min=pred_min,
        pred_max=pred_max,
        pred_std=pred_std,
        recall=recall,
        min_range=min_range,
        min_std=min_std,
        by=by,
    )
    key = by if by is not None else "group"
    if by is None:
        flags[key] = "all"
        groups = pd.Index(["all"])
    else:
        groups = pd.Index(_frame.group_labels(trials, by).unique())
    yes = flags["collapsed"].fillna(False).to_numpy(dtype=bool)
    measured = flags["collapsed"].notna().to_numpy()
    sub = flags.loc[yes]
    g = flags.groupby(key, sort=False)
    n_collapsed = g["collapsed"].sum().reindex(groups, fill_value=0).astype("int64")
    n_measured = (
        pd.Series(measured, index=flags.index)
        .groupby(flags[key], sort=False)
        .sum()
        .reindex(groups, fill_value=0)
        .astype("int64")
    )
    gs = sub.groupby(key, sort=False)
    pred_min = gs["pred_min"].min().reindex(groups)
    pred_max = gs["pred_max"].max().reindex(groups)
    mean_recall = gs["recall"].mean().reindex(groups)
    verdict = pd.array(n_collapsed.to_numpy() > 0, dtype="boolean")
    verdict[n_measured.to_numpy() == 0] = pd.NA
    out = {}
    if by is not None:
        out[by] = groups.to_numpy()
    out.update(
        collapse=verdict,
        n_collapsed=n_collapsed.to_numpy(),
        n_measured=n_measured.to_numpy(),
        pred_min=pred_min.to_numpy(dtype=float),
        pred_max=pred_max.to_numpy(dtype=float),
        mean_recall=mean_recall.to_numpy(dtype=float),
    )
    return pd.DataFrame(out)
