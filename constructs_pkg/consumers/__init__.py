"""Ordered consumers: Kinesis (per partition key) and SQS FIFO (per message group).

One module per source on one shared base (``_base.py``: the options every consumer takes,
the opening checks, the alarm and capacity paths); ``_target.py`` resolves what a mapping
invokes; ``capacity.py`` holds the capacity formulas.
"""

from constructs_pkg.consumers._base import OrderedConsumerOptions
from constructs_pkg.consumers.capacity import ConsumerCapacity
from constructs_pkg.consumers.fifo import FifoOrderedConsumer
from constructs_pkg.consumers.kinesis import KinesisOrderedConsumer

__all__ = [
    "ConsumerCapacity",
    "FifoOrderedConsumer",
    "KinesisOrderedConsumer",
    "OrderedConsumerOptions",
]
