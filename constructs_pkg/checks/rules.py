"""The deployment-safety rules. Each has a stable id, a severity, why it matters and a fix.

Every rule is a function ``(TemplateSet, CheckOptions) -> Iterable[Finding]`` registered
in :data:`RULES`; ``docs/safety-checks.md`` documents each one. Rules read properties only
through :func:`~constructs_pkg.assembly.model.mapping` / ``items`` / ``alternatives``, so
valid CloudFormation with intrinsics in unexpected places (an ``Fn::If`` for a list, a
string where an object is usual) never crashes a synth: an ``Fn::If`` is checked in both
branches, a value that cannot be read is skipped.
"""

from __future__ import annotations

import json
import reprlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from constructs_pkg import defaults, limits
from constructs_pkg.assembly.model import (
    RETAINING_POLICIES,
    STATEFUL_TYPES,
    Resource,
    TemplateSet,
    alternatives,
    items,
    mapping,
)
from constructs_pkg.assembly.records import RELEASE_METADATA_KEY
from constructs_pkg.checks.invoke import invocations

__all__ = [
    "ASYNC_PRINCIPALS",
    "PLUGIN_NAME",
    "RULES",
    "CheckOptions",
    "Finding",
    "Rule",
]

Severity = Literal["error", "warning"]
PLUGIN_NAME = "DeploymentSafety"

#: Principals that invoke Lambda asynchronously (the caller does not see the result).
ASYNC_PRINCIPALS = (
    "sns.amazonaws.com",
    "events.amazonaws.com",
    "s3.amazonaws.com",
    "logs.amazonaws.com",
    "iot.amazonaws.com",
    "ses.amazonaws.com",
)


@dataclass(frozen=True)
class CheckOptions:
    """Account assumptions of the rules.

    Parameters
    ----------
    account_concurrency
        The account's Lambda concurrency limit in the region. Default: 1000.
    min_unreserved
        Concurrency that must stay unreserved for every other function. Default: 100
        (Lambda itself refuses to reserve the last 100).
    """

    account_concurrency: int = 1000
    min_unreserved: int = 100
    #: Which aliased functions ``UnqualifiedInvoke`` looks at: ``"any"``; ``"only"`` those
    #: a SafeFunction releases (the alias guard); ``"skip"`` those (a plugin run, where the
    #: guard every SafeFunction registers reports them).
    released: Literal["any", "only", "skip"] = "any"


@dataclass(frozen=True)
class Finding:
    """One rule violation on one resource."""

    rule_id: str
    severity: Severity
    stack: str
    logical_id: str
    construct_path: str | None
    message: str
    fix: str
    location: str = ""
    template_path: str | None = None

    @property
    def acknowledgment_id(self) -> str:
        """What to pass to ``Validations.of(x).acknowledge(Acknowledgment(id=...))``."""
        return f"{PLUGIN_NAME}::{self.rule_id}"

    def __str__(self) -> str:
        where = self.construct_path or f"{self.stack}/{self.logical_id}"
        return f"[{self.severity}] {self.rule_id} at {where}: {self.message}"


@dataclass(frozen=True)
class Rule:
    """A rule: id, severity, what it prevents, how to fix, and the check itself."""

    id: str
    severity: Severity
    title: str
    why: str
    fix: str
    check: Callable[[TemplateSet, CheckOptions], Iterable[tuple[Resource, str, str]]]

    @property
    def acknowledgment_id(self) -> str:
        """What to pass to ``Validations.of(x).acknowledge(Acknowledgment(id=...))``."""
        return f"{PLUGIN_NAME}::{self.id}"

    def run(self, templates: TemplateSet, options: CheckOptions) -> Iterator[Finding]:
        """Run the check and turn its (resource, message, location) hits into findings."""
        for resource, message, location in self.check(templates, options):
            yield Finding(
                rule_id=self.id,
                severity=self.severity,
                stack=resource.stack,
                logical_id=resource.logical_id,
                construct_path=resource.construct_path,
                message=message,
                fix=self.fix,
                location=location,
                template_path=resource.template_path,
            )


Hit = tuple[Resource, str, str]


# --- helpers -------------------------------------------------------------------------------


def _mapping_source(templates: TemplateSet, esm: Resource) -> tuple[str, Resource | None]:
    """Kind of an event source mapping's source (sqs/kinesis/dynamodb/other) and its resource."""
    arn = esm.properties.get("EventSourceArn")
    source = templates.referenced(esm.stack, arn)
    if source is not None:
        kind = {
            "AWS::SQS::Queue": "sqs",
            "AWS::Kinesis::Stream": "kinesis",
            "AWS::DynamoDB::Table": "dynamodb",
            "AWS::Kinesis::StreamConsumer": "kinesis",
        }.get(source.type, "other")
        return kind, source
    text = " ".join(_strings(arn))
    for service in ("sqs", "kinesis", "dynamodb"):
        if f":{service}:" in text:
            return service, None
    return "other", None


