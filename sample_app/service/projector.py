"""Order-event projector: keeps per-customer order totals, in stream order per customer.

Order events arrive on a Kinesis stream keyed by customer id, so one customer's events
are processed in order. A failing record stops the batch and Lambda retries the shard
from it (``process_kinesis_batch``).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from constructs_pkg.runtime.batch import process_kinesis_batch
from constructs_pkg.runtime.contracts import versioned

logger = logging.getLogger()
logger.setLevel(logging.INFO)

KNOWN_EVENTS = {"OrderAccepted", "OrderCancelled"}


def project_v1(event: dict[str, Any], record: Any) -> None:
    """Apply one order event (format 1) to the customer's running totals (logged)."""
    kind = event.get("type")
    if kind not in KNOWN_EVENTS:
        raise ValueError(f"unknown order event type {kind!r}")
    sign = 1 if kind == "OrderAccepted" else -1
    logger.info(
        json.dumps(
            {
                "customer": record["kinesis"]["partitionKey"],
                "order_id": event["order_id"],
                "delta_cents": sign * int(event["total_cents"]),
            }
        )
    )


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Kinesis batch entry point with a partial batch response."""
    return process_kinesis_batch(event, project)


# Records of any other format version fail and go to the failure destination.
project = versioned({1: project_v1}, source="kinesis")
