"""FIFO job handlers for drain tests: ``work`` fails on a body containing "poison"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from constructs_pkg.runtime.batch import process_fifo_batch

SEEN: list[str] = []


def work(record: Mapping[str, Any]) -> None:
    if "poison" in record["body"]:
        raise ValueError("poison message")
    SEEN.append(record["body"])


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    assert context.get_remaining_time_in_millis() > 0
    return process_fifo_batch(event, work)


def crash(event: dict[str, Any], context: Any) -> None:
    raise RuntimeError("boom")


def bad_identifier(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"batchItemFailures": [{"itemIdentifier": "not-in-this-batch"}]}


def says_ok(event: dict[str, Any], context: Any) -> str:
    """A response Lambda cannot read as a batch response: the whole batch fails."""
    for record in event["Records"]:
        SEEN.append(record["body"])
    return "ok"


async def coroutine(event: dict[str, Any], context: Any) -> None:
    """Lambda's Python runtime cannot serialize the coroutine: a function error."""
    SEEN.append("never runs")