def _strings(value: Any, limit: int = 100) -> list[str]:
    """Return the first ``limit`` strings inside a value (iteratively: any depth)."""
    found: list[str] = []
    stack = [value]
    while stack and len(found) < limit:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, Mapping):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return found


def _show(value: Any) -> str:
    """Show a property value in a message: a string as it is, anything else abbreviated."""
    return value if isinstance(value, str) else reprlib.repr(value)


def _function_of(templates: TemplateSet, stack: str, value: Any) -> Resource | None:
    ref = templates.function_ref(stack, value)
    return None if ref is None else templates.get(stack, ref.function)


def _timeout(function: Resource | None) -> float | None:
    if function is None:
        return None
    return _number(function.properties.get("Timeout"), limits.LAMBDA_DEFAULT_TIMEOUT_SECONDS)


def _number(value: Any, default: float) -> float | None:
    """Read a number property (CloudFormation also takes numeric strings); None if unknown."""
    if value is None:
        return default
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if number == number and abs(number) != float("inf") else None


def _flag(value: Any) -> bool | None:
    """Read a boolean property (CloudFormation also takes "true" / "false"); None: unknown."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _maybe_empty(value: Any) -> bool:
    """Tell whether a branch of a list property is absent or empty (intrinsics are not)."""
    return any(
        branch is None or branch == [] or branch == "" for branch in alternatives(value)
    ) or not alternatives(value)


def _contains(value: Any, wanted: str) -> bool:
    """``wanted`` is one of the values of a list property (through ``Fn::If``: any branch)."""
    return wanted in [item for item in items(value) if isinstance(item, str)]


def _json_object(value: Any) -> Any:
    """Read a JSON-typed property given as an object or as a JSON string."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


# --- rules ---------------------------------------------------------------------------------


def _unqualified_invoke(templates: TemplateSet, options: CheckOptions) -> Iterator[Hit]:
    for invocation in invocations(templates):
        if invocation.qualified:
            continue
        stack = invocation.resource.stack
        aliases = templates.aliases_of(stack, invocation.function)
        if not aliases:
            continue  # a function without an alias has nothing to bypass
        released = [_released_path(alias) for alias in aliases]
        safe = next((path for path in released if path is not None), None)
        if (options.released == "only" and safe is None) or (
            options.released == "skip" and safe is not None
        ):
            continue
        names = ", ".join(_show(a.properties.get("Name")) for a in aliases)
        target = f"SafeFunction {safe}" if safe is not None else invocation.function
        yield (
            invocation.resource,
            f"this {invocation.what} invokes {target} unqualified ($LATEST), bypassing its alias "
            f"{names}: new code reaches it at 100 % the moment the stack updates, with no canary "
            "and no rollback.",
            invocation.location,
        )


def _released_path(alias: Resource) -> str | None:
    """Return the SafeFunction path an alias's release record names, if any."""
    record = mapping(mapping(alias.body.get("Metadata")).get(RELEASE_METADATA_KEY))
    path = record.get("path")
    return path if isinstance(path, str) else None


def _alias_without_group(templates: TemplateSet, _: CheckOptions) -> Iterator[Hit]:
    for alias in templates.resources("AWS::Lambda::Alias"):
        if "CodeDeployLambdaAliasUpdate" not in mapping(alias.body.get("UpdatePolicy")):
            yield (
                alias,
                f"alias {_show(alias.properties.get('Name'))} is switched to each new version "
                "at once by CloudFormation, with no CodeDeploy rollout or rollback.",
                "UpdatePolicy",
            )


def _lambda_groups(templates: TemplateSet) -> Iterator[Resource]:
    for group in templates.resources("AWS::CodeDeploy::DeploymentGroup"):
        application = templates.referenced(group.stack, group.properties.get("ApplicationName"))
        if application is not None and application.properties.get("ComputePlatform") == "Lambda":
            yield group


def _group_without_alarms(templates: TemplateSet, _: CheckOptions) -> Iterator[Hit]:
    for group in _lambda_groups(templates):
        configs = alternatives(group.properties.get("AlarmConfiguration")) or [None]
        if any(
            _maybe_empty(mapping(config).get("Alarms"))
            or _flag(mapping(config).get("Enabled")) is False
            for config in configs
        ):
            yield (
                group,
                "the deployment group has no enabled alarms: a failing new version is shifted "
                "to 100 % of traffic anyway.",
                "Properties.AlarmConfiguration",
            )


