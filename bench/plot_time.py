"""Time the report's figures: one figure per study against one figure for all studies.

Plain Python: `python bench/plot_time.py [RUNS]`. Prints the median of RUNS runs (default 3),
after one warm-up run, of drawing AND rendering (to PNG, ``bbox_inches="tight"``, as a
notebook's inline backend does) the per-study figures of a report, for the bundled example
(3 studies) and the example ten times over (30 studies, renamed):

- per study: ``variance_explained``, ``value_table`` (two parameters) and
  ``detect_collapse`` drawn once for each study's result (what the report did);
- across studies: ``variance_explained``, ``detect_collapse`` and ``value_table`` (each
  study's two parameters, picked by ``params=`` rows) drawn once for the results of every
  study (small multiples).

The analyses run once, before the clock starts: only drawing and rendering are timed.
Wall-clock and CPU seconds of this process are both printed (on a shared machine the CPU
time is the steadier figure).
"""

from __future__ import annotations

import io
import statistics
import sys
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

import hpo_insights as hi  # noqa: E402


def _median(run, runs: int) -> tuple[float, float]:
    run()  # warm-up: font caches, first imports
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def _render(drawn) -> None:
    fig = getattr(drawn, "figure", drawn)
    fig.savefig(io.BytesIO(), format="png", bbox_inches="tight")
    plt.close(fig)


def results(trials: pd.DataFrame) -> dict:
    studies = list(pd.unique(trials["study"]))
    ve = hi.variance_explained(trials)
    return {
        "studies": studies,
        "ve": ve,
        "levels": hi.value_table(trials),
        "trends": hi.classify_trend(trials, method="shape"),
        "collapse": hi.detect_collapse(trials),
        "top": {s: ve.loc[ve["study"] == s, "param"].tolist()[:2] for s in studies},
        "pairs": ve.groupby("study", sort=False).head(2)[["study", "param"]],
    }


def per_study(r: dict) -> None:
    for s in r["studies"]:
        _render(hi.plot.variance_explained(r["ve"][r["ve"]["study"] == s]))
        _render(hi.plot.value_table(r["levels"][r["levels"]["study"] == s], params=r["top"][s],
                                    trend=r["trends"][r["trends"]["study"] == s]))
        _render(hi.plot.detect_collapse(r["collapse"][r["collapse"]["study"] == s]))


def across_studies(r: dict) -> None:
    _render(hi.plot.variance_explained(r["ve"]))
    _render(hi.plot.detect_collapse(r["collapse"]))
    _render(hi.plot.value_table(r["levels"], params=r["pairs"], trend=r["trends"]))


def main(runs: int = 3) -> None:
    example = hi.datasets.example()
    many = pd.concat([example.assign(study=example["study"] + f"-{k}") for k in range(10)],
                     ignore_index=True)
    print(f"median of {runs} runs, seconds (drawing + PNG rendering), wall / CPU")
    print(f"{'studies':>8} {'per study':>16} {'across studies':>16}")
    for trials in (example, many):
        r = results(trials)
        a = _median(lambda r=r: per_study(r), runs)
        b = _median(lambda r=r: across_studies(r), runs)
        print(f"{len(r['studies']):>8} {a[0]:>8.2f} / {a[1]:<5.2f} {b[0]:>8.2f} / {b[1]:<5.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
