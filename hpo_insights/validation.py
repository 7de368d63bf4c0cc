"""Check a trials frame against the schema and explain every defect."""

from __future__ import annotations

import json
import warnings
from typing import Literal

import numpy as np
import pandas as pd

from hpo_insights import _frame as F
from hpo_insights import _guard
from hpo_insights._errors import TrialsError, TrialsWarning

__all__ = ["validate"]

REPORT_COLUMNS = ["column", "problem", "n_rows", "fix"]
STUDY_LEVEL = (F.DIRECTION, "study_metric_name")


def validate(
    trials: pd.DataFrame, *, errors: Literal["raise", "report"] = "raise"
) -> pd.DataFrame:
    """Check *trials* against the trials-frame schema and explain each defect.

    Checks: the ``study``, ``number`` and ``state`` columns exist and hold no
    missing values; trial numbers are integers, unique within each study;
    states are Optuna's (COMPLETE, PRUNED, FAIL, RUNNING, WAITING); an
    objective column (``value`` or ``values_<name>``) exists and is numeric,
    finite in COMPLETE trials; there are ``params_<name>`` columns and each
    takes more than one value; ``study_direction`` holds ``maximize``/
    ``minimize`` (comma-joined for several objectives) and, like the other
    study-level columns, one value per study; ``distributions_<name>`` hold
    Optuna distribution JSON; datetimes and durations have datetime dtypes;
    column labels are unique strings, the frame has rows, trial numbers fit
    int64 and constraint values are numbers. For pooled studies with
    different objectives, a study that never has an objective column is not
    missing it, so every frame :func:`hpo_insights.load` returns passes.

    Besides defects it *notes* how the analyses read odd values (a
    categorical choice ``None`` as the level ``"None"``, booleans mixed with
    numbers kept apart, dicts as JSON text, more than 1,000 distinct values):
    see "Odd inputs" in ``docs/trials-frame.md``. Notes are not defects.

    Parameters
    ----------
    trials : pandas.DataFrame
        The frame to check (it is not modified).
    errors : {"raise", "report"}, default "raise"
        ``"raise"``: raise one :class:`TrialsError` listing every defect (one
        per line), or return *trials* unchanged when it is valid (notes come
        as one :class:`~hpo_insights.TrialsWarning`).
        ``"report"``: return the defects as a DataFrame (empty when valid),
        followed by the notes (their ``problem`` starts with ``"note: "``).

    Returns
    -------
    pandas.DataFrame
        With ``errors="raise"``, *trials* itself. With ``errors="report"``,
        one row per defect with columns ``column`` (the column at fault),
        ``problem`` (what is wrong), ``n_rows`` (rows affected; 0 when the
        defect concerns the whole column) and ``fix``.

    Raises
    ------
    TypeError
        *trials* is not a DataFrame.
    TrialsError
        With ``errors="raise"``, when there is at least one defect; *errors*
        is neither ``"raise"`` nor ``"report"``.

    Examples
    --------
    >>> import pandas as pd
    >>> import hpo_insights as hi
    >>> trials = pd.DataFrame({"study": ["s", "s", "s"], "number": [0, 1, 1],
    ...                        "state": ["COMPLETE", "COMPLETE", "DONE"],
    ...                        "value": [0.5, 0.7, 0.6], "params_lr": [0.1, 0.01, 0.1]})
    >>> report = hi.validate(trials, errors="report")
    >>> report[["column", "n_rows"]]
       column  n_rows
    0   state       1
    1  number       2
    >>> hi.validate(trials.iloc[:2]) is not None
    True
    """
    _guard.choice("errors", errors, ("raise", "report"))
    if not isinstance(trials, pd.DataFrame):
        raise TypeError(
            f"trials must be a pandas DataFrame (a trials frame), got {type(trials).__name__} "
            "instead."
        )
    found = _labels(trials)
    if found is None:
        found = _defects(trials.loc[:, ~trials.columns.duplicated()]
                         if not trials.columns.is_unique else trials)
        if not trials.columns.is_unique:
            dup = trials.columns[trials.columns.duplicated()].unique().tolist()
            found.insert(0, (str(dup[0]), "duplicated column labels: " + ", ".join(
                repr(c) for c in dup), 0, "keep one column per label "
                "(trials.loc[:, ~trials.columns.duplicated()]) or rename the copies.", ERROR))
    notes = [d[:4] for d in found if d[4] == NOTE]
    defects = [d[:4] for d in found if d[4] == ERROR]
    if errors == "report":
        rows = defects + [(c, "note: " + p, n, f) for c, p, n, f in notes]
        return pd.DataFrame(rows, columns=REPORT_COLUMNS).astype({"n_rows": "int64"})
    if notes:
        warnings.warn(
            "How the analyses read this frame (docs/trials-frame.md, Odd inputs):\n"
            + "\n".join(f"- {c}: {p}. {f}" for c, p, n, f in notes),
            TrialsWarning,
            stacklevel=2,
        )
    report = pd.DataFrame(defects, columns=REPORT_COLUMNS).astype({"n_rows": "int64"})
    if len(report):
        lines = [
            f"- {r.column}: {r.problem}"
            + (f" ({r.n_rows} row{'s' if r.n_rows != 1 else ''})" if r.n_rows else "")
            + f". Fix: {r.fix}"
            for r in report.itertuples()
        ]
        raise TrialsError(
            f"The trials frame has {len(report)} defect{'s' if len(report) > 1 else ''} "
            "(see docs/trials-frame.md):\n" + "\n".join(lines)
        )
    return trials


