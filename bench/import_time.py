"""How long `import hpo_insights` adds to `import pandas`, in fresh interpreters.

Runs each statement in N fresh subprocesses (alternating, so both see the same
machine load) and prints the medians and their difference in milliseconds.
Because wall times of whole interpreters are noisy, it also prints the median
cumulative time Python's ``-X importtime`` reports for ``hpo_insights`` imported
after pandas: the time the package itself adds. The target is under 50 ms.

Usage: python bench/import_time.py [-n 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 50.0


def _time_once(code: str) -> float:
    """Wall time (ms) of a fresh interpreter running *code*, startup included."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    return (time.perf_counter() - start) * 1000.0


def _importtime_once() -> float:
    """Cumulative import time (ms) of hpo_insights after pandas, from `-X importtime`."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import pandas; import hpo_insights"],
        check=True, cwd=ROOT, capture_output=True, text=True,
    )
    for line in out.stderr.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == "hpo_insights":
            return int(parts[1]) / 1000.0
    raise RuntimeError("hpo_insights not found in the -X importtime output")


def measure(n: int = 15) -> dict[str, float]:
    """Median wall times of `import pandas` and `import pandas; import hpo_insights`."""
    _time_once("import pandas; import hpo_insights")  # warm the OS file cache
    base, full = [], []
    for _ in range(n):
        base.append(_time_once("import pandas"))
        full.append(_time_once("import pandas; import hpo_insights"))
    return {
        "pandas_ms": statistics.median(base),
        "pandas_and_hpo_insights_ms": statistics.median(full),
        "added_ms": statistics.median(full) - statistics.median(base),
        "importtime_ms": statistics.median(_importtime_once() for _ in range(n)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=15, help="runs per statement (default 15)")
    args = parser.parse_args(argv)
    result = measure(args.n)
    print(f"import pandas                        median {result['pandas_ms']:7.1f} ms")
    print(
        "import pandas; import hpo_insights  median "
        f"{result['pandas_and_hpo_insights_ms']:7.1f} ms"
    )
    verdict = "OK" if result["importtime_ms"] < TARGET_MS else "OVER TARGET"
    print(f"added by hpo_insights                       {result['added_ms']:7.1f} ms "
          f"({args.n} runs each; wall times are noisy on a busy machine)")
    print(f"hpo_insights cumulative, -X importtime   {result['importtime_ms']:7.1f} ms "
          f"(target < {TARGET_MS:.0f} ms: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
