"""Local drain: Lambda-shaped SQS events from a file or a real (moto / stubbed) queue."""

from __future__ import annotations

import gc
import hashlib
import json
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from constructs_pkg.tools import drain
from constructs_pkg.tools.cli import main
from tests.tools.conftest import messages_left, unique_name
from tests.tools.handlers import jobs

REGION = "eu-west-1"
HANDLERS = str(Path(__file__).resolve().parent / "handlers")
URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs.fifo"
ARN = "arn:aws:sqs:eu-west-1:123456789012:jobs.fifo"


@pytest.fixture(autouse=True)
def fresh_handler() -> Iterator[None]:
    jobs.SEEN.clear()
    yield
    jobs.SEEN.clear()


@pytest.fixture
def sqs(module_sqs: Any) -> Any:
    return module_sqs


def fifo_queue(
    sqs: Any,
    bodies: list[tuple[str, str]],
    *,
    visibility: int = 60,
    dlq_max_receives: int | None = None,
) -> str:
    name = unique_name("jobs")
    attributes = {
        "FifoQueue": "true",
        "ContentBasedDeduplication": "true",
        "VisibilityTimeout": str(visibility),
    }
    if dlq_max_receives is not None:
        dlq = sqs.create_queue(QueueName=f"{name}-dlq.fifo", Attributes={"FifoQueue": "true"})
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq["QueueUrl"], AttributeNames=["QueueArn"])
        attributes["RedrivePolicy"] = json.dumps(
            {
                "deadLetterTargetArn": dlq_arn["Attributes"]["QueueArn"],
                "maxReceiveCount": dlq_max_receives,
            }
        )
    url = sqs.create_queue(QueueName=f"{name}.fifo", Attributes=attributes)["QueueUrl"]
    for group, body in bodies:
        sqs.send_message(
            QueueUrl=url,
            MessageBody=body,
            MessageGroupId=group,
            MessageAttributes={"format_version": {"DataType": "Number", "StringValue": "2"}},
        )
    return str(url)


def _cli(argv: list[str], capsys: Any) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's usage errors (one line, exit 2)
        code = exit_.code if isinstance(exit_.code, int) else 2
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _usage_error(argv: list[str], capsys: Any) -> str:
    code, _, err = _cli(argv, capsys)
    assert code == 2
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err


# --- the shape of what the handler gets -----------------------------------------------------


def test_queue_records_have_lambdas_shape(sqs: Any) -> None:
    url = fifo_queue(sqs, [("g1", '{"n": 1}')])
    seen: list[dict[str, Any]] = []

    def capture(event: dict[str, Any], context: Any) -> None:
        seen.append(event)

    report = drain.drain_queue(capture, url, sqs=sqs, wait_seconds=0)
    assert (report.processed, report.failed, report.ok) == (1, 0, True)
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
    name = url.rsplit("/", 1)[1]
    assert record["eventSourceARN"] == f"arn:aws:sqs:{REGION}:123456789012:{name}"
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
    assert messages_left(sqs, url) == 0  # success: the message is gone


# --- partial batch responses, as Lambda reads them -----------------------------------------


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
    assert messages_left(sqs, url) == 4


@pytest.mark.parametrize("handler", [jobs.crash, jobs.bad_identifier, jobs.says_ok])
def test_whole_batch_fails(sqs: Any, handler: Any) -> None:
    url = fifo_queue(sqs, [("a", "a1"), ("b", "b1")])
    report = drain.drain_queue(handler, url, sqs=sqs, wait_seconds=0)
    assert report.failed == 2
    assert messages_left(sqs, url) == 2  # nothing deleted, Lambda would retry both


def test_a_handler_exit_is_a_function_error(sqs: Any) -> None:
    url = fifo_queue(sqs, [("a", "a1")])

    def exits(event: Any, context: Any) -> None:
        sys.exit(3)

    report = drain.drain_queue(exits, url, sqs=sqs, wait_seconds=0)
    assert report.batches[0].error == "SystemExit"
    assert report.failed == 1


def test_a_coroutine_is_a_function_error_without_a_never_awaited_warning(sqs: Any) -> None:
    url = fifo_queue(sqs, [("a", "a1")])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = drain.drain_queue(jobs.coroutine, url, sqs=sqs, wait_seconds=0)
        gc.collect()
    assert "Runtime.MarshalError" in (report.batches[0].error or "")
    assert report.failed == 1
    assert jobs.SEEN == []


def test_without_report_batch_item_failures_the_response_is_ignored(sqs: Any) -> None:
    url = fifo_queue(sqs, [("a", "a1"), ("b", "poison b1")])
    report = drain.drain_queue(
        jobs.handler, url, sqs=sqs, wait_seconds=0, report_batch_item_failures=False
    )
    # Lambda does not read the response: the reported failure is deleted with the rest.
    assert report.failed == 0
    assert report.ignored == 1
    assert messages_left(sqs, url) == 0
    assert "reported failed but deleted" in report.render()
    assert not report.ok


def test_without_report_batch_item_failures_an_exception_still_fails_all(sqs: Any) -> None:
    url = fifo_queue(sqs, [("a", "a1"), ("b", "b1")])
    report = drain.drain_queue(
        jobs.crash, url, sqs=sqs, wait_seconds=0, report_batch_item_failures=False
    )
    assert report.failed == 2


IDS = ["1", "2", "3"]


@pytest.mark.parametrize(
    ("response", "failed", "problem"),
    [
        # A full success: Lambda deletes every message.
        (None, [], None),
        ({}, [], None),
        ({"batchItemFailures": None}, [], None),
        ({"batchItemFailures": []}, [], None),
        ({"statusCode": 200}, [], None),
        # A partial failure.
        ({"batchItemFailures": [{"itemIdentifier": "2"}]}, ["2"], None),
        (
            {"batchItemFailures": [{"itemIdentifier": "3"}, {"itemIdentifier": "1"}]},
            ["1", "3"],
            None,
        ),
        # Responses Lambda cannot use: the whole batch fails.
        ("ok", IDS, "cannot read a string"),
        ("", IDS, "cannot read a string"),
        (["2"], IDS, "cannot read a list"),
        ([{"itemIdentifier": "2"}], IDS, "cannot read a list"),
        ([], IDS, "cannot read a list"),
        (1, IDS, "cannot read a number"),
        (True, IDS, "cannot read a boolean"),
        ({"batchItemFailures": "2"}, IDS, "batchItemFailures is a string"),
        ({"batchItemFailures": {"itemIdentifier": "2"}}, IDS, "batchItemFailures is an object"),
        ({"batchItemFailures": ["2"]}, IDS, "no non-empty itemIdentifier"),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, IDS, "no non-empty itemIdentifier"),
        ({"batchItemFailures": [{"itemIdentifier": None}]}, IDS, "no non-empty itemIdentifier"),
        ({"batchItemFailures": [{"itemIdentifier": 2}]}, IDS, "no non-empty itemIdentifier"),
        ({"batchItemFailures": [{"messageId": "2"}]}, IDS, "no non-empty itemIdentifier"),
        ({"batchItemFailures": [{"itemIdentifier": "9"}]}, IDS, "'9', not in the batch"),
        ({"batchItemFailures": [], "x": float("nan")}, IDS, "not valid JSON (NaN is not JSON)"),
    ],
)
def test_responses_are_read_as_lambda_reads_them(
    response: Any, failed: list[str], problem: str | None
) -> None:
    reading = drain.read_response(response, IDS)
    assert reading.failed_ids == failed
    if problem is None:
        assert reading.problem is None
    else:
        assert problem in (reading.problem or "")
    # Without ReportBatchItemFailures only an exception counts: every one of these succeeds.
    ignored = drain.read_response(response, IDS, report_batch_item_failures=False)
    assert ignored.failed_ids == []
    assert ignored.ignored_ids == ([] if problem else failed)


def test_a_response_the_runtime_cannot_serialize_is_a_function_error() -> None:
    for flag in (True, False):
        reading = drain.read_response({1, 2}, IDS, report_batch_item_failures=flag)
        assert reading.function_error
        assert reading.failed_ids == IDS


def test_stream_responses_retry_from_the_lowest_reported_record() -> None:
    response = {"batchItemFailures": [{"itemIdentifier": "3"}, {"itemIdentifier": "2"}]}
    reading = drain.read_response(response, ["1", "2", "3", "4"], stream=True)
    assert reading.failed_ids == ["2", "3", "4"]


def test_failed_item_ids_is_the_default_reading() -> None:
    assert drain.failed_item_ids({"batchItemFailures": [{"itemIdentifier": "2"}]}, IDS) == ["2"]
    assert drain.failed_item_ids("ok", IDS) == IDS


# --- bounds and flags ------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, -1, 11, 20, True, 1.5])
def test_batch_size_bounds(size: Any) -> None:
    with pytest.raises(drain.DrainError, match=r"--batch-size .* expected 1 to 10"):
        drain.drain_queue(jobs.handler, "url", sqs=object(), batch_size=size)
    with pytest.raises(drain.DrainError, match=r"--batch-size .* expected 1 to 10"):
        drain.events_from_file("unused.json", batch_size=size)


@pytest.mark.parametrize("size", [1, 10])
def test_batch_size_bounds_accepted(tmp_path: Path, size: int) -> None:
    path = tmp_path / "jobs.json"
    path.write_text(json.dumps([f"m{i}" for i in range(11)]))
    events = drain.events_from_file(path, batch_size=size)
    assert [len(e["Records"]) for e in events] == ([1] * 11 if size == 1 else [10, 1])


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--batch-size", "-1"),
        ("--batch-size", "0"),
        ("--batch-size", "11"),
        ("--batch-size", "20"),
        ("--batch-size", "ten"),
        ("--max-batches", "0"),
        ("--max-batches", "-3"),
        ("--wait-seconds", "21"),
        ("--wait-seconds", "-1"),
        ("--max-receives", "0"),
    ],
)
def test_cli_bounds_are_one_line_usage_errors(
    tmp_path: Path, capsys: Any, flag: str, value: str
) -> None:
    path = tmp_path / "jobs.json"
    path.write_text("[]")
    err = _usage_error(
        ["drain", "jobs.handler", "--path", HANDLERS, "--events", str(path), flag, value], capsys
    )
    assert f"argument {flag}: {value!r} is not allowed: expected" in err


def test_max_batches_and_batch_size_on_a_queue(sqs: Any) -> None:
    url = fifo_queue(sqs, [(f"g{i}", f"m{i}") for i in range(5)])
    report = drain.drain_queue(
        jobs.handler, url, sqs=sqs, wait_seconds=0, batch_size=2, max_batches=2
    )
    assert [len(b.record_ids) for b in report.batches] == [2, 2]
    assert report.limit_reached == "--max-batches 2 reached"
    assert report.ok  # a limit is not a failure
    assert messages_left(sqs, url) == 1


def test_cli_honours_max_batches_and_the_flag_on_an_events_file(
    tmp_path: Path, capsys: Any
) -> None:
    path = tmp_path / "jobs.json"
    path.write_text(json.dumps(["ok1", "poison", "ok2", "ok3"]))
    argv = ["drain", "jobs.handler", "--path", HANDLERS, "--events", str(path)]
    code, out, _ = _cli([*argv, "--batch-size", "1", "--max-batches", "3"], capsys)
    assert code == 1  # the poison message failed
    assert "3 records in 3 batches, 1 failed" in out
    assert "limit: --max-batches 3 reached, 1 events not run" in out
    code, out, _ = _cli([*argv, "--no-report-batch-item-failures"], capsys)
    assert code == 1  # a failure Lambda would silently delete is still a failure here
    assert "4 records in 1 batches, 0 failed" in out
    assert "without ReportBatchItemFailures Lambda ignores the response" in out


def test_poison_message_without_dlq_and_visibility_zero_terminates(sqs: Any) -> None:
    url = fifo_queue(sqs, [("b", "b1"), ("a", "poison")], visibility=0)
    report = drain.drain_queue(jobs.handler, url, sqs=sqs, wait_seconds=0)
    assert report.stopped is not None
    assert "was received 3 times in this drain (no dead-letter queue" in report.stopped
    assert "visibility timeout 0 s" in report.stopped
    assert jobs.SEEN.count("b1") == 1  # a good message is handled once
    assert messages_left(sqs, url) == 1  # the poison message stays
    assert not report.ok


def test_max_receives_is_honoured(sqs: Any) -> None:
    url = fifo_queue(sqs, [("a", "poison")], visibility=0)
    report = drain.drain_queue(jobs.handler, url, sqs=sqs, wait_seconds=0, max_receives=1)
    assert len(report.batches) == 1
    assert "received 1 times" in (report.stopped or "")


def test_with_a_dlq_the_poison_message_moves_and_the_drain_ends(sqs: Any) -> None:
    url = fifo_queue(sqs, [("b", "b1"), ("a", "poison")], visibility=0, dlq_max_receives=2)
    report = drain.drain_queue(jobs.handler, url, sqs=sqs, wait_seconds=0)
    assert report.stopped is None  # SQS moved it: the queue is empty
    assert messages_left(sqs, url) == 0
    dlq = url.replace(".fifo", "-dlq.fifo")
    assert messages_left(sqs, dlq) == 1
    assert jobs.SEEN == ["b1"]


# --- DeleteMessageBatch failures (botocore Stubber) ----------------------------------------


def _message(number: int) -> dict[str, Any]:
    return {
        "MessageId": f"m-{number}",
        "ReceiptHandle": f"handle-{number}",
        "Body": f"job {number}",
        "Attributes": {
            "MessageGroupId": "g",
            "ApproximateReceiveCount": "1",
            "SequenceNumber": str(18_000_000_000_000_000_000 + number),
        },
    }


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "sqs", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stub:
        stub.add_response(
            "get_queue_attributes",
            {"Attributes": {"QueueArn": ARN, "VisibilityTimeout": "30"}},
            {"QueueUrl": URL, "AttributeNames": ANY},
        )
        yield client, stub
        stub.assert_no_pending_responses()


def test_delete_failures_are_reported_retried_once_and_not_run_twice(stubbed: Any) -> None:
    client, stub = stubbed
    stub.add_response("receive_message", {"Messages": [_message(1), _message(2)]})
    stub.add_response(
        "delete_message_batch",
        {
            "Successful": [],
            "Failed": [
                {"Id": "0", "Code": "InternalError", "SenderFault": False},
                {"Id": "1", "Code": "ReceiptHandleIsInvalid", "SenderFault": True},
            ],
        },
        {"QueueUrl": URL, "Entries": [ANY, ANY]},
    )
    # Only the service-side failure is retried, and it fails again.
    stub.add_response(
        "delete_message_batch",
        {"Successful": [], "Failed": [{"Id": "0", "Code": "InternalError", "SenderFault": False}]},
        {"QueueUrl": URL, "Entries": [{"Id": "0", "ReceiptHandle": "handle-1"}]},
    )
    # Both come back: they are deleted again, not handed to the handler a second time.
    stub.add_response("receive_message", {"Messages": [_message(1), _message(2)]})
    stub.add_response(
        "delete_message_batch",
        {"Successful": [{"Id": "0"}, {"Id": "1"}], "Failed": []},
        {"QueueUrl": URL, "Entries": [ANY, ANY]},
    )
    stub.add_response("receive_message", {})
    calls: list[list[str]] = []

    def handler(event: dict[str, Any], context: Any) -> None:
        calls.append([r["messageId"] for r in event["Records"]])

    report = drain.drain_queue(handler, URL, sqs=client, wait_seconds=0)
    assert calls == [["m-1", "m-2"]]
    assert report.batches[0].delete_failures == [
        ("m-2", "ReceiptHandleIsInvalid"),
        ("m-1", "InternalError"),
    ]
    assert report.delete_failed == 2
    assert report.redelivered == ["m-1", "m-2"]
    text = report.render()
    assert "DELETE FAILED for m-2 ReceiptHandleIsInvalid, m-1 InternalError" in text
    assert "redelivered after a failed delete, deleted without running again: m-1, m-2" in text
    assert not report.ok


def test_a_queue_that_breaks_fifo_order_stops_the_drain(stubbed: Any) -> None:
    # What moto does with a visibility timeout of 0: after a failed batch of m-1, m-2 it
    # returns m-2 alone. SQS never would; running it would overtake m-1.
    client, stub = stubbed
    stub.add_response("receive_message", {"Messages": [_message(1), _message(2)]})
    stub.add_response("receive_message", {"Messages": [_message(2)]})
    stub.add_response("change_message_visibility_batch", {"Successful": [], "Failed": []})
    report = drain.drain_queue(jobs.crash, URL, sqs=client, wait_seconds=0)
    assert len(report.batches) == 1
    assert report.stopped == (
        "the queue delivered message m-2 of group g before m-1, an earlier message of that "
        "group that is not done: the queue broke FIFO order (another consumer, or an "
        "emulator?), so nothing more was run"
    )


def test_a_failing_delete_call_stops_the_drain(stubbed: Any) -> None:
    client, stub = stubbed
    stub.add_response("receive_message", {"Messages": [_message(1)]})
    stub.add_client_error("delete_message_batch", "AccessDenied", "not allowed")
    report = drain.drain_queue(lambda e, c: None, URL, sqs=client, wait_seconds=0)
    assert report.stopped == "DeleteMessageBatch failed: AccessDenied: not allowed"
    assert report.delete_failed == 1


def test_a_failing_receive_stops_the_drain_with_the_report_so_far(stubbed: Any) -> None:
    client, stub = stubbed
    stub.add_response("receive_message", {"Messages": [_message(1)]})
    stub.add_response("delete_message_batch", {"Successful": [{"Id": "0"}], "Failed": []})
    stub.add_client_error("receive_message", "AWS.SimpleQueueService.NonExistentQueue", "gone")
    report = drain.drain_queue(lambda e, c: None, URL, sqs=client, wait_seconds=0)
    assert report.processed == 1
    assert report.stopped == "ReceiveMessage failed: AWS.SimpleQueueService.NonExistentQueue: gone"


# --- events files ----------------------------------------------------------------------------


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
    code, out, _ = _cli(
        ["drain", "jobs.handler", "--path", HANDLERS, "--events", str(path)], capsys
    )
    assert code == 0
    assert "1 records in 1 batches, 0 failed" in out


def test_cli_exit_code_1_when_a_record_failed(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "jobs.json"
    path.write_text(json.dumps([{"body": "poison", "messageGroupId": "g"}]))
    code, out, _ = _cli(
        ["drain", "jobs.handler", "--path", HANDLERS, "--events", str(path)], capsys
    )
    assert code == 1
    assert "1 failed" in out


def test_cli_polls_a_queue(sqs: Any, capsys: Any) -> None:
    url = fifo_queue(sqs, [("a", "a1"), ("a", "a2")])
    code = main(
        ["drain", "jobs.handler", "--path", HANDLERS, "--queue-url", url, "--wait-seconds", "0"]
    )
    assert code == 0
    # The CLI imported the handler from --path (as module "jobs").
    assert sys.modules["jobs"].SEEN[-2:] == ["a1", "a2"]


MALFORMED_EVENTS: dict[str, bytes] = {
    "not JSON": b"{",
    "not UTF-8": b"\xff\xfe[",
    "a number": b"5",
    "Records not a list": b'{"Records": 5}',
    "a record without an id": b'{"Records": [{"body": "x"}]}',
    "a record that is a string": b'[{"Records": ["x"]}]',
    "a message that is a number": b"[1, 2]",
    "a message without body": b'[{"messageGroupId": "g"}]',
    "bad messageAttributes": b'[{"body": "x", "messageAttributes": 5}]',
    "nested too deeply": b"[" * 100_000 + b"]" * 100_000,
}


@pytest.mark.parametrize("case", sorted(MALFORMED_EVENTS))
def test_cli_malformed_events_are_one_line_errors(tmp_path: Path, capsys: Any, case: str) -> None:
    path = tmp_path / "events.json"
    path.write_bytes(MALFORMED_EVENTS[case])
    err = _usage_error(["drain", "jobs.handler", "--path", HANDLERS, "--events", str(path)], capsys)
    assert err.startswith("constructs-pkg drain: ")


@pytest.mark.parametrize(
    "argv",
    [
        ["drain", "nope.handler", "--events", "x.json"],
        ["drain", "jobs.nothing", "--path", HANDLERS, "--events", "x.json"],
        ["drain", "jobs.handler", "--path", HANDLERS, "--events", "/no/such/file.json"],
        ["drain", "jobs.handler", "--path", HANDLERS, "--events", HANDLERS],  # a directory
        ["drain", "jobs.handler", "--path", HANDLERS, "--events", "x", "--env", "NOEQUALS"],
        ["drain", "jobs.handler", "--path", HANDLERS, "--events", "x", "--env", "1A=x"],
        ["drain", "jobs.handler", "--path", HANDLERS, "--events", "x", "--env", "A-B=x"],
        ["drain", "jobs.handler"],  # neither --events nor --queue-url
        ["drain"],
        ["nonsense"],
    ],
)
def test_cli_usage_errors(argv: list[str], capsys: Any) -> None:
    _usage_error(argv, capsys)


def test_cli_handler_that_fails_to_import(tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "broken_handler_module.py").write_text("def handler(:\n")
    err = _usage_error(
        ["drain", "broken_handler_module.handler", "--path", str(tmp_path), "--events", "x"],
        capsys,
    )
    assert "cannot import broken_handler_module.handler: SyntaxError" in err


def test_cli_without_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any):
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # it caches credentials found before
    err = _usage_error(["drain", "jobs.handler", "--path", HANDLERS, "--queue-url", URL], capsys)
    assert f"cannot read queue {URL}: NoCredentialsError" in err


def test_cli_without_a_region(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any):
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    err = _usage_error(
        ["drain", "jobs.handler", "--path", HANDLERS, "--queue-url", "http://localhost:1/q"],
        capsys,
    )
    assert "NoRegionError" in err


def test_region_comes_from_the_queue_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    assert drain._sqs_client(URL).meta.region_name == "eu-west-1"
