"""SafeFunction: a Lambda function that is only ever released through an alias."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Unpack

import jsii
from aws_cdk import Annotations, CustomResource, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk.interfaces import ResourceEnvironment
from constructs import Construct, Node

from constructs_pkg import defaults, limits
from constructs_pkg._acknowledge import acknowledge, logical_id
from constructs_pkg._lazy import add_lazy_metadata
from constructs_pkg._validation import (
    _shown,
    check_name,
    check_number,
    check_type,
    check_when_resolved,
    function_timeout_seconds,
    is_unresolved,
)
from constructs_pkg.assembly.records import ReleaseRecord
from constructs_pkg.checks.guard import AliasGuard
from constructs_pkg.errors import ConfigurationError
from constructs_pkg.rehearsal.codedeploy import alarm_timing_warning
from constructs_pkg.release._shared import SharedRelease
from constructs_pkg.release.alarms import ReleaseMetricFactory, RollbackAlarms, RollbackAlarmSet
from constructs_pkg.release.bake import create_bake_hook
from constructs_pkg.release.function_options import (
    EventInvokeConfigOptions,
    EventSourceMappingOptions,
    FunctionUrlOptions,
    MetricOptions,
    PermissionOptions,
    SafeFunctionOptions,
    check_environment_variables,
    check_option_names,
    check_options,
    split_options,
)
from constructs_pkg.release.hotfix import hotfix_enabled
from constructs_pkg.release.rollout import Rollout
from constructs_pkg.release.smoke_test import SmokeTest
from constructs_pkg.release.version_retention import retain_versions
from constructs_pkg.runtime.env import RECYCLE_ENV

__all__ = ["SafeFunction"]

_ALIAS_NAME = re.compile(r"(?!\d+\Z)[A-Za-z0-9_-]{1,128}")
_HANDLER = re.compile(rf"\S{{1,{limits.LAMBDA_MAX_HANDLER}}}")
_GROUP_NAME = re.compile(rf".{{1,{limits.CODEDEPLOY_MAX_GROUP_NAME}}}", re.S)
#: The type of every argument of SafeFunction that is not a Lambda option.
_ARGUMENT_TYPES: dict[str, Any] = {
    "code": lambda_.Code,
    "handler": str,
    "runtime": lambda_.Runtime,
    "alias_name": str,
    "rollout": Rollout | None,
    "alarms": RollbackAlarms | None,
    "smoke_test": SmokeTest | None,
    "post_traffic_test": SmokeTest | None,
    "pre_traffic_hook": lambda_.IFunction | None,
    "post_traffic_hook": lambda_.IFunction | None,
    "deployment_group_name": str | None,
    "deployment_role": iam.IRole | None,
    "deployment_application": codedeploy.ILambdaApplication | None,
    "auto_rollback": codedeploy.AutoRollbackConfig | None,
    "ignore_poll_alarms_failure": bool | None,
    "notifications": sns.ITopic | None,
    "keep_versions": Any,  # checked with its range below
    "recycle": str | None,
}
_RECYCLE_TOKEN = re.compile(r"[A-Za-z0-9._-]{1,64}")


@jsii.implements(lambda_.IFunction)
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

    Every ``aws_lambda.Function`` option is accepted under the same name
    (:class:`~constructs_pkg.release.function_options.FunctionOptions`). Options that
    configure *invocation* rather than the function -- asynchronous invocation
    (``on_failure``, ``on_success``, ``max_event_age``, ``retry_attempts``),
    ``provisioned_concurrent_executions`` and ``events`` -- are applied to the alias,
    because callers invoke the alias
    (:class:`~constructs_pkg.release.function_options.InvocationOptions`).

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
        interval=Duration.minutes(10))`` with an 8-minute bake (the alarms keep watching
        after the shift to 100 %, from a managed AfterAllowTraffic hook).
    alarms
        Rollback alarm thresholds. Default: ``RollbackAlarms()`` (error rate above 2 %
        with at least 4 errors in 2 minutes; p99 duration above half the timeout in 2 of
        3 minutes with at least 300 calls).
    smoke_test
        Pre-traffic hook that invokes the new version before any traffic moves.
        Default: none.
    post_traffic_test
        Post-traffic smoke test, run after all traffic has moved, before the bake (in the
        same hook). Default: none.
    pre_traffic_hook
        Your own BeforeAllowTraffic hook function (not with ``smoke_test``). Default: none.
    post_traffic_hook
        Your own AfterAllowTraffic hook function (not with ``post_traffic_test``). It holds
        the bake's slot, so the rollout in force has no bake. Default: none.
    deployment_group_name
        Physical name of the CodeDeploy deployment group. Default: generated.
    deployment_role
        CodeDeploy service role of the deployment group. Default: the stack's shared role.
    deployment_application
        CodeDeploy application of the deployment group. Default: the stack's shared one.
    auto_rollback
        When CodeDeploy rolls back. Default: on a failed or stopped deployment and on alarm.
    ignore_poll_alarms_failure
        Whether a deployment goes on when CodeDeploy cannot read the alarms. Default: CDK's
        (it stops).
    notifications
        SNS topic told of every deployment state change (a trigger on the deployment group;
        the service role may publish to it). Default: none.
    keep_versions
        How many of the newest versions to keep after each release (1-1000; versions in use
        are always kept); None keeps every version. Default: 10.
    recycle
        A token (1-64 letters, digits, ``.``, ``_``, ``-``) set as ``CONSTRUCTS_PKG_RECYCLE``
        in the function's environment: a new token publishes a new version of the same code.
        Default: the context ``constructs_pkg:recycle``, else none.
    **options
        Every ``aws_lambda.Function`` option and the invocation options above, same
        names. Default: CDK's; versions are retained (``RemovalPolicy.RETAIN``) unless
        ``current_version_options`` names a removal policy.

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
        pre_traffic_hook: lambda_.IFunction | None = None,
        post_traffic_hook: lambda_.IFunction | None = None,
        deployment_group_name: str | None = None,
        deployment_role: iam.IRole | None = None,
        deployment_application: codedeploy.ILambdaApplication | None = None,
        auto_rollback: codedeploy.AutoRollbackConfig | None = None,
        ignore_poll_alarms_failure: bool | None = None,
        notifications: sns.ITopic | None = None,
        keep_versions: int | None = defaults.KEEP_VERSIONS,
        recycle: str | None = None,
        **options: Unpack[SafeFunctionOptions],
    ) -> None:
        super().__init__(scope, construct_id)
        check_option_names(options, self.node.path)
        # Every argument that is not a Lambda option, by name (the names of _ARGUMENT_TYPES).
        given = locals()
        arguments = {name: given[name] for name in _ARGUMENT_TYPES}
        self._validate(arguments, dict(options))
        #: The recycle token in force (``recycle=`` or ``-c constructs_pkg:recycle=...``).
        self.recycle = self._recycle_token(recycle)
        function_options, invocation_options = split_options(self._with_recycle(options))
        timeout = function_options.get("timeout")
        #: True when this synth is a hotfix deploy (``-c constructs_pkg:hotfix=true``).
        self.hotfix = hotfix_enabled(self)
        #: The rollback alarm thresholds.
        self.alarm_config = alarms if alarms is not None else RollbackAlarms()
        #: The rollout in force for this synth: all at once in hotfix mode, without a bake
        #: when your own post_traffic_hook holds the bake's slot.
        requested = rollout if rollout is not None else Rollout.canary()
        self.rollout = self._rollout_in_force(requested, post_traffic_hook)
        self._check_alarms_fit(self.rollout, timeout)
        self._check_slots(arguments)

        #: The function. Invoke it through :attr:`alias`, never directly.
        self.function = self._build_function(code, handler, runtime, function_options)
        #: The version published for this code and configuration.
        self.version: lambda_.Version = self.function.current_version
        #: The alias callers invoke; CodeDeploy shifts it between versions.
        self.alias = self._build_alias(alias_name, invocation_options)
        #: The CodeDeploy deployment group that shifts :attr:`alias` (None when disabled).
        self.deployment_group = self._build_deployment_group(arguments)
        self._alarms = self._build_alarms(alias_name, timeout)
        #: The managed pre-traffic smoke-test hook, if ``smoke_test`` was given.
        self.smoke_test_hook = self._build_smoke_hook(smoke_test, "PreTrafficHook", timeout)
        #: The function in CodeDeploy's BeforeAllowTraffic slot, if any.
        self.pre_traffic_hook = self.smoke_test_hook or pre_traffic_hook
        #: The function in CodeDeploy's AfterAllowTraffic slot (the managed bake, with the
        #: post-traffic smoke test if any, or ``post_traffic_hook``), if any.
        self.post_traffic_hook = self._build_post_traffic_hook(
            post_traffic_test, post_traffic_hook, timeout
        )
        self._attach_hooks()
        #: The custom resource that retires old versions after each release (None with
        #: ``keep_versions=None``).
        self.version_retention = self._build_version_retention(keep_versions)
        self._register(requested)

    # --- steps -----------------------------------------------------------------------------

    def _validate(self, arguments: dict[str, Any], options: dict[str, Any]) -> None:
        """Check the arguments, then the Lambda options (the first wrong one raises)."""
        path = self.node.path
        for name, value in arguments.items():
            check_type(name, value, _ARGUMENT_TYPES[name], path=path)
        self._check_names(arguments)
        if arguments["keep_versions"] is not None:
            check_number(
                "keep_versions",
                arguments["keep_versions"],
                minimum=1,
                maximum=limits.LAMBDA_MAX_KEPT_VERSIONS,
                whole=True,
                tokens="reject",
                path=path,
            )
        self._check_function_options(options)

    def _check_names(self, arguments: dict[str, Any]) -> None:
        """Check ``alias_name`` and ``handler`` (once resolved) and ``deployment_group_name``."""
        path = self.node.path
        check_when_resolved(
            self,
            arguments["alias_name"],
            lambda name: check_name(
                "alias_name",
                name,
                _ALIAS_NAME,
                "1-128 letters, digits, '-' or '_', not only digits (Lambda alias names)",
                path=path,
            ),
        )
        check_when_resolved(
            self,
            arguments["handler"],
            lambda handler: check_name(
                "handler",
                handler,
                _HANDLER,
                f"1-{limits.LAMBDA_MAX_HANDLER} characters without white space",
                path=path,
            ),
        )
        group_name = arguments["deployment_group_name"]
        if group_name is not None:
            check_name(
                "deployment_group_name",
                group_name,
                _GROUP_NAME,
                f"1-{limits.CODEDEPLOY_MAX_GROUP_NAME} characters",
                path=path,
            )

    def _check_function_options(self, options: dict[str, Any]) -> None:
        """Check the Lambda options: no own recycle variable, each option, the concurrencies."""
        path = self.node.path
        if RECYCLE_ENV in (options.get("environment") or {}):
            raise ConfigurationError(
                "environment",
                {RECYCLE_ENV: options["environment"][RECYCLE_ENV]},
                f"no variable named {RECYCLE_ENV}",
                path=path,
                reason="SafeFunction sets it for recycle=; pass the token there.",
            )
        check_options(options, scope=self)
        reserved = options.get("reserved_concurrent_executions")
        provisioned = options.get("provisioned_concurrent_executions")
        if (
            reserved is not None
            and provisioned is not None
            and not is_unresolved(reserved)
            and not is_unresolved(provisioned)
            and provisioned > reserved
        ):
            raise ConfigurationError(
                "provisioned_concurrent_executions",
                provisioned,
                f"at most reserved_concurrent_executions ({reserved})",
                path=path,
            )

    def _with_recycle(self, options: SafeFunctionOptions) -> SafeFunctionOptions:
        """``options`` with the recycle token in the function's environment, if there is one."""
        if self.recycle is None:
            return options
        return {
            **options,
            "environment": {**(options.get("environment") or {}), RECYCLE_ENV: self.recycle},
        }

    def _check_alarms_fit(self, rollout: Rollout, timeout: Duration | None) -> None:
        alarms = self.alarm_config
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
                path=self.node.path,
                reason="Invocations end at the timeout, so this alarm could never fire.",
            )
        warning = self._alarm_timing_warning(rollout, timeout_seconds)
        if warning is not None:
            Annotations.of(self).add_warning_v2(
                "constructs_pkg:alarm-window", f"{self.node.path} ({rollout.describe()}): {warning}"
            )

    def _alarm_timing_warning(self, rollout: Rollout, timeout_seconds: float | None) -> str | None:
        """Say when a generated alarm cannot stop a broken version in time (rehearsal model).

        In time means within a canary's first step (before 100 %) and within the whole
        deployment (the shifts and the bake: CodeDeploy stops watching at its end). The
        error-rate alarm and, when there is one, the latency alarm are checked.
        """
        if self.hotfix or rollout.kind in ("disabled", "named"):
            return None
        alarms = self.alarm_config
        # (period, breaching periods it needs) of each generated alarm that sees a broken version
        needs = [(alarms.period.to_seconds(), alarms.evaluation_periods)]
        if alarms.p99_threshold_ms(timeout_seconds) is not None:
            needs.append((60, alarms.latency_datapoints_to_alarm))
        windows = [
            ((rollout.shift_minutes + rollout.bake) * 60, "the deployment (shifts and bake)")
        ]
        if rollout.kind == "canary":
            windows.insert(0, (rollout.interval_minutes * 60, "the canary step"))
        for window_seconds, window in windows:
            for period_seconds, datapoints in needs:
                warning = alarm_timing_warning(
                    window_seconds=window_seconds,
                    period_seconds=period_seconds,
                    datapoints_to_alarm=datapoints,
                    window=window,
                )
                if warning is not None:
                    return warning
        return None

    def _build_function(
        self,
        code: lambda_.Code,
        handler: str,
        runtime: lambda_.Runtime,
        options: dict[str, Any],
    ) -> lambda_.Function:
        options = dict(options)
        options["current_version_options"] = _retained(options.get("current_version_options"))
        return lambda_.Function(
            self, "Resource", code=code, handler=handler, runtime=runtime, **options
        )

    def _build_alias(self, alias_name: str, invocation: dict[str, Any]) -> lambda_.Alias:
        events = invocation.pop("events", ())
        alias = lambda_.Alias(
            self, "Alias", alias_name=alias_name, version=self.version, **invocation
        )
        for source in events:
            alias.add_event_source(source)
        return alias

    def _build_deployment_group(
        self, arguments: dict[str, Any]
    ) -> codedeploy.LambdaDeploymentGroup | None:
        if self.rollout.kind == "disabled":
            return None
        shared = SharedRelease.of(self)
        role = arguments["deployment_role"] or shared.service_role
        group = codedeploy.LambdaDeploymentGroup(
            self,
            "DeploymentGroup",
            alias=self.alias,
            application=arguments["deployment_application"] or shared.application,
            role=role,
            deployment_config=shared.deployment_config(self.rollout),
            deployment_group_name=arguments["deployment_group_name"],
            auto_rollback=arguments["auto_rollback"]
            or codedeploy.AutoRollbackConfig(
                failed_deployment=True, stopped_deployment=True, deployment_in_alarm=True
            ),
            ignore_alarm_configuration=True if self.hotfix else None,
            ignore_poll_alarms_failure=arguments["ignore_poll_alarms_failure"],
        )
        topic: sns.ITopic | None = arguments["notifications"]
        if topic is not None:
            cfn = group.node.default_child
            assert isinstance(cfn, codedeploy.CfnDeploymentGroup)
            cfn.trigger_configurations = [
                codedeploy.CfnDeploymentGroup.TriggerConfigProperty(
                    trigger_name=f"{self.node.id}-deployments"[:100],
                    trigger_target_arn=topic.topic_arn,
                    trigger_events=list(defaults.DEPLOYMENT_NOTIFICATION_EVENTS),
                )
            ]
            topic.grant_publish(role)
        return group

    def _build_alarms(self, alias_name: str, timeout: Duration | None) -> RollbackAlarmSet:
        """Create the rollback alarms on the new version, attached to the deployment group."""
        metrics = ReleaseMetricFactory(
            self.function.function_name, alias_name, self.version.version, self.alarm_config.period
        )
        return RollbackAlarmSet(
            self,
            "RollbackAlarms",
            deployment_group=self.deployment_group,
            config=self.alarm_config,
            metrics=metrics,
            subject=self.node.path,
            timeout_seconds=function_timeout_seconds(timeout),
        )

    def _build_version_retention(self, keep_versions: int | None) -> CustomResource | None:
        """Create the custom resource that retires old versions (None with ``None``)."""
        if keep_versions is None:
            return None
        return retain_versions(
            self, function=self.function, alias=self.alias, keep=int(keep_versions)
        )

    def _register(self, requested: Rollout) -> None:
        """Record the release for tools, guard the function, announce hotfix / no rollout."""
        add_lazy_metadata(self.alias, ReleaseRecord.key, self.release_record)
        # Nothing may invoke the unqualified function unnoticed, with nothing registered.
        AliasGuard.of(self)
        if self.hotfix:
            self._announce_hotfix(requested)
        if self.rollout.kind == "disabled":
            self._announce_disabled()

    def _recycle_token(self, given: str | None) -> str | None:
        """``recycle=``, else the context ``constructs_pkg:recycle``, checked; None: no recycle."""
        argument, token = "recycle", given
        if token is None:
            raw = self.node.try_get_context(defaults.RECYCLE_CONTEXT_KEY)
            if raw is None:
                return None
            argument, token = f"context {defaults.RECYCLE_CONTEXT_KEY}", str(raw)
        check_name(
            argument,
            token,
            _RECYCLE_TOKEN,
            "1-64 letters, digits, '.', '_' or '-' (any new token recycles every environment)",
            tokens="reject",
            path=self.node.path,
        )
        return token

    def _check_slots(self, arguments: dict[str, Any]) -> None:
        """CodeDeploy runs one hook per slot; a disabled rollout runs none."""
        path = self.node.path
        for slot, managed, own in (
            ("BeforeAllowTraffic", "smoke_test", "pre_traffic_hook"),
            ("AfterAllowTraffic", "post_traffic_test", "post_traffic_hook"),
        ):
            if arguments[managed] is not None and arguments[own] is not None:
                raise ConfigurationError(
                    own,
                    _shown(arguments[own]),
                    f"no value when {managed}= is given",
                    path=path,
                    reason=f"CodeDeploy runs one {slot} hook per deployment; {managed} already "
                    f"claims it. Call your checks from one function, or drop {managed}.",
                )
            if self.rollout.kind == "disabled" and (arguments[managed] or arguments[own]):
                raise ConfigurationError(
                    managed if arguments[managed] is not None else own,
                    _shown(arguments[managed] or arguments[own]),
                    "no hook when rollout=Rollout.disabled()",
                    path=path,
                    reason="Hooks run inside a CodeDeploy deployment, and there is none.",
                )

    def _rollout_in_force(
        self, requested: Rollout, own_post_hook: lambda_.IFunction | None
    ) -> Rollout:
        """Return the rollout this synth deploys (hotfix, or your own AfterAllowTraffic hook)."""
        if requested.kind == "disabled":
            return requested
        if self.hotfix:
            return Rollout.all_at_once(bake=Duration.minutes(0))
        if own_post_hook is not None:
            self._check_bake_slot(requested, own_post_hook)
            return requested.with_bake(Duration.minutes(0))
        return requested

    def _check_bake_slot(self, requested: Rollout, own: lambda_.IFunction) -> None:
        """Your own AfterAllowTraffic hook leaves no slot for the bake."""
        if requested.bake_minutes:
            raise ConfigurationError(
                "post_traffic_hook",
                _shown(own),
                f"no value when the rollout bakes ({requested.describe()})",
                path=self.node.path,
                reason="The bake runs in the AfterAllowTraffic hook, and CodeDeploy runs one. "
                "Use post_traffic_test= (it runs before the bake), or bake=Duration.minutes(0).",
            )
        if requested.bake_minutes is None:
            Annotations.of(self).add_warning_v2(
                "constructs_pkg:no-bake",
                f"{self.node.path} has its own post_traffic_hook, which holds CodeDeploy's one "
                "AfterAllowTraffic slot, so there is no bake: the alarms stop watching at the "
                "last shift, and a bad version detected later stays at 100 %. Use "
                "post_traffic_test= (it runs before the bake), or say so with "
                "bake=Duration.minutes(0) in the rollout.",
            )

    def _build_smoke_hook(
        self, test: SmokeTest | None, construct_id: str, timeout: Duration | None
    ) -> lambda_.Function | None:
        if test is None:
            return None
        return test.create_hook(self, construct_id, target=self.version, target_timeout=timeout)

    def _build_post_traffic_hook(
        self, test: SmokeTest | None, own: lambda_.IFunction | None, timeout: Duration | None
    ) -> lambda_.IFunction | None:
        group = self.deployment_group
        if own is not None:
            return own
        if group is None or not self.rollout.bake:
            return self._build_smoke_hook(test, "PostTrafficHook", timeout)
        return create_bake_hook(
            self,
            "PostTrafficHook",
            bake_minutes=self.rollout.bake,
            deployment_group=group,
            alarms=self._alarms,
            test=test,
            target=self.version,
            target_timeout=timeout,
        )

    def _attach_hooks(self) -> None:
        group = self.deployment_group
        if group is None:
            return
        if self.pre_traffic_hook is not None:
            group.add_pre_hook(self.pre_traffic_hook)
        if self.post_traffic_hook is not None:
            group.add_post_hook(self.post_traffic_hook)
        for hook in (self.pre_traffic_hook, self.post_traffic_hook):
            if isinstance(hook, lambda_.Function):
                _acknowledge_hook_grant(group.role, hook)

    def deployment_events(self, *states: str) -> events.EventPattern:
        """EventBridge pattern for this function's CodeDeploy deployment state changes.

        Parameters
        ----------
        *states
            ``START``, ``SUCCESS``, ``FAILURE``, ``STOP``, ``READY`` ... Default: every state.

        Examples
        --------
        ::

            events.Rule(stack, "Failures", event_pattern=orders.deployment_events("FAILURE"),
                        targets=[targets.SnsTopic(oncall)])
        """
        group = self.deployment_group
        if group is None:
            raise ConfigurationError(
                "deployment_events",
                self.rollout.kind,
                "a SafeFunction released by CodeDeploy",
                path=self.node.path,
                reason="Rollout.disabled() creates no deployment group, so there are no events.",
            )
        detail: dict[str, Any] = {
            "application": [group.application.application_name],
            "deploymentGroup": [group.deployment_group_name],
        }
        if states:
            detail["state"] = list(states)
        return events.EventPattern(
            source=["aws.codedeploy"],
            detail_type=["CodeDeploy Deployment State-change Notification"],
            detail=detail,
        )

    def _announce_hotfix(self, requested: Rollout) -> None:
        # The operator asked for this deploy to skip the alarms: do not let the
        # deployment-safety rule block it (the warning below still says so).
        acknowledge(
            self,
            "DeploymentSafety::DeploymentGroupWithoutAlarms",
            f"hotfix deploy requested with -c {defaults.HOTFIX_CONTEXT_KEY}=true",
        )
        Annotations.of(self).add_warning_v2(
            "constructs_pkg:hotfix",
            f"HOTFIX deploy: {self.node.path} shifts all traffic at once and its rollback alarms "
            f"are ignored (was: {requested.describe()}). Smoke tests still run. The next deploy "
            f"without -c {defaults.HOTFIX_CONTEXT_KEY}=true restores the rollout.",
        )

    def _announce_disabled(self) -> None:
        Annotations.of(self).add_warning_v2(
            "constructs_pkg:rollout-disabled",
            f"{self.node.path} has no rollout: CloudFormation moves alias "
            f"{self.alias.alias_name} to each new version at once, and nothing rolls it back "
            "(its alarms only alarm). The deployment-safety rule AliasWithoutDeploymentGroup "
            "reports this until it is acknowledged with a reason.",
        )

    # --- release record --------------------------------------------------------------------

    def release_record(self) -> ReleaseRecord:
        """Describe this release for tools (``constructs-pkg plan``; metadata on the alias)."""
        return ReleaseRecord(
            path=self.node.path,
            alias=self.alias.alias_name,
            rollout=self.rollout.record(),
            hotfix=self.hotfix,
            alarms=tuple(alarm.node.path for alarm in self._alarms.alarms),
            alarm_window_minutes=self.alarm_config.window_minutes,
            smoke_test=self.pre_traffic_hook is not None,
            recycle=self.recycle,
        )

    # --- rollback alarms -------------------------------------------------------------------

    @property
    def rollback_alarms(self) -> list[cloudwatch.IAlarm]:
        """Every alarm that rolls this function's deployment back, in the order added."""
        return self._alarms.alarms

    def add_rollback_alarm(self, alarm: cloudwatch.IAlarm) -> None:
        """Roll this function's deployment back when ``alarm`` fires.

        CodeDeploy accepts 10 alarms per deployment group; from the eleventh alarm on,
        the tenth slot holds a composite alarm that fires when any of alarms 10, 11, ...
        fires (unless ``RollbackAlarms(combine_over_limit=False)``, which makes the
        eleventh alarm an error).
        """
        self._alarms.add(alarm)

    def on_rollback_alarm(self, listener: Callable[[cloudwatch.IAlarm], None]) -> None:
        """Call ``listener(alarm)`` for every rollback alarm: those added so far and later ones.

        A FunctionFleet uses it to put every member's alarms into its release-wide alarm.
        """
        self._alarms.on_alarm(listener)

    # --- aws_lambda.IFunction: invoking goes to the alias -----------------------------------

    @property
    def function_arn(self) -> str:
        """ARN of the alias: what every caller invokes."""
        return self.alias.function_arn

    @property
    def function_name(self) -> str:
        """Name of the alias as CDK's ``Alias`` reports it (``<function>:<alias>``)."""
        return self.alias.function_name

    @property
    def function_ref(self) -> Any:
        """The alias's function reference (``aws_lambda.IFunctionRef``)."""
        return self.alias.function_ref

    @property
    def resource_arns_for_grant_invoke(self) -> list[str]:
        """The ARNs an invoke grant names: the alias only."""
        return list(self.alias.resource_arns_for_grant_invoke)

    def add_permission(
        self, id: str, *, principal: iam.IPrincipal, **options: Unpack[PermissionOptions]
    ) -> None:
        """Allow ``principal`` to invoke the alias (a resource policy on the alias)."""
        self.alias.add_permission(id, principal=principal, **_given(options))

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to invoke the alias (and so whatever version it points to)."""
        return self.alias.grant_invoke(grantee)

    def grant_invoke_composite_principal(
        self, composite_principal: iam.CompositePrincipal
    ) -> list[iam.Grant]:
        """Allow every principal of ``composite_principal`` to invoke the alias."""
        return list(self.alias.grant_invoke_composite_principal(composite_principal))

    def grant_invoke_url(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to invoke the alias's function URL."""
        return self.alias.grant_invoke_url(grantee)

    def grant_invoke_version(self, grantee: iam.IGrantable, version: lambda_.IVersion) -> iam.Grant:
        """Allow ``grantee`` to invoke one published ``version`` (a qualified ARN)."""
        return self.function.grant_invoke_version(grantee, version)

    def grant_invoke_latest_version(self, grantee: iam.IGrantable) -> iam.Grant:
        """Refused: ``$LATEST`` bypasses the alias, its canary and its rollback."""
        raise ConfigurationError(
            "grant_invoke_latest_version",
            _shown(grantee),
            "grant_invoke(grantee), which grants the alias",
            path=self.node.path,
            reason="Invoking $LATEST bypasses the alias: new code at 100 % the moment the stack "
            "updates, never rolled back.",
        )

    def add_event_source(self, source: lambda_.IEventSource) -> None:
        """Attach an event source to the alias (never ``$LATEST``)."""
        self.alias.add_event_source(source)

    def add_event_source_mapping(
        self, id: str, **options: Unpack[EventSourceMappingOptions]
    ) -> lambda_.EventSourceMapping:
        """Add an event source mapping that invokes the alias."""
        return self.alias.add_event_source_mapping(id, **_given(options))

    def add_function_url(self, **options: Unpack[FunctionUrlOptions]) -> lambda_.FunctionUrl:
        """Add a function URL that invokes the alias."""
        return self.alias.add_function_url(**_given(options))

    def configure_async_invoke(self, **options: Unpack[EventInvokeConfigOptions]) -> None:
        """Configure asynchronous invocation of the alias."""
        self.alias.configure_async_invoke(**_given(options))

    def metric(
        self,
        metric_name: str,
        *,
        new_version_only: bool = False,
        **options: Unpack[MetricOptions],
    ) -> cloudwatch.Metric:
        """Return a Lambda metric of the alias (``FunctionName``, ``Resource=<fn>:<alias>``).

        With ``new_version_only`` the metric also has ``ExecutedVersion=<this version>``: the
        new version alone, during a canary. Other options as on ``aws_lambda.IFunction``
        (CDK's defaults: average over 5 minutes).
        """
        metric = self.alias.metric(metric_name, **_given(options))
        if not new_version_only:
            return metric
        dimensions = {**(metric.dimensions or {}), "ExecutedVersion": self.version.version}
        return metric.with_(dimensions_map=dimensions)

    def metric_errors(
        self, *, new_version_only: bool = False, **options: Unpack[MetricOptions]
    ) -> cloudwatch.Metric:
        """Sum of ``Errors`` through the alias (or of the new version only)."""
        return self.metric("Errors", new_version_only=new_version_only, **_sum(options))

    def metric_invocations(
        self, *, new_version_only: bool = False, **options: Unpack[MetricOptions]
    ) -> cloudwatch.Metric:
        """Sum of ``Invocations`` through the alias (or of the new version only)."""
        return self.metric("Invocations", new_version_only=new_version_only, **_sum(options))

    def metric_duration(
        self, *, new_version_only: bool = False, **options: Unpack[MetricOptions]
    ) -> cloudwatch.Metric:
        """``Duration`` through the alias (or of the new version only); CDK's default: average."""
        return self.metric("Duration", new_version_only=new_version_only, **_given(options))

    def metric_throttles(self, **options: Unpack[MetricOptions]) -> cloudwatch.Metric:
        """Sum of ``Throttles`` on the alias (throttled requests run no version)."""
        return self.metric("Throttles", **_sum(options))

    # --- aws_lambda.IFunction: identity is the function's --------------------------------------

    @property
    def role(self) -> iam.IRole | None:
        """The function's execution role."""
        return self.function.role

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The function's principal: what grants *to* this function give permissions to."""
        return self.function.grant_principal

    @property
    def permissions_node(self) -> Node:
        """The construct node permissions are added under (the function's)."""
        return self.function.permissions_node

    @property
    def connections(self) -> ec2.Connections:
        """The function's network connections (a function in a VPC)."""
        return self.function.connections

    @property
    def is_bound_to_vpc(self) -> bool:
        """Whether the function runs in a VPC."""
        return bool(self.function.is_bound_to_vpc)

    @property
    def architecture(self) -> lambda_.Architecture:
        """The function's instruction set architecture."""
        return self.function.architecture

    @property
    def latest_version(self) -> lambda_.IVersion:
        """The function's ``$LATEST`` version (identity only: invoke the alias instead)."""
        return self.function.latest_version

    @property
    def tenancy_config(self) -> lambda_.TenancyConfig | None:
        """The function's tenancy configuration, if any."""
        return self.function.tenancy_config

    @property
    def env(self) -> ResourceEnvironment:
        """Account and region of the function."""
        return self.function.env

    @property
    def stack(self) -> Stack:
        """The stack the function is in."""
        return Stack.of(self)

    def add_to_role_policy(self, statement: iam.PolicyStatement) -> None:
        """Add ``statement`` to the function's execution role."""
        self.function.add_to_role_policy(statement)

    def add_environment(self, key: str, value: str, *, remove_in_edge: bool | None = None) -> None:
        """Set an environment variable of the function (a new version on the next deploy)."""
        check_environment_variables("add_environment", {key: value}, path=self.node.path)
        self.function.add_environment(key, value, remove_in_edge=remove_in_edge)

    def apply_removal_policy(self, policy: RemovalPolicy) -> None:
        """Apply ``policy`` to the function (versions keep their own: retained)."""
        self.function.apply_removal_policy(policy)