def _no_rollback_on_alarm(templates: TemplateSet, _: CheckOptions) -> Iterator[Hit]:
    for group in _lambda_groups(templates):
        configs = alternatives(group.properties.get("AutoRollbackConfiguration")) or [None]
        if any(
            _flag(mapping(config).get("Enabled")) is not True
            or not _contains(mapping(config).get("Events"), "DEPLOYMENT_STOP_ON_ALARM")
            for config in configs
        ):
            yield (
                group,
                "an alarm stops the deployment but does not roll it back: the alias stays "
                "partly on the bad version.",
                "Properties.AutoRollbackConfiguration",
            )


def _sqs_mappings(templates: TemplateSet) -> Iterator[tuple[Resource, Resource | None]]:
    for esm in templates.resources("AWS::Lambda::EventSourceMapping"):
        kind, source = _mapping_source(templates, esm)
        if kind == "sqs":
            yield esm, source


def _visibility(templates: TemplateSet, factor: float) -> Iterator[Hit]:
    for esm, queue in _sqs_mappings(templates):
        if queue is None:
            continue
        timeout = _timeout(_function_of(templates, esm.stack, esm.properties.get("FunctionName")))
        visibility = _number(queue.properties.get("VisibilityTimeout"), 30)
        if timeout is None or visibility is None:
            continue
        if visibility < timeout * factor and (factor == 1 or visibility >= timeout):
            yield (
                queue,
                f"visibility timeout {visibility:g} s is below "
                f"{'the' if factor == 1 else f'{factor:g}x the'} function timeout ({timeout:g} s) "
                f"of the consumer ({esm.logical_id}).",
                "Properties.VisibilityTimeout",
            )


def _visibility_below_timeout(templates: TemplateSet, _: CheckOptions) -> Iterator[Hit]:
    yield from _visibility(templates, 1)


def _visibility_below_six(templates: TemplateSet, _: CheckOptions) -> Iterator[Hit]:
    yield from _visibility(templates, defaults.FIFO_VISIBILITY_TIMEOUT_FACTOR)


def _stream_mappings(templates: TemplateSet) -> Iterator[Resource]:
    for esm in templates.resources("AWS::Lambda::EventSourceMapping"):
        if _mapping_source(templates, esm)[0] in ("kinesis", "dynamodb"):
            yield esm


def _stream_without_destination(templates: TemplateSet, _: CheckOptions) -> Iterator[Hit]:
    for esm in _stream_mappings(templates):
        destinations = [
            mapping(on_failure).get("Destination")
            for config in alternatives(esm.properties.get("DestinationConfig"))
            for on_failure in alternatives(mapping(config).get("OnFailure"))
        ]
        if not destinations or not all(destinations):
            yield (
                esm,
                "records that exhaust their retries are dropped without a trace.",
                "Properties.DestinationConfig.OnFailure",
            )


def _stream_unbounded(templates: TemplateSet, _: CheckOptions) -> Iterator[Hit]:
    for esm in _stream_mappings(templates):
        retries = _number(esm.properties.get("MaximumRetryAttempts"), -1)
        age = _number(esm.properties.get("MaximumRecordAgeInSeconds"), -1)
        if retries == -1 and age == -1:
            yield (
                esm,
                "retries and record age are both unbounded: one poison record blocks its shard "
                "until it expires from the stream.",
                "Properties.MaximumRetryAttempts",
            )


def _queue_without_dlq(templates: TemplateSet, _: CheckOptions) -> Iterator[Hit]:
    for _mapping, queue in _sqs_mappings(templates):
        if queue is not None and not queue.properties.get("RedrivePolicy"):
            yield (
                queue,
                "this queue is consumed by Lambda but has no dead-letter queue: a failing "
                "message is retried until it expires.",
                "Properties.RedrivePolicy",
            )


def _fifo_dlq_not_fifo(templates: TemplateSet, _: CheckOptions) -> Iterator[Hit]:
    for queue in templates.resources("AWS::SQS::Queue"):
        if _flag(queue.properties.get("FifoQueue")) is not True:
            continue
        redrive = mapping(_json_object(queue.properties.get("RedrivePolicy")))
        dlq = templates.referenced(queue.stack, redrive.get("deadLetterTargetArn"))
        if dlq is not None and _flag(dlq.properties.get("FifoQueue")) is not True:
            yield (
                queue,
                f"the FIFO queue's dead-letter queue {dlq.logical_id} is a standard queue "
                "(SQS rejects this at deploy time).",
                "Properties.RedrivePolicy",
            )


