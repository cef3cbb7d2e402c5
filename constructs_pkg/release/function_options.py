"""The ``aws_lambda.Function`` options a SafeFunction (and a FunctionFleet) passes through.

One typed definition serves SafeFunction, FunctionFleet and its members (``**options:
Unpack[...]``), and a test compares it with ``aws_lambda.Function``'s signature, so a new
CDK option is noticed the day the CDK is upgraded.

Options that configure *invocation* rather than the function (:class:`InvocationOptions`)
are applied to the alias, because callers invoke the alias.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, TypedDict

from aws_cdk import Duration, Size
from aws_cdk import aws_codeguruprofiler as codeguruprofiler
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs

__all__ = [
    "DEPRECATED_FUNCTION_OPTIONS",
    "FUNCTION_OPTIONS",
    "INVOCATION_OPTIONS",
    "FunctionOptions",
    "InvocationOptions",
    "SafeFunctionOptions",
    "split_options",
]


class FunctionOptions(TypedDict, total=False):
    """Every ``aws_lambda.Function`` option except code, handler and runtime, same names.

    Each is passed to the function unchanged (``current_version_options`` gets
    ``RemovalPolicy.RETAIN`` unless it names a removal policy: versions are rollback
    targets); ``None`` is the same as leaving an option out. Default: CDK's default.
    """

    adot_instrumentation: lambda_.AdotInstrumentationConfig | None
    allow_all_ipv6_outbound: bool | None
    allow_all_outbound: bool | None
    allow_public_subnet: bool | None
    application_log_level_v2: lambda_.ApplicationLogLevel | None
    architecture: lambda_.Architecture | None
    code_signing_config: lambda_.ICodeSigningConfig | None
    current_version_options: lambda_.VersionOptions | None
    dead_letter_queue: sqs.IQueue | None
    dead_letter_queue_enabled: bool | None
    dead_letter_topic: sns.ITopic | None
    description: str | None
    durable_config: lambda_.DurableConfig | None
    environment: Mapping[str, str] | None
    environment_encryption: kms.IKey | None
    ephemeral_storage_size: Size | None
    filesystem: lambda_.FileSystem | None
    function_name: str | None
    initial_policy: Sequence[iam.PolicyStatement] | None
    insights_version: lambda_.LambdaInsightsVersion | None
    ipv6_allowed_for_dual_stack: bool | None
    layers: Sequence[lambda_.ILayerVersion] | None
    logging_format: lambda_.LoggingFormat | None
    log_group: logs.ILogGroup | None
    memory_size: int | None
    params_and_secrets: lambda_.ParamsAndSecretsLayerVersion | None
    profiling: bool | None
    profiling_group: codeguruprofiler.IProfilingGroup | None
    recursive_loop: lambda_.RecursiveLoop | None
    reserved_concurrent_executions: int | None
    role: iam.IRole | None
    runtime_management_mode: lambda_.RuntimeManagementMode | None
    security_groups: Sequence[ec2.ISecurityGroup] | None
    snap_start: lambda_.SnapStartConf | None
    system_log_level_v2: lambda_.SystemLogLevel | None
    tenancy_config: lambda_.TenancyConfig | None
    timeout: Duration | None
    tracing: lambda_.Tracing | None
    vpc: ec2.IVpc | None
    vpc_subnets: ec2.SubnetSelection | None


class InvocationOptions(TypedDict, total=False):
    """Options of invoking the function, applied to the alias callers invoke.

    ``provisioned_concurrent_executions`` is the alias's provisioned concurrency;
    ``max_event_age``, ``on_failure``, ``on_success`` and ``retry_attempts`` configure
    asynchronous invocation of the alias; ``events`` are event sources of the alias.
    Default: none.
    """

    provisioned_concurrent_executions: int | None
    max_event_age: Duration | None
    on_failure: lambda_.IDestination | None
    on_success: lambda_.IDestination | None
    retry_attempts: int | None
    events: Sequence[lambda_.IEventSource] | None


class SafeFunctionOptions(FunctionOptions, InvocationOptions, total=False):
    """Every option a SafeFunction passes on: to the function, or to its alias."""


#: Names of the options passed to ``aws_lambda.Function``.
FUNCTION_OPTIONS: Final = frozenset(FunctionOptions.__optional_keys__)
#: Names of the options applied to the alias.
INVOCATION_OPTIONS: Final = frozenset(InvocationOptions.__optional_keys__)
#: ``aws_lambda.Function`` options deliberately not offered, and why.
DEPRECATED_FUNCTION_OPTIONS: Final = {
    "application_log_level": "deprecated by CDK: use application_log_level_v2",
    "system_log_level": "deprecated by CDK: use system_log_level_v2",
    "log_format": "deprecated by CDK: use logging_format",
    "log_retention": "deprecated by CDK (a custom resource): pass log_group instead",
    "log_retention_retry_options": "deprecated with log_retention",
    "log_retention_role": "deprecated with log_retention",
    "log_removal_policy": "deprecated by CDK: set the removal policy on your log_group",
}


def split_options(options: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split ``options`` into (function options, invocation options), dropping Nones.

    Sequences and mappings are copied, so later changes by the caller do not leak in.
    """
    function: dict[str, Any] = {}
    invocation: dict[str, Any] = {}
    for name, value in options.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            value = dict(value)
        elif isinstance(value, list | tuple):
            value = list(value)
        (invocation if name in INVOCATION_OPTIONS else function)[name] = value
    return function, invocation
