"""constructs_pkg: AWS CDK constructs that turn a Lambda release into infrastructure.

Examples
--------
::

    from constructs_pkg import SafeFunction, Rollout, RollbackAlarms, SmokeTest
    from constructs_pkg import KinesisOrderedConsumer, FifoOrderedConsumer
"""

from constructs_pkg.consumers import ConsumerCapacity, FifoOrderedConsumer, KinesisOrderedConsumer
from constructs_pkg.errors import ConfigurationError
from constructs_pkg.release import RollbackAlarms, Rollout, SafeFunction, SmokeTest

__all__ = [
    "ConfigurationError",
    "ConsumerCapacity",
    "FifoOrderedConsumer",
    "KinesisOrderedConsumer",
    "RollbackAlarms",
    "Rollout",
    "SafeFunction",
    "SmokeTest",
]