def _given(options: Mapping[str, Any]) -> dict[str, Any]:
    """Keep the options a caller set (jsii passes every field, the unset ones as None)."""
    return {name: value for name, value in options.items() if value is not None}


def _sum(options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` with CDK's ``Sum`` statistic unless one is given."""
    return {"statistic": "Sum", **_given(options)}


def _retained(options: lambda_.VersionOptions | None) -> lambda_.VersionOptions:
    """``options`` with ``RemovalPolicy.RETAIN`` unless they name a removal policy."""
    given = options or lambda_.VersionOptions()
    if given.removal_policy is not None:
        return given
    fields = [
        name for name, value in vars(lambda_.VersionOptions).items() if isinstance(value, property)
    ]
    kept = {name: getattr(given, name) for name in fields if getattr(given, name) is not None}
    return lambda_.VersionOptions(**{**kept, "removal_policy": RemovalPolicy.RETAIN})


def _acknowledge_hook_grant(role: iam.IRole, hook: lambda_.Function) -> None:
    """cdk-nag IAM5 on ``<hook>:*``: CDK's grant_invoke covers the hook's own versions."""
    policy = role.node.try_find_child("DefaultPolicy")
    if policy is not None:
        acknowledge(
            policy,
            f"AwsSolutions-IAM5[Resource::<{logical_id(hook)}.Arn>:*]",
            "CodeDeploy may invoke this smoke-test hook and its versions (CDK grant_invoke); "
            "the wildcard is the version qualifier of that one function.",
        )
