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
LAYERS = "Layers: imports point down, from the entry points to the ground floor"


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
    layers = [[name.strip() for name in layer.replace("|", ":").split(":")]
              for layer in found[LAYERS]["layers"]]  # type: ignore[union-attr]
    assert found[LAYERS]["type"] == "layers"
    assert layers[0] == ["workbench.ui", "workbench.cli"]  # the entry points on top
    assert {"workbench.db", "workbench.countries", "workbench.access", "workbench.errors"} <= {
        *layers[-1], *layers[-2]}  # the ground floor at the bottom
    order = [name for layer in layers for name in layer]
    assert order.index("workbench.migrations") > order.index("workbench.backups")  # the schema below its users
    assert order.index("workbench.db") > order.index("workbench.migrations")  # … and above the plain open


def test_every_module_of_the_package_has_a_layer() -> None:
    """A new module or package of workbench/ is placed in the layers contract, or nothing checks its imports."""
    layers = contracts()[LAYERS]["layers"]
    placed = {name.strip() for layer in layers for name in str(layer).replace("|", ":").split(":")}  # type: ignore[union-attr]
    package = ROOT / "workbench"
    found = {f"workbench.{p.stem}" for p in package.glob("*.py") if p.stem != "__init__"} | {
        f"workbench.{p.parent.name}" for p in package.glob("*/__init__.py")}
    assert found - placed == set(), (f"{sorted(found - placed)} not in the layers contract: add each to its layer "
                                     "in pyproject.toml ([tool.importlinter], the contract named Layers…)")
    assert placed - found == set(), f"the layers contract names {sorted(placed - found)}, which do not exist"


def test_the_code_keeps_every_contract() -> None:
    assert LINT_IMPORTS.exists(), "install the dev extras: .venv/bin/pip install -e '.[dev]'"
    result = lint_imports(ROOT)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    for name in contracts():
        assert f"{name} KEPT" in " ".join(report.split()), report
    assert "0 broken" in report


# A module that does what a contract forbids, the contract it must break, and any other it breaks too (the
# library importing workbench.ui is also an upward import).
VIOLATIONS: dict[str, tuple[str, str, set[str]]] = {
    NO_STREAMLIT: ("reports/leak.py", "import streamlit as st\n", set()),
    NOTHING_IMPORTS_UI: ("applications/leak.py", "from workbench.ui import widgets\n", {LAYERS}),
    MATCHING_WITHOUT_DATABASE: ("matching/leak.py", "from workbench import db\n", set()),
    LAYERS: ("program/leak.py", "from workbench import snapshots\n", set()),  # the program reaching up to snapshots
}


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the workbench package, importable from the folder returned."""
    folder = tmp_path_factory.mktemp("architecture")
    shutil.copytree(ROOT / "workbench", folder / "workbench", ignore=shutil.ignore_patterns("__pycache__"))
    return folder


@pytest.mark.parametrize("broken", list(VIOLATIONS))
def test_a_forbidden_import_breaks_its_contract(package_copy: Path, broken: str) -> None:
    path, code, also = VIOLATIONS[broken]
    leak = package_copy / "workbench" / path
    leak.write_text(code, encoding="utf-8")
    try:
        result = lint_imports(package_copy, pythonpath=package_copy)
    finally:
        leak.unlink()
    report = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 1, report
    assert f"{broken} BROKEN" in report
    for name in also:
        assert f"{name} BROKEN" in report
    for name in set(contracts()) - {broken} - also:
        assert f"{name} KEPT" in report
    assert f"workbench.{path.removesuffix('.py').replace('/', '.')}" in report  # it names the offender


def test_the_copy_without_a_violation_keeps_every_contract(package_copy: Path) -> None:
    """The copy itself is clean, so the breaks above come from the leaks alone."""
    result = lint_imports(package_copy, pythonpath=package_copy)
    assert result.returncode == 0, result.stdout + result.stderr


def _plant(package: Path, path: str, code: str) -> str:
    """Append ``code`` to a module of the copy; returns the text to put back."""
    target = package / "workbench" / path
    before = target.read_text(encoding="utf-8")
    target.write_text(before + code, encoding="utf-8")
    return before


def test_the_ground_floor_importing_upwards_breaks_the_layers_even_inside_a_function(package_copy: Path) -> None:
    """What issue 17 found: db.py reaching up to migrations inside a function, to dodge a cycle."""
    before = _plant(package_copy, "db.py", "\n\ndef _dodge() -> None:\n    from workbench import migrations  # noqa\n")
    try:
        result = lint_imports(package_copy, pythonpath=package_copy)
    finally:
        (package_copy / "workbench" / "db.py").write_text(before, encoding="utf-8")
    report = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 1, report
    assert f"{LAYERS} BROKEN" in report
    assert "workbench.db -> workbench.migrations" in report
    for name in set(contracts()) - {LAYERS}:
        assert f"{name} KEPT" in report


CYCLES = """
import sys
import grimp
import networkx

