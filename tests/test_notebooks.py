"""Every notebook in notebooks/ runs top to bottom; the report notebook is the generator's."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import hpo_insights as hi
from hpo_insights.report._notebook import PARAMETER_NAMES

FOLDER = Path(__file__).parent.parent / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))


def test_report_notebook_is_the_example_report():
    """notebooks/report.ipynb is what hi.report.notebook writes for the bundled example.

    Regenerate it with: python -c "import nbformat, hpo_insights as hi;
    nbformat.write(hi.report.notebook(hi.datasets.example(), dict.fromkeys(
    hi.report._notebook.PARAMETER_NAMES)), 'notebooks/report.ipynb')"
    """
    committed = nbformat.read(FOLDER / "report.ipynb", as_version=4)
    made = hi.report.notebook(hi.datasets.example(), dict.fromkeys(PARAMETER_NAMES))
    assert [(c.cell_type, c.source) for c in committed.cells] == [
        (c.cell_type, c.source) for c in made.cells]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_committed_without_outputs(path):
    """Notebooks are committed with outputs cleared."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path):
    """Each notebook runs without an error and shows something."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [out for cell in nb.cells for out in cell.get("outputs", [])
              if out.get("output_type") == "error"]
    assert errors == []
    assert any(cell.get("outputs") for cell in nb.cells if cell.cell_type == "code")
