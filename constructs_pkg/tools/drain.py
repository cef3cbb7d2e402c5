r"""Run a fleet handler locally against events, the way Lambda would call it.

``constructs-pkg drain`` imports a handler (``module.function``) and feeds it events:

* from a file: one Lambda event (``{"Records": [...]}``), a list of events, or a list of
  SQS messages (strings, or objects with ``body``, ``messageGroupId``,
  ``messageDeduplicationId``, ``messageAttributes``) that are batched into SQS events;
* or by polling a real SQS queue with boto3 (standard or FIFO) until it is empty.

Every event has the exact shape of an SQS event source mapping's event. The handler's
response is read as Lambda reads it (:func:`read_response`):

* with ``ReportBatchItemFailures`` (the default): no response, ``{}``, or an empty or null
  ``batchItemFailures`` is a full success; listed ``itemIdentifier`` s are retried and the
  rest deleted; a response Lambda cannot use -- not valid JSON (``NaN``), a string, a bare
  list, a number, ``batchItemFailures`` that is not a list, an entry without a non-empty
  ``itemIdentifier`` of this batch -- fails the whole batch;
* without it (``--no-report-batch-item-failures``) the response is ignored: only an
  exception fails the batch, and messages the handler reported failed are deleted anyway
  (the report says so);
* an exception (or ``sys.exit``), or a return value Lambda's Python runtime cannot
  serialize (a coroutine from an ``async def`` handler, a set), is a function error: it
  always fails the whole batch.

Polling is bounded: a message is handed to the handler at most ``max_receives`` times in
one drain (default: the queue's ``maxReceiveCount``, else 3), so a poison message on a queue
without a dead-letter queue ends the drain instead of looping forever. Failed
``DeleteMessageBatch`` entries are reported, and a message redelivered after its delete
failed is deleted again rather than run twice. Only the standard library and boto3 are used.

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
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from constructs_pkg import limits
from constructs_pkg.assembly.files import kind

__all__ = [
    "DEFAULT_MAX_RECEIVES",
    "MAX_SQS_BATCH",
    "BatchResult",
    "DrainError",
    "DrainReport",
    "LocalContext",
    "ResponseReading",
    "check_batch_size",
    "drain_events",
    "drain_queue",
    "events_from_file",
    "failed_item_ids",
    "load_handler",
    "read_response",
    "run_batch",
    "sqs_record",
]

#: Messages per ReceiveMessage call and per SQS FIFO batch (both at most 10).
MAX_SQS_BATCH: Final = limits.FIFO_MAX_BATCH_SIZE
#: Longest long-poll wait of ReceiveMessage, in seconds.
MAX_WAIT_SECONDS: Final = 20
#: How often one message is handed to the handler in one drain when the queue has no
#: dead-letter queue (with one, its ``maxReceiveCount``).
DEFAULT_MAX_RECEIVES: Final = 3
_LOCAL_ARN = "arn:aws:sqs:local:000000000000:local"
_QUEUE_URL_REGION = re.compile(r"^https://sqs[.-]([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/")


class DrainError(ValueError):
    """Bad input to the drain: arguments, an events file, a handler, a queue. One line."""


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
    """What happened to one batch.

    Attributes
    ----------
    record_ids
        Every record handed to the handler, in batch order.
    failed_ids
        The records Lambda would retry (they stay on the queue).
    error
        The handler's exception, when it raised: the whole batch failed.
    problem
        Why Lambda could not use the response, when it could not: the whole batch failed.
    ignored_ids
        Records the handler reported failed although ``ReportBatchItemFailures`` is off:
        Lambda ignores the report and deletes them.
    delete_failures
        ``(record id, error code)`` of every message whose delete failed.
    """

    record_ids: list[str]
    failed_ids: list[str]
    error: str | None = None
    problem: str | None = None
    ignored_ids: list[str] = field(default_factory=list)
    delete_failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def succeeded_ids(self) -> list[str]:
        """Ids of the records that did not fail, in batch order."""
        failed = set(self.failed_ids)
        return [record_id for record_id in self.record_ids if record_id not in failed]


@dataclass
class DrainReport:
    """Every batch of a drain, and why it stopped."""

    batches: list[BatchResult] = field(default_factory=list)
    #: Why the drain ended early against the queue's will (a message received too often, an
    #: SQS call that failed); None when it was not.
    stopped: str | None = None
    #: ``--max-batches`` ended the drain (what was left is not a failure).
    limit_reached: str | None = None
    #: Messages redelivered after a failed delete, deleted again without a second run.
    redelivered: list[str] = field(default_factory=list)
    #: ``(message id, error code)`` of redelivered messages whose second delete failed too.
    late_delete_failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def processed(self) -> int:
        """Records handed to the handler."""
        return sum(len(batch.record_ids) for batch in self.batches)

    @property
    def failed(self) -> int:
        """Records that failed (and stay on the queue)."""
        return sum(len(batch.failed_ids) for batch in self.batches)

    @property
    def delete_failed(self) -> int:
        """Messages the handler finished whose delete failed (they come back: duplicates)."""
        return sum(len(b.delete_failures) for b in self.batches) + len(self.late_delete_failures)

    @property
    def ignored(self) -> int:
        """Records reported failed that Lambda deletes (no ``ReportBatchItemFailures``)."""
        return sum(len(batch.ignored_ids) for batch in self.batches)

    @property
    def ok(self) -> bool:
        """True when every record succeeded, was deleted, and the drain was not stopped."""
        return not (self.failed or self.ignored or self.delete_failed or self.stopped)

    def render(self) -> str:
        """One line per batch and a summary."""
        lines = []
        for number, batch in enumerate(self.batches, start=1):
            line = (
                f"batch {number}: {len(batch.record_ids)} records, {len(batch.failed_ids)} failed"
            )
            if batch.error:
                line += f" (handler raised {batch.error}: the whole batch failed)"
            elif batch.problem:
                line += f" ({batch.problem}: the whole batch failed)"
            elif batch.failed_ids:
                line += f" ({', '.join(batch.failed_ids)})"
            if batch.ignored_ids:
                line += (
                    f"; reported failed but deleted ({', '.join(batch.ignored_ids)}): "
                    "without ReportBatchItemFailures Lambda ignores the response"
                )
            if batch.delete_failures:
                failures = ", ".join(f"{rid} {code}" for rid, code in batch.delete_failures)
                line += f"; DELETE FAILED for {failures}: they will be delivered again"
            lines.append(line)
        if self.redelivered:
            lines.append(
                f"redelivered after a failed delete, deleted without running again: "
                f"{', '.join(self.redelivered)}"
            )
        if self.late_delete_failures:
            failures = ", ".join(f"{rid} {code}" for rid, code in self.late_delete_failures)
            lines.append(f"DELETE FAILED again for {failures}")
        summary = f"{self.processed} records in {len(self.batches)} batches, {self.failed} failed"
        if self.delete_failed:
            summary += f", {self.delete_failed} not deleted"
        lines.append(summary)
        if self.limit_reached:
            lines.append(f"limit: {self.limit_reached}")
        if self.stopped:
            lines.append(f"stopped: {self.stopped}")
        return "\n".join(lines)


# --- how Lambda reads a response -----------------------------------------------------------


@dataclass(frozen=True)
class ResponseReading:
    """What Lambda makes of a handler's response to one batch."""

    failed_ids: list[str]
    problem: str | None = None
    ignored_ids: list[str] = field(default_factory=list)
    #: The runtime could not even serialize the response: a function error.
    function_error: bool = False


