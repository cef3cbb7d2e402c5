"""Local drain: Lambda-shaped SQS events from a file or a real (moto) queue."""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from constructs_pkg.tools import drain
from constructs_pkg.tools.cli import main
from tests.tools.handlers import jobs

REGION = "eu-west-1"
HANDLERS = str(Path(__file__).resolve().parent / "handlers")


@pytest.fixture(autouse=True)
def fresh_handler() -> Iterator[None]:
    jobs.SEEN.clear()
    yield
    jobs.SEEN.clear()


@pytest.fixture
def sqs(mocked_aws: str) -> Any:
    return boto3.client("sqs", region_name=mocked_aws)


def fifo_queue(sqs: Any, bodies: list[tuple[str, str]]) -> str:
    url = sqs.create_queue(
        QueueName="jobs.fifo",
        Attributes={
            "FifoQueue": "true",
            "ContentBasedDeduplication": "true",
            "VisibilityTimeout": "60",
        },
    )["QueueUrl"]
    for group, body in bodies:
        sqs.send_message(
            QueueUrl=url,
            MessageBody=body,
            MessageGroupId=group,
            MessageAttributes={"format_version": {"DataType": "Number", "StringValue": "2"}},
        )
    return str(url)


def test_queue_records_have_lambdas_shape(sqs: Any) -> None:
    url = fifo_queue(sqs, [("g1", '{"n": 1}')])
    seen: list[dict[str, Any]] = []

    def capture(event: dict[str, Any], context: Any) -> None:
        seen.append(event)

    report = drain.drain_queue(capture, url, sqs=sqs, wait_seconds=0)
    assert report.processed == 1
    assert report.failed == 0
    (record,) = seen[0]["Records"]
    assert set(record) == {
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "md5OfMessageAttributes",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    }
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == f"arn:aws:sqs:{REGION}:123456789012:jobs.fifo"
    assert record["awsRegion"] == REGION
    assert record["attributes"]["MessageGroupId"] == "g1"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["md5OfBody"] == hashlib.md5(b'{"n": 1}').hexdigest()
    assert record["messageAttributes"]["format_version"] == {
        "stringValue": "2",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "Number",
    }
    # Success: the message is gone.
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)


def test_partial_batch_response_keeps_the_failed_message_and_the_rest_of_its_group(
    sqs: Any,
) -> None:
    url = fifo_queue(sqs, [("a", "a1"), ("a", "poison a2"), ("a", "a3"), ("b", "b1"), ("b", "b2")])
    report = drain.drain_queue(jobs.handler, url, sqs=sqs, wait_seconds=0)
    # The batch stops at the poison message: nothing after it is handled out of order,
    # and it and everything after it are reported failed (FIFO partial batch rule).
    assert jobs.SEEN == ["a1"]
    assert report.failed == 4
    # Only a1 was deleted: the others come back after the visibility timeout.
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "4"


def test_handler_exception_fails_the_whole_batch(sqs: Any) -> None:
    url = fifo_queue(sqs, [("a", "a1"), ("a", "a2")])
    report = drain.drain_queue(jobs.crash, url, sqs=sqs, wait_seconds=0)
    assert report.failed == 2
    assert report.batches[0].error == "RuntimeError"


def test_unknown_item_identifier_fails_the_whole_batch(sqs: Any) -> None:
    url = fifo_queue(sqs, [("a", "a1"), ("b", "b1")])
    report = drain.drain_queue(jobs.bad_identifier, url, sqs=sqs, wait_seconds=0)
    assert report.failed == 2


def test_without_report_batch_item_failures_one_failure_fails_all(sqs: Any) -> None:
    url = fifo_queue(sqs, [("a", "a1"), ("b", "poison b1")])
    report = drain.drain_queue(
        jobs.handler, url, sqs=sqs, wait_seconds=0, report_batch_item_failures=False
    )
    assert report.failed == 2


