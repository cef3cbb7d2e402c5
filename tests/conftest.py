"""Shared fixtures. aws_cdk is imported lazily by the modules that need it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

import tests.hypothesis_profiles  # noqa: F401 - registers and loads the hypothesis profile

if TYPE_CHECKING:
    from aws_cdk import Stack

# jsii prints a banner on Node 20 (end of life); set before aws_cdk starts its Node process.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

# constructs_pkg.testing is loaded by its pytest11 entry point (the editable install has it);
# pytester runs the docs' testing example as a project of its own.
pytest_plugins = ["pytester"]

#: Region of every mocked AWS call.
MOCK_REGION = "eu-west-1"


@pytest.fixture
def mocked_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto's in-memory AWS with fake credentials; yields the region."""
    from moto import mock_aws

    monkeypatch.setenv("AWS_DEFAULT_REGION", MOCK_REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield MOCK_REGION


@pytest.fixture(scope="session")
def sample_stacks() -> list[Stack]:
    """The sample app (what ``cdk synth`` runs), built once for the whole test session.

    Tests must not add constructs to it: it is synthesized by the first test that reads a
    template, and every later test reads the same assembly.
    """
    from sample_app.app import build
    from tests.cdk_helpers import new_app

    return build(new_app())
