"""Docs quote real files: every ``<!-- include: path -->`` block equals that file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INCLUDE = re.compile(r"<!-- include: (?P<path>\S+) -->\n```python\n(?P<code>.*?)```", re.S)
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_included_code_matches_its_file(page):
    for match in INCLUDE.finditer(page.read_text()):
        source = (ROOT / match["path"]).read_text()
        assert match["code"] == source, f"{page.name} is out of date with {match['path']}"


def test_every_page_is_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text()
    for page in (ROOT / "docs").glob("*.md"):
        assert f"docs/{page.name}" in readme, f"README does not link docs/{page.name}"
