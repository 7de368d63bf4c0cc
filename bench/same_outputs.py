"""Outputs of the timed analyses on several frames, saved or compared.

A speed change must not move a number: run ``python bench/same_outputs.py save
FILE`` with the library before the change on the import path, then ``python
bench/same_outputs.py compare FILE`` with the change. Frames: the benchmark
frame of ``bench/analyses.py`` at 10^6 and 5,000 trials, the bundled example,
20,000 trials in three studies with missing values and collapsed trials, and
300 trials with the objective times 1e-200. Calls: ``value_table`` of every
parameter, ``variance_explained``, ``classify_trend`` (and ``method="shape"``
off the largest frame), two ``coverage_crosstab``, ``validate``,
``search_space_importance`` and ``search_progress`` (its ``curve`` and ``summary``;
not on the largest frame); on the example and on the example ten times over (30
studies), ``search_space_importance``, ``variance_explained`` and ``search_progress`` of
each study (as the report calls them) and the Markdown text of ``hi.report.render``.
Float columns must agree to ``rtol=1e-9`` (differences are printed), all others
exactly; the Markdown text exactly.
"""

from __future__ import annotations

import pickle
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import analyses as A  # noqa: E402

import hpo_insights as hi  # noqa: E402

warnings.simplefilter("ignore")

def frames() -> dict[str, pd.DataFrame]:
    out = {"bench1m": A.make_trials(1_000_000, seed=1), "bench5k": A.make_trials(5000, seed=2),
           "example": hi.datasets.example()}
    t = A.make_trials(20000, seed=3)
    pos = np.arange(len(t))
    t["study"] = np.where(pos % 3 == 0, "a", np.where(pos % 3 == 1, "b", "c"))
    t["number"] = pos
    t.loc[t.index[::7], "params_dropout"] = np.nan
    t["user_attrs_pred_min"] = 0.0
    t["user_attrs_pred_max"] = np.where(pos % 11 == 0, 0.01, 1.0)
    out["multi"] = t
    s = A.make_trials(300, seed=4)
    s["value"] = s["value"] * 1e-200
    out["tiny"] = s
    e = out["example"]
    out["thirty"] = pd.concat([e.assign(study=e["study"] + f"-{k}") for k in range(10)],
                              ignore_index=True)
    return out


def results(t: pd.DataFrame, big: bool) -> dict:
    r = {}
    params = [c[len("params_"):] for c in t.columns if c.startswith("params_")]
    for p in params:
        r["vt_" + p] = hi.value_table(t, params=p)
    r["ve"] = hi.variance_explained(t)
    r["ct"] = hi.classify_trend(t)
    r["cts"] = None if big else hi.classify_trend(t, method="shape")
    for a, b in [(params[0], params[1]), (params[-1], params[-2])]:
        r[f"cov_{a}_{b}"] = hi.coverage_crosstab(t, params=(a, b))
    r["val"] = hi.validate(t)
    if not big:
        r["ssi"] = hi.search_space_importance(t)
        progress = hi.search_progress(t)
        r["sp_curve"], r["sp_summary"] = progress.curve, progress.summary
    return r


def report_results(t: pd.DataFrame) -> dict:
    """The per-study calls of the report, and its Markdown text."""
    r = {}
    for name in pd.unique(t["study"]):
        one = t[t["study"] == name].reset_index(drop=True)
        r[f"ssi_{name}"] = hi.search_space_importance(one)
        r[f"ve_{name}"] = hi.variance_explained(one)
        progress = hi.search_progress(one)
        r[f"sp_curve_{name}"], r[f"sp_summary_{name}"] = progress.curve, progress.summary
    r["markdown"] = hi.report.render(t)
    return r


def _same_column(x: pd.Series, y: pd.Series, where: str) -> bool:
    if pd.api.types.is_float_dtype(x) and pd.api.types.is_float_dtype(y):
        xv, yv = x.to_numpy(float), y.to_numpy(float)
        if not np.array_equal(np.isnan(xv), np.isnan(yv)):
            print("NaN differ", where)
            return False
        ok = np.isnan(xv)
        if not np.allclose(xv[~ok], yv[~ok], rtol=1e-9, atol=0.0):
            print("differ", where, np.max(np.abs(xv[~ok] - yv[~ok])))
            return False
        if not np.array_equal(xv[~ok], yv[~ok]):
            print("within 1e-9", where, np.max(np.abs(xv[~ok] - yv[~ok])))
        return True
    if x.astype(object).equals(y.astype(object)) or (x.astype(str) == y.astype(str)).all():
        return True
    print("differ", where, x.head(3).tolist(), y.head(3).tolist())
    return False


def differences(a, b, where: str) -> int:
    if isinstance(a, pd.DataFrame):
        if list(a.columns) != list(b.columns) or a.shape != b.shape:
            print("shape or columns differ", where, a.shape, b.shape)
            return 1
        return sum(not _same_column(a[c], b[c], f"{where} {c}") for c in a.columns)
    if a is None:
        return int(b is not None)
    if str(a) != str(b):
        print("differ", where)
        return 1
    return 0


def main() -> None:
    mode, path = sys.argv[1], Path(sys.argv[2])
    made = frames()
    res = {k: results(v, k == "bench1m") for k, v in made.items() if k != "thirty"}
    res["report_example"] = report_results(made["example"])
    res["report_thirty"] = report_results(made["thirty"])
    if mode == "save":
        path.write_bytes(pickle.dumps(res))
        return
    old = pickle.loads(path.read_bytes())  # a file this script wrote
    bad = sum(differences(old[k][c], res[k][c], f"{k}/{c}") for k in old for c in old[k])
    missing = [f"{k}/{c}" for k in res for c in res[k] if c not in old.get(k, {})]
    if missing:
        print("not in the saved file (not compared):", ", ".join(missing))
    print(f"{bad} result column(s) differ")


if __name__ == "__main__":
    main()
