"""Shared fixtures of the runtime tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

#: Region of every mocked AWS call.
REGION = "eu-west-1"


@pytest.fixture
def mocked_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto's in-memory AWS with fake credentials; yields the region."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield REGION
