"""The release rehearsal: whether, and how fast, a synthesized app rolls a bad version back.

Reads a cloud assembly (any CDK app, nested stacks included), finds every CodeDeploy Lambda
release, and replays releases of a new version under Poisson traffic and a fault, with
CloudWatch's documented alarm evaluation and CodeDeploy's polling, under timing assumptions
that are parameters (:class:`Timing`) and are printed with every figure.

Never imports aws_cdk; numpy (the ``rehearse`` extra) makes it fast but is optional.

Examples
--------
::

    from constructs_pkg.rehearsal import rehearse

    rehearsal = rehearse("cdk.out", traffic=[10], faults="errors=100%", runs=200)
    print(rehearsal.render())
    result = rehearsal.result("OrderService/Orders", "errors=100%", 10)
    assert result.p_rollback > 0.99
"""

from constructs_pkg.rehearsal.codedeploy import (
    PREDEFINED,
    DetectionWindow,
    TrafficShape,
    alarm_timing_warning,
    detection_window,
)
from constructs_pkg.rehearsal.model import Finding, Release, read_releases
from constructs_pkg.rehearsal.report import Rehearsal, ScenarioResult
from constructs_pkg.rehearsal.run import DEFAULT_RATES, DEFAULT_RUNS, DEFAULT_SEED, rehearse
from constructs_pkg.rehearsal.timing import Timing
from constructs_pkg.rehearsal.traffic import Fault, TrafficModel, parse_faults

__all__ = [
    "DEFAULT_RATES",
    "DEFAULT_RUNS",
    "DEFAULT_SEED",
    "PREDEFINED",
    "DetectionWindow",
    "Fault",
    "Finding",
    "Rehearsal",
    "Release",
    "ScenarioResult",
    "Timing",
    "TrafficModel",
    "TrafficShape",
    "alarm_timing_warning",
    "detection_window",
    "parse_faults",
    "read_releases",
    "rehearse",
]