ERROR, NOTE = "error", "note"


def _labels(trials: pd.DataFrame) -> list[tuple] | None:
    """Defects of the column labels that stop every other check (None when there are none)."""
    if isinstance(trials.columns, pd.MultiIndex):
        return [("(columns)", "column labels are a MultiIndex", 0,
                 "flatten them: hi.load(trials) reads Optuna's trials_dataframe(multi_index=True)",
                 ERROR)]
    bad = [c for c in trials.columns if not isinstance(c, str)]
    if bad:
        return [(repr(bad[0]), f"column labels must be strings, got {len(bad)} that are not", 0,
                 "rename them: trials.rename(columns=str), or read the frame with hi.load.",
                 ERROR)]
    if len(trials) == 0:
        return [("(rows)", "the frame is empty (0 rows): no trials", 0,
                 "check the source it came from (an empty storage, file or filter).", ERROR)]
    return None


def _defects(trials: pd.DataFrame) -> list[tuple[str, str, int, str, str]]:
    out = _checks(trials)
    out = [d if len(d) == 5 else (*d, ERROR) for d in out]
    return out


def _checks(trials: pd.DataFrame) -> list[tuple]:
    """Every check's findings, in the order of :data:`_CHECKS` (duplicated labels stop them)."""
    out = _duplicated_labels(trials)
    if out:
        return out
    for check in _CHECKS:
        out.extend(check(trials))
    return out


def _duplicated_labels(trials: pd.DataFrame) -> list[tuple]:
    """Each column label that appears more than once."""
    cols = trials.columns
    return [(str(col), "the column appears more than once", 0, "keep one column of that name.")
            for col in cols[cols.duplicated()].unique()]


def _required_columns(trials: pd.DataFrame) -> list[tuple]:
    """``study``, ``number`` and ``state`` exist and hold no missing values."""
    out = []
    for col in F.REQUIRED:
        if col not in trials.columns:
            out.append((col, "required column is missing", 0, _MISSING_FIX[col]))
        elif trials[col].isna().any():
            out.append((col, "missing values", int(trials[col].isna().sum()),
                        f"fill or drop the rows with no {col}."))
    return out


def _known_states(trials: pd.DataFrame) -> list[tuple]:
    """States are Optuna's."""
    if F.STATE not in trials.columns:
        return []
    state = trials[F.STATE]
    bad = state.notna() & ~state.isin(F.STATES)
    if not bad.any():
        return []
    seen = ", ".join(sorted({str(v) for v in state[bad]}))
    return [(F.STATE, f"unknown state values: {seen}", int(bad.sum()),
             f"use {', '.join(F.STATES)}; hi.load(...) maps other tools' states.")]


