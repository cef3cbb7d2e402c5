"""Lambda event records in the exact shapes Lambda delivers (SQS FIFO and Kinesis)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

REGION = "eu-west-1"
ACCOUNT = "123456789012"


def sqs_fifo_record(
    index: int, group: str, body: dict[str, Any], queue: str = "jobs.fifo"
) -> dict[str, Any]:
    text = json.dumps(body)
    message_id = f"059f36b4-87a3-44ab-83d2-{index:012d}"
    return {
        "messageId": message_id,
        "receiptHandle": f"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a{index}",
        "body": text,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": str(1_700_000_000_000 + index),
            "SequenceNumber": f"{18_849_496_460_467_696_128 + index}",
            "MessageGroupId": group,
            "SenderId": "AIDAIO23YVJENQZJOL4VO",
            "MessageDeduplicationId": hashlib.sha256(text.encode()).hexdigest(),
            "ApproximateFirstReceiveTimestamp": str(1_700_000_000_100 + index),
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(text.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}",
        "awsRegion": REGION,
    }


def kinesis_record(
    index: int, partition_key: str, data: dict[str, Any], shard: str = "shardId-000000000000"
) -> dict[str, Any]:
    sequence = f"4954111934788858869659497{index:024d}"
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": sequence,
            "data": base64.b64encode(json.dumps(data).encode()).decode(),
            "approximateArrivalTimestamp": 1_700_000_000.0 + index,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard}:{sequence}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": f"arn:aws:iam::{ACCOUNT}:role/consumer-role",
        "awsRegion": REGION,
        "eventSourceARN": f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/order-events",
    }


def in_order_per_key(done: list[tuple[str, int]]) -> bool:
    """Each key's steps completed as 1, 2, 3, ... (none skipped, none twice, none early)."""
    last: dict[str, int] = {}
    for key, step in done:
        if step != last.get(key, 0) + 1:
            return False
        last[key] = step
    return True
