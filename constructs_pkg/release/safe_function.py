"""SafeFunction: a Lambda function that is only ever released through an alias."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aws_cdk import Annotations, Duration, RemovalPolicy, Size
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_codeguruprofiler as codeguruprofiler
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from constructs_pkg import defaults, limits
from constructs_pkg._acknowledge import acknowledge, logical_id
from constructs_pkg._lazy import add_lazy_metadata, lazy_string
from constructs_pkg._validation import (
    check_duration,
    check_number,
    function_timeout_seconds,
    is_unresolved,
)
from constructs_pkg.assembly.records import ReleaseRecord
from constructs_pkg.errors import ConfigurationError
from constructs_pkg.release._shared import SharedRelease
from constructs_pkg.release.alarms import (
    ReleaseMetricFactory,
    RollbackAlarms,
    build_rollback_alarms,
)
from constructs_pkg.release.hotfix import hotfix_enabled
from constructs_pkg.release.rollout import Rollout
from constructs_pkg.release.smoke_test import SmokeTest

__all__ = ["SafeFunction"]

_ALIAS_NAME = re.compile(r"^(?!\d+$)[A-Za-z0-9_-]{1,128}$")


class SafeFunction(Construct):
    """A Lambda function released only through a versioned alias and a CodeDeploy rollout.

    Every code or configuration change publishes a new version (old versions are
    retained so there is always a rollback target). CodeDeploy shifts the alias
    (``live`` by default) to it according to ``rollout`` and rolls back when the
    deployment fails, is stopped, or a rollback alarm fires. The generated alarms
    watch the *new* version only. An optional smoke test invokes the new version
    before it gets any traffic.

    All SafeFunctions of a stack share one CodeDeploy application and one service
    role (the construct ``ConstructsPkgRelease`` directly under the stack).

    Every ``aws_lambda.Function`` option is accepted under the same name. Options
    that configure *invocation* rather than the function -- asynchronous invocation
    (``on_failure``, ``on_success``, ``max_event_age``, ``retry_attempts``),
    ``provisioned_concurrent_executions`` and ``events`` -- are applied to the alias,
    because callers invoke the alias.

    Parameters
    ----------
    scope, construct_id
        Where the construct lives.
    code, handler, runtime
        As on ``aws_lambda.Function``.
    alias_name
        Name of the alias callers use. Default: ``live``.
    rollout
        How traffic shifts to a new version. Default: ``Rollout.canary(percent=10,
        interval=Duration.minutes(5))``.
    alarms
        Rollback alarm thresholds. Default: ``RollbackAlarms()`` (error rate above 1 %
        with at least 3 errors in a minute).
    smoke_test
        Pre-traffic hook that invokes the new version before any traffic moves.
        Default: none.
    post_traffic_test
        Post-traffic hook, run after all traffic has moved. Default: none.
    deployment_group_name
        Physical name of the CodeDeploy deployment group. Default: generated.
    provisioned_concurrent_executions
        Provisioned concurrency of the alias. Default: none.
    **Function options
        Every other keyword is passed to ``aws_lambda.Function`` unchanged.

    Examples
    --------
    ::

        orders = SafeFunction(stack, "Orders",
            code=lambda_.Code.from_asset("sample_app/service"), handler="orders.handler",
            runtime=lambda_.Runtime.PYTHON_3_12, timeout=Duration.seconds(10),
            rollout=Rollout.canary(percent=10, interval=Duration.minutes(5)),
            alarms=RollbackAlarms(error_rate_percent=1, min_errors=3),
            smoke_test=SmokeTest(payload={"ping": True}, expect={"ok": True}))
        orders.grant_invoke(api_role)      # invokes the alias
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        handler: str,
        runtime: lambda_.Runtime,
        alias_name: str = defaults.ALIAS_NAME,
        rollout: Rollout | None = None,
        alarms: RollbackAlarms | None = None,
        smoke_test: SmokeTest | None = None,
        post_traffic_test: SmokeTest | None = None,
        deployment_group_name: str | None = None,
        provisioned_concurrent_executions: int | None = None,
        # --- applied to the alias (see class docstring) ---
        max_event_age: Duration | None = None,
        on_failure: lambda_.IDestination | None = None,
        on_success: lambda_.IDestination | None = None,
        retry_attempts: int | None = None,
        events: Sequence[lambda_.IEventSource] | None = None,
        # --- aws_lambda.Function options, same names ---
        adot_instrumentation: lambda_.AdotInstrumentationConfig | None = None,
        allow_all_ipv6_outbound: bool | None = None,
        allow_all_outbound: bool | None = None,
        allow_public_subnet: bool | None = None,
        application_log_level_v2: lambda_.ApplicationLogLevel | None = None,
        architecture: lambda_.Architecture | None = None,
        code_signing_config: lambda_.ICodeSigningConfig | None = None,
        current_version_options: lambda_.VersionOptions | None = None,
        dead_letter_queue: sqs.IQueue | None = None,
        dead_letter_queue_enabled: bool | None = None,
        dead_letter_topic: sns.ITopic | None = None,
        description: str | None = None,
        durable_config: lambda_.DurableConfig | None = None,
        environment: Mapping[str, str] | None = None,
        environment_encryption: kms.IKey | None = None,
        ephemeral_storage_size: Size | None = None,
        filesystem: lambda_.FileSystem | None = None,
        function_name: str | None = None,
        initial_policy: Sequence[iam.PolicyStatement] | None = None,
        insights_version: lambda_.LambdaInsightsVersion | None = None,
        ipv6_allowed_for_dual_stack: bool | None = None,
        layers: Sequence[lambda_.ILayerVersion] | None = None,
        logging_format: lambda_.LoggingFormat | None = None,
        log_group: logs.ILogGroup | None = None,
        memory_size: int | None = None,
        params_and_secrets: lambda_.ParamsAndSecretsLayerVersion | None = None,
        profiling: bool | None = None,
        profiling_group: codeguruprofiler.IProfilingGroup | None = None,
        recursive_loop: lambda_.RecursiveLoop | None = None,
        reserved_concurrent_executions: int | None = None,
        role: iam.IRole | None = None,
        runtime_management_mode: lambda_.RuntimeManagementMode | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        snap_start: lambda_.SnapStartConf | None = None,
        system_log_level_v2: lambda_.SystemLogLevel | None = None,
        tenancy_config: lambda_.TenancyConfig | None = None,
        timeout: Duration | None = None,
        tracing: lambda_.Tracing | None = None,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        path = self.node.path
        self._validate(
            alias_name=alias_name,
            timeout=timeout,
            memory_size=memory_size,
            reserved_concurrent_executions=reserved_concurrent_executions,
            provisioned_concurrent_executions=provisioned_concurrent_executions,
            path=path,
        )
        self.hotfix = hotfix_enabled(self)
        requested_rollout = rollout if rollout is not None else Rollout.canary()
        self.alarm_config = alarms if alarms is not None else RollbackAlarms()
        self._check_alarms_fit(self.alarm_config, requested_rollout, timeout, path)
        #: The rollout in force for this synth (all at once in hotfix mode).
        self.rollout = Rollout.all_at_once() if self.hotfix else requested_rollout

        version_options = current_version_options or lambda_.VersionOptions()
        if version_options.removal_policy is None:
            version_options = lambda_.VersionOptions(
                **{**_struct_to_kwargs(version_options), "removal_policy": RemovalPolicy.RETAIN}
            )

        function_kwargs: dict[str, Any] = {
            "adot_instrumentation": adot_instrumentation,
            "allow_all_ipv6_outbound": allow_all_ipv6_outbound,
            "allow_all_outbound": allow_all_outbound,
            "allow_public_subnet": allow_public_subnet,
            "application_log_level_v2": application_log_level_v2,
            "architecture": architecture,
            "code_signing_config": code_signing_config,
            "dead_letter_queue": dead_letter_queue,
            "dead_letter_queue_enabled": dead_letter_queue_enabled,
            "dead_letter_topic": dead_letter_topic,
            "description": description,
            "durable_config": durable_config,
            "environment": dict(environment) if environment is not None else None,
            "environment_encryption": environment_encryption,
            "ephemeral_storage_size": ephemeral_storage_size,
            "filesystem": filesystem,
            "function_name": function_name,
            "initial_policy": list(initial_policy) if initial_policy is not None else None,
            "insights_version": insights_version,
            "ipv6_allowed_for_dual_stack": ipv6_allowed_for_dual_stack,
            "layers": list(layers) if layers is not None else None,
            "logging_format": logging_format,
            "log_group": log_group,
            "memory_size": memory_size,
            "params_and_secrets": params_and_secrets,
            "profiling": profiling,
            "profiling_group": profiling_group,
            "recursive_loop": recursive_loop,
            "reserved_concurrent_executions": reserved_concurrent_executions,
            "role": role,
            "runtime_management_mode": runtime_management_mode,
            "security_groups": list(security_groups) if security_groups is not None else None,
            "snap_start": snap_start,
            "system_log_level_v2": system_log_level_v2,
            "tenancy_config": tenancy_config,
            "timeout": timeout,
            "tracing": tracing,
            "vpc": vpc,
            "vpc_subnets": vpc_subnets,
        }
        #: The function. Invoke it through :attr:`alias`, never directly.
        self.function = lambda_.Function(
            self,
            "Resource",
            code=code,
            handler=handler,
            runtime=runtime,
            current_version_options=version_options,
            **{k: v for k, v in function_kwargs.items() if v is not None},
        )
        #: The version published for this code and configuration.
        self.version: lambda_.Version = self.function.current_version
        #: The alias callers invoke; CodeDeploy shifts it between versions.
        self.alias = lambda_.Alias(
            self,
            "Alias",
            alias_name=alias_name,
            version=self.version,
            provisioned_concurrent_executions=provisioned_concurrent_executions,
            max_event_age=max_event_age,
            on_failure=on_failure,
            on_success=on_success,
            retry_attempts=retry_attempts,
        )
        for source in events or ():
            self.alias.add_event_source(source)

        shared = SharedRelease.of(self)
        self.deployment_group = codedeploy.LambdaDeploymentGroup(
            self,
            "DeploymentGroup",
            alias=self.alias,
            application=shared.application,
            role=shared.service_role,
            deployment_config=shared.deployment_config(self.rollout),
            deployment_group_name=deployment_group_name,
            auto_rollback=codedeploy.AutoRollbackConfig(
                failed_deployment=True, stopped_deployment=True, deployment_in_alarm=True
            ),
            ignore_alarm_configuration=True if self.hotfix else None,
        )

        self._metrics = ReleaseMetricFactory(
            self.function.function_name,
            alias_name,
            self.version.version,
            self.alarm_config.period,
        )
        self._alarm_scope = Construct(self, "RollbackAlarms")
        self._alarms: list[cloudwatch.IAlarm] = []
        self._alarm_listeners: list[Callable[[cloudwatch.IAlarm], None]] = []
        self._composite: cloudwatch.CompositeAlarm | None = None
        for generated in build_rollback_alarms(
            self._alarm_scope, self.alarm_config, self._metrics, subject=path
        ):
            self.add_rollback_alarm(generated)
        for extra in self.alarm_config.extra:
            self.add_rollback_alarm(extra)

        #: Pre-traffic smoke-test hook function, if ``smoke_test`` was given.
        self.smoke_test_hook: lambda_.Function | None = None
        #: Post-traffic smoke-test hook function, if ``post_traffic_test`` was given.
        self.post_traffic_hook: lambda_.Function | None = None
        if smoke_test is not None:
            self.smoke_test_hook = smoke_test.create_hook(
                self, "PreTrafficHook", target=self.version, target_timeout=timeout
            )
            self.deployment_group.add_pre_hook(self.smoke_test_hook)
            _acknowledge_hook_grant(shared, self.smoke_test_hook)
        if post_traffic_test is not None:
            self.post_traffic_hook = post_traffic_test.create_hook(
                self, "PostTrafficHook", target=self.version, target_timeout=timeout
            )
            self.deployment_group.add_post_hook(self.post_traffic_hook)
            _acknowledge_hook_grant(shared, self.post_traffic_hook)

        add_lazy_metadata(self.alias, ReleaseRecord.key, self.release_record)

        if self.hotfix:
            # The operator asked for this deploy to skip the alarms: do not let the
            # deployment-safety rule block it (the warning below still says so).
            acknowledge(
                self,
                "DeploymentSafety::DeploymentGroupWithoutAlarms",
                f"hotfix deploy requested with -c {defaults.HOTFIX_CONTEXT_KEY}=true",
            )
            Annotations.of(self).add_warning_v2(
                "constructs_pkg:hotfix",
                f"HOTFIX deploy: {path} shifts all traffic at once and its rollback alarms are "
                f"ignored (was: {requested_rollout.describe()}). Smoke tests still run. The next "
                f"deploy without -c {defaults.HOTFIX_CONTEXT_KEY}=true restores the rollout.",
            )

    def release_record(self) -> ReleaseRecord:
        """Describe this release for tools (``constructs-pkg plan``; metadata on the alias)."""
        return ReleaseRecord(
            path=self.node.path,
            alias=self.alias.alias_name,
            rollout=self.rollout.record(),
            hotfix=self.hotfix,
            alarms=tuple(alarm.node.path for alarm in self._alarms),
            alarm_window_minutes=self.alarm_config.window_minutes,
            smoke_test=self.smoke_test_hook is not None,
        )

    # --- validation ------------------------------------------------------------------------

    @staticmethod
    def _validate(
        *,
        alias_name: str,
        timeout: Duration | None,
        memory_size: int | None,
        reserved_concurrent_executions: int | None,
        provisioned_concurrent_executions: int | None,
        path: str,
    ) -> None:
        if not is_unresolved(alias_name) and (
            not isinstance(alias_name, str) or not _ALIAS_NAME.match(alias_name)
        ):
            raise ConfigurationError(
                "alias_name",
                alias_name,
                "1-128 letters, digits, '-' or '_', not only digits (Lambda alias names)",
                path=path,
            )
        if timeout is not None:
            check_duration(
                "timeout",
                timeout,
                minimum_seconds=1,
                maximum_seconds=limits.LAMBDA_MAX_TIMEOUT_SECONDS,
                whole="seconds",
                path=path,
            )
        if memory_size is not None:
            check_number(
                "memory_size", memory_size, minimum=128, maximum=10240, whole=True, path=path
            )
        if reserved_concurrent_executions is not None:
            check_number(
                "reserved_concurrent_executions",
                reserved_concurrent_executions,
                minimum=0,
                whole=True,
                path=path,
            )
        if provisioned_concurrent_executions is not None:
            check_number(
                "provisioned_concurrent_executions",
                provisioned_concurrent_executions,
                minimum=1,
                whole=True,
                path=path,
            )
            if (
                reserved_concurrent_executions is not None
                and not is_unresolved(reserved_concurrent_executions)
                and not is_unresolved(provisioned_concurrent_executions)
                and provisioned_concurrent_executions > reserved_concurrent_executions
            ):
                raise ConfigurationError(
                    "provisioned_concurrent_executions",
                    provisioned_concurrent_executions,
                    f"at most reserved_concurrent_executions ({reserved_concurrent_executions})",
                    path=path,
                )

    def _check_alarms_fit(
        self, alarms: RollbackAlarms, rollout: Rollout, timeout: Duration | None, path: str
    ) -> None:
        timeout_seconds = function_timeout_seconds(timeout)
        if (
            alarms.p99_latency is not None
            and timeout_seconds is not None
            and not alarms.p99_latency.is_unresolved()
            and alarms.p99_latency.to_milliseconds() >= timeout_seconds * 1000
        ):
            raise ConfigurationError(
                "alarms.p99_latency",
                alarms.p99_latency,
                f"a Duration below the function timeout ({timeout_seconds:g} seconds)",
                path=path,
                reason="Invocations end at the timeout, so this alarm could never fire.",
            )
        if rollout.kind != "all_at_once" and alarms.window_minutes > rollout.bake_minutes:
            Annotations.of(self).add_warning_v2(
                "constructs_pkg:alarm-window",
                f"The rollback alarms need {alarms.window_minutes} minutes of data but the "
                f"rollout ({rollout.describe()}) moves all traffic after {rollout.bake_minutes} "
                "minutes: a bad version can be fully live before an alarm can stop it. Lengthen "
                "the rollout interval or shorten RollbackAlarms(period, evaluation_periods).",
            )

    # --- rollback alarms -------------------------------------------------------------------

    @property
    def rollback_alarms(self) -> list[cloudwatch.IAlarm]:
        """Every alarm that rolls this function's deployment back, in the order added."""
        return list(self._alarms)

    def add_rollback_alarm(self, alarm: cloudwatch.IAlarm) -> None:
        """Roll this function's deployment back when ``alarm`` fires.

        CodeDeploy accepts 10 alarms per deployment group; from the eleventh alarm on,
        the tenth slot holds a composite alarm that fires when any of alarms 10, 11, ...
        fires (unless ``RollbackAlarms(combine_over_limit=False)``, which makes the
        eleventh alarm an error).
        """
        limit = limits.CODEDEPLOY_MAX_ALARMS
        count = len(self._alarms) + 1
        if count > limit and not self.alarm_config.combine_over_limit:
            raise ConfigurationError(
                "number of rollback alarms",
                count,
                f"at most {limit} per CodeDeploy deployment group",
                path=self.node.path,
                reason="Set RollbackAlarms(combine_over_limit=True) to combine the rest into "
                "one composite alarm.",
            )
        if count > limit - 1 + limits.COMPOSITE_MAX_CHILDREN:
            raise ConfigurationError(
                "number of rollback alarms",
                count,
                f"at most {limit - 1 + limits.COMPOSITE_MAX_CHILDREN} "
                f"({limit - 1} direct and {limits.COMPOSITE_MAX_CHILDREN} in one composite)",
                path=self.node.path,
            )
        self._alarms.append(alarm)
        for listener in self._alarm_listeners:
            listener(alarm)
        if count < limit:
            self.deployment_group.add_alarm(alarm)
        elif count == limit:
            # The last slot: this alarm, or a composite of it and every later one.
            self.deployment_group.add_alarm(
                cloudwatch.Alarm.from_alarm_name(
                    self._alarm_scope,
                    "LastSlot",
                    lazy_string(self._last_slot_name),
                )
            )
        elif self._composite is None:
            self._composite = cloudwatch.CompositeAlarm(
                self._alarm_scope,
                "Combined",
                alarm_rule=cloudwatch.AlarmRule.from_string(lazy_string(self._combined_rule)),
                alarm_description=f"{self.node.path}: any of rollback alarms {limit} and later "
                "(CodeDeploy takes at most 10 alarms). Rolls the deployment back.",
            )

    def _last_slot_name(self) -> str:
        """Name for the tenth alarm slot: the tenth alarm, or the composite of 10 and later."""
        if self._composite is not None:
            return self._composite.alarm_name
        return self._alarms[limits.CODEDEPLOY_MAX_ALARMS - 1].alarm_name

    def _combined_rule(self) -> str:
        """Composite alarm rule: ANY of the rollback alarms from the tenth on."""
        tail = self._alarms[limits.CODEDEPLOY_MAX_ALARMS - 1 :]
        return str(
            cloudwatch.AlarmRule.any_of(
                *[cloudwatch.AlarmRule.from_alarm(a, cloudwatch.AlarmState.ALARM) for a in tail]
            ).render_alarm_rule()
        )

    # --- grants and metrics ----------------------------------------------------------------

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to invoke the alias (and so whatever version it points to)."""
        return self.alias.grant_invoke(grantee)

    def metric(
        self,
        metric_name: str,
        *,
        statistic: str = "Sum",
        new_version_only: bool = False,
    ) -> cloudwatch.Metric:
        """Return a Lambda metric of the alias, or of the new version only.

        Dimensions are ``FunctionName`` and ``Resource=<function>:<alias>``, plus
        ``ExecutedVersion`` with ``new_version_only``. The period is the rollback
        alarms' period.
        """
        if new_version_only:
            return self._metrics.new_version(metric_name, statistic)
        return self._metrics.alias(metric_name, statistic)

    def metric_errors(self, *, new_version_only: bool = False) -> cloudwatch.Metric:
        """Sum of ``Errors`` through the alias (or of the new version only)."""
        return self.metric("Errors", statistic="Sum", new_version_only=new_version_only)

    def metric_invocations(self, *, new_version_only: bool = False) -> cloudwatch.Metric:
        """Sum of ``Invocations`` through the alias (or of the new version only)."""
        return self.metric("Invocations", statistic="Sum", new_version_only=new_version_only)

    def metric_duration(self, *, new_version_only: bool = False) -> cloudwatch.Metric:
        """p99 of ``Duration`` through the alias (or of the new version only)."""
        return self.metric("Duration", statistic="p99", new_version_only=new_version_only)

    def metric_throttles(self) -> cloudwatch.Metric:
        """Sum of ``Throttles`` on the alias (throttled requests run no version)."""
        return self.metric("Throttles", statistic="Sum")


def _acknowledge_hook_grant(shared: SharedRelease, hook: lambda_.Function) -> None:
    """cdk-nag IAM5 on ``<hook>:*``: CDK's grant_invoke covers the hook's own versions."""
    policy = shared.service_role.node.try_find_child("DefaultPolicy")
    if policy is not None:
        acknowledge(
            policy,
            f"AwsSolutions-IAM5[Resource::<{logical_id(hook)}.Arn>:*]",
            "CodeDeploy may invoke this smoke-test hook and its versions (CDK grant_invoke); "
            "the wildcard is the version qualifier of that one function.",
        )


def _struct_to_kwargs(struct: Any) -> dict[str, Any]:
    """Keyword arguments that rebuild a jsii struct (``VersionOptions``) with changes."""
    return {k: v for k, v in struct._values.items() if v is not None}