def _trial_numbers(trials: pd.DataFrame) -> list[tuple]:
    """Trial numbers are integers that fit int64, unique within each study."""
    if F.NUMBER not in trials.columns:
        return []
    num = trials[F.NUMBER]
    as_num = pd.to_numeric(num, errors="coerce")
    if pd.api.types.is_bool_dtype(num):
        not_int = num.notna()
    else:
        not_int = num.notna() & (
            as_num.isna() | ~np.isfinite(as_num.astype(float)) | (as_num % 1 != 0)
        )
    big = num.notna() & ~not_int & ((as_num.astype(float) >= 2.0**63)
                                    | (as_num.astype(float) < -(2.0**63)))
    fix = "number trials 0, 1, 2 ... within each study."
    if big.any():
        return [(F.NUMBER, "trial numbers too large for int64 (they would wrap around)",
                 int(big.sum()), fix)]
    if not_int.any():
        return [(F.NUMBER, "trial numbers must be integers", int(not_int.sum()), fix)]
    if F.STUDY not in trials.columns:
        return []
    dup = _duplicated_pairs(trials[F.STUDY], as_num) & num.notna().to_numpy()
    if not dup.any():
        return []
    return [(F.NUMBER, "duplicate (study, number) pairs", int(dup.sum()),
             "give each trial of a study its own number, or distinct study "
             "names to trials from different studies.")]


def _objectives(trials: pd.DataFrame) -> list[tuple]:
    """An objective column exists; each is numeric and finite in COMPLETE trials."""
    objectives = F.objective_columns(trials)
    if not objectives:
        return [("value", "no objective column ('value' or 'values_<name>')", 0,
                 "name the metric column: hi.load(..., objective='<column>').")]
    out = []
    for col in objectives:
        y = trials[col]
        if not (F.is_numeric_param(y) or y.isna().all()):
            conv = pd.to_numeric(y, errors="coerce")
            n_bad = int((conv.isna() & y.notna()).sum())
            if n_bad or pd.api.types.is_bool_dtype(y):
                out.append((col, "objective is not numeric", n_bad or len(y),
                            "store numbers (float); convert with pd.to_numeric."))
                continue
            y = conv
        if F.STATE in trials.columns:
            out.extend(_finite_when_complete(trials, col, y, pooled=len(objectives) > 1))
    return out


def _finite_when_complete(trials: pd.DataFrame, col: str, y: pd.Series,
                          pooled: bool) -> list[tuple]:
    """The objective *y* (numbers) is finite in COMPLETE trials.

    With several objectives (*pooled*) and a ``study`` column, a study that
    never has this objective is not missing it.
    """
    bad = (trials[F.STATE] == "COMPLETE").to_numpy() & ~np.isfinite(y.astype(float).to_numpy())
    if bad.any() and pooled and F.STUDY in trials.columns:
        has = pd.Series(y.notna().to_numpy()).groupby(
            trials[F.STUDY].to_numpy(), sort=False).transform("any").to_numpy()
        bad &= has
    if not bad.any():
        return []
    return [(col, "non-finite objective (NaN or inf) in COMPLETE trials",
             int(bad.sum()), "mark those trials FAIL, or fix their value.")]


def _parameters(trials: pd.DataFrame) -> list[tuple]:
    """There are parameter columns, each takes more than one value (and notes on odd values)."""
    params = [c for c in trials.columns if c.startswith(F.PARAM_PREFIX)]
    if not params:
        return [("params_<name>", "no parameter columns", 0,
                 "prefix parameter columns with 'params_' or load with "
                 "hi.load(..., params=[...]).")]
    out = []
    adapted = F.adapt(trials)
    for col in params:
        n_distinct = _n_distinct(adapted[col])
        out.extend(_level_notes(trials[col], adapted[col], col, n_distinct))
        if n_distinct <= 1:
            what = "no value" if n_distinct == 0 else "a single value"
            out.append((col, f"the parameter takes {what}, so it explains nothing", 0,
                        "drop the column, or check it was searched."))
    return out


