"""The code passes the project's linter, as configured in ``pyproject.toml``.

The rules include McCabe complexity (C901, at most 10 branches per function), so a
function that grows past what a newcomer can read fails ``make test``, not only
``make lint``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _ruff() -> list[str]:
    exe = Path(sys.executable).with_name("ruff")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("ruff")
    if found:
        return [found]
    pytest.skip("ruff is not installed (it is in the dev extra that `make test` installs)")


def test_ruff_passes_with_the_complexity_rule():
    config = (ROOT / "pyproject.toml").read_text()
    assert '"C90"' in config and "max-complexity = 10" in config
    done = subprocess.run(
        [*_ruff(), "check", "--no-cache", "hpo_insights", "tests", "bench"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_finds_a_function_that_is_too_complex(tmp_path):
    branches = "\n".join(f"    if x == {i}:\n        return {i}" for i in range(12))
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    (tmp_path / "tangled.py").write_text(f"def tangled(x):\n{branches}\n    return -1\n")
    done = subprocess.run(
        [*_ruff(), "check", "--no-cache", "tangled.py"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert done.returncode == 1 and "C901" in done.stdout, done.stdout + done.stderr
