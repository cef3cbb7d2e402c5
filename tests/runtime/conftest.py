"""Shared fixtures of the runtime tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    """A Lambda client under botocore's Stubber; every stubbed response must be used."""
    client = boto3.client(
        "lambda",
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()
