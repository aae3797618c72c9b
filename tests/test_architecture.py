"""The layers of DESIGN.md as import-linter contracts (pyproject.toml, ``[tool.importlinter]``), checked here.

``lint-imports`` must keep every contract on the code as it is, and must break the right contract on a
copy of the package that does what a contract forbids, so the check cannot pass by checking nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

NO_STREAMLIT = "The library never imports Streamlit: only workbench.ui does"
NOTHING_IMPORTS_UI = "Nothing in the library imports workbench.ui (so no chain reaches Streamlit through it)"
MATCHING_WITHOUT_DATABASE = "The matching engine never touches the database"


def contracts() -> dict[str, dict[str, object]]:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]
    assert config["root_package"] == "workbench"
    return {str(c["name"]): c for c in config["contracts"]}


def lint_imports(cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}  # one contract per line in the report
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)  # before the editable install of the real package
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--no-logo", str(PYPROJECT)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_contracts_say_what_the_design_says() -> None:
    found = contracts()
    assert found[NO_STREAMLIT]["type"] == "forbidden"
    assert found[NO_STREAMLIT]["source_modules"] == ["workbench"]
    assert found[NO_STREAMLIT]["forbidden_modules"] == ["streamlit"]
    assert found[NOTHING_IMPORTS_UI]["type"] == "protected"
    assert found[NOTHING_IMPORTS_UI]["protected_modules"] == ["workbench.ui"]
    assert found[MATCHING_WITHOUT_DATABASE]["source_modules"] == ["workbench.matching"]
    assert set(found[MATCHING_WITHOUT_DATABASE]["forbidden_modules"]) == {  # type: ignore[arg-type]
        "workbench.db", "workbench.matchstore", "duckdb"}


def test_the_code_keeps_every_contract() -> None:
    assert LINT_IMPORTS.exists(), "install the dev extras: .venv/bin/pip install -e '.[dev]'"
    result = lint_imports(ROOT)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    for name in contracts():
        assert f"{name} KEPT" in " ".join(report.split()), report
    assert "0 broken" in report


# A module that does what a contract forbids, and the contract it must break.
VIOLATIONS = {
    NO_STREAMLIT: ("reports/leak.py", "import streamlit as st\n"),
    NOTHING_IMPORTS_UI: ("applications/leak.py", "from workbench.ui import widgets\n"),
    MATCHING_WITHOUT_DATABASE: ("matching/leak.py", "from workbench import db\n"),
}


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the workbench package, importable from the folder returned."""
    folder = tmp_path_factory.mktemp("architecture")
    shutil.copytree(ROOT / "workbench", folder / "workbench", ignore=shutil.ignore_patterns("__pycache__"))
    return folder


@pytest.mark.parametrize("broken", list(VIOLATIONS))
def test_a_forbidden_import_breaks_its_contract(package_copy: Path, broken: str) -> None:
    path, code = VIOLATIONS[broken]
    leak = package_copy / "workbench" / path
    leak.write_text(code, encoding="utf-8")
    try:
        result = lint_imports(package_copy, pythonpath=package_copy)
    finally:
        leak.unlink()
    report = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 1, report
    assert f"{broken} BROKEN" in report
    for name in set(contracts()) - {broken}:
        assert f"{name} KEPT" in report
    assert f"workbench.{path.removesuffix('.py').replace('/', '.')}" in report  # it names the offender


def test_the_copy_without_a_violation_keeps_every_contract(package_copy: Path) -> None:
    """The copy itself is clean, so the breaks above come from the leaks alone."""
    result = lint_imports(package_copy, pythonpath=package_copy)
    assert result.returncode == 0, result.stdout + result.stderr
