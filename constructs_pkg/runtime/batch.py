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

Record handlers are plain functions. A coroutine function (``async def``), a generator
function or a handler that returns an awaitable or a generator is rejected with a
:class:`RecordHandlerError` before it can be counted as processed: its body would not have
run (nothing awaits or iterates it here). The invocation fails, so Lambda retries the whole
batch. To use ``async`` code, call ``asyncio.run(...)`` inside a plain record handler.

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
import inspect
import logging
from collections.abc import Callable, Mapping
from typing import Any, Literal

__all__ = [
    "RecordHandlerError",
    "decode_kinesis_data",
    "process_fifo_batch",
    "process_kinesis_batch",
]

logger = logging.getLogger(__name__)

Record = Mapping[str, Any]
RecordHandler = Callable[[Record], object]
BatchResponse = dict[str, list[dict[str, str]]]


class RecordHandlerError(TypeError):
    """The record handler is not a plain function (``async def`` or a generator)."""


def _check_handler(record_handler: RecordHandler) -> None:
    """Reject handlers whose body would not run when called (before any record)."""
    target = inspect.unwrap(record_handler)
    call = getattr(target, "__call__", None)  # noqa: B004 - instances with an async __call__
    for candidate in (target, call):
        if candidate is None:
            continue
        if inspect.iscoroutinefunction(candidate) or inspect.isasyncgenfunction(candidate):
            raise RecordHandlerError(_handler_message(record_handler, "a coroutine function"))
        if inspect.isgeneratorfunction(candidate):
            raise RecordHandlerError(_handler_message(record_handler, "a generator function"))


def _check_result(record_handler: RecordHandler, result: object) -> None:
    """Reject a result that means the handler's work did not happen (not awaited / iterated)."""
    kind = None
    if inspect.isawaitable(result):
        kind = "an awaitable"
        close = getattr(result, "close", None)
        if callable(close):
            close()  # no "coroutine was never awaited" warning: we say it ourselves
    elif inspect.isgenerator(result) or inspect.isasyncgen(result):
        kind = "a generator"
    if kind is not None:
        raise RecordHandlerError(_handler_message(record_handler, f"returning {kind}"))


def _handler_message(record_handler: RecordHandler, what: str) -> str:
    name = getattr(record_handler, "__qualname__", None) or type(record_handler).__name__
    return (
        f"record_handler {name} is {what}: it is called once per record and its result is not "
        "awaited or iterated, so its work would not happen. Pass a plain function (for async "
        "code, call asyncio.run(...) inside it)."
    )


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

    Raises
    ------
    RecordHandlerError
        ``record_handler`` is ``async def`` or a generator function, or returned an
        awaitable or a generator: the whole invocation fails and Lambda retries the batch.
    """
    if scope not in ("batch", "group"):
        raise ValueError(f"scope={scope!r} is not allowed: expected 'batch' or 'group'")
    _check_handler(record_handler)
    failed_groups: set[str] = set()
    stop_all = False
    failures: list[dict[str, str]] = []
    for record in event.get("Records", []):
        group = str(record.get("attributes", {}).get("MessageGroupId", ""))
        if stop_all or group in failed_groups:
            failures.append({"itemIdentifier": str(record["messageId"])})
            continue
        try:
            result = record_handler(record)
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
            continue
        _check_result(record_handler, result)
    return {"batchItemFailures": failures}


def process_kinesis_batch(event: Mapping[str, Any], record_handler: RecordHandler) -> BatchResponse:
    """Process a Kinesis batch in order; report the first failed sequence number only.

    Lambda then retries the shard from that record (bisecting the batch when
    ``bisect_batch_on_error`` is on), so no record after it is processed first.

    Returns
    -------
    dict
        ``{"batchItemFailures": []}`` or ``{"batchItemFailures": [{"itemIdentifier": seq}]}``.

    Raises
    ------
    RecordHandlerError
        As :func:`process_fifo_batch`.
    """
    _check_handler(record_handler)
    for record in event.get("Records", []):
        sequence = str(record["kinesis"]["sequenceNumber"])
        try:
            result = record_handler(record)
        except Exception:
            logger.exception(
                "record %s (partition key %s) failed; the shard is retried from it",
                sequence,
                record["kinesis"].get("partitionKey"),
            )
            return {"batchItemFailures": [{"itemIdentifier": sequence}]}
        _check_result(record_handler, result)
    return {"batchItemFailures": []}


def decode_kinesis_data(record: Record) -> bytes:
    """Return the payload of a Kinesis record (Lambda delivers it base64-encoded)."""
    return base64.b64decode(record["kinesis"]["data"])