def _record_id(record: Any, where: str = "record") -> str:
    """Return the ``itemIdentifier`` of a record: messageId (SQS) or sequence number."""
    if isinstance(record, Mapping):
        if isinstance(record.get("messageId"), str) and record["messageId"]:
            return str(record["messageId"])
        for key, number in (("kinesis", "sequenceNumber"), ("dynamodb", "SequenceNumber")):
            stream = record.get(key)
            if isinstance(stream, Mapping) and isinstance(stream.get(number), str):
                return str(stream[number])
        raise DrainError(
            f"{where} has no messageId (SQS) or sequence number (Kinesis, DynamoDB): "
            f"keys {sorted(str(k) for k in record)[:10]}"
        )
    raise DrainError(f"{where} is {type(record).__name__}, not an object")


def _is_stream(records: Sequence[Any]) -> bool:
    return bool(records) and isinstance(records[0], Mapping) and "messageId" not in records[0]


def read_response(
    response: Any,
    record_ids: Sequence[str],
    *,
    report_batch_item_failures: bool = True,
    stream: bool = False,
) -> ResponseReading:
    """Read a handler's response as Lambda does; see the module docstring for the rules.

    ``stream`` (Kinesis, DynamoDB): Lambda checkpoints before the lowest reported sequence
    number, so that record and every later one are retried.

    Examples
    --------
    >>> read_response({"batchItemFailures": [{"itemIdentifier": "b"}]}, ["a", "b"]).failed_ids
    ['b']
    >>> read_response("ok", ["a", "b"]).problem
    'Lambda cannot read a string as a batch response'
    >>> read_response(None, ["a", "b"]).failed_ids
    []
    """
    everything = list(record_ids)
    try:  # what Lambda's Python runtime does with the return value
        text = json.dumps(response)
    except (TypeError, ValueError, RecursionError) as exc:
        problem = f"the response is not JSON-serializable ({type(exc).__name__}: {exc})"
        return ResponseReading(everything, problem[:300], function_error=True)
    if not report_batch_item_failures:
        # Lambda does not look at the response at all; say what it would have retried.
        reading = read_response(response, everything, stream=stream)
        return ResponseReading([], ignored_ids=[] if reading.problem else reading.failed_ids)
    try:
        wire = json.loads(text, parse_constant=_not_json)
    except ValueError as exc:
        return ResponseReading(everything, f"the response is not valid JSON ({exc})")
    reading = _parse(wire, everything)
    if stream and reading.problem is None and reading.failed_ids:
        first = min(everything.index(rid) for rid in reading.failed_ids)
        reading = ResponseReading(everything[first:])
    return reading


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _parse(wire: Any, record_ids: list[str]) -> ResponseReading:
    if wire is None:
        return ResponseReading([])
    if not isinstance(wire, dict):
        return ResponseReading(record_ids, f"Lambda cannot read {kind(wire)} as a batch response")
    failures = wire.get("batchItemFailures")
    if failures is None or failures == []:
        return ResponseReading([])
    if not isinstance(failures, list):
        return ResponseReading(record_ids, f"batchItemFailures is {kind(failures)}")
    known = set(record_ids)
    ids: set[str] = set()
    for index, failure in enumerate(failures):
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or not identifier:
            return ResponseReading(
                record_ids, f"batchItemFailures[{index}] has no non-empty itemIdentifier"
            )
        if identifier not in known:
            return ResponseReading(
                record_ids,
                f"batchItemFailures[{index}] names {identifier[:80]!r}, not in the batch",
            )
        ids.add(identifier)
    return ResponseReading([record_id for record_id in record_ids if record_id in ids])