graph = grimp.build_graph("workbench", cache_dir=None)
edges = networkx.DiGraph()
for module in graph.modules:
    edges.add_node(module)
    for imported in graph.find_modules_directly_imported_by(module):
        if imported.split(".")[0] == "workbench":
            edges.add_edge(module, imported)
circles = [sorted(c) for c in networkx.strongly_connected_components(edges) if len(c) > 1]
print(len(circles), len(graph.modules))
for circle in circles:
    print(" ".join(circle))
"""


def import_circles(pythonpath: Path) -> tuple[int, int, list[str]]:
    """The circles of the package's import graph (grimp, import-linter's own graph: every import, those inside
    functions and under TYPE_CHECKING too): how many, among how many modules, and the modules of each."""
    result = subprocess.run([sys.executable, "-c", CYCLES], cwd=pythonpath, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(pythonpath)}, timeout=120)
    assert result.returncode == 0, result.stderr
    head, *circles = result.stdout.splitlines()
    count, modules = (int(x) for x in head.split())
    return count, modules, circles


def test_the_import_graph_has_no_circle() -> None:
    count, modules, circles = import_circles(ROOT)
    assert modules > 100  # the whole package was read
    assert count == 0, f"import circles among workbench modules: {circles}"


def test_a_planted_circle_is_counted(package_copy: Path) -> None:
    """The count can fail: the program's settings importing snapshots (which read them) closes a circle."""
    assert import_circles(package_copy)[0] == 0
    before = _plant(package_copy, "program/settings.py", "\nfrom workbench import snapshots  # noqa\n")
    try:
        count, _, circles = import_circles(package_copy)
    finally:
        (package_copy / "workbench" / "program" / "settings.py").write_text(before, encoding="utf-8")
    assert count == 1
    assert "workbench.program.settings" in circles[0] and "workbench.snapshots" in circles[0]


def function_level_imports(package: Path) -> list[str]:
    """``from workbench…`` / ``import workbench…`` inside a function or method of the package: the way a cycle is
    dodged. Imports at module level, and under ``if TYPE_CHECKING:`` (module level too), are not listed."""
    import ast

    found = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                         else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
                if any(name.split(".")[0] == "workbench" for name in names):
                    found.append(f"{path.relative_to(package.parent)}:{node.lineno}")
    return sorted(set(found))


def test_no_import_of_the_workbench_hides_inside_a_function() -> None:
    assert function_level_imports(ROOT / "workbench") == [], (
        "move these imports to the top of their module; if that makes a circle, move the function to the layer "
        "where it belongs or pass the value in")


def test_a_function_level_import_is_found(package_copy: Path) -> None:
    before = _plant(package_copy, "db.py", "\n\ndef _dodge() -> None:\n    from workbench import migrations  # noqa\n")
    try:
        assert [hit.split(":")[0] for hit in function_level_imports(package_copy / "workbench")] == ["workbench/db.py"]
    finally:
        (package_copy / "workbench" / "db.py").write_text(before, encoding="utf-8")
