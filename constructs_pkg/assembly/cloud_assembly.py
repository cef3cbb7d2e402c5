"""Read a synthesized cloud assembly (``cdk.out``): every stack and nested stack template.

Reads files only (no aws_cdk), so tools run in CI without the app's code. The assembly is
input: anything malformed -- a manifest that is not an object, artifacts or properties of
the wrong type, a ``templateFile`` that is missing, not a regular file or too large, a
template whose resources are not objects with a ``Type``, a nested-stack cycle -- raises
:class:`~constructs_pkg.assembly.files.AssemblyError` with one line naming the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from constructs_pkg.assembly.files import AssemblyError, kind, read_json
from constructs_pkg.assembly.nested import nested_templates
from constructs_pkg.assembly.records import Record

__all__ = ["Assembly", "FoundRecord", "check_template", "find_records", "load_assembly"]

_R = TypeVar("_R", bound=Record)


@dataclass(frozen=True)
class Assembly:
    """The stacks of a cloud assembly: display name -> template.

    Nested stacks (a FunctionFleet's members) are named ``<stack>/<logical id>``.
    """

    directory: str
    templates: dict[str, Mapping[str, Any]]


def check_template(template: Any, where: str) -> dict[str, Any]:
    """Return ``template`` if it has the shape every tool relies on, else raise.

    A template is an object; its ``Resources`` (when present) an object of resources, each
    an object with a string ``Type`` and, when present, an object ``Metadata``. Properties
    are not checked here: the rules read them defensively (intrinsics can sit anywhere).

    Raises
    ------
    AssemblyError
        Naming ``where`` and the first problem.
    """
    if not isinstance(template, dict):
        raise AssemblyError(f"{where} is {kind(template)}, not a template object")
    resources = template.get("Resources")
    if resources is None:
        return template
    if not isinstance(resources, dict):
        raise AssemblyError(f"{where}: Resources is {kind(resources)}, not an object")
    for logical_id, body in resources.items():
        if not isinstance(body, dict):
            raise AssemblyError(f"{where}: resource {logical_id} is {kind(body)}, not an object")
        if not isinstance(body.get("Type"), str):
            raise AssemblyError(f"{where}: resource {logical_id} has no Type string")
        metadata = body.get("Metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise AssemblyError(
                f"{where}: Metadata of resource {logical_id} is {kind(metadata)}, not an object"
            )
    return template


def load_assembly(directory: str | Path) -> Assembly:
    """Read ``manifest.json`` of a cloud assembly, every stack template and nested template.

    Raises
    ------
    FileNotFoundError
        ``directory`` has no ``manifest.json``.
    AssemblyError
        The manifest or a template is malformed (see the module docstring).
    """
    root = Path(directory)
    manifest_path = root / "manifest.json"
    if not manifest_path.exists():
        raise FileNotFoundError(f"{root} is not a cloud assembly: no manifest.json (run cdk synth)")
    manifest = read_json(manifest_path, what="manifest")
    if not isinstance(manifest, dict):
        raise AssemblyError(f"{manifest_path} is {kind(manifest)}, not an object")
    artifacts = manifest.get("artifacts")
    if artifacts is None:
        artifacts = {}
    if not isinstance(artifacts, dict):
        raise AssemblyError(f"{manifest_path}: artifacts is {kind(artifacts)}, not an object")
    templates: dict[str, Mapping[str, Any]] = {}
    for name, artifact in sorted(artifacts.items()):
        if not isinstance(artifact, dict):
            raise AssemblyError(f"{manifest_path}: artifact {name} is {kind(artifact)}")
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        properties = artifact.get("properties")
        template_file = properties.get("templateFile") if isinstance(properties, dict) else None
        if not isinstance(template_file, str) or not template_file:
            raise AssemblyError(f"stack artifact {name} in {manifest_path} has no templateFile")
        display = artifact.get("displayName", name)
        if not isinstance(display, str) or not display:
            display = name
        if display in templates:
            raise AssemblyError(f"{manifest_path}: two stacks are named {display}")
        path = root / template_file
        template = check_template(read_json(path, what="template"), f"template {path}")
        templates[display] = template
        for nested_name, nested_path, nested in nested_templates(
            display, template, root, template_path=path
        ):
            templates[nested_name] = check_template(nested, f"nested template {nested_path}")
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
    """Every ``record_type`` record (by its metadata key) in ``templates``, in template order.

    Raises
    ------
    RecordError
        A record does not have the shape this version writes (named by stack, resource
        and field).
    """
    key = record_type.key
    found = []
    for stack, template in templates.items():
        resources = template.get("Resources") if isinstance(template, Mapping) else None
        for logical_id, resource in (resources or {}).items():
            metadata = resource.get("Metadata") if isinstance(resource, Mapping) else None
            data = metadata.get(key) if isinstance(metadata, Mapping) else None
            if data is not None:
                where = f"{stack}/{logical_id} {key}"
                found.append(
                    FoundRecord(stack, logical_id, record_type.from_metadata(data, where=where))
                )
    return found
