"""Ordered batch processors on real event shapes, with Lambda's retry simulated."""

from __future__ import annotations

import functools
import gc
import json
import warnings
from collections.abc import Callable
from typing import Any

import pytest

from constructs_pkg.runtime.batch import (
    RecordHandlerError,
    decode_kinesis_data,
    process_fifo_batch,
    process_kinesis_batch,
)
from tests.runtime.lambda_events import in_order_per_key, kinesis_record, sqs_fifo_record

# Messages of three groups, interleaved as producers would send them.
GROUPS = ["order-1", "order-2", "order-1", "order-3", "order-1", "order-2", "order-3", "order-1"]


def _fifo_messages() -> list[dict[str, Any]]:
    seen: dict[str, int] = {}
    messages = []
    for i, group in enumerate(GROUPS):
        seen[group] = seen.get(group, 0) + 1
        messages.append(sqs_fifo_record(i, group, {"group": group, "step": seen[group]}))
    return messages


class FlakyHandler:
    """Fails the first time it sees each poisoned step, records what it completed."""

    def __init__(self, poisoned: set[tuple[str, int]]) -> None:
        self.poisoned = set(poisoned)
        self.done: list[tuple[str, int]] = []

    def __call__(self, key: str, step: int) -> None:
        if (key, step) in self.poisoned:
            self.poisoned.discard((key, step))
            raise RuntimeError(f"transient failure of {key} step {step}")
        self.done.append((key, step))


def _simulate_fifo(
    process: Callable[[dict[str, Any]], dict[str, Any]], batch_size: int = 10
) -> None:
    """Lambda + SQS FIFO: reported messages return to the queue in their original order."""
    queue = _fifo_messages()
    for _ in range(20):
        if not queue:
            return
        batch, queue = queue[:batch_size], queue[batch_size:]
        failed = {f["itemIdentifier"] for f in process({"Records": batch})["batchItemFailures"]}
        queue = [m for m in batch if m["messageId"] in failed] + queue
    raise AssertionError("queue never drained")


@pytest.mark.parametrize("scope", ["batch", "group"])
def test_fifo_order_survives_a_retry(scope):
    handler = FlakyHandler({("order-1", 2)})

    def process(event):
        return process_fifo_batch(
            event,
            lambda r: handler(
                key=json.loads(r["body"])["group"], step=json.loads(r["body"])["step"]
            ),
            scope=scope,
        )

    _simulate_fifo(process)
    assert in_order_per_key(handler.done)
    assert sorted(handler.done) == sorted({(g, s) for g, s in _expected_steps()})
    assert len(handler.done) == len(GROUPS)  # each message completed exactly once


def _expected_steps():
    seen: dict[str, int] = {}
    for group in GROUPS:
        seen[group] = seen.get(group, 0) + 1
        yield group, seen[group]


def test_reporting_only_the_failed_message_breaks_fifo_order():
    """The control: what the processor prevents."""
    handler = FlakyHandler({("order-1", 2)})

    def naive(event):
        failures = []
        for record in event["Records"]:
            body = json.loads(record["body"])
            try:
                handler(body["group"], body["step"])
            except RuntimeError:
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    _simulate_fifo(naive)
    assert not in_order_per_key(handler.done)


def test_fifo_batch_scope_reports_the_failure_and_everything_after_it():
    messages = _fifo_messages()
    calls: list[int] = []

    def handle(record):
        step = json.loads(record["body"])["step"]
        calls.append(step)
        if record is messages[2]:
            raise ValueError("bad")

    response = process_fifo_batch({"Records": messages}, handle)
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == [
        m["messageId"] for m in messages[2:]
    ]
    assert len(calls) == 3


def test_fifo_group_scope_reports_only_the_rest_of_that_group():
    messages = _fifo_messages()

    def handle(record):
        if record is messages[2]:  # order-1, step 2
            raise ValueError("bad")

    response = process_fifo_batch({"Records": messages}, handle, scope="group")
    reported = [f["itemIdentifier"] for f in response["batchItemFailures"]]
    expected = [
        m["messageId"] for m in messages[2:] if m["attributes"]["MessageGroupId"] == "order-1"
    ]
    assert reported == expected


def test_fifo_all_good_reports_nothing():
    assert process_fifo_batch({"Records": _fifo_messages()}, lambda r: None) == {
        "batchItemFailures": []
    }


def test_fifo_rejects_an_unknown_scope():
    with pytest.raises(ValueError, match="scope='shard' is not allowed"):
        process_fifo_batch({"Records": []}, lambda r: None, scope="shard")  # type: ignore[arg-type]


# --- Kinesis -------------------------------------------------------------------------------

KEYS = [
    "customer-a",
    "customer-b",
    "customer-a",
    "customer-a",
    "customer-c",
    "customer-b",
    "customer-a",
]


def _kinesis_records():
    seen: dict[str, int] = {}
    records = []
    for i, key in enumerate(KEYS):
        seen[key] = seen.get(key, 0) + 1
        records.append(kinesis_record(i, key, {"key": key, "step": seen[key]}))
    return records