def failed_item_ids(response: Any, record_ids: Sequence[str]) -> list[str]:
    """Return the ids Lambda retries for ``response`` (with ``ReportBatchItemFailures``)."""
    return read_response(response, record_ids).failed_ids


def run_batch(
    handler: Callable[[Any, Any], Any],
    event: Mapping[str, Any],
    context: LocalContext,
    *,
    report_batch_item_failures: bool = True,
) -> BatchResult:
    """Invoke ``handler`` with one event and read its response as Lambda would."""
    records = list(event.get("Records") or [])
    record_ids = [_record_id(record) for record in records]
    try:
        response = handler(dict(event), context)
    except (Exception, SystemExit) as exc:  # a function error: Lambda retries the whole batch
        return BatchResult(record_ids, list(record_ids), error=type(exc).__name__)
    close = getattr(response, "close", None)
    reading = read_response(
        response,
        record_ids,
        report_batch_item_failures=report_batch_item_failures,
        stream=_is_stream(records),
    )
    if reading.function_error and callable(close):
        close()  # a coroutine or generator returned by mistake: no "never awaited" warning
    if reading.function_error:
        return BatchResult(
            record_ids, reading.failed_ids, error=f"Runtime.MarshalError ({reading.problem})"
        )
    return BatchResult(
        record_ids, reading.failed_ids, problem=reading.problem, ignored_ids=reading.ignored_ids
    )


