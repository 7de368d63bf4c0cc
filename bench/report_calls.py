"""Milliseconds per call of what the report does once per study.

The report's per-study cells (``hpo_insights.report.sections.DEFAULT``) call a few
analyses on the study's trials and show each result, and show a study's rows of the
analyses made once for every study. This script times each of those calls on its
own, on one study of the bundled example ten times over (50 trials, 7 parameters;
the shared results are computed on all 30 studies, as in the report) and on one
study of 5,000 trials (``bench/analyses.py``'s frame, 8 parameters):

- the analyses: ``variance_explained``, ``search_space_importance``,
  ``coverage_crosstab`` (the study's two parameters that matter most),
  ``search_progress``, ``report.answers.parameters``;
- the renderers (``hi.report.markdown.to_markdown``, which ``hi.report.show``
  displays): the study's "What matters" table (``hi.findings`` of every study,
  shown with ``trials=``), each of those results, and the study's rows of ``summarize``,
  ``best_trial``, ``value_table``, ``sampling_association``, ``collapse_summary``
  and ``forced_extremes`` of every study.

Prints the median wall-clock milliseconds of REPEATS calls (default 15) and the
median CPU milliseconds (``time.process_time``) beside them.

Run: ``python bench/report_calls.py [REPEATS]``.
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import analyses as A  # noqa: E402

import hpo_insights as hi  # noqa: E402
from hpo_insights.report.markdown import to_markdown  # noqa: E402

warnings.simplefilter("ignore")


def thirty() -> pd.DataFrame:
    e = hi.datasets.example()
    return pd.concat([e.assign(study=e["study"] + f"-{k}") for k in range(10)],
                     ignore_index=True)


def timed(fn, repeats: int) -> tuple[float, float]:
    """Median wall-clock and CPU milliseconds of *repeats* calls (after one warm-up)."""
    fn()
    wall, cpu = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return 1000 * statistics.median(wall), 1000 * statistics.median(cpu)


def calls(frame: pd.DataFrame, name: str) -> dict[str, object]:
    """Each per-study call of the report for the study *name* of *frame*."""
    study = frame[frame["study"] == name].reset_index(drop=True)
    metric = hi.report.metric_name(frame)
    found = hi.findings(frame)
    order = hi.report.answers.parameters(found, study)
    shared = {
        "summarize": (hi.summarize(frame), {"metric": metric}),
        "best_trial": (hi.best_trial(frame), {"metric": metric}),
        "value_table": (hi.value_table(frame), {"metric": metric, "params": order}),
        "sampling_association": (hi.sampling_association(frame), {}),
    }
    if hi.report.sections.has_predictions(frame):
        shared["collapse_summary"] = (hi.collapse_summary(frame), {})
    if hi.report.sections.has_extremes(frame):
        shared["forced_extremes"] = (hi.forced_extremes(frame), {"metric": metric})
    ve = hi.variance_explained(study)
    ss = hi.search_space_importance(study)
    ct = hi.coverage_crosstab(study, params=order[:2])
    sp = hi.search_progress(study)
    out: dict[str, object] = {
        "variance_explained": lambda: hi.variance_explained(study),
        "search_space_importance": lambda: hi.search_space_importance(study),
        "coverage_crosstab": lambda: hi.coverage_crosstab(study, params=order[:2]),
        "search_progress": lambda: hi.search_progress(study),
        "answers.parameters": lambda: hi.report.answers.parameters(found, study),
        "show findings (What matters)": lambda: to_markdown(found, trials=study, metric=metric),
        "show variance_explained": lambda: to_markdown(ve, metric=metric, verdicts=False),
        "show search_space_importance": lambda: to_markdown(ss),
        "show coverage_crosstab": lambda: to_markdown(ct),
        "show search_progress": lambda: to_markdown(sp, metric=metric),
    }
    for kind, (result, context) in shared.items():
        out[f"show {kind} (study's rows)"] = (
            lambda r=result, c=context: to_markdown(r, study=name, **c))
    return out


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    big = A.make_trials(5000, seed=2)
    cases = {"50 trials": (thirty(), "transformer-2M-0"), "5,000 trials": (big, "bench")}
    table = {case: {k: timed(f, repeats) for k, f in calls(frame, name).items()}
             for case, (frame, name) in cases.items()}
    names = list(next(iter(table.values())))
    print(f"median ms per call ({repeats} calls): wall / CPU")
    print(f"{'call':42s}" + "".join(f"{c:>22s}" for c in cases))
    for k in names:
        cells = [table[c].get(k) for c in cases]
        print(f"{k:42s}" + "".join(f"{w:11.2f} / {u:8.2f}" if (w, u) != (None, None) else
                                   f"{'-':>22s}" for w, u in
                                   (x if x else (None, None) for x in cells)))
    for case in cases:
        analyses = sum(w for k, (w, _) in table[case].items() if not k.startswith("show"))
        shows = sum(w for k, (w, _) in table[case].items() if k.startswith("show"))
        print(f"{case}: analyses {analyses:.1f} ms, renderers {shows:.1f} ms per study (wall)")


if __name__ == "__main__":
    main()
