"""Find the nested-stack templates of a template in a cloud assembly (``cdk.out``).

CDK lists only top-level stacks in ``manifest.json`` and hands only those to validation
plugins; a nested stack's template is a file asset of its parent. It is found from the
``AWS::CloudFormation::Stack`` resource: its ``aws:asset:path`` metadata (when asset
metadata is on, as in ``cdk synth``) or the asset hash in its ``TemplateURL``, looked up
in the assembly's ``*.assets.json``. Reads files only (no aws_cdk).

The files are input: a nested stack whose template is one of its own ancestors is an
:class:`~constructs_pkg.assembly.files.AssemblyError` (not an endless recursion), and so is
an assembly with more than :data:`MAX_NESTED_STACKS` nested stacks. Two nested stacks
with the same template (the same asset) are both read, from one parse of the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

from constructs_pkg.assembly.files import AssemblyError, kind, read_json

__all__ = ["MAX_NESTED_STACKS", "nested_templates"]

#: More nested stacks than any deployable app has (CloudFormation: 2000 stacks per region).
MAX_NESTED_STACKS: Final = 5000

_HASH_JSON = re.compile(r"([0-9a-f]{64})\.json")


def _asset_files(directory: Path) -> dict[str, str]:
    """Asset hash -> file path (relative to the assembly) of every file asset."""
    files: dict[str, str] = {}
    for manifest in sorted(directory.glob("*.assets.json")):
        data = read_json(manifest, what="asset manifest")
        entries = data.get("files") if isinstance(data, Mapping) else None
        if not isinstance(entries, Mapping):
            continue
        for asset_hash, entry in entries.items():
            source = entry.get("source") if isinstance(entry, Mapping) else None
            path = source.get("path") if isinstance(source, Mapping) else None
            if isinstance(path, str) and path:
                files[str(asset_hash)] = path
    return files


def _strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value (iteratively: depth is no limit)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


class _Reader:
    """One walk over an assembly's nested stacks: shared parses, cycle and size checks."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.assets: dict[str, str] | None = None
        self.parsed: dict[Path, Any] = {}
        self.count = 0

    def template_file(self, resource: Mapping[str, Any]) -> Path | None:
        metadata = resource.get("Metadata")
        relative = metadata.get("aws:asset:path") if isinstance(metadata, Mapping) else None
        if not isinstance(relative, str) or not relative:
            if self.assets is None:
                self.assets = _asset_files(self.root)
            properties = resource.get("Properties")
            url = properties.get("TemplateURL") if isinstance(properties, Mapping) else None
            hashes = [m.group(1) for s in _strings(url) for m in [_HASH_JSON.search(s)] if m]
            relative = next((self.assets[h] for h in hashes if h in self.assets), None)
        if not relative:
            return None
        path = self.root / relative
        # Not synthesized by CDK (a TemplateURL of someone else's): nothing to read.
        return path if path.exists() else None

    def read(self, path: Path) -> Any:
        key = path.resolve()
        if key not in self.parsed:
            self.parsed[key] = read_json(path, what="nested template")
        return self.parsed[key]

    def walk(
        self, name: str, template: Mapping[str, Any], chain: tuple[Path, ...]
    ) -> Iterator[tuple[str, Path, dict[str, Any]]]:
        resources = template.get("Resources") if isinstance(template, Mapping) else None
        if not isinstance(resources, Mapping):
            return
        for logical_id, resource in sorted(resources.items()):
            if not isinstance(resource, Mapping) or resource.get("Type") != (
                "AWS::CloudFormation::Stack"
            ):
                continue
            path = self.template_file(resource)
            if path is None:
                continue
            nested_name = f"{name}/{logical_id}"
            key = path.resolve()
            if key in chain:
                raise AssemblyError(
                    f"nested stack {nested_name} uses template {path}, which is one of its own "
                    "parents: the stacks would nest forever"
                )
            self.count += 1
            if self.count > MAX_NESTED_STACKS:
                raise AssemblyError(
                    f"more than {MAX_NESTED_STACKS} nested stacks under {name.split('/')[0]}"
                )
            nested = self.read(path)
            if not isinstance(nested, dict):
                raise AssemblyError(
                    f"nested template {path} of {nested_name} is {kind(nested)}, not an object"
                )
            yield nested_name, path, nested
            yield from self.walk(nested_name, nested, (*chain, key))


def nested_templates(
    name: str,
    template: Mapping[str, Any],
    directory: str | Path,
    *,
    template_path: str | Path | None = None,
) -> Iterator[tuple[str, Path, dict[str, Any]]]:
    """Yield ``(name/logical id, file, template)`` for every nested stack, depth first.

    ``template_path`` is the file ``template`` was read from (so a nested stack pointing
    back at it is recognised as a cycle).

    Raises
    ------
    AssemblyError
        A nested template cannot be read, is not an object, is one of its own parents, or
        there are more than :data:`MAX_NESTED_STACKS`.
    """
    root = Path(directory)
    chain = (Path(template_path).resolve(),) if template_path is not None else ()
    yield from _Reader(root).walk(name, template, chain)