@pytest.mark.parametrize("size", [0, 11])
def test_batch_size_bounds(sqs: Any, size: int) -> None:
    with pytest.raises(ValueError, match=f"batch_size={size} .* 1 to 10"):
        drain.drain_queue(jobs.handler, "url", sqs=sqs, batch_size=size)


def test_max_batches_and_batch_size(sqs: Any) -> None:
    url = fifo_queue(sqs, [(f"g{i}", f"m{i}") for i in range(5)])
    report = drain.drain_queue(
        jobs.handler, url, sqs=sqs, wait_seconds=0, batch_size=2, max_batches=2
    )
    assert [len(b.record_ids) for b in report.batches] == [2, 2]


@pytest.mark.parametrize(
    ("response", "failed"),
    [
        (None, []),
        ({}, []),
        ({"batchItemFailures": []}, []),
        ({"batchItemFailures": [{"itemIdentifier": "2"}]}, ["2"]),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, ["1", "2", "3"]),
        ({"batchItemFailures": [{"itemIdentifier": None}]}, ["1", "2", "3"]),
        ({"batchItemFailures": [{"itemIdentifier": "9"}]}, ["1", "2", "3"]),
    ],
)
def test_partial_batch_response_rules(response: Any, failed: list[str]) -> None:
    assert drain.failed_item_ids(response, ["1", "2", "3"]) == failed


def test_events_file_of_messages(tmp_path: Path) -> None:
    path = tmp_path / "jobs.json"
    path.write_text(
        json.dumps([{"body": f"m{i}", "messageGroupId": "g"} for i in range(12)] + ["plain text"])
    )
    events = drain.events_from_file(path)
    assert [len(e["Records"]) for e in events] == [10, 3]
    record = events[0]["Records"][0]
    assert record["attributes"]["MessageGroupId"] == "g"
    assert record["eventSource"] == "aws:sqs"
    assert "MessageGroupId" not in events[1]["Records"][2]["attributes"]


def test_events_file_with_whole_events_is_passed_as_is(tmp_path: Path) -> None:
    event = {"Records": [{"messageId": "x", "body": "b"}]}
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    assert drain.events_from_file(path) == [event]
    path.write_text(json.dumps([event, event]))
    assert drain.events_from_file(path) == [event, event]


def test_cli_drains_a_file(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "jobs.json"
    path.write_text(json.dumps([{"body": "ok", "messageGroupId": "g"}]))
    assert main(["drain", "jobs.handler", "--path", HANDLERS, "--events", str(path)]) == 0
    assert "1 records in 1 batches, 0 failed" in capsys.readouterr().out


def test_cli_exit_code_1_when_a_record_failed(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "jobs.json"
    path.write_text(json.dumps([{"body": "poison", "messageGroupId": "g"}]))
    assert main(["drain", "jobs.handler", "--path", HANDLERS, "--events", str(path)]) == 1
    assert "1 failed" in capsys.readouterr().out


def test_cli_polls_a_queue(sqs: Any, capsys: Any) -> None:
    url = fifo_queue(sqs, [("a", "a1"), ("a", "a2")])
    code = main(
        ["drain", "jobs.handler", "--path", HANDLERS, "--queue-url", url, "--wait-seconds", "0"]
    )
    assert code == 0
    # The CLI imported the handler from --path (as module "jobs").
    assert sys.modules["jobs"].SEEN[-2:] == ["a1", "a2"]


@pytest.mark.parametrize(
    "argv",
    [
        ["drain", "nope.handler", "--events", "x.json"],
        ["drain", "jobs.handler", "--path", HANDLERS, "--events", "/no/such/file.json"],
        ["drain", "jobs.handler", "--path", HANDLERS, "--events", "x", "--env", "NOEQUALS"],
    ],
)
def test_cli_usage_errors(argv: list[str], capsys: Any) -> None:
    assert main(argv) == 2
    assert "constructs-pkg drain:" in capsys.readouterr().err
