"""``notebooks/04_dask.ipynb`` runs from top to bottom, as a user would run it.

It starts the sandbox, a throw-away redis-server (a SQLite file where none is
installed) and a two-process ``LocalCluster`` of its own; the kernel is a separate
process, so pytest-socket does not apply to it (everything it reaches is local).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from frame_helpers import outputs_text

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("distributed")

NOTEBOOK = Path(__file__).resolve().parents[3] / "notebooks" / "04_dask.ipynb"


def test_the_dask_notebook_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    client = nbclient.NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError with the cell's traceback on any error
    text = outputs_text(nb)
    assert "2 workers" in text
    assert "1500 distinct" in text and "1500 credits" in text
    assert "credits charged: 1500, POSTs: " in text
    assert "requests: 0 - credits: 0" in text and "from the cache: True" in text
    assert "BudgetSpentError - the job's budget of 200 credits is spent" in text
    assert "credits charged: 200" in text
    for key in ("sandbox-fullcontact-key", "sandbox-dropcontact-key", "sandbox-coldlead-key"):
        assert key not in text
