"""A read-only model of synthesized CloudFormation templates for the safety rules.

Rules see what CloudFormation will see: resources by logical id, with ``Ref`` and
``Fn::GetAtt`` resolved to the resources they point at, and function references
classified as *unqualified* (``$LATEST``) or *qualified* (an alias or a version).

Valid CloudFormation puts intrinsics almost anywhere: an ``Fn::If`` where a list or an
object is expected, an ``Fn::Join`` with the wrong arity, a property that is a string where
the rules expect an object. The accessors here (:func:`mapping`, :func:`items`,
:func:`alternatives`) never raise on such values; they read what can be read and skip the
rest, so a rule never crashes ``cdk synth``. Everything is linear in the template size
(no recursion: nesting depth is no limit).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "RETAINING_POLICIES",
    "STATEFUL_TYPES",
    "FunctionRef",
    "Resource",
    "TemplateSet",
    "alternatives",
    "direct_refs",
    "items",
    "mapping",
    "qualifier_follows",
]

_EMPTY: Mapping[str, Any] = {}

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
        """The resource's ``Properties`` (empty when absent or not an object)."""
        return mapping(self.body.get("Properties"))

    @property
    def construct_path(self) -> str | None:
        """``aws:cdk:path`` metadata, when the template has it."""
        path = mapping(self.body.get("Metadata")).get("aws:cdk:path")
        return path if isinstance(path, str) else None


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
        self._aliases: dict[tuple[str, str], list[Resource]] | None = None
        for stack, template in self.templates.items():
            for logical_id, body in mapping(mapping(template).get("Resources")).items():
                if isinstance(body, Mapping):
                    self._resources[(stack, str(logical_id))] = Resource(
                        stack, str(logical_id), str(body.get("Type")), body, self.paths.get(stack)
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
        """Every alias of the function ``function`` (indexed once, on first use)."""
        if self._aliases is None:
            self._aliases = {}
            for alias in self.resources("AWS::Lambda::Alias"):
                ref = self.referenced(alias.stack, alias.properties.get("FunctionName"))
                if ref is not None:
                    self._aliases.setdefault((alias.stack, ref.logical_id), []).append(alias)
        return list(self._aliases.get((stack, function), ()))


def mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is an object, else an empty one (an intrinsic list, a string, ...).

    Examples
    --------
    >>> mapping({"a": 1}), mapping("text"), mapping(None)
    ({'a': 1}, {}, {})
    """
    return value if isinstance(value, Mapping) else _EMPTY


def alternatives(value: Any) -> list[Any]:
    """Return the values ``value`` can take: both branches of each ``Fn::If``, else itself.

    ``AWS::NoValue`` branches (``{"Ref": "AWS::NoValue"}``) are left out.

    Examples
    --------
    >>> alternatives({"Fn::If": ["Prod", 1, {"Fn::If": ["Big", 2, 3]}]})
    [1, 2, 3]
    >>> alternatives({"Fn::If": ["Prod", 1, {"Ref": "AWS::NoValue"}]})
    [1]
    """
    found: list[Any] = []
    stack = [value]
    while stack:
        item = stack.pop()
        condition = item.get("Fn::If") if isinstance(item, Mapping) and len(item) == 1 else None
        if isinstance(condition, list) and len(condition) == 3:
            stack.extend(reversed(condition[1:]))
        elif not (isinstance(item, Mapping) and item.get("Ref") == "AWS::NoValue"):
            found.append(item)
    return found


def items(value: Any) -> list[Any]:
    """Return the elements of a list property, through ``Fn::If`` (both branches).

    Examples
    --------
    >>> items([{"Arn": "a"}]), items({"Fn::If": ["C", [1], [2, 3]]}), items("text")
    ([{'Arn': 'a'}], [1, 2, 3], [])
    """
    found: list[Any] = []
    for candidate in alternatives(value):
        if isinstance(candidate, list):
            for element in candidate:
                found.extend(alternatives(element))
    return found


def direct_refs(value: Any) -> Iterator[str]:
    """Logical ids named by Ref / GetAtt anywhere in ``value`` (depth first, in order).

    Examples
    --------
    >>> list(direct_refs({"Fn::Join": ["", [{"Ref": "A"}, ":", {"Fn::GetAtt": ["B", "Arn"]}]]}))
    ['A', 'B']
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            ref = item.get("Ref")
            if isinstance(ref, str):
                yield ref
            elif "Fn::GetAtt" in item:
                attribute = item["Fn::GetAtt"]
                if isinstance(attribute, list) and attribute and isinstance(attribute[0], str):
                    yield attribute[0]
                elif isinstance(attribute, str):
                    yield attribute.split(".")[0]
            else:
                stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def _has_qualifier_suffix(value: Any) -> bool:
    """``Fn::Join`` of a function name/ARN followed by a qualifier (CDK's alias/version form)."""
    join = value.get("Fn::Join") if isinstance(value, Mapping) else None
    if not (isinstance(join, list) and len(join) == 2 and isinstance(join[1], list)):
        return False
    parts = join[1]
    for index, part in enumerate(parts):
        if isinstance(part, Mapping) and (
            "Ref" in part or "Fn::GetAtt" in part or "Fn::Select" in part
        ):
            return qualifier_follows(parts, index)
    return False


def qualifier_follows(parts: list[Any], index: int) -> bool:
    """In a join, after the function at ``index``: ``:<qualifier>``, or ``:`` and an intrinsic.

    CDK writes an alias as ``[<function>, ":live"]`` and a version as ``[<function>, ":",
    {"Fn::GetAtt": [<version>, "Version"]}]``; ``:$LATEST`` and a path (``/invocations``) are
    not qualifiers.

    Examples
    --------
    >>> fn = {"Ref": "Fn"}
    >>> qualifier_follows([fn, ":live"], 0), qualifier_follows([fn, "/invocations"], 0)
    (True, False)
    >>> qualifier_follows([fn, ":", {"Fn::GetAtt": ["V", "Version"]}], 0)
    True
    >>> qualifier_follows([fn, ":$LATEST"], 0), qualifier_follows([fn, ":"], 0)
    (False, False)
    """
    following = parts[index + 1] if index + 1 < len(parts) else None
    if not isinstance(following, str) or not following.startswith(":"):
        return False
    rest = following[1:]
    if rest:
        return not rest.startswith("$LATEST") and not rest.startswith("/")
    after = parts[index + 2] if index + 2 < len(parts) else None
    if isinstance(after, str):
        return bool(after) and not after.startswith("$LATEST")
    return after is not None
