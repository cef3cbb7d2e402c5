"""Ordered batch processing for Lambda handlers: SQS FIFO and Kinesis partial batch responses.

Both processors call your record handler in order and turn exceptions into the
partial batch response Lambda expects (``{"batchItemFailures": [...]}``, with
``ReportBatchItemFailures`` enabled on the event source mapping, as the ordered
consumers do by default), so that order survives a retry:

* SQS FIFO: after a failure, the failed message **and every later message** are
  reported (or, with ``scope="group"``, every later message of the same message
  group, while other groups go on). A reported message returns to the queue; a later
  message of the same group that succeeded would otherwise overtake it.
* Kinesis: processing stops at the first failure and only its sequence number is
  reported; Lambda retries the shard from there, so nothing after it runs first.

Standard library only.

Examples
--------
::

    from constructs_pkg.runtime.batch import process_fifo_batch

    def handler(event, context):
        return process_fifo_batch(event, lambda record: apply(json.loads(record["body"])))
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Mapping
from typing import Any, Literal

__all__ = ["decode_kinesis_data", "process_fifo_batch", "process_kinesis_batch"]

logger = logging.getLogger(__name__)

Record = Mapping[str, Any]
RecordHandler = Callable[[Record], object]
BatchResponse = dict[str, list[dict[str, str]]]


def process_fifo_batch(
    event: Mapping[str, Any],
    record_handler: RecordHandler,
    *,
    scope: Literal["batch", "group"] = "batch",
) -> BatchResponse:
    """Process an SQS FIFO batch in order and return the partial batch response.

    Parameters
    ----------
    event
        The Lambda event (``{"Records": [...]}`` from an SQS FIFO queue).
    record_handler
        Called once per record, in order; an exception marks the record failed.
    scope
        ``"batch"`` (default): after the first failure nothing else runs and every
        remaining record is reported. ``"group"``: only the rest of the failed
        record's message group is skipped and reported; other groups go on.

    Returns
    -------
    dict
        ``{"batchItemFailures": [{"itemIdentifier": messageId}, ...]}``.
    """
    if scope not in ("batch", "group"):
        raise ValueError(f"scope={scope!r} is not allowed: expected 'batch' or 'group'")
    failed_groups: set[str] = set()
    stop_all = False
    failures: list[dict[str, str]] = []
    for record in event.get("Records", []):
        group = str(record.get("attributes", {}).get("MessageGroupId", ""))
        if stop_all or group in failed_groups:
            failures.append({"itemIdentifier": str(record["messageId"])})
            continue
        try:
            record_handler(record)
        except Exception:
            logger.exception(
                "message %s of group %s failed; it and the rest of its %s are retried",
                record.get("messageId"),
                group,
                "batch" if scope == "batch" else "group",
            )
            failures.append({"itemIdentifier": str(record["messageId"])})
            if scope == "batch":
                stop_all = True
            else:
                failed_groups.add(group)
    return {"batchItemFailures": failures}


def process_kinesis_batch(event: Mapping[str, Any], record_handler: RecordHandler) -> BatchResponse:
    """Process a Kinesis batch in order; report the first failed sequence number only.

    Lambda then retries the shard from that record (bisecting the batch when
    ``bisect_batch_on_error`` is on), so no record after it is processed first.

    Returns
    -------
    dict
        ``{"batchItemFailures": []}`` or ``{"batchItemFailures": [{"itemIdentifier": seq}]}``.
    """
    for record in event.get("Records", []):
        sequence = str(record["kinesis"]["sequenceNumber"])
        try:
            record_handler(record)
        except Exception:
            logger.exception(
                "record %s (partition key %s) failed; the shard is retried from it",
                sequence,
                record["kinesis"].get("partitionKey"),
            )
            return {"batchItemFailures": [{"itemIdentifier": sequence}]}
    return {"batchItemFailures": []}


def decode_kinesis_data(record: Record) -> bytes:
    """Return the payload of a Kinesis record (Lambda delivers it base64-encoded)."""
    return base64.b64decode(record["kinesis"]["data"])