def _known_directions(trials: pd.DataFrame) -> list[tuple]:
    """``study_direction`` holds maximize/minimize, comma-joined per objective."""
    if F.DIRECTION not in trials.columns:
        return []
    d = trials[F.DIRECTION]
    codes, uniques = pd.factorize(d)  # one check per distinct text, not per row
    good = np.array([all(x.strip() in F.DIRECTIONS for x in str(u).lower().split(","))
                     for u in uniques], dtype=bool)
    bad = (codes >= 0) & ~good[codes] if len(uniques) else np.zeros(len(d), dtype=bool)
    if not bad.any():
        return []
    seen = ", ".join(sorted({str(u) for u, g in zip(uniques, good, strict=True) if not g}))
    return [(F.DIRECTION, f"unknown directions: {seen}", int(bad.sum()),
             "use 'maximize' or 'minimize' (comma-joined per objective).")]


def _one_value_per_study(trials: pd.DataFrame) -> list[tuple]:
    """Study-level columns (direction, metric name, study attributes) are constant per study."""
    cols = trials.columns
    if F.STUDY not in cols:
        return []
    study_level = [c for c in cols if c in STUDY_LEVEL or c.startswith(F.STUDY_ATTR_PREFIX)]
    study_codes, study_names = pd.factorize(trials[F.STUDY])
    out = []
    for col in study_level:
        mixed = _mixed_within(study_codes, len(study_names), trials[col])
        if mixed.any():
            names = study_names[mixed]
            rows = int(mixed[study_codes[study_codes >= 0]].sum())
            out.append((col, "differs within a study (it is a study-level fact): studies "
                        + ", ".join(repr(s) for s in names), rows,
                        "use one value per study, or split the trials into separate "
                        "studies."))
    return out


def _constraints(trials: pd.DataFrame) -> list[tuple]:
    """Constraint values are numbers (as Optuna stores them)."""
    fcols = F.constraint_columns(trials)
    if not fcols:
        return []
    try:
        F.feasible(trials)
    except TrialsError as err:
        return [(fcols[0], str(err).split(". ")[0], 0,
                 "store the constraint values as Optuna does (a JSON list of numbers).")]
    return []


def _distributions(trials: pd.DataFrame) -> list[tuple]:
    """``distributions_<name>`` hold Optuna distribution JSON."""
    out = []
    for col in (c for c in trials.columns if c.startswith(F.DISTRIBUTION_PREFIX)):
        bad = trials[col].dropna().map(_bad_distribution)
        if bad.any():
            out.append((col, "not Optuna distribution JSON ({'name': ..., 'attributes': ...})",
                        int(bad.sum()),
                        "store optuna.distributions.distribution_to_json(...) text."))
    return out


def _time_dtypes(trials: pd.DataFrame) -> list[tuple]:
    """Datetimes have a datetime dtype, the duration a timedelta dtype (or are all missing)."""
    cols = trials.columns
    out = []
    for col in (F.DATETIME_START, F.DATETIME_COMPLETE):
        if col in cols and not (pd.api.types.is_datetime64_any_dtype(trials[col])
                                or trials[col].isna().all()):
            out.append((col, f"not a datetime column (dtype {trials[col].dtype})", 0,
                        "convert with pd.to_datetime, or read the file with hi.load(...)."))
    if F.DURATION in cols and not (pd.api.types.is_timedelta64_dtype(trials[F.DURATION])
                                   or trials[F.DURATION].isna().all()):
        out.append((F.DURATION, f"not a timedelta column (dtype {trials[F.DURATION].dtype})", 0,
                    "convert with pd.to_timedelta, or read the file with hi.load(...)."))
    return out


#: The checks :func:`validate` runs, in the order their defects are listed.
_CHECKS = (
    _required_columns,
    _known_states,
    _trial_numbers,
    _objectives,
    _parameters,
    _known_directions,
    _one_value_per_study,
    _constraints,
    _distributions,
    _time_dtypes,
)


