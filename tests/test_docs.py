"""The module trees in README.md (and DESIGN.md, where it is at hand) name what the code has, and only that."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DESIGN = ROOT.parent / "shared" / "DESIGN.md"

#: ``<indent><name>  <description>``: a file or folder name, then at least two spaces or the end of the line.
ENTRY = re.compile(r"^(?P<indent>(?:  )*)(?P<name>[\w.\-]+/?)(?:\s{2,}(?P<description>.*))?$")
#: Description lines that run on start at the description column, deeper than any entry.
DEEPEST_ENTRY = 8
#: Files of the package the tree leaves out on purpose.
NOT_NAMED = {"__init__.py", "py.typed"}


def tree_block(text: str, heading: str) -> str:
    """The first fenced block after ``heading`` in a Markdown text."""
    at = text.index(heading)
    match = re.search(r"^```[^\n]*\n(.*?)^```", text[at:], flags=re.S | re.M)
    assert match, f"no fenced block after {heading!r}"
    return match.group(1)


def tree_entries(block: str) -> list[tuple[str, str]]:
    """(path from the repository root, description) of every entry of an indented tree."""
    entries: list[tuple[str, str]] = []
    parents: list[str] = []
    for line in block.splitlines():
        match = ENTRY.match(line)
        if not line.strip() or match is None or len(match["indent"]) > DEEPEST_ENTRY:
            continue  # a description running on
        depth = len(match["indent"]) // 2
        assert depth <= len(parents), f"{line!r} is indented deeper than the folder above it"
        del parents[depth:]
        path = "".join(parents) + match["name"]
        entries.append((path, match["description"] or ""))
        if match["name"].endswith("/"):
            parents.append(match["name"])
    return entries


def readme_entries() -> list[tuple[str, str]]:
    return tree_entries(tree_block(README.read_text(encoding="utf-8"), "## Development"))


def missing(paths: list[str]) -> list[str]:
    """The paths that are not in the working tree (a folder must be a folder, a file a file)."""
    gone = []
    for path in paths:
        target = ROOT / path.rstrip("/")
        if not (target.is_dir() if path.endswith("/") else target.is_file()):
            gone.append(path)
    return gone


def package_contents() -> set[str]:
    """Every module, subpackage and data file directly in workbench/, as a path from the repository root."""
    names = set()
    for child in (ROOT / "workbench").iterdir():
        if child.name.startswith((".", "__pycache__")) or child.name in NOT_NAMED:
            continue
        if child.is_dir():
            names.add(f"workbench/{child.name}/")
        elif child.suffix in {".py", ".sql"}:
            names.add(f"workbench/{child.name}")
    return names


def test_the_tree_parser_reads_nesting_and_run_on_lines() -> None:
    block = ("queries/          one view per file\n"
             "  checks/         zero-row checks\n"
             "    deep.sql      a file two folders down\n"
             "  one.sql         a view\n"
             "                  running on\n"
             "app.py            entrypoint\n")
    assert tree_entries(block) == [("queries/", "one view per file"), ("queries/checks/", "zero-row checks"),
                                   ("queries/checks/deep.sql", "a file two folders down"),
                                   ("queries/one.sql", "a view"), ("app.py", "entrypoint")]


def test_the_readme_tree_is_read() -> None:
    paths = [path for path, _ in readme_entries()]
    assert "workbench/db.py" in paths and "workbench/ui/" in paths and "pages/" in paths
    assert len([p for p in paths if p.startswith("workbench/") and p != "workbench/"]) >= 20


def test_every_path_in_the_readme_tree_exists() -> None:
    assert missing([path for path, _ in readme_entries()]) == []


def test_the_readme_tree_names_every_module_of_the_package() -> None:
    named = {path for path, _ in readme_entries()}
    contents = package_contents()
    assert len(contents) >= 20, contents
    assert sorted(contents - named) == [], "modules of workbench/ the README's tree does not name"


def test_every_entry_of_the_readme_tree_says_what_it_is() -> None:
    assert [path for path, description in readme_entries() if not description.strip()] == []


@pytest.mark.skipif(not DESIGN.exists(), reason="DESIGN.md lives beside the repository, in ../shared")
def test_every_existing_path_in_the_design_picture_exists() -> None:
    entries = tree_entries(tree_block(DESIGN.read_text(encoding="utf-8"), "## Layers"))
    existing = [path for path, description in entries if not description.startswith("(new)")]
    assert "workbench/matching/" in existing and "queries/checks/" in existing
    assert missing(existing) == []