def drain_events(
    handler: Callable[[Any, Any], Any],
    events: Sequence[Mapping[str, Any]],
    context_factory: Callable[[], LocalContext] = LocalContext,
    *,
    max_batches: int | None = None,
    report_batch_item_failures: bool = True,
) -> DrainReport:
    """Run ``handler`` on each event in turn (a new context per invocation)."""
    _check_max_batches(max_batches)
    report = DrainReport()
    for number, event in enumerate(events):
        if max_batches is not None and number >= max_batches:
            report.limit_reached = (
                f"--max-batches {max_batches} reached, {len(events) - number} events not run"
            )
            break
        report.batches.append(
            run_batch(
                handler,
                event,
                context_factory(),
                report_batch_item_failures=report_batch_item_failures,
            )
        )
    return report


# --- checks --------------------------------------------------------------------------------


def _check_whole(name: str, value: Any, low: int, high: int | None, why: str) -> None:
    ok = isinstance(value, int) and not isinstance(value, bool)
    if not ok or value < low or (high is not None and value > high):
        allowed = f"{low} to {high}" if high is not None else f"a whole number >= {low}"
        raise DrainError(f"{name} {value!r} is not allowed: expected {allowed} ({why})")


def check_batch_size(batch_size: Any) -> None:
    """Raise :class:`DrainError` unless ``batch_size`` is 1 to 10."""
    _check_whole(
        "--batch-size",
        batch_size,
        1,
        MAX_SQS_BATCH,
        "ReceiveMessage and SQS FIFO event sources take at most 10 messages",
    )


def _check_max_batches(max_batches: Any) -> None:
    if max_batches is not None:
        _check_whole("--max-batches", max_batches, 1, None, "or leave it out: until empty")


# --- events --------------------------------------------------------------------------------


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
        raise DrainError(f"message {number}: expected a string or an object with 'body'")
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
    raw = item.get("messageAttributes") or {}
    if not isinstance(raw, Mapping):
        raise DrainError(f"message {number}: messageAttributes must be an object")
    raw_attributes = {
        str(name): {
            "StringValue": str(value["stringValue"] if isinstance(value, Mapping) else value),
            "DataType": (
                str(value.get("dataType", "String"))
                if isinstance(value, Mapping)
                else ("Number" if isinstance(value, int | float) else "String")
            ),
        }
        for name, value in raw.items()
        if not isinstance(value, Mapping) or "stringValue" in value
    }
    return {
        "MessageId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"local-{number}-{body}")),
        "ReceiptHandle": f"local-{number}",
        "Body": body,
        "Attributes": attributes,
        "MessageAttributes": raw_attributes,
    }


def _check_event(event: Any, where: str) -> dict[str, Any]:
    if not isinstance(event, Mapping) or not isinstance(event.get("Records"), list):
        raise DrainError(f"{where}: expected an object with a list 'Records'")
    for index, record in enumerate(event["Records"]):
        _record_id(record, f"{where} record {index}")
    return dict(event)


