"""mkdocs hooks (``mkdocs.yml``: ``hooks``): the site's home page is the README.

README.md links the pages as ``docs/<page>.md`` and the pages link it as ``../README.md``, right
on a git host and in a clone. On the site the README is ``index.md`` next to the pages, so the
links are rewritten to match; nothing else changes, and ``mkdocs build --strict`` checks every
link of the result.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.livereload import LiveReloadServer
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

__all__ = ["README", "home_page", "on_files", "on_page_markdown", "on_serve", "page_links"]

#: The file the home page is made from.
README = Path(__file__).resolve().parent.parent / "README.md"

_DOCS_LINK = re.compile(r"\]\(docs/")
_README_LINK = re.compile(r"\]\(\.\./README\.md")


def home_page(readme: str) -> str:
    """Return ``readme`` with its links to ``docs/`` pages made relative to the site's root.

    Examples
    --------
    >>> home_page("see [the plan](docs/plan.md#hazards) and [x](https://example.com/docs/)")
    'see [the plan](plan.md#hazards) and [x](https://example.com/docs/)'
    """
    return _DOCS_LINK.sub("](", readme)


def page_links(markdown: str) -> str:
    """Return a page's ``markdown`` with its links to ``../README.md`` pointing at the home page.

    Examples
    --------
    >>> page_links("see [the quickstart](../README.md#install)")
    'see [the quickstart](index.md#install)'
    """
    return _README_LINK.sub("](index.md", markdown)


def on_files(files: Files, *, config: MkDocsConfig) -> Files:
    """Add ``index.md``, generated from README.md, to the site's files."""
    files.append(
        File.generated(config, "index.md", content=home_page(README.read_text(encoding="utf-8")))
    )
    return files


def on_page_markdown(markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Rewrite a page's links to the README (see :func:`page_links`)."""
    return page_links(markdown)


def on_serve(
    server: LiveReloadServer, *, config: MkDocsConfig, builder: Callable[[], None]
) -> LiveReloadServer:
    """Rebuild when README.md changes under ``mkdocs serve``."""
    server.watch(str(README))
    return server
