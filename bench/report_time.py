"""Time `make report` (python -m hpo_insights report) against an empty notebook's run + export.

Plain Python: `python bench/report_time.py`. Prints the median of 5 runs of each, after one
warm-up run: the full report of the bundled example, and nbclient executing an EMPTY notebook
plus nbconvert exporting it to HTML and Markdown (the floor any notebook report pays).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 5


def _median(run) -> float:
    run()  # warm-up: imports and kernel spec caches
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def full_report(out: Path) -> None:
    subprocess.run([sys.executable, "-m", "hpo_insights", "report", "--out", str(out), "--quiet"],
                   check=True, capture_output=True)


def empty_notebook(out: Path) -> None:
    code = (
        "import nbformat, tempfile\n"
        "from nbclient import NotebookClient\n"
        "from nbconvert import HTMLExporter, MarkdownExporter\n"
        "nb = nbformat.v4.new_notebook()\n"
        "nb.cells.append(nbformat.v4.new_code_cell(''))\n"
        "NotebookClient(nb, kernel_name='python3',"
        " resources={'metadata': {'path': tempfile.gettempdir()}}).execute()\n"
        f"html = HTMLExporter().from_notebook_node(nb)[0]\n"
        f"md = MarkdownExporter().from_notebook_node(nb)[0]\n"
        f"open({str(out / 'empty.html')!r}, 'w').write(html)\n"
        f"open({str(out / 'empty.md')!r}, 'w').write(md)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        report = _median(lambda: full_report(out / "report"))
        empty = _median(lambda: empty_notebook(out))
    print(f"make report (python -m hpo_insights report), median of {RUNS}: {report:.2f} s")
    print(f"empty notebook: nbclient run + HTML/MD export, median of {RUNS}: {empty:.2f} s")
    print(f"difference: {report - empty:.2f} s (target: within 3 s)")


if __name__ == "__main__":
    main()
