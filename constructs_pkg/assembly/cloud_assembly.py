"""Read a synthesized cloud assembly (``cdk.out``): every stack and nested stack template.

Reads files only (no aws_cdk), so tools run in CI without the app's code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from constructs_pkg.assembly.nested import nested_templates
from constructs_pkg.assembly.records import Record

__all__ = ["Assembly", "FoundRecord", "find_records", "load_assembly"]

_R = TypeVar("_R", bound=Record)


@dataclass(frozen=True)
class Assembly:
    """The stacks of a cloud assembly: display name -> template.

    Nested stacks (a FunctionFleet's members) are named ``<stack>/<logical id>``.
    """

    directory: str
    templates: dict[str, Mapping[str, Any]]


def load_assembly(directory: str | Path) -> Assembly:
    """Read ``manifest.json`` of a cloud assembly, every stack template and nested template."""
    root = Path(directory)
    manifest_path = root / "manifest.json"
    if not manifest_path.is_file():
        raise FileNotFoundError(f"{root} is not a cloud assembly: no manifest.json (run cdk synth)")
    manifest = json.loads(manifest_path.read_text())
    templates: dict[str, Mapping[str, Any]] = {}
    for name, artifact in sorted((manifest.get("artifacts") or {}).items()):
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        template_file = (artifact.get("properties") or {}).get("templateFile")
        if not template_file:
            raise ValueError(f"stack artifact {name} in {manifest_path} has no templateFile")
        display = artifact.get("displayName", name)
        templates[display] = json.loads((root / template_file).read_text())
        for nested_name, _, nested in nested_templates(display, templates[display], root):
            templates[nested_name] = nested
    return Assembly(str(root), templates)


@dataclass(frozen=True)
class FoundRecord(Generic[_R]):
    """A metadata record and the resource that carries it."""

    stack: str
    logical_id: str
    record: _R


def find_records(
    templates: Mapping[str, Mapping[str, Any]], record_type: type[_R]
) -> list[FoundRecord[_R]]:
    """Every ``record_type`` record (by its metadata key) in ``templates``, in template order."""
    key = record_type.key
    found = []
    for stack, template in templates.items():
        for logical_id, resource in (template.get("Resources") or {}).items():
            data = (resource.get("Metadata") or {}).get(key)
            if data is not None:
                where = f"{stack}/{logical_id} {key}"
                found.append(
                    FoundRecord(stack, logical_id, record_type.from_metadata(data, where=where))
                )
    return found
