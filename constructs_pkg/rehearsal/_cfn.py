"""Resolve CloudFormation expressions of a synthesized assembly to comparable strings.

The rehearsal must decide, without deploying, whether an alarm's ``FunctionName`` dimension
*is* the function under release, or whether a deployment group's ``{"Name": ...}`` *is* a
given alarm. Values known only at deploy time are replaced by canonical placeholders:

* ``Ref`` of a resource -> ``${Ref:<stack>:<logical id>}``, or the resource's literal
  physical name when the template sets one (``FunctionName``, ``AlarmName``,
  ``DeploymentGroupName``, ``DeploymentConfigName``);
* ``Fn::GetAtt`` -> ``${GetAtt:<stack>:<logical id>.<attribute>}``;
* ``Ref`` of a nested stack's parameter -> what the parent stack passes for it;
* pseudo parameters -> ``${AWS::Region}`` and so on.

``Fn::Join``, ``Fn::Sub`` and ``Fn::Select`` of a literal list are evaluated. Anything else
(``Fn::ImportValue``, ``Fn::If``, ``Fn::Split`` of a token, a top-level parameter) cannot be
known from the template: :meth:`Resolver.string` returns None and the caller reports it.
Standard library only.

Examples
--------
>>> templates = {"S": {"Resources": {"Fn": {"Type": "AWS::Lambda::Function"}}}}
>>> resolver = Resolver(templates)
>>> resolver.string("S", {"Fn::Join": ["", [{"Ref": "Fn"}, ":live"]]})
'${Ref:S:Fn}:live'
>>> resolver.resource(resolver.string("S", {"Ref": "Fn"})).logical_id
'Fn'
>>> resolver.string("S", {"Fn::ImportValue": "shared-name"}) is None
True
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from constructs_pkg.assembly import Resource, TemplateSet

__all__ = ["NAME_PROPERTIES", "Resolver", "show"]

#: Resource type -> the property that sets its physical name (what ``Ref`` returns).
NAME_PROPERTIES: dict[str, str] = {
    "AWS::Lambda::Function": "FunctionName",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::CloudWatch::CompositeAlarm": "AlarmName",
    "AWS::CodeDeploy::DeploymentGroup": "DeploymentGroupName",
    "AWS::CodeDeploy::DeploymentConfig": "DeploymentConfigName",
    "AWS::CodeDeploy::Application": "ApplicationName",
}

_TOKEN = re.compile(r"\$\{(Ref|GetAtt):([^:}]+):([^}.]+)(?:\.([^}]+))?\}")
_SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")
_MAX_DEPTH = 20


def show(text: str) -> str:
    """Shorten placeholders for people: ``${Ref:S:Fn}`` -> ``Ref(Fn)``.

    Examples
    --------
    >>> show("${Ref:S:Fn}:${GetAtt:S:V.Version}")
    'Ref(Fn):GetAtt(V.Version)'
    """
    return _TOKEN.sub(
        lambda m: f"{m.group(1)}({m.group(3)}{'.' + m.group(4) if m.group(4) else ''})", text
    )


class Resolver:
    """Resolve expressions of every template of an assembly (nested stacks included).

    Parameters
    ----------
    templates
        Stack display name -> template, as :func:`constructs_pkg.assembly.load_assembly`
        returns them; a nested stack is named ``<parent>/<logical id of its stack resource>``.
    """

    def __init__(self, templates: Mapping[str, Mapping[str, Any]]) -> None:
        self.templates = dict(templates)
        self.resources = TemplateSet(self.templates)

    def string(self, stack: str, value: Any, *, _depth: int = 0) -> str | None:
        """Return ``value`` as a string with placeholders, or None when it cannot be known."""
        if _depth > _MAX_DEPTH:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return value
        if isinstance(value, int | float):
            return str(value) if not float(value).is_integer() else str(int(value))
        if not isinstance(value, Mapping) or len(value) != 1:
            return None
        ((function, argument),) = value.items()
        if function == "Ref":
            return self._ref(stack, argument, _depth)
        if function == "Fn::GetAtt":
            return self._get_att(stack, argument)
        if function == "Fn::Join":
            return self._join(stack, argument, _depth)
        if function == "Fn::Sub":
            return self._sub(stack, argument, _depth)
        if function == "Fn::Select":
            return self._select(stack, argument, _depth)
        return None  # Fn::ImportValue, Fn::If, Fn::Split, Fn::FindInMap, ...

    def resource(self, token: str | None) -> Resource | None:
        """Return the resource a whole ``${Ref:...}`` / ``${GetAtt:...}`` placeholder names."""
        if token is None:
            return None
        match = _TOKEN.fullmatch(token)
        if match is None:
            return None
        return self.resources.get(match.group(2), match.group(3))

    def physical_name(self, resource: Resource) -> str:
        """Return what ``Ref`` of ``resource`` resolves to: its literal name, else a placeholder."""
        prop = NAME_PROPERTIES.get(resource.type)
        if prop is not None:
            literal = resource.properties.get(prop)
            if isinstance(literal, str):
                return literal
        return f"${{Ref:{resource.stack}:{resource.logical_id}}}"

    # --- intrinsic functions --------------------------------------------------------------

    def _ref(self, stack: str, name: Any, depth: int) -> str | None:
        if not isinstance(name, str):
            return None
        if name.startswith("AWS::"):
            return f"${{{name}}}"
        found = self.resources.get(stack, name)
        if found is not None:
            return self.physical_name(found)
        parameters = (self.templates.get(stack) or {}).get("Parameters") or {}
        if name in parameters:
            return self._parameter(stack, name, depth)
        return None

    def _parameter(self, stack: str, name: str, depth: int) -> str | None:
        """Resolve a nested stack's parameter to what its parent passes (top-level: unknown)."""
        parent, _, stack_resource = stack.rpartition("/")
        if not parent:
            return None
        holder = self.resources.get(parent, stack_resource)
        if holder is None:
            return None
        passed = (holder.properties.get("Parameters") or {}).get(name)
        if passed is None:
            return None
        return self.string(parent, passed, _depth=depth + 1)

    def _get_att(self, stack: str, argument: Any) -> str | None:
        if isinstance(argument, str):
            logical_id, _, attribute = argument.partition(".")
        elif isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], str):
            logical_id, attribute = str(argument[0]), argument[1]
        else:
            return None
        if self.resources.get(stack, logical_id) is None or not attribute:
            return None
        return f"${{GetAtt:{stack}:{logical_id}.{attribute}}}"

    def _join(self, stack: str, argument: Any, depth: int) -> str | None:
        if not (isinstance(argument, list) and len(argument) == 2):
            return None
        delimiter, parts = argument
        if not isinstance(delimiter, str) or not isinstance(parts, list):
            return None
        resolved = [self.string(stack, part, _depth=depth + 1) for part in parts]
        if any(part is None for part in resolved):
            return None
        return delimiter.join(part for part in resolved if part is not None)

    def _sub(self, stack: str, argument: Any, depth: int) -> str | None:
        if isinstance(argument, str):
            text, variables = argument, {}
        elif isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str):
            text, variables = argument[0], argument[1] if isinstance(argument[1], dict) else {}
        else:
            return None
        failed = False

        def substitute(match: re.Match[str]) -> str:
            nonlocal failed
            name = match.group(1)
            if name in variables:
                value = self.string(stack, variables[name], _depth=depth + 1)
            elif "." in name:
                value = self._get_att(stack, name)
            else:
                value = self._ref(stack, name, depth + 1)
            if value is None:
                failed = True
                return ""
            return value

        result = _SUB_VARIABLE.sub(substitute, text).replace("${!", "${")
        return None if failed else result

    def _select(self, stack: str, argument: Any, depth: int) -> str | None:
        if not (isinstance(argument, list) and len(argument) == 2):
            return None
        index, items = argument
        position = self.string(stack, index, _depth=depth + 1)
        if position is None or not position.isdigit() or not isinstance(items, list):
            return None
        if int(position) >= len(items):
            return None
        return self.string(stack, items[int(position)], _depth=depth + 1)
