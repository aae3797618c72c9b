"""The analyst notebook runs end to end against a snapshot of the sample database."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from workbench import db, snapshots

ROOT = Path(__file__).resolve().parents[1]


def test_analyst_notebook_runs_on_the_snapshot(writable_db: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    con = db.connect(writable_db)
    snapshot = snapshots.publish_snapshot(con, tmp_path / "analytics.duckdb")
    con.close()
    monkeypatch.setenv("WORKBENCH_SNAPSHOT", str(snapshot))
    nb = nbformat.read(ROOT / "notebooks" / "analyst.ipynb", as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = "\n".join(
        str(out.get("text", "")) + str(out.get("data", {}).get("text/plain", ""))
        for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
    )
    assert "errorname" not in outputs
    assert "participations: 5571" in outputs
    assert "2016A" in outputs and "1162" in outputs
    assert "international perspective" in outputs.lower()