def events_from_file(path: str | Path, *, batch_size: int = MAX_SQS_BATCH) -> list[dict[str, Any]]:
    """Read events from a JSON file: an event, a list of events, or a list of messages.

    Raises
    ------
    DrainError
        The file is not JSON, or not one of the three shapes (named by position), or
        ``batch_size`` is not 1 to 10.
    OSError
        The file cannot be read.
    """
    check_batch_size(batch_size)
    try:
        data = json.loads(Path(path).read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise DrainError(f"{path}: not JSON ({type(exc).__name__}: {exc})") from None
    if isinstance(data, Mapping) and "Records" in data:
        return [_check_event(data, str(path))]
    if not isinstance(data, list):
        raise DrainError(f"{path}: expected an event, a list of events or a list of messages")
    if data and all(isinstance(item, Mapping) and "Records" in item for item in data):
        return [_check_event(item, f"{path} event {i}") for i, item in enumerate(data)]
    messages = [_file_message(item, number) for number, item in enumerate(data, 1)]
    return [
        {"Records": [sqs_record(m, queue_arn=_LOCAL_ARN, region="local") for m in chunk]}
        for chunk in _chunks(messages, batch_size)
    ]


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- a real queue --------------------------------------------------------------------------


def _aws_error(exc: Exception) -> str:
    """One line for a boto3 error: the service code and message, or the exception."""
    response = getattr(exc, "response", None)
    error = response.get("Error") if isinstance(response, Mapping) else None
    if isinstance(error, Mapping) and error.get("Code"):
        return f"{error['Code']}: {error.get('Message') or ''}".strip().rstrip(":")
    return f"{type(exc).__name__}: {exc}"


def _aws_exceptions() -> tuple[type[Exception], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError)


def _sqs_client(queue_url: str) -> Any:
    import boto3

    match = _QUEUE_URL_REGION.match(queue_url)
    # The queue URL names its region; without it boto3 needs AWS_REGION / a profile.
    return boto3.client("sqs", region_name=match.group(1) if match else None)


@dataclass
class _Queue:
    url: str
    arn: str
    region: str
    max_receive_count: int | None
    visibility_timeout: int


def _queue(sqs: Any, queue_url: str) -> _Queue:
    try:
        attributes = sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["QueueArn", "RedrivePolicy", "VisibilityTimeout"]
        )["Attributes"]
    except _aws_exceptions() as exc:
        raise DrainError(f"cannot read queue {queue_url}: {_aws_error(exc)}") from None
    arn = str(attributes.get("QueueArn", ""))
    parts = arn.split(":")
    if len(parts) < 6 or parts[2] != "sqs":
        raise DrainError(f"queue {queue_url} has no usable QueueArn ({arn!r})")
    max_receive_count = None
    try:
        redrive = json.loads(attributes.get("RedrivePolicy") or "null")
        if isinstance(redrive, Mapping) and redrive.get("maxReceiveCount") is not None:
            max_receive_count = max(1, int(redrive["maxReceiveCount"]))
    except (TypeError, ValueError):
        max_receive_count = None
    visibility = str(attributes.get("VisibilityTimeout", "30"))
    return _Queue(
        queue_url,
        arn,
        parts[3],
        max_receive_count,
        int(visibility) if visibility.isdigit() else 30,
    )


def drain_queue(
    handler: Callable[[Any, Any], Any],
    queue_url: str,
    *,
    sqs: Any | None = None,
    batch_size: int = MAX_SQS_BATCH,
    wait_seconds: int = 1,
    max_batches: int | None = None,
    max_receives: int | None = None,
    report_batch_item_failures: bool = True,
    context_factory: Callable[[], LocalContext] = LocalContext,
) -> DrainReport:
    """Poll ``queue_url`` and run ``handler`` on each batch until the queue returns nothing.

    Successful messages are deleted; failed ones are left to become visible again after the
    queue's visibility timeout (and to reach its dead-letter queue after
    ``maxReceiveCount``), as with Lambda. The drain stops when a receive returns nothing,
    after ``max_batches`` batches, when a received message was already handed to the
    handler ``max_receives`` times in this drain (default: the queue's ``maxReceiveCount``,
    else :data:`DEFAULT_MAX_RECEIVES`; that batch is put back, not run), or when an SQS call
    fails (:attr:`DrainReport.stopped` says which).

    Raises
    ------
    DrainError
        A bad argument, or the queue cannot be read at all (no credentials, no such queue,
        access denied): nothing was received.
    """
    check_batch_size(batch_size)
    _check_whole("--wait-seconds", wait_seconds, 0, MAX_WAIT_SECONDS, "ReceiveMessage long poll")
    _check_max_batches(max_batches)
    if max_receives is not None:
        _check_whole("--max-receives", max_receives, 1, None, "attempts per message")
    if sqs is None:
        try:
            sqs = _sqs_client(queue_url)
        except _aws_exceptions() as exc:
            raise DrainError(f"cannot create an SQS client: {_aws_error(exc)}") from None
    queue = _queue(sqs, queue_url)
    drain = _Drain(
        handler,
        sqs,
        queue,
        bound=max_receives or queue.max_receive_count or DEFAULT_MAX_RECEIVES,
        report_batch_item_failures=report_batch_item_failures,
        context_factory=context_factory,
    )
    report = drain.report
    while max_batches is None or len(report.batches) < max_batches:
        received = drain.receive(batch_size, wait_seconds)
        if not received:
            return report
        refusal = drain.refusal(received)
        if refusal is not None:
            _release(sqs, queue_url, received)
            report.stopped = refusal
            return report
        if not drain.run(received):
            return report
    report.limit_reached = f"--max-batches {max_batches} reached"
    return report


