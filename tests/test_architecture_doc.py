"""ARCHITECTURE.md is the picture of the code: every module and package of workbench/ is in its tree, every
module it names exists, and its layer table is the import-linter contract of pyproject.toml (issue 17)."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "ARCHITECTURE.md"
PACKAGE = ROOT / "workbench"


def _tree() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Modules", 1)[1]
    return section.split("```", 2)[1].splitlines()


def _entries() -> dict[str, list[str]]:
    """Each entry of the tree under workbench/ ("copies.py", "matching/") with the text of its lines."""
    entries: dict[str, list[str]] = {}
    inside = False
    current: str | None = None
    for line in _tree():
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" "))
        name = line.strip().split()[0]
        if indent == 0:
            inside = name == "workbench/"
            current = None
            continue
        if not inside:
            continue
        if indent == 2:
            current = name
            entries[current] = [line]
        elif current is not None:
            entries[current].append(line)
    return entries


def test_every_module_and_package_of_the_library_is_in_the_tree() -> None:
    named = set(_entries())
    modules = {p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"}
    packages = {f"{p.name}/" for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert sorted((modules | packages) - named) == []


def test_every_module_the_tree_names_exists() -> None:
    missing = []
    for entry, lines in _entries().items():
        if not (PACKAGE / entry.rstrip("/")).exists():
            missing.append(entry)
            continue
        base = PACKAGE / entry.rstrip("/") if entry.endswith("/") else PACKAGE
        for line in [*lines[1:], lines[0].split(entry, 1)[1]]:
            for name in re.findall(r"\b([a-z_0-9]+\.(?:py|sql))\b", line):
                if not list(base.rglob(name)):
                    missing.append(f"{entry} {name}")
    assert missing == []


def test_the_layer_table_is_the_contract() -> None:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    (layers,) = [c["layers"] for c in contracts["contracts"] if c["type"] == "layers"]
    text = DOC.read_text(encoding="utf-8").split("## Layers", 1)[1].split("\n\n", 2)[2]
    rows = [line for line in text.splitlines() if line.startswith("| ") and "`workbench." in line]
    documented = [" ".join(re.findall(r"`(workbench\.[a-z_.]+)`", row)) for row in rows]
    assert documented == [" ".join(re.findall(r"workbench\.[a-z_.]+", layer)) for layer in layers]


def test_a_module_missing_from_the_tree_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check can fail: a new module the tree does not name is reported."""
    fake = tmp_path / "workbench"
    fake.mkdir()
    for entry in _entries():
        target = fake / entry.rstrip("/")
        if entry.endswith("/"):
            target.mkdir()
            (target / "__init__.py").write_text("")
        else:
            target.write_text("")
    (fake / "newcomer.py").write_text("")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    try:
        test_every_module_and_package_of_the_library_is_in_the_tree()
    except AssertionError as exc:
        assert "newcomer.py" in str(exc)
    else:
        raise AssertionError("a module missing from the tree was not found")
