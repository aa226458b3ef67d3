"""The EDA notebook runs on the ingested data (through the storage layer) and is committed clean."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from orchestration.pipeline import ingest_dataset

NOTEBOOK = Path(__file__).resolve().parents[2] / "model_selection" / "notebooks" / "eda.ipynb"


def test_notebook_is_committed_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
    assert not any("/" in line and ".parquet" in line for c in code for line in c.source.split())


@pytest.mark.slow
def test_notebook_runs_on_the_ingested_data(isolated_settings, tmp_path):
    ingest_dataset(source="shipped", settings=isolated_settings)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    ).execute()
    text = "\n".join(
        output.get("text", "") + output.get("data", {}).get("text/plain", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    images = sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert "10,000 rows, 16 features" in text
    assert "1: 1990–1997 (2,537 rows)" in text
    assert "residual standard deviation: 1,8" in text or "residual standard deviation: 1,9" in text
    assert "price ≈ 100.00 × squareMeters" in text
    assert images == 5
