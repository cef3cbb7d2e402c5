"""Find the nested-stack templates of a template in a cloud assembly (``cdk.out``).

CDK lists only top-level stacks in ``manifest.json`` and hands only those to validation
plugins; a nested stack's template is a file asset of its parent. It is found from the
``AWS::CloudFormation::Stack`` resource: its ``aws:asset:path`` metadata (when asset
metadata is on, as in ``cdk synth``) or the asset hash in its ``TemplateURL``, looked up
in the assembly's ``*.assets.json``. Reads files only (no aws_cdk).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

__all__ = ["nested_templates"]

_HASH_JSON = re.compile(r"([0-9a-f]{64})\.json")


def _asset_files(directory: Path) -> dict[str, str]:
    """Asset hash -> file path (relative to the assembly) of every file asset."""
    files: dict[str, str] = {}
    for manifest in directory.glob("*.assets.json"):
        for asset_hash, entry in (json.loads(manifest.read_text()).get("files") or {}).items():
            path = (entry.get("source") or {}).get("path")
            if path:
                files[asset_hash] = path
    return files


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def nested_templates(
    name: str, template: Mapping[str, Any], directory: str | Path
) -> Iterator[tuple[str, Path, dict[str, Any]]]:
    """Yield ``(name/logical id, file, template)`` for every nested stack, depth first."""
    root = Path(directory)
    assets: dict[str, str] | None = None
    for logical_id, resource in sorted((template.get("Resources") or {}).items()):
        if resource.get("Type") != "AWS::CloudFormation::Stack":
            continue
        relative = (resource.get("Metadata") or {}).get("aws:asset:path")
        if not relative:
            if assets is None:
                assets = _asset_files(root)
            url = (resource.get("Properties") or {}).get("TemplateURL")
            hashes = [m.group(1) for s in _strings(url) for m in [_HASH_JSON.search(s)] if m]
            relative = next((assets[h] for h in hashes if h in assets), None)
        if not relative or not (root / relative).is_file():
            continue  # not synthesized by CDK (a TemplateURL of someone else's): nothing to read
        path = root / relative
        nested = json.loads(path.read_text())
        nested_name = f"{name}/{logical_id}"
        yield nested_name, path, nested
        yield from nested_templates(nested_name, nested, root)
