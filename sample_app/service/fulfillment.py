"""Fulfillment: runs the steps of one order (reserve, pack, ship) strictly in order.

Jobs arrive on an SQS FIFO queue with the order id as message group, so one order's
steps never run concurrently or out of order. After a failure the rest of that
order's steps are handed back to the queue (``process_fifo_batch(scope="group")``);
other orders in the batch go on.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from constructs_pkg.runtime.batch import process_fifo_batch
from constructs_pkg.runtime.contracts import versioned

logger = logging.getLogger()
logger.setLevel(logging.INFO)

STEPS = ("reserve", "pack", "ship")


def run_step_v1(job: dict[str, Any], record: Any) -> None:
    """Run one fulfillment step of an order (format 1)."""
    step = job.get("step")
    if step not in STEPS:
        raise ValueError(f"unknown fulfillment step {step!r}")
    logger.info(json.dumps({"order_id": job["order_id"], "step": step, "done": True}))


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SQS FIFO batch entry point with a partial batch response."""
    return process_fifo_batch(event, run_step, scope="group")


# Messages of any other format version fail and, after max_receive_count, reach the DLQ.
run_step = versioned({1: run_step_v1}, source="sqs")
