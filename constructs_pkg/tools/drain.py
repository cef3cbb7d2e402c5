r"""Run a fleet handler locally against events, the way Lambda would call it.

``constructs-pkg drain`` imports a handler (``module.function``) and feeds it events:

* from a file: one Lambda event (``{"Records": [...]}``), a list of events, or a list of
  SQS messages (strings, or objects with ``body``, ``messageGroupId``,
  ``messageDeduplicationId``, ``messageAttributes``) that are batched into SQS events;
* or by polling a real SQS queue with boto3 (standard or FIFO) until it is empty.

Every event has the exact shape of an SQS event source mapping's event. The handler's
partial batch response is honoured as Lambda honours it (with ``ReportBatchItemFailures``):
messages it reports failed stay on the queue, the others are deleted; an exception, or a
failure naming no message of the batch, fails the whole batch. Only the standard library
and boto3 are used.

Examples
--------
::

    constructs-pkg drain fulfillment.handler --path sample_app/service --events jobs.json
    constructs-pkg drain fulfillment.handler --path sample_app/service \\
        --queue-url https://sqs.eu-west-1.amazonaws.com/123456789012/jobs.fifo
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "BatchResult",
    "DrainReport",
    "LocalContext",
    "drain_events",
    "drain_queue",
    "events_from_file",
    "failed_item_ids",
    "sqs_record",
]

#: Lambda's maximum batch size for SQS FIFO (and the most ReceiveMessage returns at once).
MAX_SQS_BATCH = 10
_LOCAL_ARN = "arn:aws:sqs:local:000000000000:local"


@dataclass
class LocalContext:
    """The Lambda context object, as far as handlers use it."""

    function_name: str = "local"
    memory_limit_in_mb: int = 128
    timeout_seconds: float = 900.0
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        """A local function ARN."""
        return f"arn:aws:lambda:local:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the (local) timeout."""
        left = self.timeout_seconds - (time.monotonic() - self._started)
        return max(0, int(left * 1000))


@dataclass
class BatchResult:
    """What happened to one batch."""

    record_ids: list[str]
    failed_ids: list[str]
    error: str | None = None

    @property
    def succeeded_ids(self) -> list[str]:
        """Ids of the records that did not fail, in batch order."""
        failed = set(self.failed_ids)
        return [record_id for record_id in self.record_ids if record_id not in failed]


@dataclass
class DrainReport:
    """Every batch of a drain."""

    batches: list[BatchResult] = field(default_factory=list)

    @property
    def processed(self) -> int:
        """Records handed to the handler."""
        return sum(len(batch.record_ids) for batch in self.batches)

    @property
    def failed(self) -> int:
        """Records that failed (and stay on the queue)."""
        return sum(len(batch.failed_ids) for batch in self.batches)

    def render(self) -> str:
        """One line per batch and a summary."""
        lines = []
        for number, batch in enumerate(self.batches, start=1):
            line = (
                f"batch {number}: {len(batch.record_ids)} records, {len(batch.failed_ids)} failed"
            )
            if batch.error:
                line += f" (handler raised {batch.error}: the whole batch failed)"
            elif batch.failed_ids:
                line += f" ({', '.join(batch.failed_ids)})"
            lines.append(line)
        lines.append(
            f"{self.processed} records in {len(self.batches)} batches, {self.failed} failed"
        )
        return "\n".join(lines)


def _record_id(record: Mapping[str, Any]) -> str:
    """Return the ``itemIdentifier`` of a record: messageId (SQS) or sequence number."""
    if "messageId" in record:
        return str(record["messageId"])
    kinesis = record.get("kinesis")
    if isinstance(kinesis, Mapping) and "sequenceNumber" in kinesis:
        return str(kinesis["sequenceNumber"])
    dynamodb = record.get("dynamodb")
    if isinstance(dynamodb, Mapping) and "SequenceNumber" in dynamodb:
        return str(dynamodb["SequenceNumber"])
    raise ValueError(f"record without messageId or sequence number: {sorted(record)}")


def failed_item_ids(response: Any, record_ids: Sequence[str]) -> list[str]:
    """Return the failed record ids of a batch, reading the response as Lambda does.

    No ``batchItemFailures`` (or an empty list) means success. A failure whose
    ``itemIdentifier`` is missing, empty or not in the batch fails the whole batch.
    """
    if not isinstance(response, Mapping):
        return []
    failures = response.get("batchItemFailures")
    if not failures:
        return []
    ids: list[str] = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
        if not identifier or identifier not in record_ids:
            return list(record_ids)
        ids.append(str(identifier))
    return [record_id for record_id in record_ids if record_id in set(ids)]


def run_batch(
    handler: Callable[[Any, Any], Any], event: Mapping[str, Any], context: LocalContext
) -> BatchResult:
    """Invoke ``handler`` with one event and read its (partial) batch response."""
    record_ids = [_record_id(record) for record in event.get("Records", [])]
    try:
        response = handler(dict(event), context)
    except Exception as exc:  # the handler failed: Lambda retries the whole batch
        return BatchResult(record_ids, list(record_ids), error=type(exc).__name__)
    return BatchResult(record_ids, failed_item_ids(response, record_ids))


def drain_events(
    handler: Callable[[Any, Any], Any],
    events: Sequence[Mapping[str, Any]],
    context_factory: Callable[[], LocalContext] = LocalContext,
) -> DrainReport:
    """Run ``handler`` on each event in turn (a new context per invocation)."""
    report = DrainReport()
    for event in events:
        report.batches.append(run_batch(handler, event, context_factory()))
    return report


