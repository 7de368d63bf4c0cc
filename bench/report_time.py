"""Time the report: 3 studies, 30 studies, and an empty notebook's run + export.

Plain Python: `python bench/report_time.py [RUNS]`. Prints the median of RUNS runs (default 3)
of each, after one warm-up run of each:

- the report of the bundled example (3 studies, 150 trials), through the command line
  (`python -m hpo_insights report SOURCE --out DIR --quiet`), from a CSV written here;
- the same with the example ten times over (30 studies, renamed, 1500 trials);
- nbclient executing an EMPTY notebook plus nbconvert exporting it to HTML and Markdown
  (the floor any notebook report pays: kernel start-up and export).

Then the two figures the report is held to: the 30-study report over the 3-study one
(target: at most 2.5) and the 3-study report minus the empty notebook (target: at most 4 s),
and where the 30-study report's kernel time goes: the seconds spent in the cells of each
report section (every study's section of a kind summed; from the executed notebook's cell
timings), largest first.
"""

from __future__ import annotations

import collections
import datetime as dt
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

import hpo_insights as hi


def _children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes (the CLI and its kernel)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _median(run, runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of *runs* runs, after one warm-up run."""
    run()  # warm-up: imports, kernel spec and font caches
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), _children_cpu()
        run()
        wall.append(time.perf_counter() - start)
        cpu.append(_children_cpu() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def report(source: Path, out: Path) -> None:
    subprocess.run([sys.executable, "-m", "hpo_insights", "report", str(source), "--out",
                    str(out), "--quiet"], check=True, capture_output=True)


def empty_notebook(out: Path) -> None:
    code = (
        "import nbformat, tempfile\n"
        "from nbclient import NotebookClient\n"
        "from nbconvert import HTMLExporter, MarkdownExporter\n"
        "nb = nbformat.v4.new_notebook()\n"
        "nb.cells.append(nbformat.v4.new_code_cell(''))\n"
        "NotebookClient(nb, kernel_name='python3',"
        " resources={'metadata': {'path': tempfile.gettempdir()}}).execute()\n"
        "html = HTMLExporter().from_notebook_node(nb)[0]\n"
        "md = MarkdownExporter().from_notebook_node(nb)[0]\n"
        f"open({str(out / 'empty.html')!r}, 'w').write(html)\n"
        f"open({str(out / 'empty.md')!r}, 'w').write(md)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def cell_times(path: Path) -> tuple[collections.Counter, collections.Counter]:
    """Seconds and cells per report section over the code cells of an executed report
    notebook (a cell holds the consecutive calls of one section; every study's section of
    one kind, e.g. "study: importance", is summed)."""
    import re

    import nbformat

    spent: collections.Counter = collections.Counter()
    cells: collections.Counter = collections.Counter()
    for cell in nbformat.read(path, as_version=4).cells:
        timing = cell.metadata.get("execution", {})
        if cell.cell_type != "code" or "shell.execute_reply" not in timing:
            continue
        start, end = (dt.datetime.fromisoformat(timing[k].replace("Z", "+00:00"))
                      for k in ("iopub.execute_input", "shell.execute_reply"))
        section = cell.metadata.get("hpo_insights", {}).get("section", "?")
        section = re.sub(r"^study .*: ", "study: ", section)
        spent[section] += (end - start).total_seconds()
        cells[section] += 1
    return spent, cells


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    example = hi.datasets.example()
    many = pd.concat([example.assign(study=example["study"] + f"-{k}") for k in range(10)],
                     ignore_index=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        three, thirty = out / "three.csv", out / "thirty.csv"
        example.to_csv(three, index=False)
        many.to_csv(thirty, index=False)
        (t3, c3) = _median(lambda: report(three, out / "r3"), runs)
        (t30, c30) = _median(lambda: report(thirty, out / "r30"), runs)
        (empty, cempty) = _median(lambda: empty_notebook(out), runs)
        cells, counts = cell_times(out / "r30" / "report.ipynb")
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average (1, 5, 15 min) at the end: {load}; wall and CPU seconds (user + system "
          "of the command line and its kernel), medians of {runs}:".replace("{runs}", str(runs)))
    print(f"report, 3 studies ({len(example)} trials): {t3:.2f} s wall, {c3:.2f} s CPU")
    print(f"report, 30 studies ({len(many)} trials): {t30:.2f} s wall, {c30:.2f} s CPU")
    print(f"empty notebook, nbclient run + HTML/MD export: {empty:.2f} s wall, {cempty:.2f} s CPU")
    print(f"30 studies / 3 studies: {t30 / t3:.2f} (target: at most 2.5); CPU: {c30 / c3:.2f}")
    print(f"3 studies - empty notebook: {t3 - empty:.2f} s (target: at most 4 s); "
          f"CPU: {c3 - cempty:.2f} s")
    print(f"30-study report, kernel time per section (of {sum(cells.values()):.1f} s in "
          f"{sum(counts.values())} code cells):")
    for name, seconds in cells.most_common(14):
        print(f"  {seconds:6.2f} s  {counts[name]:4d} cells  {name}")


if __name__ == "__main__":
    main()
