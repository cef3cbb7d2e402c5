"""Ordered consumers: Kinesis (per partition key) and SQS FIFO (per message group)."""

from constructs_pkg.consumers.capacity import ConsumerCapacity
from constructs_pkg.consumers.fifo import FifoOrderedConsumer
from constructs_pkg.consumers.kinesis import KinesisOrderedConsumer

__all__ = ["ConsumerCapacity", "FifoOrderedConsumer", "KinesisOrderedConsumer"]
