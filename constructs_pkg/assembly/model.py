"""A read-only model of synthesized CloudFormation templates for the safety rules.

Rules see what CloudFormation will see: resources by logical id, with ``Ref`` and
``Fn::GetAtt`` resolved to the resources they point at, and function references
classified as *unqualified* (``$LATEST``) or *qualified* (an alias or a version).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

#: Resource types that hold data and must survive a stack deletion or replacement.
STATEFUL_TYPES = (
    "AWS::SQS::Queue",
    "AWS::Kinesis::Stream",
    "AWS::DynamoDB::Table",
    "AWS::DynamoDB::GlobalTable",
    "AWS::S3::Bucket",
)
RETAINING_POLICIES = ("Retain", "RetainExceptOnCreate", "Snapshot")


@dataclass(frozen=True)
class Resource:
    """One resource of one template."""

    stack: str
    logical_id: str
    type: str
    body: Mapping[str, Any]
    template_path: str | None = None

    @property
    def properties(self) -> Mapping[str, Any]:
        """The resource's ``Properties`` (empty when absent)."""
        return self.body.get("Properties", {}) or {}

    @property
    def construct_path(self) -> str | None:
        """``aws:cdk:path`` metadata, when the template has it."""
        return (self.body.get("Metadata") or {}).get("aws:cdk:path")


@dataclass(frozen=True)
class FunctionRef:
    """Where a property points at a Lambda function: which one and whether it is qualified."""

    function: str  # logical id of the AWS::Lambda::Function
    qualified: bool  # an alias or a version, not $LATEST


@dataclass
class TemplateSet:
    """Every template of an app (or of one stack), indexed for the rules."""

    templates: dict[str, Mapping[str, Any]]
    paths: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._resources: dict[tuple[str, str], Resource] = {}
        for stack, template in self.templates.items():
            for logical_id, body in (template.get("Resources") or {}).items():
                self._resources[(stack, logical_id)] = Resource(
                    stack, logical_id, str(body.get("Type")), body, self.paths.get(stack)
                )

    def resources(self, *types: str) -> Iterator[Resource]:
        """Every resource, or those of the given types, in template order."""
        for resource in self._resources.values():
            if not types or resource.type in types:
                yield resource

    def get(self, stack: str, logical_id: str) -> Resource | None:
        """Return the resource ``logical_id`` of ``stack``, if it exists."""
        return self._resources.get((stack, logical_id))

    def referenced(self, stack: str, value: Any) -> Resource | None:
        """Return the resource a ``Ref`` / ``Fn::GetAtt`` (possibly inside a join) points at."""
        for logical_id in direct_refs(value):
            found = self.get(stack, logical_id)
            if found is not None:
                return found
        return None

    def function_ref(self, stack: str, value: Any) -> FunctionRef | None:
        """Classify a function name / ARN expression (FunctionName, Endpoint, Uri, ...)."""
        target = self.referenced(stack, value)
        if target is None:
            return None
        if target.type in ("AWS::Lambda::Alias", "AWS::Lambda::Version"):
            function = self.referenced(stack, target.properties.get("FunctionName"))
            return None if function is None else FunctionRef(function.logical_id, True)
        if target.type != "AWS::Lambda::Function":
            return None
        return FunctionRef(target.logical_id, _has_qualifier_suffix(value))

    def aliases_of(self, stack: str, function: str) -> list[Resource]:
        """Every alias of the function ``function``."""
        return [
            alias
            for alias in self.resources("AWS::Lambda::Alias")
            if alias.stack == stack
            and (ref := self.referenced(stack, alias.properties.get("FunctionName"))) is not None
            and ref.logical_id == function
        ]


def direct_refs(value: Any) -> Iterator[str]:
    """Logical ids named by Ref / GetAtt anywhere in ``value`` (depth first, in order)."""
    if isinstance(value, Mapping):
        if "Ref" in value and isinstance(value["Ref"], str):
            yield value["Ref"]
        elif "Fn::GetAtt" in value:
            attribute = value["Fn::GetAtt"]
            if isinstance(attribute, list) and attribute:
                yield str(attribute[0])
            elif isinstance(attribute, str):
                yield attribute.split(".")[0]
        else:
            for item in value.values():
                yield from direct_refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from direct_refs(item)


def _has_qualifier_suffix(value: Any) -> bool:
    """``Fn::Join`` of a function name/ARN followed by ``:<qualifier>`` (CDK's alias form)."""
    if not (isinstance(value, Mapping) and "Fn::Join" in value):
        return False
    _, parts = value["Fn::Join"]
    for index, part in enumerate(parts):
        if isinstance(part, Mapping) and (
            "Ref" in part or "Fn::GetAtt" in part or "Fn::Select" in part
        ):
            following = parts[index + 1] if index + 1 < len(parts) else None
            if isinstance(following, str) and following.startswith(":") and len(following) > 1:
                return not following.startswith(":$LATEST")
    return False
