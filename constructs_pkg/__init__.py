"""constructs_pkg: AWS CDK constructs that turn a Lambda release into infrastructure.

Names are imported on first use, so tools that only read templates (``constructs-pkg
plan``) and code that runs inside Lambda (``constructs_pkg.runtime``) never load aws_cdk.

Examples
--------
::

    from constructs_pkg import SafeFunction, Rollout, RollbackAlarms, SmokeTest
    from constructs_pkg import KinesisOrderedConsumer, FifoOrderedConsumer
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from constructs_pkg.consumers import (
        ConsumerCapacity,
        FifoOrderedConsumer,
        KinesisOrderedConsumer,
    )
    from constructs_pkg.errors import ConfigurationError
    from constructs_pkg.release import (
        FunctionFleet,
        RollbackAlarms,
        Rollout,
        RuntimeLayer,
        SafeFunction,
        SmokeTest,
        StickyRouter,
    )

_EXPORTS = {
    "ConfigurationError": "constructs_pkg.errors",
    "ConsumerCapacity": "constructs_pkg.consumers",
    "FifoOrderedConsumer": "constructs_pkg.consumers",
    "FunctionFleet": "constructs_pkg.release",
    "KinesisOrderedConsumer": "constructs_pkg.consumers",
    "RollbackAlarms": "constructs_pkg.release",
    "Rollout": "constructs_pkg.release",
    "RuntimeLayer": "constructs_pkg.release",
    "SafeFunction": "constructs_pkg.release",
    "SmokeTest": "constructs_pkg.release",
    "StickyRouter": "constructs_pkg.release",
}

__all__ = [
    "ConfigurationError",
    "ConsumerCapacity",
    "FifoOrderedConsumer",
    "FunctionFleet",
    "KinesisOrderedConsumer",
    "RollbackAlarms",
    "Rollout",
    "RuntimeLayer",
    "SafeFunction",
    "SmokeTest",
    "StickyRouter",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'constructs_pkg' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
