"""A plain CDK app (no constructs_pkg) with every release shape the rehearsal must read.

Each release is one function + ``live`` alias + ``LambdaDeploymentGroup``:

* ``Wrong``: its only alarm uses ``Version.metric_errors()`` (aws-cdk#14248): never fires.
* ``Right``: the same alarm on the dimensions Lambda publishes (``ExecutedVersion``).
* ``Custom``: a custom canary (20 % for 3 minutes), an imported alarm and a composite alarm.
* ``Hotfix``: ``ignore_alarm_configuration=True``.
* ``NoRollback``: alarms stop the deployment but do not roll back.
* ``P99Ignore`` / ``P99Evaluate``: p99 alarms with ``EvaluateLowSampleCountPercentile``
  ignore / evaluate.
* ``Routed``: its only alarm watches the new version invoked by its own ARN
  (``Resource=<function>:<version>``), as a sticky canary router calls it.
* ``Sticky`` (stack ``Sticky``): a SafeFunction behind a ``StickyRouter``.
"""

from __future__ import annotations

from aws_cdk import App, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_lambda as lambda_

from tests.cdk_helpers import TEST_ENV, inline_code

STACK = "Plain"


def _release(
    stack: Stack, name: str, *, timeout_seconds: int = 3
) -> tuple[lambda_.Function, lambda_.Alias]:
    function = lambda_.Function(
        stack,
        name,
        code=inline_code(),
        handler="index.handler",
        runtime=lambda_.Runtime.PYTHON_3_12,
        timeout=Duration.seconds(timeout_seconds),
    )
    alias = lambda_.Alias(stack, f"{name}Live", alias_name="live", version=function.current_version)
    return function, alias


def new_version_metric(
    function: lambda_.Function, metric_name: str, statistic: str
) -> cloudwatch.Metric:
    """A metric of the new version as Lambda publishes it for alias invocations."""
    return cloudwatch.Metric(
        namespace="AWS/Lambda",
        metric_name=metric_name,
        statistic=statistic,
        period=Duration.minutes(1),
        dimensions_map={
            "FunctionName": function.function_name,
            "Resource": f"{function.function_name}:live",
            "ExecutedVersion": function.current_version.version,
        },
    )


def _alarm(
    stack: Stack, name: str, metric: cloudwatch.IMetric, **extra: object
) -> cloudwatch.Alarm:
    return cloudwatch.Alarm(
        stack,
        name,
        metric=metric,
        threshold=0,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        **extra,  # type: ignore[arg-type]
    )


def _group(
    stack: Stack,
    name: str,
    alias: lambda_.Alias,
    alarms: list[cloudwatch.IAlarm],
    *,
    config: codedeploy.ILambdaDeploymentConfig | None = None,
    ignore_alarm_configuration: bool = False,
    auto_rollback: codedeploy.AutoRollbackConfig | None = None,
) -> codedeploy.LambdaDeploymentGroup:
    return codedeploy.LambdaDeploymentGroup(
        stack,
        f"{name}Group",
        alias=alias,
        deployment_config=config or codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_5_MINUTES,
        alarms=alarms,
        ignore_alarm_configuration=ignore_alarm_configuration,
        auto_rollback=auto_rollback,
    )


def build_plain(app: App) -> Stack:
    """Add the ``Plain`` stack to ``app``."""
    stack = Stack(app, STACK, env=TEST_ENV)

    wrong, wrong_alias = _release(stack, "Wrong")
    metric = wrong.current_version.metric_errors(period=Duration.minutes(1))
    _group(stack, "Wrong", wrong_alias, [_alarm(stack, "WrongErrors", metric)])

    right, right_alias = _release(stack, "Right")
    metric = new_version_metric(right, "Errors", "Sum")
    _group(stack, "Right", right_alias, [_alarm(stack, "RightErrors", metric)])

    custom, custom_alias = _release(stack, "Custom")
    errors = _alarm(stack, "CustomErrors", new_version_metric(custom, "Errors", "Sum"))
    invocations = _alarm(
        stack, "CustomInvocations", new_version_metric(custom, "Invocations", "Sum")
    )
    composite = cloudwatch.CompositeAlarm(
        stack,
        "CustomBoth",
        composite_alarm_name="custom-errors-and-traffic",
        alarm_rule=cloudwatch.AlarmRule.all_of(
            cloudwatch.AlarmRule.from_alarm(errors, cloudwatch.AlarmState.ALARM),
            cloudwatch.AlarmRule.from_alarm(invocations, cloudwatch.AlarmState.ALARM),
        ),
    )
    imported = cloudwatch.Alarm.from_alarm_name(stack, "Imported", "someone-elses-alarm")
    config = codedeploy.LambdaDeploymentConfig(
        stack,
        "Canary20Percent3Minutes",
        traffic_routing=codedeploy.TimeBasedCanaryTrafficRouting(
            interval=Duration.minutes(3), percentage=20
        ),
    )
    _group(stack, "Custom", custom_alias, [composite, imported], config=config)

    for name in ("Hotfix", "NoRollback"):
        function, alias = _release(stack, name)
        alarm = _alarm(stack, f"{name}Errors", new_version_metric(function, "Errors", "Sum"))
        _group(
            stack,
            name,
            alias,
            [alarm],
            ignore_alarm_configuration=name == "Hotfix",
            auto_rollback=(
                codedeploy.AutoRollbackConfig(
                    failed_deployment=True, stopped_deployment=False, deployment_in_alarm=False
                )
                if name == "NoRollback"
                else None
            ),
        )

    for name, low_samples in (("P99Ignore", "ignore"), ("P99Evaluate", "evaluate")):
        function, alias = _release(stack, name, timeout_seconds=10)
        alarm = cloudwatch.Alarm(
            stack,
            f"{name}Latency",
            metric=new_version_metric(function, "Duration", "p99"),
            threshold=2000,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            evaluate_low_sample_count_percentile=low_samples,
        )
        _group(stack, name, alias, [alarm])

    routed, routed_alias = _release(stack, "Routed")
    metric = cloudwatch.Metric(
        namespace="AWS/Lambda",
        metric_name="Errors",
        statistic="Sum",
        period=Duration.minutes(1),
        dimensions_map={
            "FunctionName": routed.function_name,
            "Resource": f"{routed.function_name}:{routed.current_version.version}",
        },
    )
    _group(stack, "Routed", routed_alias, [_alarm(stack, "RoutedErrors", metric)])
    return stack


def build_sticky(app: App) -> Stack:
    """Add the ``Sticky`` stack: a SafeFunction ``Orders`` behind a ``StickyRouter``."""
    from constructs_pkg import SafeFunction, StickyRouter

    stack = Stack(app, "Sticky", env=TEST_ENV)
    orders = SafeFunction(
        stack,
        "Orders",
        code=inline_code(),
        handler="index.handler",
        runtime=lambda_.Runtime.PYTHON_3_12,
    )
    StickyRouter(stack, "Router", target=orders, key="$.requestContext.authorizer.claims.sub")
    return stack