class _Drain:
    """One drain of a queue: how often each message was handed out, which are done, the report.

    The loop of :func:`drain_queue` receives a batch (:meth:`receive`), asks whether it may
    run (:meth:`refusal`) and runs it (:meth:`run`).
    """

    def __init__(
        self,
        handler: Callable[[Any, Any], Any],
        sqs: Any,
        queue: _Queue,
        *,
        bound: int,
        report_batch_item_failures: bool,
        context_factory: Callable[[], LocalContext],
    ) -> None:
        self.handler = handler
        self.sqs = sqs
        self.queue = queue
        self.bound = bound  # times a message may be handed to the handler in this drain
        self.report_batch_item_failures = report_batch_item_failures
        self.context_factory = context_factory
        self.attempts: dict[str, int] = {}
        self.done: set[str] = set()  # handled successfully in this drain
        self.order = _GroupOrder(queue.max_receive_count)
        self.report = DrainReport()

    def receive(self, batch_size: int, wait_seconds: int) -> list[dict[str, Any]]:
        """Receive a batch; ``[]`` when the queue returned nothing or the receive failed."""
        try:
            messages: list[dict[str, Any]] = self.sqs.receive_message(
                QueueUrl=self.queue.url,
                MaxNumberOfMessages=batch_size,
                WaitTimeSeconds=wait_seconds,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
        except _aws_exceptions() as exc:
            self.report.stopped = f"ReceiveMessage failed: {_aws_error(exc)}"
            return []
        return messages

    def refusal(self, received: Sequence[Mapping[str, Any]]) -> str | None:
        """Say why the batch must not run (a message handed out too often, FIFO order broken)."""
        attempts, queue = self.attempts, self.queue
        exhausted = [
            m["MessageId"] for m in received if attempts.get(m["MessageId"], 0) >= self.bound
        ]
        if exhausted:
            where = (
                f"maxReceiveCount {queue.max_receive_count}"
                if queue.max_receive_count
                else "no dead-letter queue"
            )
            return (
                f"message {exhausted[0]} was received {self.bound} times in this drain "
                f"({where}, visibility timeout {queue.visibility_timeout} s): it stays on the "
                "queue; raise --max-receives to try more"
            )
        return self.order.overtaking(received, attempts)

    def run(self, received: Sequence[Mapping[str, Any]]) -> bool:
        """Run the batch and delete what succeeded; False when a delete failed (the drain stops)."""
        for message in received:
            self.attempts[message["MessageId"]] = self.attempts.get(message["MessageId"], 0) + 1
        again = [m for m in received if m["MessageId"] in self.done]
        if again:  # its delete failed earlier: delete it now instead of running it twice
            _delete(self.sqs, self.queue.url, again, self.report.late_delete_failures)
            self.report.redelivered.extend(str(m["MessageId"]) for m in again)
            received = [m for m in received if m["MessageId"] not in self.done]
            if not received:
                return True
        queue = self.queue
        records = [sqs_record(m, queue_arn=queue.arn, region=queue.region) for m in received]
        result = run_batch(
            self.handler,
            {"Records": records},
            self.context_factory(),
            report_batch_item_failures=self.report_batch_item_failures,
        )
        self.report.batches.append(result)
        succeeded = set(result.succeeded_ids)
        self.order.update(received, succeeded)
        finished = [m for m in received if m["MessageId"] in succeeded]
        self.done.update(str(m["MessageId"]) for m in finished)
        if finished and not _delete(self.sqs, queue.url, finished, result.delete_failures):
            self.report.stopped = "DeleteMessageBatch failed: " + result.delete_failures[0][1]
            return False
        return True


class _GroupOrder:
    """FIFO messages received but not finished, per group: a queue that breaks order is caught.

    SQS hands out the messages of a group in order, and none while an earlier one is still
    on the queue; emulators may not (moto with a visibility timeout of 0 returns the last
    message of a failed batch alone). Running it would break the order the handler relies
    on, so the drain stops. Order is the order in which the drain first received the messages
    (SQS's order within a group). A message received ``maxReceiveCount`` times may have moved
    to the dead-letter queue, which legitimately lets the rest of its group go on.
    """

    def __init__(self, moved_after: int | None) -> None:
        self.moved_after = moved_after
        self.position: dict[str, int] = {}  # message id -> when the drain first received it
        self.open: dict[str, set[str]] = {}  # group -> received, not finished

    def overtaking(
        self, received: Sequence[Mapping[str, Any]], attempts: Mapping[str, int]
    ) -> str | None:
        """Say which received message overtakes an unfinished one of its group, if any."""
        for message in received:
            self.position.setdefault(message["MessageId"], len(self.position))
        here = {m["MessageId"] for m in received}
        for message in received:
            group = _group(message)
            mine = self.position[message["MessageId"]]
            for other in sorted(self.open.get(group or "", ()), key=self.position.__getitem__):
                moved = self.moved_after is not None and attempts.get(other, 0) >= self.moved_after
                if self.position[other] < mine and other not in here and not moved:
                    return (
                        f"the queue delivered message {message['MessageId']} of group {group} "
                        f"before {other}, an earlier message of that group that is not done: "
                        "the queue broke FIFO order (another consumer, or an emulator?), so "
                        "nothing more was run"
                    )
        return None

    def update(self, received: Sequence[Mapping[str, Any]], succeeded: set[str]) -> None:
        """Record what became of a batch."""
        for message in received:
            group = _group(message)
            if group is None:
                continue
            if message["MessageId"] in succeeded:
                self.open.get(group, set()).discard(message["MessageId"])
            else:
                self.open.setdefault(group, set()).add(message["MessageId"])


def _group(message: Mapping[str, Any]) -> str | None:
    group = (message.get("Attributes") or {}).get("MessageGroupId")
    return group if isinstance(group, str) else None


def _delete(
    sqs: Any,
    queue_url: str,
    messages: Sequence[Mapping[str, Any]],
    failures: list[tuple[str, str]],
) -> bool:
    """Delete ``messages``; retry entries that failed on the service's side once.

    ``(message id, error code)`` of what could not be deleted goes to ``failures``. Returns
    False when the call itself failed (the drain stops: every later delete would fail too).
    """
    by_entry = {str(index): message for index, message in enumerate(messages)}
    pending = [{"Id": i, "ReceiptHandle": m["ReceiptHandle"]} for i, m in by_entry.items()]
    for attempt in (1, 2):
        try:
            answer = sqs.delete_message_batch(QueueUrl=queue_url, Entries=pending)
        except _aws_exceptions() as exc:
            code = _aws_error(exc)
            failures.extend((str(by_entry[e["Id"]]["MessageId"]), code) for e in pending)
            return False
        failed = answer.get("Failed") or []
        retry = {str(f.get("Id")) for f in failed if f.get("SenderFault") is False}
        if attempt == 1 and retry:
            final = [f for f in failed if str(f.get("Id")) not in retry]
            pending = [e for e in pending if e["Id"] in retry]
        else:
            final, pending = failed, []
        for failure in final:
            message = by_entry.get(str(failure.get("Id")))
            if message is not None:
                failures.append(
                    (str(message["MessageId"]), str(failure.get("Code") or "unknown error"))
                )
        if not pending:
            break
    return True


def _release(sqs: Any, queue_url: str, messages: Sequence[Mapping[str, Any]]) -> None:
    """Make received messages visible again at once (best effort: they reappear anyway)."""
    entries = [
        {"Id": str(index), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
        for index, m in enumerate(messages)
    ]
    try:
        sqs.change_message_visibility_batch(QueueUrl=queue_url, Entries=entries)
    except _aws_exceptions():
        pass  # the visibility timeout returns them


# --- command line --------------------------------------------------------------------------


def load_handler(target: str, paths: Sequence[str]) -> Callable[[Any, Any], Any]:
    """Import ``module.function`` with ``paths`` first on ``sys.path``.

    Raises
    ------
    DrainError
        The module cannot be imported (any exception its import raises) or has no such
        function.
    """
    for path in reversed(paths):
        resolved = str(Path(path).resolve())
        if resolved not in sys.path:
            sys.path.insert(0, resolved)
    from constructs_pkg.runtime.dispatch import DispatchError, resolve

    try:
        return resolve(target)
    except DispatchError as exc:
        raise DrainError(str(exc)) from None
    except Exception as exc:  # a module that fails while importing (SyntaxError, ...)
        raise DrainError(f"cannot import {target}: {type(exc).__name__}: {exc}") from None