def _no_partial_batch(templates: TemplateSet, _: CheckOptions) -> Iterator[Hit]:
    for esm in templates.resources("AWS::Lambda::EventSourceMapping"):
        if _mapping_source(templates, esm)[0] not in ("sqs", "kinesis", "dynamodb"):
            continue
        if not _contains(esm.properties.get("FunctionResponseTypes"), "ReportBatchItemFailures"):
            yield (
                esm,
                "without partial batch responses one failing record makes the whole batch "
                "retry, reprocessing records that succeeded.",
                "Properties.FunctionResponseTypes",
            )


def _stateful_not_retained(templates: TemplateSet, _: CheckOptions) -> Iterator[Hit]:
    for resource in templates.resources(*STATEFUL_TYPES):
        deletion = resource.body.get("DeletionPolicy", "Delete")
        replace = resource.body.get("UpdateReplacePolicy", "Delete")
        if deletion not in RETAINING_POLICIES or replace not in RETAINING_POLICIES:
            yield (
                resource,
                f"DeletionPolicy {_show(deletion)} / UpdateReplacePolicy {_show(replace)}: "
                "deleting the stack or replacing the resource deletes its data.",
                "DeletionPolicy",
            )


def _async_without_destination(templates: TemplateSet, _: CheckOptions) -> Iterator[Hit]:
    invoked: dict[tuple[str, str], str] = {}
    for permission in templates.resources("AWS::Lambda::Permission"):
        principal = permission.properties.get("Principal")
        if isinstance(principal, str) and principal in ASYNC_PRINCIPALS:
            ref = templates.function_ref(
                permission.stack, permission.properties.get("FunctionName")
            )
            if ref is not None:
                invoked.setdefault((permission.stack, ref.function), _show(principal))
    for subscription in templates.resources("AWS::SNS::Subscription"):
        if subscription.properties.get("Protocol") == "lambda":
            ref = templates.function_ref(
                subscription.stack, subscription.properties.get("Endpoint")
            )
            if ref is not None:
                invoked.setdefault((subscription.stack, ref.function), "sns.amazonaws.com")
    destinations = set()
    for config in templates.resources("AWS::Lambda::EventInvokeConfig"):
        on_failure = mapping(mapping(config.properties.get("DestinationConfig")).get("OnFailure"))
        if on_failure.get("Destination"):
            ref = templates.function_ref(config.stack, config.properties.get("FunctionName"))
            if ref is not None:
                destinations.add((config.stack, ref.function))
    for (stack, function_id), principal in invoked.items():
        function = templates.get(stack, function_id)
        if function is None or (stack, function_id) in destinations:
            continue
        if mapping(function.properties.get("DeadLetterConfig")).get("TargetArn"):
            continue
        yield (
            function,
            f"invoked asynchronously by {principal} with no on-failure destination or "
            "dead-letter queue: events that fail every retry are lost.",
            "Properties.DeadLetterConfig",
        )


def _reserved_headroom(templates: TemplateSet, options: CheckOptions) -> Iterator[Hit]:
    reserved = [
        (function, int(value))
        for function in templates.resources("AWS::Lambda::Function")
        if (value := _number(function.properties.get("ReservedConcurrentExecutions"), 0))
        and value >= 1
    ]
    total = sum(value for _, value in reserved)
    left = options.account_concurrency - total
    if reserved and left < options.min_unreserved:
        largest, value = max(reserved, key=lambda item: item[1])
        yield (
            largest,
            f"the app reserves {total} of the account's {options.account_concurrency} concurrent "
            f"executions, leaving {left} (< {options.min_unreserved}) for every other function; "
            f"this function reserves the most ({value}).",
            "Properties.ReservedConcurrentExecutions",
        )


def _rule(
    name: str,
    severity: Severity,
    title: str,
    why: str,
    fix: str,
    check: Callable[[TemplateSet, CheckOptions], Iterable[Hit]],
) -> Rule:
    return Rule(name, severity, title, why, fix, check)


