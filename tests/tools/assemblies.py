"""Cloud assemblies written as plain JSON (no CDK): a valid one, and ways to break it.

The records come from the library's own record classes, so the valid assembly is what the
constructs write; each hostile case changes one thing of it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from constructs_pkg.assembly.records import (
    CONSUMER_METADATA_KEY,
    RELEASE_METADATA_KEY,
    ConsumerCapacity,
    ConsumerRecord,
    ProducerRecord,
    ReleaseRecord,
    RolloutRecord,
)

STACK = "Shop"
RELEASE = ReleaseRecord(
    path="Shop/Orders",
    alias="live",
    rollout=RolloutRecord(
        kind="canary",
        percent=10,
        interval_minutes=5,
        description="canary: 10% for 5 minutes, then 100%",
        timeline=((0, 10), (5, 100)),
    ),
    hotfix=False,
    alarms=("Shop/Orders/RollbackAlarms/ErrorRate",),
    alarm_window_minutes=1,
    smoke_test=False,
)
CONSUMER = ConsumerRecord(
    kind="sqs-fifo",
    path="Shop/Jobs",
    consumer="Shop/Orders",
    source="Shop/Jobs/Queue",
    accepted_format_versions=(1,),
    producers=(ProducerRecord(producer="Shop/Orders", format_version=1),),
    capacity=ConsumerCapacity(
        source="sqs-fifo",
        max_concurrent_invocations=None,
        concurrency_formula="active message groups",
        record_duration_seconds=0.3,
        per_key_records_per_second=3.3,
        max_records_per_second=None,
        poison_stall_seconds=90.0,
        poison_stall_formula="max_receive_count 5 x visibility timeout 18 s",
    ),
)


def manifest(template_file: str = f"{STACK}.template.json") -> dict[str, Any]:
    return {
        "version": "55.0.0",
        "artifacts": {
            STACK: {
                "type": "aws:cloudformation:stack",
                "properties": {"templateFile": template_file},
                "displayName": STACK,
            },
            "Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}},
        },
    }


def template(*, nested: str | None = None) -> dict[str, Any]:
    """A stack with a function, its alias (release record), a queue and its consumer."""
    resources: dict[str, Any] = {
        "Orders": {"Type": "AWS::Lambda::Function", "Properties": {"Timeout": 3}},
        "OrdersAlias": {
            "Type": "AWS::Lambda::Alias",
            "Properties": {"FunctionName": {"Ref": "Orders"}, "Name": "live"},
            "Metadata": {RELEASE_METADATA_KEY: RELEASE.to_metadata()},
        },
        "JobsQueue": {
            "Type": "AWS::SQS::Queue",
            "Properties": {"FifoQueue": True},
            "DeletionPolicy": "Retain",
        },
        "JobsMapping": {
            "Type": "AWS::Lambda::EventSourceMapping",
            "Properties": {
                "EventSourceArn": {"Fn::GetAtt": ["JobsQueue", "Arn"]},
                "FunctionName": {"Ref": "OrdersAlias"},
            },
            "Metadata": {CONSUMER_METADATA_KEY: CONSUMER.to_metadata()},
        },
    }
    if nested is not None:
        resources["Members"] = {
            "Type": "AWS::CloudFormation::Stack",
            "Properties": {"TemplateURL": "https://example.com/x.json"},
            "Metadata": {"aws:asset:path": nested},
        }
    return {"Resources": resources}


def write(directory: Path, files: dict[str, Any]) -> Path:
    """Write ``files`` (name -> JSON value, or bytes as they are) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = directory / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(json.dumps(content))
    return directory


def valid(directory: Path) -> Path:
    return write(directory, {"manifest.json": manifest(), f"{STACK}.template.json": template()})


def with_record(key: str, logical_id: str, record: Any) -> dict[str, Any]:
    """The valid template with one record replaced by ``record`` (any JSON value)."""
    changed = template()
    changed["Resources"][logical_id]["Metadata"][key] = record
    return changed


def _changed(record: Any, key: str, logical_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(record.to_metadata())
    for name, value in fields.items():
        if value is _DROP:
            del data[name]
        else:
            data[name] = value
    return with_record(key, logical_id, data)


def release_with(**fields: Any) -> dict[str, Any]:
    """The valid template, its release record's ``fields`` changed (``DROP``: left out)."""
    return _changed(RELEASE, RELEASE_METADATA_KEY, "OrdersAlias", fields)


def consumer_with(**fields: Any) -> dict[str, Any]:
    """The valid template, its consumer record's ``fields`` changed (``DROP``: left out)."""
    return _changed(CONSUMER, CONSUMER_METADATA_KEY, "JobsMapping", fields)


def rollout_with(**fields: Any) -> dict[str, Any]:
    """The valid template, its release record's rollout ``fields`` changed."""
    rollout = {**RELEASE.rollout.to_metadata(), **fields}
    return release_with(rollout=rollout)


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


#: A field value meaning "leave the field out".
_DROP: Any = _Drop()
DROP = _DROP
