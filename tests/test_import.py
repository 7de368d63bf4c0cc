"""`import hpo_insights` stays light: no plotting, stats, Optuna or notebook machinery."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("matplotlib", "seaborn", "scipy", "optuna", "nbconvert", "nbclient",
         # the tools whose outputs hi.load reads (issue 18): recognised, never imported
         "sklearn", "hyperopt", "keras", "keras_tuner", "torch", "smac", "ConfigSpace", "ax")
ROOT = Path(__file__).resolve().parents[1]


def _modules_after(code: str) -> set[str]:
    script = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT,
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_import_loads_no_heavy_module():
    """A fresh interpreter importing hpo_insights imports none of the heavy packages."""
    loaded = _modules_after("import hpo_insights")
    assert "hpo_insights" in loaded
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY)
    assert heavy == [], f"import hpo_insights loaded {heavy}"


def test_check_can_fail():
    """The check sees a heavy package when one is imported (so the test above can fail)."""
    pytest.importorskip("scipy")
    assert "scipy" in _modules_after("import hpo_insights, scipy")