def _duplicated_pairs(study: pd.Series, number: pd.Series) -> np.ndarray:
    """Rows whose (study, number) pair occurs more than once (all copies marked).

    Integer numbers within a span below 2**40 are packed with the study's
    code into one int64 key (one hash of integers instead of a hash of
    pairs); anything else falls back to pandas.
    """
    num = number.to_numpy()
    codes, uniques = pd.factorize(study, use_na_sentinel=False)
    if num.dtype.kind in "iu" and len(num):
        lo, hi = int(num.min()), int(num.max())
        span = hi - lo + 1
        if span < 2**40 and len(uniques) < 2**22:
            key = pd.Series(codes.astype(np.int64) * span + (num.astype(np.int64) - lo))
            return key.duplicated(keep=False).to_numpy()
    frame = pd.DataFrame({"s": codes, "n": number.to_numpy()})
    return frame.duplicated(keep=False).to_numpy()


def _mixed_within(codes: np.ndarray, ngroups: int, values: pd.Series) -> np.ndarray:
    """Per study: whether *values* hold more than one distinct text (missing values ignored).

    Values are compared as text (``str``), as a reader sees them; the texts
    are made once per distinct value, then distinct (study, text) pairs are
    counted.
    """
    vcodes, uniques = pd.factorize(values)
    if len(uniques) <= 1:
        return np.zeros(ngroups, dtype=bool)
    _, text = np.unique(np.array([str(u) for u in uniques], dtype=object).astype(str),
                        return_inverse=True)
    ok = (vcodes >= 0) & (codes >= 0)
    pairs = np.unique(codes[ok].astype(np.int64) * len(uniques) + text[vcodes[ok]])
    return np.bincount(pairs // len(uniques), minlength=ngroups) > 1


def _n_distinct(values: pd.Series) -> int:
    """Distinct non-missing values, like ``Series.nunique`` (0 for unhashable values).

    For numbers only "none, one or more" matters (the note on many levels is
    about non-numeric values), so 2 stands for "two or more" there: one
    comparison instead of a hash of every value.
    """
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iuf":
        arr = values.to_numpy()
        arr = arr[~np.isnan(arr)] if arr.dtype.kind == "f" else arr
        return 0 if not len(arr) else 1 + bool((arr != arr[0]).any())
    try:
        return int(values.nunique(dropna=True))
    except TypeError:
        return 0


def _level_notes(raw: pd.Series, levels: pd.Series, col: str, n_levels: int) -> list[tuple]:
    """Notes on how the analyses read a parameter's values (choices, not defects)."""
    out = []
    if raw.dtype == object and levels is not raw:
        kinds = raw.map(type)
        nested = int(kinds.isin([dict, list, tuple, np.ndarray]).sum())
        if nested:
            out.append((col, "dicts/lists are compared as their JSON text", nested,
                        "nothing to do; store text or numbers to choose the labels yourself.",
                        NOTE))
        bools = int(kinds.isin([bool, np.bool_]).sum())
        if bools and levels.isin(["True", "False"]).sum() >= bools:
            out.append((col, "booleans mixed with numbers: True/False are kept apart from 1/0",
                        bools, "nothing to do; convert the column to one type if they are the "
                        "same level.", NOTE))
    if levels.dtype == object:  # (adapt() makes the level "None" in object columns)
        n_none = int((levels.astype(object) == F.NONE_LEVEL).sum() - (raw.astype(object)
                                                                     == F.NONE_LEVEL).sum())
        if n_none > 0:
            out.append((col, "the categorical choice None is the level 'None' (not 'not used')",
                        n_none, "nothing to do.", NOTE))
    if n_levels > F.MAX_LEVELS and not F.is_numeric_param(levels):
        out.append((col, f"{n_levels} distinct values (more than {F.MAX_LEVELS}): no share, "
                    "no plot", 0, "group the values into fewer levels.", NOTE))
    return out


_MISSING_FIX = {
    F.STUDY: "add a 'study' column (the study name), e.g. trials.assign(study='my-study'), "
    "or load with hi.load(..., studies='my-study').",
    F.NUMBER: "add a 'number' column (trial number within its study).",
    F.STATE: "add a 'state' column (COMPLETE, PRUNED, FAIL, RUNNING, WAITING).",
}


def _bad_distribution(value: object) -> bool:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return True
    return not (isinstance(value, dict) and isinstance(value.get("name"), str)
                and isinstance(value.get("attributes"), dict))
