"""Property tests: the drain against a model of Lambda's partial-batch semantics.

1. Whatever a handler returns (or raises), the drain retries and deletes what
   :mod:`tests.lambda_model` says Lambda would.
2. Polling a real (moto) FIFO queue with poison messages, any visibility timeout, with or
   without a dead-letter queue: the drain ends, no message succeeds twice, nothing is lost
   (every message is deleted after success, or still on the queue, or in the DLQ), and
   without poison everything is handled once, in group order.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from constructs_pkg.runtime.batch import process_fifo_batch
from constructs_pkg.tools import drain
from tests.hypothesis_profiles import scaled
from tests.lambda_model import lambda_outcome
from tests.tools.conftest import messages_left, unique_name

pytestmark = pytest.mark.property

IDS = [f"id-{i}" for i in range(6)]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
identifiers = st.sampled_from([*IDS, "", "other"]) | st.none() | st.integers(0, 3)
failure_entries = st.one_of(
    st.fixed_dictionaries({"itemIdentifier": identifiers}),
    st.fixed_dictionaries({"messageId": identifiers}),
    json_values,
)
responses = st.one_of(
    json_values,
    st.fixed_dictionaries({"batchItemFailures": st.lists(failure_entries, max_size=4)}),
    st.fixed_dictionaries(
        {
            "batchItemFailures": st.lists(
                st.fixed_dictionaries({"itemIdentifier": st.sampled_from(IDS)}), max_size=4
            )
        }
    ),
    st.fixed_dictionaries({"batchItemFailures": json_values}),
    st.sets(st.integers(), max_size=2),  # not JSON-serializable
)


@given(
    responses,
    st.integers(1, len(IDS)),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
def test_drain_reads_responses_as_lambda_does(
    response: Any, size: int, raised: bool, report_failures: bool, stream: bool
) -> None:
    ids = IDS[:size]
    records: list[dict[str, Any]]
    if stream:
        records = [{"kinesis": {"sequenceNumber": i, "data": ""}} for i in ids]
    else:
        records = [{"messageId": i, "body": ""} for i in ids]

    def handler(event: Any, context: Any) -> Any:
        assert [
            r.get("messageId") or r["kinesis"]["sequenceNumber"] for r in event["Records"]
        ] == ids
        if raised:
            raise RuntimeError("function error")
        return response

    result = drain.run_batch(
        handler,
        {"Records": records},
        drain.LocalContext(),
        report_batch_item_failures=report_failures,
    )
    expected = lambda_outcome(
        response, ids, raised=raised, report_batch_item_failures=report_failures, stream=stream
    )
    assert tuple(result.failed_ids) == expected.retried
    assert tuple(result.succeeded_ids) == expected.deleted


# --- a real queue ----------------------------------------------------------------------------


@st.composite
def queues(draw: Any) -> dict[str, Any]:
    groups = draw(st.lists(st.sampled_from("abc"), min_size=0, max_size=12))
    poison = draw(st.sets(st.integers(0, max(0, len(groups) - 1)), max_size=2)) if groups else set()
    return {
        "groups": groups,
        "poison": poison,
        "visibility": draw(st.sampled_from([0, 0, 30])),
        "dlq": draw(st.none() | st.integers(1, 3)),
        "batch_size": draw(st.integers(1, 10)),
        "scope": draw(st.sampled_from(["batch", "group"])),
    }


@scaled(0.5)
@given(queues())
def test_a_drain_of_a_real_queue_ends_and_loses_nothing(
    module_sqs: Any, case: dict[str, Any]
) -> None:
    sqs = module_sqs
    name = unique_name("prop")
    attributes = {
        "FifoQueue": "true",
        "ContentBasedDeduplication": "true",
        "VisibilityTimeout": str(case["visibility"]),
    }
    dlq_url = None
    if case["dlq"] is not None:
        dlq_url = sqs.create_queue(QueueName=f"{name}-dlq.fifo", Attributes={"FifoQueue": "true"})[
            "QueueUrl"
        ]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])
        attributes["RedrivePolicy"] = json.dumps(
            {
                "deadLetterTargetArn": dlq_arn["Attributes"]["QueueArn"],
                "maxReceiveCount": case["dlq"],
            }
        )
    url = sqs.create_queue(QueueName=f"{name}.fifo", Attributes=attributes)["QueueUrl"]
    bodies = []
    for index, group in enumerate(case["groups"]):
        body = json.dumps({"n": index, "group": group, "poison": index in case["poison"]})
        bodies.append(body)
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group)

    done: list[dict[str, Any]] = []

    def work(record: Any) -> None:
        body = json.loads(record["body"])
        if body["poison"]:
            raise ValueError("poison")
        done.append(body)

    def handler(event: Any, context: Any) -> Any:
        return process_fifo_batch(event, work, scope=case["scope"])

    report = drain.drain_queue(handler, url, sqs=sqs, wait_seconds=0, batch_size=case["batch_size"])
    # It ended (we are here) within the bound: each message received at most 3 times.
    assert len(report.batches) <= 3 * max(1, len(bodies))
    numbers = [body["n"] for body in done]
    assert len(numbers) == len(set(numbers))  # no message succeeded twice
    left = messages_left(sqs, url) + (messages_left(sqs, dlq_url) if dlq_url else 0)
    assert len(numbers) + left == len(bodies)  # deleted exactly when done; nothing lost
    for group in set(case["groups"]):  # group order kept
        handled = [body["n"] for body in done if body["group"] == group]
        assert handled == sorted(handled)
    if not case["poison"]:
        assert sorted(numbers) == list(range(len(bodies)))
        assert report.ok
