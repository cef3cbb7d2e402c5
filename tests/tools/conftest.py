"""One moto SQS per test module: starting moto costs more than the drains it serves."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.conftest import MOCK_REGION

_numbers = itertools.count()


@pytest.fixture(scope="module")
def module_sqs() -> Iterator[Any]:
    """An SQS client on moto's in-memory AWS, shared by a module (queues have unique names)."""
    from moto import mock_aws

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", MOCK_REGION)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        with mock_aws():
            yield boto3.client("sqs", region_name=MOCK_REGION)


def unique_name(prefix: str) -> str:
    """A queue name no other test of the session uses."""
    return f"{prefix}{next(_numbers)}"


def messages_left(sqs: Any, url: str) -> int:
    """Messages on the queue, visible or in flight."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )
