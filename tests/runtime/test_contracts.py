"""Format versions on the wire: stamped with Stubber-checked boto3 calls, read back from real
event shapes, and unaccepted versions handed to the failure path."""

from __future__ import annotations

import base64
import json

import boto3
import pytest
from botocore.stub import Stubber

from constructs_pkg.runtime.batch import process_fifo_batch, process_kinesis_batch
from constructs_pkg.runtime.contracts import (
    UnsupportedFormatVersionError,
    format_version_of,
    producer_settings,
    put_record,
    send_message,
    versioned,
)
from tests.runtime.lambda_events import kinesis_record, sqs_fifo_record


def _client(service):
    return boto3.client(
        service, region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


def test_send_message_stamps_the_version_attribute():
    sqs = _client("sqs")
    with Stubber(sqs) as stub:
        stub.add_response(
            "send_message",
            {"MessageId": "m-1"},
            {
                "QueueUrl": "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs.fifo",
                "MessageBody": '{"order_id":"o-1","step":"pack"}',
                "MessageAttributes": {"format_version": {"DataType": "Number", "StringValue": "2"}},
                "MessageGroupId": "o-1",
            },
        )
        send_message(
            sqs,
            queue_url="https://sqs.eu-west-1.amazonaws.com/123456789012/jobs.fifo",
            body={"order_id": "o-1", "step": "pack"},
            format_version=2,
            message_group_id="o-1",
        )
        stub.assert_no_pending_responses()


def test_put_record_wraps_the_payload_in_an_envelope():
    kinesis = _client("kinesis")
    with Stubber(kinesis) as stub:
        stub.add_response(
            "put_record",
            {"ShardId": "shardId-000000000000", "SequenceNumber": "1"},
            {
                "StreamName": "order-events",
                "PartitionKey": "customer-a",
                "Data": b'{"format_version":2,"payload":{"type":"OrderAccepted"}}',
            },
        )
        put_record(
            kinesis,
            stream_name="order-events",
            partition_key="customer-a",
            payload={"type": "OrderAccepted"},
            format_version=2,
        )
        stub.assert_no_pending_responses()


def _sqs_record(version):
    record = sqs_fifo_record(0, "o-1", {"order_id": "o-1"})
    if version is not None:
        record["messageAttributes"] = {
            "format_version": {
                "stringValue": str(version),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "Number",
            }
        }
    return record


def _kinesis_record(envelope):
    record = kinesis_record(0, "customer-a", {})
    record["kinesis"]["data"] = base64.b64encode(json.dumps(envelope).encode()).decode()
    return record


def test_reading_versions_back():
    assert format_version_of(_sqs_record(2), "sqs") == (2, {"order_id": "o-1"})
    assert format_version_of(_sqs_record(None), "sqs") == (None, {"order_id": "o-1"})
    assert format_version_of(
        _kinesis_record({"format_version": 1, "payload": {"a": 1}}), "kinesis"
    ) == (1, {"a": 1})
    assert format_version_of(_kinesis_record({"no": "envelope"}), "kinesis") == (
        None,
        {"no": "envelope"},
    )


def test_round_trip_through_the_stubbed_client_and_an_event():
    kinesis = _client("kinesis")
    captured = {}
    with Stubber(kinesis) as stub:
        stub.add_response("put_record", {"ShardId": "s", "SequenceNumber": "1"}, None)
        original = kinesis.put_record

        def spy(**params):
            captured.update(params)
            return original(**params)

        kinesis.put_record = spy
        put_record(kinesis, stream_name="s", partition_key="k", payload={"x": 1}, format_version=3)
    record = kinesis_record(0, "k", {})
    record["kinesis"]["data"] = base64.b64encode(captured["Data"]).decode()
    assert format_version_of(record, "kinesis") == (3, {"x": 1})


def test_versioned_dispatches_by_version():
    seen = []
    handle = versioned(
        {1: lambda p, r: seen.append(("v1", p)), 2: lambda p, r: seen.append(("v2", p))},
        source="sqs",
    )
    handle(_sqs_record(1))
    handle(_sqs_record(2))
    assert seen == [("v1", {"order_id": "o-1"}), ("v2", {"order_id": "o-1"})]


@pytest.mark.parametrize("version", [3, None])
def test_unaccepted_versions_raise(version):
    handle = versioned({1: lambda p, r: None, 2: lambda p, r: None}, source="sqs")
    with pytest.raises(
        UnsupportedFormatVersionError, match=r"this consumer accepts \[1, 2\]"
    ) as info:
        handle(_sqs_record(version))
    assert info.value.version == version


def test_unaccepted_versions_go_to_the_failure_path_in_batches():
    handle = versioned({1: lambda p, r: None}, source="sqs")
    records = [_sqs_record(1), _sqs_record(2)]
    records[1]["messageId"] = "second"
    assert process_fifo_batch({"Records": records}, handle) == {
        "batchItemFailures": [{"itemIdentifier": "second"}]
    }
    stream = [
        _kinesis_record({"format_version": 1, "payload": {}}),
        _kinesis_record({"format_version": 9, "payload": {}}),
    ]
    stream[1]["kinesis"]["sequenceNumber"] = "42"
    kinesis_handle = versioned({1: lambda p, r: None}, source="kinesis")
    assert process_kinesis_batch({"Records": stream}, kinesis_handle) == {
        "batchItemFailures": [{"itemIdentifier": "42"}]
    }


def test_producer_settings_from_the_environment():
    env = {"JOBS_QUEUE_URL": "https://q", "JOBS_FORMAT_VERSION": "2"}
    settings = producer_settings("JOBS", env)
    assert (settings.target, settings.format_version) == ("https://q", 2)
    assert producer_settings("EV", {"EV_STREAM_NAME": "s", "EV_FORMAT_VERSION": "1"}).target == "s"
    with pytest.raises(KeyError, match="neither NOPE_QUEUE_URL nor NOPE_STREAM_NAME is set"):
        producer_settings("NOPE", {})
