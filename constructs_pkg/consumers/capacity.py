"""Synth-time capacity report of an ordered consumer.

What a consumer can do follows from its configuration alone:

Kinesis
    concurrency = shards x parallelization factor. Records of one partition key are
    processed one batch at a time, so one key moves at most ``1 / record_duration``
    records per second. A poison record stalls its key (shard, or shard slice with a
    parallelization factor) for at most ``min(max_record_age, (retry_attempts + 1) x
    (ceil(log2(batch_size)) + 1) x function timeout)``: every retry of every bisection
    step can take the whole timeout.
SQS FIFO
    concurrency = min(active message groups, max_concurrency). One message group moves
    at most ``1 / record_duration`` messages per second. A poison message stalls its
    group for ``max_receive_count x visibility timeout`` before it reaches the
    dead-letter queue.
"""

from __future__ import annotations

import math

from constructs_pkg.assembly.records import ConsumerCapacity

__all__ = ["ConsumerCapacity", "fifo_capacity", "kinesis_capacity"]


def kinesis_capacity(
    *,
    shard_count: int | None,
    parallelization_factor: int,
    batch_size: int,
    retry_attempts: int,
    max_record_age_seconds: float | None,
    timeout_seconds: float,
    record_duration_seconds: float,
) -> ConsumerCapacity:
    """Capacity of a Kinesis consumer (``retry_attempts=-1`` / age None mean unbounded)."""
    concurrency = None if shard_count is None else shard_count * parallelization_factor
    per_key = 1.0 / record_duration_seconds
    total = None if concurrency is None else concurrency * per_key
    bisections = math.ceil(math.log2(batch_size)) + 1 if batch_size > 1 else 1
    by_retries = None if retry_attempts < 0 else (retry_attempts + 1) * bisections * timeout_seconds
    candidates = [v for v in (by_retries, max_record_age_seconds) if v is not None]
    stall = min(candidates) if candidates else None
    return ConsumerCapacity(
        source="kinesis",
        max_concurrent_invocations=concurrency,
        concurrency_formula=(
            f"{shard_count} shards x parallelization factor {parallelization_factor}"
            if shard_count is not None
            else f"unknown shards x parallelization factor {parallelization_factor}"
        ),
        record_duration_seconds=record_duration_seconds,
        per_key_records_per_second=per_key,
        max_records_per_second=total,
        poison_stall_seconds=stall,
        poison_stall_formula=(
            f"min(max_record_age, (retry_attempts {retry_attempts} + 1) x "
            f"{bisections} bisection steps x timeout {timeout_seconds:g} s)"
        ),
    )


def fifo_capacity(
    *,
    max_concurrency: int | None,
    reserved_concurrency: int | None,
    max_receive_count: int | None,
    visibility_timeout_seconds: float | None,
    record_duration_seconds: float,
) -> ConsumerCapacity:
    """Capacity of an SQS FIFO consumer (None: unknown, e.g. an imported queue)."""
    limits = [v for v in (max_concurrency, reserved_concurrency) if v is not None]
    concurrency = min(limits) if limits else None
    per_group = 1.0 / record_duration_seconds
    if max_concurrency is not None:
        formula = f"min(active message groups, max_concurrency {max_concurrency})"
    elif reserved_concurrency is not None:
        formula = f"min(active message groups, reserved concurrency {reserved_concurrency})"
    else:
        formula = "active message groups (no max_concurrency)"
    return ConsumerCapacity(
        source="sqs-fifo",
        max_concurrent_invocations=concurrency,
        concurrency_formula=formula,
        record_duration_seconds=record_duration_seconds,
        per_key_records_per_second=per_group,
        max_records_per_second=None if concurrency is None else concurrency * per_group,
        poison_stall_seconds=(
            None
            if max_receive_count is None or visibility_timeout_seconds is None
            else max_receive_count * visibility_timeout_seconds
        ),
        poison_stall_formula=(
            "unknown: the queue's redrive policy or visibility timeout is not known"
            if max_receive_count is None or visibility_timeout_seconds is None
            else f"max_receive_count {max_receive_count} x visibility timeout "
            f"{visibility_timeout_seconds:g} s"
        ),
    )
