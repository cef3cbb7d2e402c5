"""The bake: a managed AfterAllowTraffic hook that keeps watching the alarms after the last shift.

CodeDeploy watches a deployment group's alarms only while the deployment runs, and a
deployment ends at its last traffic shift. A bad version whose alarm needs a few more
minutes of data (low traffic, late metrics) is then left at 100 %. The bake hook
(``constructs_pkg.runtime.bake_hook``) keeps the deployment open for the bake after the
last shift, reads the group's own alarm states every
:data:`~constructs_pkg.runtime.bake_hook.POLL_SECONDS` and reports ``Failed`` as soon as
one is in ALARM, which fails the deployment and rolls it back. A post-traffic smoke test,
if any, runs in the same hook first (CodeDeploy runs one AfterAllowTraffic hook).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from constructs_pkg.errors import ConfigurationError
from constructs_pkg.release.alarms import RollbackAlarmSet
from constructs_pkg.release.smoke_test import SmokeTest, hook_function, target_timeout_seconds
from constructs_pkg.runtime import env
from constructs_pkg.runtime.bake_hook import BakeTiming

__all__ = ["BAKE_HOOK_HANDLER", "create_bake_hook"]

BAKE_HOOK_HANDLER = "constructs_pkg.runtime.bake_hook.handler"


def create_bake_hook(
    scope: Construct,
    construct_id: str,
    *,
    bake_minutes: int,
    deployment_group: codedeploy.ILambdaDeploymentGroup,
    alarms: RollbackAlarmSet,
    test: SmokeTest | None,
    target: lambda_.IVersion,
    target_timeout: Duration | None,
) -> lambda_.Function:
    """Create the AfterAllowTraffic hook that runs ``test`` (if any), then bakes.

    The hook may read ``deployment_group`` and the states of ``alarms`` (the group's).

    Raises
    ------
    ConfigurationError
        When the smoke test and the bake do not fit in one hook run (Lambda's 15 minutes).
    """
    target_seconds = None if test is None else target_timeout_seconds(target_timeout)
    try:
        timing = BakeTiming.for_bake(bake_minutes * 60, target_seconds)
    except ValueError as exc:
        raise ConfigurationError(
            "rollout bake",
            f"{bake_minutes} minutes",
            "a bake that fits in one hook run with the post-traffic smoke test",
            path=scope.node.path,
            reason=str(exc),
        ) from None
    environment = {env.BAKE_SECONDS_ENV: str(timing.bake_seconds)}
    if test is not None and target_seconds is not None:
        environment.update(test.hook_environment(target, target_seconds))
    hook = hook_function(
        scope,
        construct_id,
        handler=BAKE_HOOK_HANDLER,
        timeout_seconds=timing.hook_seconds,
        environment=environment,
        description=f"Bake of {scope.node.path}: watches the rollback alarms after the last "
        "shift (CodeDeploy AfterAllowTraffic hook)",
    )
    if test is not None:
        target.grant_invoke(hook)
    _grant_alarm_reads(hook, deployment_group, alarms)
    return hook


def _grant_alarm_reads(
    hook: lambda_.Function, group: codedeploy.ILambdaDeploymentGroup, alarms: RollbackAlarmSet
) -> None:
    """Let the hook read its deployment, the group's alarm configuration and alarm states."""
    hook.add_to_role_policy(
        iam.PolicyStatement(
            actions=["codedeploy:GetDeployment", "codedeploy:GetDeploymentGroup"],
            resources=[group.deployment_group_arn],
        )
    )
    alarms.grant_describe(hook)
