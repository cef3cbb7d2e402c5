"""Quiet by default: the sample app and every docs example synthesize with no warning.

``cdk synth --strict`` fails on any warning annotation, so a warning that the library's own
defaults trigger would fail every user who follows the docs. Consumers say what they can do in
at most one INFO line each.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Iterator
from typing import Any

import pytest
from aws_cdk import App, NestedStack, Stack
from aws_cdk.assertions import Annotations, Match

import docs.examples
from tests.cdk_helpers import ROOT, new_app


@pytest.fixture(autouse=True)
def _repo_root() -> Iterator[None]:
    # Examples use repository-relative asset paths, like the sample app.
    cwd = os.getcwd()
    os.chdir(ROOT)
    yield
    os.chdir(cwd)


def _stacks(built: Stack | list[Stack]) -> list[Stack]:
    # A nested stack's annotations are in its top-level stack's artifact.
    tops = built if isinstance(built, list) else [built]
    return [s for s in tops if not isinstance(s, NestedStack)]


def _example_builds() -> list[tuple[str, Any]]:
    """Every ``docs.examples`` module's ``build`` (each release of a multi-release example)."""
    builds: list[tuple[str, Any]] = []
    for info in pkgutil.iter_modules(docs.examples.__path__):
        module = importlib.import_module(f"docs.examples.{info.name}")
        build = getattr(module, "build", None)
        if build is None:
            continue
        releases = getattr(module, "RELEASES", None)
        if releases:
            for release in releases:
                builds.append((f"{info.name}[release {release}]", _bind(build, release)))
        else:
            builds.append((info.name, build))
    return builds


def _bind(build: Any, release: int) -> Any:
    return lambda app: build(app, release)


def _warnings(stack: Stack) -> list[str]:
    found = Annotations.from_stack(stack).find_warning("*", Match.any_value())
    return [f"{m.id}: {m.entry.data}" for m in found]


def test_every_docs_example_module_is_covered() -> None:
    names = {name.split("[")[0] for name, _ in _example_builds()}
    assert {"safe_function_minimal", "ordered_consumers", "fleet", "format_change"} <= names


@pytest.mark.parametrize(("name", "build"), _example_builds(), ids=lambda v: str(v))
def test_docs_example_synthesizes_without_warnings(name: str, build: Any) -> None:
    app: App = new_app()
    stacks = _stacks(build(app))
    app.synth()
    assert [w for s in stacks for w in _warnings(s)] == [], name


def test_quickstart_synthesizes_without_warnings() -> None:
    from docs.examples.quickstart.app import build

    app = new_app()
    stack = build(app)
    app.synth()
    assert _warnings(stack) == []


def test_sample_app_synthesizes_without_warnings(sample_stacks: list[Stack]) -> None:
    assert [w for s in _stacks(sample_stacks) for w in _warnings(s)] == []


def test_each_consumer_says_its_capacity_in_one_info_line(sample_stacks: list[Stack]) -> None:
    infos: dict[str, list[str]] = {}
    for stack in _stacks(sample_stacks):
        for message in Annotations.from_stack(stack).find_info("*", Match.any_value()):
            infos.setdefault(message.id, []).append(str(message.entry.data))
    capacity = {path: lines for path, lines in infos.items() if "capacity" in " ".join(lines)}
    assert capacity, "the sample app's consumers report their capacity"
    for path, lines in capacity.items():
        assert len(lines) == 1, (path, lines)
        assert "\n" not in lines[0], (path, lines[0])
