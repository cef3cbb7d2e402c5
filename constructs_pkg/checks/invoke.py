"""What invokes a Lambda function, read from templates: the eyes of the ``UnqualifiedInvoke`` rule.

Every place a template can make something *call* a function -- an event source mapping, a
permission, a subscription, an API integration or authorizer, a rule, schedule or state
machine target, a function URL, a Cognito trigger, a log subscription, an S3 notification,
an IAM policy granting ``lambda:InvokeFunction``, another function's environment -- and
whether it names the function *qualified* (an alias or a version) or not (``$LATEST``).
A reference inside ``Fn::Join`` is qualified when the next part is ``:<qualifier>``
(CDK's form for an alias or a version); inside ``Fn::Sub`` when ``${X.Arn}`` is followed by
``:``. Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from constructs_pkg.assembly.model import (
    Resource,
    TemplateSet,
    alternatives,
    items,
    mapping,
    qualifier_follows,
)

__all__ = ["INVOKE_PATHS", "Invocation", "function_refs", "invocations"]

#: (resource type, property path, what it is); ``*`` is every item of a list or mapping.
INVOKE_PATHS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("AWS::Lambda::EventSourceMapping", ("FunctionName",), "event source mapping"),
    ("AWS::Lambda::Permission", ("FunctionName",), "invoke permission"),
    ("AWS::SNS::Subscription", ("Endpoint",), "SNS subscription"),
    ("AWS::ApiGateway::Method", ("Integration", "Uri"), "API Gateway integration"),
    ("AWS::ApiGatewayV2::Integration", ("IntegrationUri",), "API Gateway integration"),
    ("AWS::ApiGateway::Authorizer", ("AuthorizerUri",), "API Gateway authorizer"),
    ("AWS::ApiGatewayV2::Authorizer", ("AuthorizerUri",), "API Gateway authorizer"),
    ("AWS::Events::Rule", ("Targets", "*", "Arn"), "EventBridge rule target"),
    ("AWS::Scheduler::Schedule", ("Target", "Arn"), "EventBridge Scheduler target"),
    ("AWS::StepFunctions::StateMachine", ("DefinitionString",), "Step Functions task"),
    ("AWS::StepFunctions::StateMachine", ("Definition",), "Step Functions task"),
    ("AWS::Cognito::UserPool", ("LambdaConfig", "*"), "Cognito trigger"),
    ("AWS::Logs::SubscriptionFilter", ("DestinationArn",), "CloudWatch Logs subscription"),
    (
        "Custom::S3BucketNotifications",
        ("NotificationConfiguration", "LambdaFunctionConfigurations", "*", "LambdaFunctionArn"),
        "S3 notification",
    ),
    (
        "AWS::S3::Bucket",
        ("NotificationConfiguration", "LambdaConfigurations", "*", "Function"),
        "S3 notification",
    ),
    ("AWS::Lambda::Function", ("Environment", "Variables", "*"), "function environment"),
)

#: IAM actions that allow invoking a function.
_INVOKE_ACTIONS = re.compile(r"\*|lambda:\*|lambda:Invoke\*?|lambda:InvokeFunction\*?", re.I)
_SUB_REFERENCE = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.Arn)?\}(:[^/\"\s]+)?")


@dataclass(frozen=True)
class Invocation:
    """A place that invokes function ``function`` (a logical id), qualified or not."""

    resource: Resource
    location: str
    what: str
    function: str
    qualified: bool


def invocations(templates: TemplateSet) -> Iterator[Invocation]:
    """Every place in ``templates`` that invokes a function of the same template."""
    for resource_type, path, what in INVOKE_PATHS:
        for resource in templates.resources(resource_type):
            for location, value in _at(resource.properties, path, "Properties"):
                for function, qualified in function_refs(templates, resource.stack, value):
                    if resource.type == "AWS::Lambda::Function" and function == resource.logical_id:
                        continue  # a function naming itself invokes nothing
                    yield Invocation(resource, location, what, function, qualified)
    yield from _function_urls(templates)
    yield from _policies(templates)


def function_refs(templates: TemplateSet, stack: str, value: Any) -> Iterator[tuple[str, bool]]:
    """Yield ``(function logical id, qualified)`` for every function ``value`` refers to.

    Walks any depth without recursion (a template is input: it may nest deeply).
    """
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(reversed(item))
            continue
        if not isinstance(item, Mapping):
            continue
        target = _target(item)
        if target is not None:
            yield from _classify(templates, stack, target, qualified=False)
            continue
        join = item.get("Fn::Join")
        if isinstance(join, list) and len(join) == 2 and isinstance(join[1], list):
            parts = join[1]
            for index, part in enumerate(parts):
                if (target := _target(part)) is not None:
                    qualified = qualifier_follows(parts, index)
                    yield from _classify(templates, stack, target, qualified=qualified)
                else:
                    pending.append(part)
            continue
        sub = item.get("Fn::Sub")
        if isinstance(sub, str | list):
            text = sub if isinstance(sub, str) else sub[0] if sub else ""
            for match in _SUB_REFERENCE.finditer(str(text)):
                qualifier = match.group(2)
                qualified = qualifier is not None and not qualifier.startswith(":$LATEST")
                yield from _classify(templates, stack, match.group(1), qualified=qualified)
            if isinstance(sub, list) and len(sub) > 1:
                pending.append(sub[1])
            continue
        pending.extend(item.values())  # Fn::If (both branches), Fn::Select, nested objects


def _target(value: Any) -> str | None:
    """Return the logical id a ``Ref`` / ``Fn::GetAtt [X, Arn]`` names, else None."""
    if not isinstance(value, Mapping):
        return None
    ref = value.get("Ref")
    if isinstance(ref, str):
        return ref
    attribute = value.get("Fn::GetAtt")
    if isinstance(attribute, list) and len(attribute) == 2 and attribute[1] == "Arn":
        return str(attribute[0])
    if isinstance(attribute, str) and attribute.endswith(".Arn"):
        return attribute[: -len(".Arn")]
    return None


def _classify(
    templates: TemplateSet, stack: str, logical_id: str, *, qualified: bool
) -> Iterator[tuple[str, bool]]:
    resource = templates.get(stack, logical_id)
    if resource is None:
        return
    if resource.type == "AWS::Lambda::Function":
        yield logical_id, qualified
    elif resource.type in ("AWS::Lambda::Alias", "AWS::Lambda::Version"):
        function = templates.referenced(stack, resource.properties.get("FunctionName"))
        if function is not None and function.type == "AWS::Lambda::Function":
            yield function.logical_id, True


def _at(value: Any, path: tuple[str, ...], where: str) -> Iterator[tuple[str, Any]]:
    """Every ``(location, value)`` at ``path`` below ``value`` (``*``: every item)."""
    if not path:
        yield where, value
        return
    head, rest = path[0], path[1:]
    for candidate in alternatives(value):  # both branches of an Fn::If
        if head == "*":
            if isinstance(candidate, Mapping):
                for key, item in candidate.items():
                    yield from _at(item, rest, f"{where}.{key}")
            else:
                for index, item in enumerate(items(candidate)):
                    yield from _at(item, rest, f"{where}.{index}")
        else:
            yield from _at(mapping(candidate).get(head), rest, f"{where}.{head}")


def _function_urls(templates: TemplateSet) -> Iterator[Invocation]:
    for url in templates.resources("AWS::Lambda::Url"):
        qualifier = url.properties.get("Qualifier")
        qualified = qualifier is not None and qualifier != "$LATEST"
        for function, by_arn in function_refs(
            templates, url.stack, url.properties.get("TargetFunctionArn")
        ):
            yield Invocation(
                url, "Properties.TargetFunctionArn", "function URL", function, qualified or by_arn
            )


def _policies(templates: TemplateSet) -> Iterator[Invocation]:
    """Statements that allow ``lambda:InvokeFunction`` on a function."""
    documents: list[tuple[Resource, str, Any]] = []
    for policy in templates.resources("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        documents.append(
            (policy, "Properties.PolicyDocument", policy.properties.get("PolicyDocument"))
        )
    for role in templates.resources("AWS::IAM::Role"):
        for index, inline in enumerate(items(role.properties.get("Policies"))):
            documents.append(
                (
                    role,
                    f"Properties.Policies.{index}.PolicyDocument",
                    mapping(inline).get("PolicyDocument"),
                )
            )
    for resource, where, document in documents:
        for index, statement in enumerate(items(mapping(document).get("Statement"))):
            statement = mapping(statement)
            if statement.get("Effect", "Allow") != "Allow":
                continue
            raw = statement.get("Action")
            actions = (
                [raw] if isinstance(raw, str) else [a for a in items(raw) if isinstance(a, str)]
            )
            if not any(_INVOKE_ACTIONS.fullmatch(action) for action in actions):
                continue
            for function, qualified in function_refs(
                templates, resource.stack, statement.get("Resource")
            ):
                yield Invocation(
                    resource,
                    f"{where}.Statement.{index}.Resource",
                    "IAM policy allowing lambda:InvokeFunction",
                    function,
                    qualified,
                )
