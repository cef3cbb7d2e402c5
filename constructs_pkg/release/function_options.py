"""The ``aws_lambda.Function`` options a SafeFunction (and a FunctionFleet) passes through.

One typed definition serves SafeFunction, FunctionFleet and its members (``**options:
Unpack[...]``), and a test compares it with ``aws_lambda.Function``'s signature, so a new
CDK option is noticed the day the CDK is upgraded.

Options that configure *invocation* rather than the function (:class:`InvocationOptions`)
are applied to the alias, because callers invoke the alias.
"""

from __future__ import annotations

import difflib
import functools
import re
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Final, TypedDict

from aws_cdk import Duration, Size
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codeguruprofiler as codeguruprofiler
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct, IConstruct

from constructs_pkg import limits
from constructs_pkg._validation import (
    check_duration,
    check_name,
    check_number,
    check_type,
    check_when_resolved,
    is_unresolved,
)
from constructs_pkg.errors import ConfigurationError
from constructs_pkg.runtime.env import LAMBDA_RESERVED_ENV

__all__ = [
    "DEPRECATED_FUNCTION_OPTIONS",
    "FUNCTION_OPTIONS",
    "INVOCATION_OPTIONS",
    "MIRRORED_STRUCTS",
    "EventInvokeConfigOptions",
    "EventSourceMappingOptions",
    "FunctionOptions",
    "FunctionUrlOptions",
    "InvocationOptions",
    "MetricOptions",
    "PermissionOptions",
    "SafeFunctionOptions",
    "check_option_names",
    "check_options",
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


#: The annotation of every option, for the type check at the boundary.
OPTION_TYPES: Final = typing.get_type_hints(SafeFunctionOptions)
_ENV_KEY = re.compile(r"[a-zA-Z][a-zA-Z0-9_]+")
_FUNCTION_NAME = re.compile(rf"[A-Za-z0-9_-]{{1,{limits.LAMBDA_MAX_FUNCTION_NAME}}}")


def check_option_names(options: Mapping[str, Any], path: str) -> None:
    """Reject a keyword that is no option (a typo must not be silently dropped)."""
    known = FUNCTION_OPTIONS | INVOCATION_OPTIONS
    for name, value in options.items():
        if name in known:
            continue
        if name in DEPRECATED_FUNCTION_OPTIONS:
            reason = f"{name} is not offered: {DEPRECATED_FUNCTION_OPTIONS[name]}."
        else:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            reason = f"There is no option {name}." + (f" Did you mean {close[0]}?" if close else "")
        raise ConfigurationError(
            name,
            value,
            "an aws_lambda.Function option or an invocation option (see FunctionOptions)",
            path=path,
            reason=reason,
        )


def check_options(options: Mapping[str, Any], *, scope: IConstruct) -> None:
    """Check every option's type, and what Lambda itself allows, before CDK sees it.

    Whatever CDK or Lambda would reject later (a jsii error, a failed deploy) is a
    ConfigurationError here: ranges of memory, timeout, ephemeral storage, concurrency and
    asynchronous invocation; lengths and patterns of names and descriptions; environment
    variable keys, reserved names and the 4 KB total. A token that resolves at synth
    (``Lazy``) gets the same check when it has resolved.
    """
    path = scope.node.path
    for name, value in options.items():
        if value is None:
            continue
        if name not in _RANGED:  # the ranged ones check their type with their range
            check_type(name, value, OPTION_TYPES[name], path=path)
        check_when_resolved(scope, value, functools.partial(_check_value, name, path))


#: Options whose rule checks type and range together (one message that says both).
_RANGED = frozenset(
    {
        "timeout",
        "memory_size",
        "reserved_concurrent_executions",
        "provisioned_concurrent_executions",
        "retry_attempts",
        "max_event_age",
    }
)


def _check_value(name: str, path: str, value: Any) -> None:  # one rule per option
    if name == "timeout":
        check_duration(
            name,
            value,
            minimum_seconds=1,
            maximum_seconds=limits.LAMBDA_MAX_TIMEOUT_SECONDS,
            whole="seconds",
            path=path,
        )
    elif name == "memory_size":
        check_number(
            name,
            value,
            minimum=limits.LAMBDA_MIN_MEMORY_MB,
            maximum=limits.LAMBDA_MAX_MEMORY_MB,
            whole=True,
            path=path,
        )
    elif name in ("reserved_concurrent_executions", "provisioned_concurrent_executions"):
        minimum = 0 if name.startswith("reserved") else 1
        check_number(
            name, value, minimum=minimum, maximum=limits.CFN_MAX_INTEGER, whole=True, path=path
        )
    elif name == "retry_attempts":
        check_number(
            name, value, minimum=0, maximum=limits.LAMBDA_MAX_ASYNC_RETRIES, whole=True, path=path
        )
    elif name == "max_event_age":
        check_duration(
            name,
            value,
            minimum_seconds=limits.LAMBDA_MIN_EVENT_AGE_SECONDS,
            maximum_seconds=limits.LAMBDA_MAX_EVENT_AGE_SECONDS,
            whole="seconds",
            path=path,
        )
    elif name == "ephemeral_storage_size":
        _check_ephemeral(value, path)
    elif name == "description" and not is_unresolved(value):
        if len(value) > limits.LAMBDA_MAX_DESCRIPTION:
            raise ConfigurationError(
                name,
                f"<{len(value)} characters>",
                f"at most {limits.LAMBDA_MAX_DESCRIPTION} characters",
                path=path,
            )
    elif name == "function_name":
        check_name(
            name,
            value,
            _FUNCTION_NAME,
            f"1-{limits.LAMBDA_MAX_FUNCTION_NAME} letters, digits, '-' or '_'",
            path=path,
        )
    elif name == "environment":
        check_environment_variables(name, value, path=path)


def _check_ephemeral(value: Size, path: str) -> None:
    if value.is_unresolved():
        return
    check_number(
        "ephemeral_storage_size (MiB)",
        value.to_mebibytes(),
        minimum=limits.LAMBDA_MIN_EPHEMERAL_MIB,
        maximum=limits.LAMBDA_MAX_EPHEMERAL_MIB,
        whole=True,
        path=path,
    )


def check_environment_variables(
    argument: str, environment: Mapping[str, str], *, path: str
) -> None:
    """Lambda's rules for variables: key pattern, no reserved name, 4 KB in total."""
    size = 0
    for key, value in environment.items():
        check_name(
            f"{argument} key",
            key,
            _ENV_KEY,
            "a letter, then at least one letter, digit or '_' (Lambda's key pattern)",
            path=path,
        )
        if key in LAMBDA_RESERVED_ENV:
            raise ConfigurationError(
                f"{argument} key",
                key,
                "a name the Lambda runtime does not reserve",
                path=path,
                reason=f"Lambda sets {key} itself; a function may not.",
            )
        size += len(key.encode())
        if not is_unresolved(value):
            size += len(value.encode())
    if size > limits.LAMBDA_MAX_ENVIRONMENT_BYTES:
        raise ConfigurationError(
            argument,
            f"<{size} bytes of keys and values>",
            f"at most {limits.LAMBDA_MAX_ENVIRONMENT_BYTES} bytes in total (Lambda's limit)",
            path=path,
            reason="Move large values to SSM Parameter Store or Secrets Manager.",
        )


# --- keyword arguments of the aws_lambda.IFunction methods SafeFunction implements --------------


class MetricOptions(TypedDict, total=False):
    """``aws_cloudwatch.MetricOptions``: what every ``metric*`` method takes."""

    account: str | None
    color: str | None
    dimensions_map: Mapping[str, str] | None
    id: str | None
    label: str | None
    period: Duration | None
    region: str | None
    stack_account: str | None
    stack_region: str | None
    statistic: str | None
    unit: cloudwatch.Unit | None
    visible: bool | None


class EventSourceMappingOptions(TypedDict, total=False):
    """``aws_lambda.EventSourceMappingOptions``: what ``add_event_source_mapping`` takes."""

    batch_size: int | float | None
    bisect_batch_on_error: bool | None
    enabled: bool | None
    event_source_arn: str | None
    filter_encryption: kms.IKey | None
    filters: Sequence[Mapping[str, Any]] | None
    kafka_bootstrap_servers: Sequence[str] | None
    kafka_consumer_group_id: str | None
    kafka_topic: str | None
    log_level: lambda_.EventSourceMappingLogLevel | None
    max_batching_window: Duration | None
    max_concurrency: int | float | None
    max_record_age: Duration | None
    metrics_config: lambda_.MetricsConfig | dict[str, Any] | None
    on_failure: lambda_.IEventSourceDlq | None
    parallelization_factor: int | float | None
    provisioned_poller_config: lambda_.ProvisionedPollerConfig | dict[str, Any] | None
    report_batch_item_failures: bool | None
    retry_attempts: int | float | None
    schema_registry_config: lambda_.ISchemaRegistry | None
    source_access_configurations: (
        Sequence[lambda_.SourceAccessConfiguration | dict[str, Any]] | None
    )
    starting_position: lambda_.StartingPosition | None
    starting_position_timestamp: int | float | None
    support_s3_on_failure_destination: bool | None
    tumbling_window: Duration | None


class PermissionOptions(TypedDict, total=False):
    """``aws_lambda.Permission`` without ``principal``: what ``add_permission`` takes."""

    action: str | None
    event_source_token: str | None
    function_url_auth_type: lambda_.FunctionUrlAuthType | None
    invoked_via_function_url: bool | None
    organization_id: str | None
    scope: Construct | None
    source_account: str | None
    source_arn: str | None


class FunctionUrlOptions(TypedDict, total=False):
    """``aws_lambda.FunctionUrlOptions``: what ``add_function_url`` takes."""

    auth_type: lambda_.FunctionUrlAuthType | None
    cors: lambda_.FunctionUrlCorsOptions | dict[str, Any] | None
    invoke_mode: lambda_.InvokeMode | None


class EventInvokeConfigOptions(TypedDict, total=False):
    """``aws_lambda.EventInvokeConfigOptions``: what ``configure_async_invoke`` takes."""

    max_event_age: Duration | None
    on_failure: lambda_.IDestination | None
    on_success: lambda_.IDestination | None
    retry_attempts: int | float | None


#: Each TypedDict above and the CDK struct it mirrors (a test compares their fields).
MIRRORED_STRUCTS: Final = {
    MetricOptions: cloudwatch.MetricOptions,
    EventSourceMappingOptions: lambda_.EventSourceMappingOptions,
    PermissionOptions: lambda_.Permission,
    FunctionUrlOptions: lambda_.FunctionUrlOptions,
    EventInvokeConfigOptions: lambda_.EventInvokeConfigOptions,
}
