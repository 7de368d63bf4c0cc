"""Check a trials frame against the schema and explain every defect."""

from __future__ import annotations

import json
from typing import Literal

import numpy as np
import pandas as pd

from hpo_insights import _frame as F
from hpo_insights._errors import TrialsError

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
    Optuna distribution JSON; datetimes and durations have datetime dtypes.

    Parameters
    ----------
    trials : pandas.DataFrame
        The frame to check (it is not modified).
    errors : {"raise", "report"}, default "raise"
        ``"raise"``: raise one :class:`TrialsError` listing every defect (one
        per line), or return *trials* unchanged when it is valid.
        ``"report"``: return the defects as a DataFrame (empty when valid).

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
        With ``errors="raise"``, when there is at least one defect.

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
    if errors not in ("raise", "report"):
        raise ValueError(f"errors must be 'raise' or 'report', got {errors!r} instead.")
    if not isinstance(trials, pd.DataFrame):
        raise TypeError(
            f"trials must be a pandas DataFrame (a trials frame), got {type(trials).__name__} "
            "instead."
        )
    defects = _defects(trials)
    report = pd.DataFrame(defects, columns=REPORT_COLUMNS).astype({"n_rows": "int64"})
    if errors == "report":
        return report
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


def _defects(trials: pd.DataFrame) -> list[tuple[str, str, int, str]]:
    out: list[tuple[str, str, int, str]] = []
    cols = trials.columns
    dup_cols = cols[cols.duplicated()].unique()
    for col in dup_cols:
        out.append((str(col), "the column appears more than once", 0,
                    "keep one column of that name."))
    if len(dup_cols):
        return out
    for col in F.REQUIRED:
        if col not in cols:
            out.append((col, "required column is missing", 0, _MISSING_FIX[col]))
        elif trials[col].isna().any():
            out.append((col, "missing values", int(trials[col].isna().sum()),
                        f"fill or drop the rows with no {col}."))

    if F.STATE in cols:
        state = trials[F.STATE]
        bad = state.notna() & ~state.isin(F.STATES)
        if bad.any():
            seen = ", ".join(sorted({str(v) for v in state[bad]}))
            out.append((F.STATE, f"unknown state values: {seen}", int(bad.sum()),
                        f"use {', '.join(F.STATES)}; hi.load(...) maps other tools' states."))

    if F.NUMBER in cols:
        num = trials[F.NUMBER]
        as_num = pd.to_numeric(num, errors="coerce")
        not_int = num.notna() & (
            as_num.isna() | ~np.isfinite(as_num.astype(float)) | (as_num % 1 != 0)
        )
        if pd.api.types.is_bool_dtype(num):
            not_int = num.notna()
        if not_int.any():
            out.append((F.NUMBER, "trial numbers must be integers", int(not_int.sum()),
                        "number trials 0, 1, 2 ... within each study."))
        elif F.STUDY in cols:
            dup = trials.duplicated([F.STUDY, F.NUMBER], keep=False) & num.notna()
            if dup.any():
                out.append((F.NUMBER, "duplicate (study, number) pairs", int(dup.sum()),
                            "give each trial of a study its own number, or distinct study "
                            "names to trials from different studies."))

    objectives = F.objective_columns(trials)
    if not objectives:
        out.append(("value", "no objective column ('value' or 'values_<name>')", 0,
                    "name the metric column: hi.load(..., objective='<column>')."))
    for col in objectives:
        y = trials[col]
        numeric = F.is_numeric_param(y) or y.isna().all()
        if not numeric:
            conv = pd.to_numeric(y, errors="coerce")
            n_bad = int((conv.isna() & y.notna()).sum())
            if n_bad or pd.api.types.is_bool_dtype(y):
                out.append((col, "objective is not numeric", n_bad or len(y),
                            "store numbers (float); convert with pd.to_numeric."))
                continue
            y = conv
        if F.STATE in cols:
            y = y.astype(float)
            bad = (trials[F.STATE] == "COMPLETE").to_numpy() & ~np.isfinite(y.to_numpy())
            if bad.any():
                out.append((col, "non-finite objective (NaN or inf) in COMPLETE trials",
                            int(bad.sum()), "mark those trials FAIL, or fix their value."))

    params = [c for c in cols if c.startswith(F.PARAM_PREFIX)]
    if not params:
        out.append(("params_<name>", "no parameter columns", 0,
                    "prefix parameter columns with 'params_' or load with "
                    "hi.load(..., params=[...])."))
    for col in params:
        n_distinct = trials[col].nunique(dropna=True)
        if n_distinct <= 1:
            what = "no value" if n_distinct == 0 else "a single value"
            out.append((col, f"the parameter takes {what}, so it explains nothing", 0,
                        "drop the column, or check it was searched."))

    if F.DIRECTION in cols:
        d = trials[F.DIRECTION]
        parts = d.dropna().astype("str").str.lower().str.split(",")
        ok = parts.map(lambda p: all(x.strip() in F.DIRECTIONS for x in p))
        if not ok.all():
            seen = ", ".join(sorted({str(v) for v in d.dropna()[~ok.to_numpy()]}))
            out.append((F.DIRECTION, f"unknown directions: {seen}", int((~ok).sum()),
                        "use 'maximize' or 'minimize' (comma-joined per objective)."))
    if F.STUDY in cols:
        study_level = [c for c in cols if c in STUDY_LEVEL or c.startswith(F.STUDY_ATTR_PREFIX)]
        for col in study_level:
            n_per = trials[col].astype("str").where(trials[col].notna()).groupby(
                trials[F.STUDY], sort=False).nunique()
            mixed = n_per[n_per > 1]
            if len(mixed):
                rows = int(trials[F.STUDY].isin(mixed.index).sum())
                out.append((col, "differs within a study (it is a study-level fact): studies "
                            + ", ".join(repr(s) for s in mixed.index), rows,
                            "use one value per study, or split the trials into separate "
                            "studies."))

    for col in (c for c in cols if c.startswith(F.DISTRIBUTION_PREFIX)):
        vals = trials[col].dropna()
        bad = vals.map(_bad_distribution)
        if bad.any():
            out.append((col, "not Optuna distribution JSON ({'name': ..., 'attributes': ...})",
                        int(bad.sum()),
                        "store optuna.distributions.distribution_to_json(...) text."))

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