def _simulate_kinesis(process, batch_size: int = 4) -> None:
    """Lambda + one shard: after a reported failure the shard is retried from that record."""
    shard = _kinesis_records()
    position = 0
    for _ in range(20):
        if position >= len(shard):
            return
        batch = shard[position : position + batch_size]
        failures = process({"Records": batch})["batchItemFailures"]
        if failures:
            sequence = failures[0]["itemIdentifier"]
            position = next(
                i for i, r in enumerate(shard) if r["kinesis"]["sequenceNumber"] == sequence
            )
        else:
            position += len(batch)
    raise AssertionError("shard never drained")


def _kinesis_handler(handler):
    def handle(record):
        data = json.loads(decode_kinesis_data(record))
        handler(data["key"], data["step"])

    return handle


def test_kinesis_order_survives_a_retry():
    handler = FlakyHandler({("customer-a", 2)})
    _simulate_kinesis(lambda event: process_kinesis_batch(event, _kinesis_handler(handler)))
    assert in_order_per_key(handler.done)
    assert len(handler.done) == len(KEYS)


def test_continuing_past_a_kinesis_failure_breaks_order():
    """The control: process everything, report the failed record -> later records run first."""
    handler = FlakyHandler({("customer-a", 2)})
    handle = _kinesis_handler(handler)

    def naive(event):
        failures = []
        for record in event["Records"]:
            try:
                handle(record)
            except RuntimeError:
                failures.append({"itemIdentifier": record["kinesis"]["sequenceNumber"]})
        return {"batchItemFailures": failures[:1]}

    _simulate_kinesis(naive)
    assert not in_order_per_key(handler.done)


def test_kinesis_reports_the_first_failed_sequence_number_and_stops():
    records = _kinesis_records()
    calls = []

    def handle(record):
        calls.append(record)
        if record is records[1]:
            raise ValueError("bad")

    response = process_kinesis_batch({"Records": records}, handle)
    assert response == {
        "batchItemFailures": [{"itemIdentifier": records[1]["kinesis"]["sequenceNumber"]}]
    }
    assert calls == records[:2]


def test_kinesis_all_good_and_decoding():
    records = _kinesis_records()
    assert process_kinesis_batch({"Records": records}, lambda r: None) == {"batchItemFailures": []}
    assert json.loads(decode_kinesis_data(records[0])) == {"key": "customer-a", "step": 1}


# --- handlers whose body would not run ----------------------------------------------------


async def _async_handler(record):
    raise AssertionError("never awaited, never runs")


def _generator_handler(record):
    yield record


async def _async_generator_handler(record):
    yield record


class _AsyncCallable:
    async def __call__(self, record):
        return None


def _returns_a_coroutine(record):
    return _async_handler(record)


def _returns_a_generator(record):
    return iter(_generator_handler(record))


PROCESSORS = {
    "fifo": (process_fifo_batch, _fifo_messages),
    "kinesis": (process_kinesis_batch, _kinesis_records),
}


@pytest.mark.parametrize("processor", sorted(PROCESSORS))
@pytest.mark.parametrize(
    ("handler", "what"),
    [
        (_async_handler, "a coroutine function"),
        (_async_generator_handler, "a coroutine function"),
        (_AsyncCallable(), "a coroutine function"),
        (_generator_handler, "a generator function"),
    ],
)
def test_async_and_generator_handlers_are_rejected_before_any_record(processor, handler, what):
    process, records = PROCESSORS[processor]
    with pytest.raises(RecordHandlerError, match=f"is {what}: it is called once per record"):
        process({"Records": records()}, handler)


@pytest.mark.parametrize("processor", sorted(PROCESSORS))
@pytest.mark.parametrize(
    ("handler", "what"),
    [(_returns_a_coroutine, "returning an awaitable"), (_returns_a_generator, "a generator")],
)
def test_handlers_returning_coroutines_or_generators_are_not_counted(processor, handler, what):
    process, records = PROCESSORS[processor]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the coroutine is closed: no "never awaited"
        with pytest.raises(RecordHandlerError, match=what):
            process({"Records": records()}, handler)
        gc.collect()


def test_a_record_handler_error_is_a_type_error():
    # Lambda sees a function error: the whole batch is retried, nothing is deleted.
    assert issubclass(RecordHandlerError, TypeError)


def test_wrapped_and_plain_callables_are_fine():
    calls = []

    @functools.wraps(lambda record: None)
    def wrapped(record):
        calls.append(record)

    class Plain:
        def __call__(self, record):
            calls.append(record)

    assert process_fifo_batch({"Records": _fifo_messages()}, wrapped) == {"batchItemFailures": []}
    assert process_kinesis_batch({"Records": _kinesis_records()}, Plain()) == {
        "batchItemFailures": []
    }
    assert len(calls) == len(GROUPS) + len(KEYS)