RULES: tuple[Rule, ...] = (
    _rule(
        "UnqualifiedInvoke",
        "error",
        "Unqualified invoke of an aliased function",
        "Anything that invokes the unqualified function (an event source, permission, "
        "subscription, API integration or authorizer, rule, schedule or state-machine target, "
        "function URL, trigger, log subscription, S3 notification, an IAM grant of "
        "lambda:InvokeFunction, another function's environment) runs $LATEST: it skips the "
        "canary and is never rolled back.",
        "Pass the SafeFunction itself (it is an aws_lambda.IFunction whose invocations go to its "
        "alias) or its .alias, not .function; acknowledge a deliberate bypass with a reason.",
        _unqualified_invoke,
    ),
    _rule(
        "AliasWithoutDeploymentGroup",
        "error",
        "Alias without a CodeDeploy deployment group",
        "Without a CodeDeployLambdaAliasUpdate policy CloudFormation moves the alias to the new "
        "version in one step: no canary, no alarms, no rollback.",
        "Release the function with SafeFunction (or attach a LambdaDeploymentGroup).",
        _alias_without_group,
    ),
    _rule(
        "DeploymentGroupWithoutAlarms",
        "error",
        "Deployment group without alarms",
        "CodeDeploy only rolls back on alarms it is given; with none, a canary is just a delay.",
        "Give the group alarms on the new version (SafeFunction's RollbackAlarms does).",
        _group_without_alarms,
    ),
    _rule(
        "NoRollbackOnAlarm",
        "error",
        "Deployment group does not roll back on alarm",
        "Without DEPLOYMENT_STOP_ON_ALARM auto-rollback an alarm leaves the alias half-shifted.",
        "Enable auto-rollback on DEPLOYMENT_STOP_ON_ALARM (SafeFunction does).",
        _no_rollback_on_alarm,
    ),
    _rule(
        "VisibilityBelowTimeout",
        "error",
        "Queue visibility timeout below the function timeout",
        "Lambda rejects such an event source mapping; if it did not, messages would be handed "
        "to a second invocation while the first still runs.",
        "Set the queue's visibility timeout to at least 6x the function timeout.",
        _visibility_below_timeout,
    ),
    _rule(
        "VisibilityBelowSixTimes",
        "warning",
        "Queue visibility timeout below 6x the timeout",
        "AWS recommends 6x so retries and throttled batches do not reappear while in flight.",
        "Set the queue's visibility timeout to 6x the function timeout (FifoOrderedConsumer does).",
        _visibility_below_six,
    ),
    _rule(
        "StreamWithoutFailureDestination",
        "error",
        "Stream source without on-failure destination",
        "Records that exhaust retries or age are dropped silently.",
        "Add an on-failure destination (KinesisOrderedConsumer creates an SQS queue).",
        _stream_without_destination,
    ),
    _rule(
        "StreamUnboundedRetry",
        "error",
        "Stream source with unbounded retry and age",
        "A poison record blocks its shard until it expires (up to a year).",
        "Bound MaximumRetryAttempts or MaximumRecordAgeInSeconds.",
        _stream_unbounded,
    ),
    _rule(
        "QueueWithoutDeadLetterQueue",
        "error",
        "Lambda-consumed queue without dead-letter queue",
        "A failing message is retried until it expires and then disappears.",
        "Give the queue a redrive policy (FifoOrderedConsumer creates a FIFO DLQ).",
        _queue_without_dlq,
    ),
    _rule(
        "FifoDeadLetterNotFifo",
        "error",
        "FIFO queue with a standard dead-letter queue",
        "The dead-letter queue of a FIFO queue must be FIFO; the deploy fails.",
        "Make the dead-letter queue FIFO.",
        _fifo_dlq_not_fifo,
    ),
    _rule(
        "NoPartialBatchResponse",
        "warning",
        "Event source without partial batch responses",
        "One failure retries the whole batch: duplicates, and on ordered sources a stalled key.",
        "Enable ReportBatchItemFailures and use constructs_pkg.runtime.batch in the handler.",
        _no_partial_batch,
    ),
    _rule(
        "StatefulNotRetained",
        "error",
        "Stateful resource deleted with the stack",
        "Queues, streams, tables and buckets hold data that a stack deletion or a replacement "
        "would destroy.",
        "Use RemovalPolicy.RETAIN (the library's default) or acknowledge for throwaway stacks.",
        _stateful_not_retained,
    ),
    _rule(
        "AsyncWithoutFailureDestination",
        "warning",
        "Async-invoked function without failure destination",
        "Lambda retries async events twice and then discards them.",
        "Set on_failure (SafeFunction applies it to the alias) or a dead-letter queue.",
        _async_without_destination,
    ),
    _rule(
        "ReservedConcurrencyHeadroom",
        "error",
        "Reserved concurrency leaves too little unreserved",
        "Functions without reservations share what is left; below 100 they throttle, and "
        "Lambda refuses the reservation.",
        "Lower reservations, raise the account limit (and CheckOptions.account_concurrency).",
        _reserved_headroom,
    ),
)
