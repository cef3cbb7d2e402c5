"""Format-version contracts at run time: stamp the version on send, check it on receive.

During a deploy old and new code run side by side, so data that crosses functions says
which format it is in:

* SQS: a message attribute ``format_version`` (Number).
* Kinesis: records have no attributes, so the data is a small JSON envelope
  ``{"format_version": 2, "payload": ...}``.

On the consumer side :func:`versioned` dispatches each record to the handler of its
version and raises :class:`UnsupportedFormatVersionError` for any other version, so
the batch processors in :mod:`constructs_pkg.runtime.batch` hand the record to the
failure path instead of guessing.

Producers find their target and version in environment variables set by
``add_producer`` (``<NAME>_QUEUE_URL`` or ``<NAME>_STREAM_NAME``, and
``<NAME>_FORMAT_VERSION``); :func:`producer_settings` reads them. Standard library
and boto3 only.

Examples
--------
::

    settings = producer_settings("FULFILLMENT_JOBS")
    send_message(sqs, queue_url=settings.target, body={"order_id": "o-1"},
                 format_version=settings.format_version, message_group_id="o-1")

    handle = versioned({1: apply_v1, 2: apply_v2}, source="sqs")
    def handler(event, context):
        return process_fifo_batch(event, handle)
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from constructs_pkg.runtime.env import FORMAT_VERSION_SUFFIX, QUEUE_URL_SUFFIX, STREAM_NAME_SUFFIX

__all__ = [
    "FORMAT_VERSION_ATTRIBUTE",
    "ProducerSettings",
    "UnsupportedFormatVersionError",
    "format_version_of",
    "producer_settings",
    "put_record",
    "send_message",
    "versioned",
]

FORMAT_VERSION_ATTRIBUTE = "format_version"
ENVELOPE_VERSION = "format_version"
ENVELOPE_PAYLOAD = "payload"

Record = Mapping[str, Any]


class UnsupportedFormatVersionError(Exception):
    """A record's format version is not one this consumer accepts (or it has none)."""

    def __init__(self, version: int | None, accepted: tuple[int, ...]) -> None:
        self.version = version
        self.accepted = accepted
        shown = "no format version" if version is None else f"format version {version}"
        super().__init__(f"record has {shown}; this consumer accepts {list(accepted)}")


@dataclass(frozen=True)
class ProducerSettings:
    """Where a producer sends and which version it stamps (from its environment)."""

    target: str  # queue URL or stream name
    format_version: int


def producer_settings(name: str, environ: Mapping[str, str] = os.environ) -> ProducerSettings:
    """Read ``<name>_QUEUE_URL`` or ``<name>_STREAM_NAME`` and ``<name>_FORMAT_VERSION``."""
    queue, stream = f"{name}{QUEUE_URL_SUFFIX}", f"{name}{STREAM_NAME_SUFFIX}"
    target = environ.get(queue) or environ.get(stream)
    if not target:
        raise KeyError(f"neither {queue} nor {stream} is set")
    return ProducerSettings(target, int(environ[f"{name}{FORMAT_VERSION_SUFFIX}"]))


def _encode(body: Any) -> str:
    return body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))


def send_message(
    sqs_client: Any,
    *,
    queue_url: str,
    body: Any,
    format_version: int,
    message_group_id: str | None = None,
    deduplication_id: str | None = None,
) -> Any:
    """Send ``body`` (a str, or JSON-encoded) with the ``format_version`` message attribute."""
    params: dict[str, Any] = {
        "QueueUrl": queue_url,
        "MessageBody": _encode(body),
        "MessageAttributes": {
            FORMAT_VERSION_ATTRIBUTE: {
                "DataType": "Number",
                "StringValue": str(int(format_version)),
            }
        },
    }
    if message_group_id is not None:
        params["MessageGroupId"] = message_group_id
    if deduplication_id is not None:
        params["MessageDeduplicationId"] = deduplication_id
    return sqs_client.send_message(**params)


def put_record(
    kinesis_client: Any,
    *,
    stream_name: str,
    partition_key: str,
    payload: Any,
    format_version: int,
) -> Any:
    """Put ``payload`` wrapped in the version envelope (Kinesis records have no attributes)."""
    envelope = {ENVELOPE_VERSION: int(format_version), ENVELOPE_PAYLOAD: payload}
    return kinesis_client.put_record(
        StreamName=stream_name,
        PartitionKey=partition_key,
        Data=json.dumps(envelope, separators=(",", ":")).encode(),
    )


def format_version_of(record: Record, source: Literal["sqs", "kinesis"]) -> tuple[int | None, Any]:
    """Return ``(format version or None, payload)`` of a Lambda event record."""
    if source == "sqs":
        attribute = (record.get("messageAttributes") or {}).get(FORMAT_VERSION_ATTRIBUTE) or {}
        raw = attribute.get("stringValue")
        body = record.get("body", "")
        try:
            payload: Any = json.loads(body)
        except (TypeError, ValueError):
            payload = body
        return (_int_or_none(raw), payload)
    data = base64.b64decode(record["kinesis"]["data"])
    try:
        envelope = json.loads(data)
    except ValueError:
        return (None, data)
    if not isinstance(envelope, dict) or ENVELOPE_VERSION not in envelope:
        return (None, envelope)
    return (_int_or_none(envelope[ENVELOPE_VERSION]), envelope.get(ENVELOPE_PAYLOAD))


def _int_or_none(value: Any) -> int | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def versioned(
    handlers: Mapping[int, Callable[[Any, Record], object]],
    *,
    source: Literal["sqs", "kinesis"],
) -> Callable[[Record], None]:
    """Build a record handler that calls ``handlers[version](payload, record)``.

    A record without a version or with one not in ``handlers`` raises
    :class:`UnsupportedFormatVersionError`, which the batch processors report as a
    failure (so the record reaches the failure path instead of being guessed at).
    """
    accepted = tuple(sorted(handlers))

    def handle(record: Record) -> None:
        version, payload = format_version_of(record, source)
        if version is None or version not in handlers:
            raise UnsupportedFormatVersionError(version, accepted)
        handlers[version](payload, record)

    return handle
