"""Releasing a Lambda function: alias, rollout, rollback alarms, smoke tests, sticky canary."""

from constructs_pkg.release.alarms import ReleaseMetricFactory, RollbackAlarms
from constructs_pkg.release.fleet import FunctionFleet
from constructs_pkg.release.hotfix import hotfix_enabled
from constructs_pkg.release.rollout import Rollout, RolloutStep
from constructs_pkg.release.runtime_layer import RuntimeLayer
from constructs_pkg.release.safe_function import SafeFunction
from constructs_pkg.release.smoke_test import SmokeTest
from constructs_pkg.release.sticky import StickyRouter, VersionMetricFactory

__all__ = [
    "FunctionFleet",
    "ReleaseMetricFactory",
    "RollbackAlarms",
    "Rollout",
    "RolloutStep",
    "RuntimeLayer",
    "SafeFunction",
    "SmokeTest",
    "StickyRouter",
    "VersionMetricFactory",
    "hotfix_enabled",
]
