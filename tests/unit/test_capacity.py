from __future__ import annotations

import pytest

from constructs_pkg.consumers.capacity import fifo_capacity, kinesis_capacity


def _kinesis(**overrides):
    args = {
        "shard_count": 4,
        "parallelization_factor": 2,
        "batch_size": 100,
        "retry_attempts": 5,
        "max_record_age_seconds": 3600.0,
        "timeout_seconds": 30.0,
        "record_duration_seconds": 0.05,
    }
    return kinesis_capacity(**{**args, **overrides})


def test_kinesis_concurrency_is_shards_times_factor():
    assert _kinesis().max_concurrent_invocations == 8
    assert _kinesis(shard_count=None).max_concurrent_invocations is None
    assert _kinesis(shard_count=None).max_records_per_second is None


def test_kinesis_throughput():
    capacity = _kinesis()
    assert capacity.per_key_records_per_second == pytest.approx(20)
    assert capacity.max_records_per_second == pytest.approx(160)


@pytest.mark.parametrize(
    ("batch_size", "steps"),
    [(1, 1), (2, 2), (3, 3), (4, 3), (100, 8), (10_000, 15)],
)
def test_kinesis_stall_counts_bisection_steps(batch_size, steps):
    capacity = _kinesis(batch_size=batch_size, max_record_age_seconds=None, retry_attempts=2)
    assert capacity.poison_stall_seconds == 3 * steps * 30


def test_kinesis_stall_is_capped_by_record_age():
    assert _kinesis(max_record_age_seconds=600.0).poison_stall_seconds == 600


def test_kinesis_stall_with_unbounded_retries_is_the_age():
    assert _kinesis(retry_attempts=-1, max_record_age_seconds=900.0).poison_stall_seconds == 900
    assert _kinesis(retry_attempts=-1, max_record_age_seconds=None).poison_stall_seconds is None


def test_fifo_concurrency_and_stall():
    capacity = fifo_capacity(
        max_concurrency=20,
        reserved_concurrency=50,
        max_receive_count=5,
        visibility_timeout_seconds=120,
        record_duration_seconds=0.5,
    )
    assert capacity.max_concurrent_invocations == 20
    assert capacity.per_key_records_per_second == 2
    assert capacity.max_records_per_second == 40
    assert capacity.poison_stall_seconds == 600


def test_fifo_without_any_limit():
    capacity = fifo_capacity(
        max_concurrency=None,
        reserved_concurrency=None,
        max_receive_count=5,
        visibility_timeout_seconds=30,
        record_duration_seconds=1,
    )
    assert capacity.max_concurrent_invocations is None
    assert "active message groups" in capacity.concurrency_formula
    assert "limited by the number of active keys" in capacity.describe()


def test_describe_mentions_every_figure():
    text = _kinesis().describe()
    # stall: min(1 h, (5 + 1) x 8 bisection steps x 30 s = 24 min)
    for fragment in ("max concurrency 8", "20 records/s", "160 records/s", "24 min"):
        assert fragment in text, text