# --- events ------------------------------------------------------------------------------------


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _message_attributes(raw: Mapping[str, Any]) -> dict[str, Any]:
    """SQS API message attributes -> the shape Lambda puts in the event."""
    attributes = {}
    for name, value in raw.items():
        attributes[name] = {
            "stringValue": value.get("StringValue", value.get("stringValue")),
            "binaryValue": value.get("BinaryValue", value.get("binaryValue")),
            "stringListValues": list(value.get("StringListValues", [])),
            "binaryListValues": list(value.get("BinaryListValues", [])),
            "dataType": value.get("DataType", value.get("dataType", "String")),
        }
        if attributes[name]["binaryValue"] is None:
            del attributes[name]["binaryValue"]
        if attributes[name]["stringValue"] is None:
            del attributes[name]["stringValue"]
    return attributes


def sqs_record(message: Mapping[str, Any], *, queue_arn: str, region: str) -> dict[str, Any]:
    """Turn a ReceiveMessage message into the record Lambda would deliver."""
    body = message["Body"]
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": body,
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": _message_attributes(message.get("MessageAttributes", {})),
        "md5OfBody": message.get("MD5OfBody", _md5(body)),
        "md5OfMessageAttributes": message.get("MD5OfMessageAttributes"),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def _file_message(item: Any, number: int) -> dict[str, Any]:
    """Return a message of an events file in the shape ReceiveMessage returns."""
    if isinstance(item, str):
        item = {"body": item}
    if not isinstance(item, Mapping) or "body" not in item:
        raise ValueError(f"message {number}: expected a string or an object with 'body'")
    body = item["body"] if isinstance(item["body"], str) else json.dumps(item["body"])
    now = str(int(time.time() * 1000))
    attributes = {
        "ApproximateReceiveCount": "1",
        "SentTimestamp": now,
        "SenderId": "LOCAL",
        "ApproximateFirstReceiveTimestamp": now,
    }
    if item.get("messageGroupId"):
        attributes["MessageGroupId"] = str(item["messageGroupId"])
        attributes["MessageDeduplicationId"] = str(
            item.get("messageDeduplicationId") or hashlib.sha256(body.encode()).hexdigest()
        )
        attributes["SequenceNumber"] = str(18_000_000_000_000_000_000 + number)
    raw_attributes = {
        name: {
            "StringValue": str(value["stringValue"] if isinstance(value, Mapping) else value),
            "DataType": (
                value.get("dataType", "String")
                if isinstance(value, Mapping)
                else ("Number" if isinstance(value, int | float) else "String")
            ),
        }
        for name, value in (item.get("messageAttributes") or {}).items()
    }
    return {
        "MessageId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"local-{number}-{body}")),
        "ReceiptHandle": f"local-{number}",
        "Body": body,
        "Attributes": attributes,
        "MessageAttributes": raw_attributes,
    }


def events_from_file(path: str | Path, *, batch_size: int = MAX_SQS_BATCH) -> list[dict[str, Any]]:
    """Read events from a JSON file: an event, a list of events, or a list of messages."""
    data = json.loads(Path(path).read_text())
    if isinstance(data, Mapping) and "Records" in data:
        return [dict(data)]
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected an event, a list of events or a list of messages")
    if data and all(isinstance(item, Mapping) and "Records" in item for item in data):
        return [dict(item) for item in data]
    messages = [_file_message(item, number) for number, item in enumerate(data, 1)]
    return [
        {"Records": [sqs_record(m, queue_arn=_LOCAL_ARN, region="local") for m in chunk]}
        for chunk in _chunks(messages, batch_size)
    ]


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- a real queue ------------------------------------------------------------------------------


def drain_queue(
    handler: Callable[[Any, Any], Any],
    queue_url: str,
    *,
    sqs: Any | None = None,
    batch_size: int = MAX_SQS_BATCH,
    wait_seconds: int = 1,
    max_batches: int | None = None,
    report_batch_item_failures: bool = True,
    context_factory: Callable[[], LocalContext] = LocalContext,
) -> DrainReport:
    """Poll ``queue_url`` and run ``handler`` on each batch until the queue returns nothing.

    Successful messages are deleted; failed ones are left to become visible again after the
    queue's visibility timeout (and to reach its dead-letter queue after
    ``maxReceiveCount``), as with Lambda. Without ``report_batch_item_failures`` any
    failure fails the whole batch, as on a mapping without ``ReportBatchItemFailures``.
    """
    if not 1 <= batch_size <= MAX_SQS_BATCH:
        raise ValueError(f"batch_size={batch_size} is not allowed: expected 1 to {MAX_SQS_BATCH}")
    if sqs is None:
        import boto3

        sqs = boto3.client("sqs")
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    region = queue_arn.split(":")[3]
    report = DrainReport()
    while max_batches is None or len(report.batches) < max_batches:
        received = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=batch_size,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not received:
            break
        records = [sqs_record(m, queue_arn=queue_arn, region=region) for m in received]
        result = run_batch(handler, {"Records": records}, context_factory())
        if result.failed_ids and not report_batch_item_failures:
            result.failed_ids = list(result.record_ids)
        report.batches.append(result)
        done = set(result.succeeded_ids)
        entries = [
            {"Id": str(index), "ReceiptHandle": record["receiptHandle"]}
            for index, record in enumerate(records)
            if record["messageId"] in done
        ]
        if entries:
            sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
    return report


# --- command line ------------------------------------------------------------------------------


def load_handler(target: str, paths: Sequence[str]) -> Callable[[Any, Any], Any]:
    """Import ``module.function`` with ``paths`` first on ``sys.path``."""
    for path in reversed(paths):
        resolved = str(Path(path).resolve())
        if resolved not in sys.path:
            sys.path.insert(0, resolved)
    from constructs_pkg.runtime.dispatch import resolve

    return resolve(target)
