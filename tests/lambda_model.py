"""A model of what Lambda does with a batch response, written from the Lambda developer guide.

Independent of ``constructs_pkg.tools.drain`` (which implements the same rules): the property
tests check the library against this, and it against the guide's own examples.

SQS ("Handling errors for an SQS event source", "Implementing partial batch responses"):

* a function error fails the whole batch;
* with ``ReportBatchItemFailures``: a full success is a null or empty response, or a null
  or empty ``batchItemFailures``; a complete failure is a response Lambda cannot parse,
  an empty or null ``itemIdentifier``, an entry with a bad key name, an identifier that is
  not in the batch; otherwise exactly the listed messages are retried;
* without it the response is not read: only a function error fails the batch.

Kinesis / DynamoDB: the same, but the checkpoint is the lowest reported sequence number, so
that record and every later record of the batch are retried.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Outcome:
    """Which records of a batch Lambda deletes (or checkpoints past) and which it retries."""

    deleted: tuple[str, ...]
    retried: tuple[str, ...]


def _serializable(response: Any) -> bool:
    try:
        json.dumps(response)
    except (TypeError, ValueError, RecursionError):
        return False
    return True


def _strict_json(value: Any) -> bool:
    """No NaN / Infinity anywhere (Python writes them, JSON parsers refuse them)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_strict_json(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(_strict_json(v) for v in value)
    return True


def lambda_outcome(
    response: Any,
    ids: Sequence[str],
    *,
    raised: bool = False,
    report_batch_item_failures: bool = True,
    stream: bool = False,
) -> Outcome:
    """What Lambda does with ``response`` to a batch of ``ids`` (in batch order)."""
    everything = tuple(ids)
    fail_all = Outcome((), everything)
    if raised or not _serializable(response):
        return fail_all
    if not report_batch_item_failures:
        return Outcome(everything, ())
    if not _strict_json(response):
        return fail_all
    if response is None or response == {}:
        return Outcome(everything, ())
    if not isinstance(response, dict):
        return fail_all
    failures = response.get("batchItemFailures")
    if failures is None or (isinstance(failures, list | tuple) and len(failures) == 0):
        return Outcome(everything, ())
    if not isinstance(failures, list | tuple):
        return fail_all
    reported = set()
    for failure in failures:
        if not isinstance(failure, dict):
            return fail_all
        identifier = failure.get("itemIdentifier")
        if not isinstance(identifier, str) or identifier == "" or identifier not in everything:
            return fail_all
        reported.add(identifier)
    if stream:
        first = min(everything.index(i) for i in reported)
        return Outcome(everything[:first], everything[first:])
    return Outcome(
        tuple(i for i in everything if i not in reported),
        tuple(i for i in everything if i in reported),
    )
