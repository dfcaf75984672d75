"""The notebooks in ``notebooks/`` are stored without outputs and run from top to bottom.

Each one configures itself (offline provider, or a sandbox it starts) and puts
its cache in a temporary file, exactly as a user would run it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from frame_helpers import outputs_text

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

#: the Dask notebook starts a cluster of its own: tests/faces/dask runs it
NOTEBOOKS = sorted(
    p
    for p in (Path(__file__).resolve().parents[3] / "notebooks").glob("*.ipynb")
    if not p.stem.endswith("_dask")
)


def test_the_three_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == [
        "01_quickstart.ipynb", "02_providers_and_cache.ipynb", "03_panel.ipynb",
    ]  # fmt: skip


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_without_error(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
    assert any(c.cell_type == "markdown" for c in nb.cells)
    # the kernel inherits this environment: keep Jupyter's own files out of the home dir
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("MPLBACKEND", "agg")
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError with the cell's traceback on any error
    text = outputs_text(nb)
    if path.stem.startswith("02"):
        assert "credits charged: 400" in text
        assert "requests: 0 - credits: 0" in text
        assert "above the budget of 100" in text
    if path.stem.startswith("03"):
        assert "credits spent: dropcontact 40" in text
        assert "above the budget of 5" in text
