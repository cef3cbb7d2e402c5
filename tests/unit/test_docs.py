"""Docs quote real files: every ``<!-- include: path -->`` block equals that file; every page is
reachable from the README; the API reference covers every public module."""

from __future__ import annotations

import ast
import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INCLUDE = re.compile(r"<!-- include: (?P<path>\S+) -->\n```\w*\n(?P<code>.*?)```", re.S)
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
PACKAGE = ROOT / "constructs_pkg"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_included_code_matches_its_file(page):
    text = page.read_text()
    matches = list(INCLUDE.finditer(text))
    # An include comment that is not followed by a code block would check nothing.
    assert len(matches) == text.count("<!-- include:")
    for match in matches:
        source = (ROOT / match["path"]).read_text()
        assert match["code"] == source, f"{page.name} is out of date with {match['path']}"


def test_every_page_is_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text()
    for page in (ROOT / "docs").glob("*.md"):
        assert f"docs/{page.name}" in readme, f"README does not link docs/{page.name}"


def _exports(init: Path) -> list[str]:
    for node in ast.parse(init.read_text()).body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if isinstance(target, ast.Name) and target.id == "__all__" and node.value:
                return list(ast.literal_eval(node.value))
    return []


def _public_modules() -> list[str]:
    """Each public subpackage with exports, or else each public module in it."""
    modules = []
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        package = init.parent
        if package.name.startswith("_"):
            continue
        if _exports(init):
            modules.append(f"constructs_pkg.{package.name}")
        else:
            modules += [
                f"constructs_pkg.{package.name}.{path.stem}"
                for path in sorted(package.glob("[!_]*.py"))
            ]
    return modules


def test_api_reference_covers_every_public_module():
    documented = {
        line.removeprefix("::: ").strip()
        for page in (ROOT / "docs" / "reference").glob("*.md")
        for line in page.read_text().splitlines()
        if line.startswith("::: ")
    }
    assert "constructs_pkg.runtime.batch" in _public_modules()
    assert "constructs_pkg.release" in _public_modules()
    missing = [module for module in _public_modules() if module not in documented]
    assert missing == [], f"docs/reference/ has no page for {missing}"


def test_site_hooks_doctests():
    from docs import hooks

    result = doctest.testmod(hooks)
    assert result.attempted >= 2
    assert result.failed == 0
