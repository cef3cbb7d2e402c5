"""Property tests: the batch processors against a model of Lambda's partial-batch semantics.

Random batches (message groups / partition keys), random failing records, random batch
sizes; Lambda's handling of each response comes from :mod:`tests.lambda_model`. Claims:
nothing is lost (every record eventually succeeds exactly once when failures are
transient), order per group / key is kept across retries, and a record after a failure
never runs before it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from constructs_pkg.runtime.batch import (
    decode_kinesis_data,
    process_fifo_batch,
    process_kinesis_batch,
)
from tests.lambda_model import lambda_outcome
from tests.runtime.lambda_events import in_order_per_key, kinesis_record, sqs_fifo_record

pytestmark = pytest.mark.property

#: Group / partition key of each record, from a small alphabet so keys repeat.
keys = st.lists(st.sampled_from("abcd"), min_size=0, max_size=25)


@dataclass
class Flaky:
    """Fails each poisoned (key, step) the given number of times, then succeeds."""

    failures_left: dict[tuple[str, int], int]
    done: list[tuple[str, int]] = field(default_factory=list)
    calls: list[tuple[str, int]] = field(default_factory=list)

    def __call__(self, key: str, step: int) -> None:
        self.calls.append((key, step))
        left = self.failures_left.get((key, step), 0)
        if left:
            self.failures_left[(key, step)] = left - 1
            raise RuntimeError(f"{key} step {step} fails ({left} more)")
        self.done.append((key, step))


def _steps(sequence: list[str]) -> list[tuple[str, int]]:
    seen: dict[str, int] = {}
    steps = []
    for key in sequence:
        seen[key] = seen.get(key, 0) + 1
        steps.append((key, seen[key]))
    return steps


@st.composite
def workloads(draw: Any) -> tuple[list[tuple[str, int]], dict[tuple[str, int], int], int]:
    steps = _steps(draw(keys))
    poisoned = draw(st.sets(st.sampled_from(steps), max_size=5)) if steps else set()
    failures = {step: draw(st.integers(1, 3)) for step in sorted(poisoned)}
    return steps, failures, draw(st.integers(1, 10))


def _start(workload: Any) -> tuple[list[tuple[str, int]], dict[tuple[str, int], int], Flaky]:
    steps, failures, _ = workload
    return steps, failures, Flaky(dict(failures))


def _assert_each_once_in_order(flaky: Flaky, steps: list[tuple[str, int]]) -> None:
    assert sorted(flaky.done) == sorted(steps)  # each record succeeded exactly once
    assert in_order_per_key(flaky.done)


# --- SQS FIFO ------------------------------------------------------------------------------


def _fifo(steps: list[tuple[str, int]]) -> list[dict[str, Any]]:
    return [
        sqs_fifo_record(i, key, {"key": key, "step": step}) for i, (key, step) in enumerate(steps)
    ]


def _fifo_handler(flaky: Flaky) -> Any:
    def handle(record: dict[str, Any]) -> None:
        body = json.loads(record["body"])
        flaky(body["key"], body["step"])

    return handle


@given(workloads(), st.sampled_from(["batch", "group"]))
def test_fifo_drains_exactly_once_in_order(workload: Any, scope: str) -> None:
    steps, _, flaky = _start(workload)
    batch_size = workload[2]
    handle = _fifo_handler(flaky)
    queue = _fifo(steps)
    for _ in range(len(steps) * 4 + 4):  # every record fails at most 3 times
        if not queue:
            break
        batch, queue = queue[:batch_size], queue[batch_size:]
        ids = [m["messageId"] for m in batch]
        response = process_fifo_batch({"Records": batch}, handle, scope=scope)  # type: ignore[arg-type]
        outcome = lambda_outcome(response, ids)
        assert len(outcome.deleted) + len(outcome.retried) == len(ids)  # never a whole-fail
        # Retried messages return to the head of their groups, in their original order.
        queue = [m for m in batch if m["messageId"] in outcome.retried] + queue
    assert queue == []
    _assert_each_once_in_order(flaky, steps)


@given(workloads())
def test_fifo_batch_scope_stops_at_the_first_failure(workload: Any) -> None:
    steps, failures, flaky = _start(workload)
    batch = _fifo(steps)
    outcome = lambda_outcome(
        process_fifo_batch({"Records": batch}, _fifo_handler(flaky)),
        [m["messageId"] for m in batch],
    )
    first = next((i for i, step in enumerate(steps) if step in failures), len(steps))
    assert outcome.deleted == tuple(m["messageId"] for m in batch[:first])
    assert outcome.retried == tuple(m["messageId"] for m in batch[first:])
    assert flaky.calls == steps[: first + 1]  # nothing after the failure ran


@given(workloads())
def test_fifo_group_scope_skips_only_the_rest_of_the_failed_group(workload: Any) -> None:
    steps, failures, flaky = _start(workload)
    batch = _fifo(steps)
    ids = [m["messageId"] for m in batch]
    outcome = lambda_outcome(
        process_fifo_batch({"Records": batch}, _fifo_handler(flaky), scope="group"), ids
    )
    broken: set[str] = set()
    expected_retried = []
    for message_id, (key, step) in zip(ids, steps, strict=True):
        if key in broken or (key, step) in failures:
            broken.add(key)
            expected_retried.append(message_id)
    assert outcome.retried == tuple(expected_retried)
    for key in {k for k, _ in steps}:
        group = [step for k, step in steps if k == key]
        first = next((step for step in group if (key, step) in failures), None)
        ran = [step for k, step in flaky.calls if k == key]
        # A group runs up to (and including) its first failure and not one record further.
        assert ran == (group if first is None else group[:first])


# --- Kinesis -------------------------------------------------------------------------------


def _shard(steps: list[tuple[str, int]]) -> list[dict[str, Any]]:
    return [
        kinesis_record(i, key, {"key": key, "step": step}) for i, (key, step) in enumerate(steps)
    ]


def _kinesis_handler(flaky: Flaky) -> Any:
    def handle(record: dict[str, Any]) -> None:
        data = json.loads(decode_kinesis_data(record))
        flaky(data["key"], data["step"])

    return handle


@given(workloads())
def test_kinesis_drains_exactly_once_in_order(workload: Any) -> None:
    steps, _, flaky = _start(workload)
    batch_size = workload[2]
    handle = _kinesis_handler(flaky)
    shard = _shard(steps)
    position = 0
    for _ in range(len(steps) * 4 + 4):
        if position >= len(shard):
            break
        batch = shard[position : position + batch_size]
        ids = [r["kinesis"]["sequenceNumber"] for r in batch]
        response = process_kinesis_batch({"Records": batch}, handle)
        assert len(response["batchItemFailures"]) <= 1
        outcome = lambda_outcome(response, ids, stream=True)
        position += len(outcome.deleted)  # the checkpoint moves past what Lambda deleted
    assert position == len(shard)
    _assert_each_once_in_order(flaky, steps)


@given(workloads())
def test_kinesis_reports_the_first_failure_and_nothing_after_it_runs(workload: Any) -> None:
    steps, failures, flaky = _start(workload)
    batch = _shard(steps)
    response = process_kinesis_batch({"Records": batch}, _kinesis_handler(flaky))
    first = next((i for i, step in enumerate(steps) if step in failures), None)
    if first is None:
        assert response == {"batchItemFailures": []}
        assert flaky.calls == steps
    else:
        sequence = batch[first]["kinesis"]["sequenceNumber"]
        assert response == {"batchItemFailures": [{"itemIdentifier": sequence}]}
        assert flaky.calls == steps[: first + 1]
