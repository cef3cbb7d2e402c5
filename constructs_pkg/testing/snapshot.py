"""Normalized CloudFormation snapshots for syrupy.

A snapshot of a synthesized template should change when the infrastructure
changes, not when handler code changes (asset hashes), when a Lambda version is
re-published (the hash suffix CDK adds to version logical ids) or when the CDK is
upgraded (bootstrap version checks, ``aws:cdk:path`` metadata). The options follow
jest-cdk-snapshot.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any

from aws_cdk import Stack
from aws_cdk.assertions import Template
from syrupy.extensions.json import JSONSnapshotExtension

__all__ = [
    "CdkTemplateExtension",
    "SnapshotOptions",
    "cdk_template_extension",
    "normalize_template",
]

_ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")
# CDK names a function's current version "<Id>CurrentVersion<8 hex of the path><32 hex of config>".
_VERSION_ID = re.compile(r"(CurrentVersion[0-9A-F]{8})[0-9a-f]{32}")
ASSET_PLACEHOLDER = "[ASSET-HASH]"
VERSION_PLACEHOLDER = "[HASH]"


@dataclass(frozen=True)
class SnapshotOptions:
    """What :func:`normalize_template` removes or replaces.

    Parameters
    ----------
    ignore_assets
        Replace asset hashes (S3 keys, image tags, asset metadata) with a placeholder.
    ignore_current_version
        Replace the hash suffix of ``AWS::Lambda::Version`` logical ids (and every
        reference to them) with a placeholder.
    ignore_bootstrap
        Drop the ``BootstrapVersion`` parameter and ``CheckBootstrapVersion`` rule.
    ignore_metadata
        Drop resource ``Metadata`` and the ``CDKMetadata`` resource.
    ignore_tags
        Drop ``Tags`` from every resource.
    resource_types
        Keep only resources of these types (``AWS::Lambda::Alias`` ...). Default: all.
    """

    ignore_assets: bool = True
    ignore_current_version: bool = True
    ignore_bootstrap: bool = True
    ignore_metadata: bool = True
    ignore_tags: bool = False
    resource_types: tuple[str, ...] | None = None


def normalize_template(
    template: dict[str, Any] | Template | Stack, options: SnapshotOptions | None = None
) -> dict[str, Any]:
    """Return a copy of ``template`` normalized for snapshots according to ``options``.

    Examples
    --------
    >>> normalize_template({"Resources": {"FnCurrentVersionA1B2C3D4" + "0" * 32: {
    ...     "Type": "AWS::Lambda::Version"}}})
    {'Resources': {'FnCurrentVersionA1B2C3D4[HASH]': {'Type': 'AWS::Lambda::Version'}}}
    """
    options = options or SnapshotOptions()
    source: Any
    if isinstance(template, Stack):
        source = Template.from_stack(template).to_json()
    elif isinstance(template, Template):
        source = template.to_json()
    else:
        source = template
    result: dict[str, Any] = copy.deepcopy(dict(source))
    resources: dict[str, Any] = result.get("Resources", {})

    if options.ignore_metadata:
        resources.pop("CDKMetadata", None)
        result.get("Conditions", {}).pop("CDKMetadataAvailable", None)
        for resource in resources.values():
            resource.pop("Metadata", None)
    if options.ignore_bootstrap:
        result.get("Parameters", {}).pop("BootstrapVersion", None)
        result.get("Rules", {}).pop("CheckBootstrapVersion", None)
    if options.ignore_tags:
        for resource in resources.values():
            resource.get("Properties", {}).pop("Tags", None)
    if options.resource_types is not None:
        wanted = set(options.resource_types)
        result["Resources"] = {k: v for k, v in resources.items() if v.get("Type") in wanted}
    for section in ("Conditions", "Parameters", "Rules"):
        if section in result and not result[section]:
            del result[section]

    text = json.dumps(result, sort_keys=True)
    if options.ignore_assets:
        text = _ASSET_HASH.sub(ASSET_PLACEHOLDER, text)
    if options.ignore_current_version:
        text = _VERSION_ID.sub(lambda m: m.group(1) + VERSION_PLACEHOLDER, text)
    normalized: dict[str, Any] = json.loads(text)
    return normalized


class CdkTemplateExtension(JSONSnapshotExtension):
    """syrupy extension: one JSON file per snapshot, of a normalized CloudFormation template.

    Accepts a ``Stack``, an ``assertions.Template`` or a template ``dict``.
    """

    options = SnapshotOptions()

    def serialize(self, data: Any, **kwargs: Any) -> Any:
        """Normalize CDK input, then serialize as syrupy's JSON extension does."""
        if isinstance(data, Stack | Template) or (isinstance(data, dict) and "Resources" in data):
            data = normalize_template(data, self.options)
        return super().serialize(data, **kwargs)


def cdk_template_extension(
    *,
    ignore_assets: bool = True,
    ignore_current_version: bool = True,
    ignore_bootstrap: bool = True,
    ignore_metadata: bool = True,
    ignore_tags: bool = False,
    resource_types: tuple[str, ...] | None = None,
) -> type[CdkTemplateExtension]:
    """Return a :class:`CdkTemplateExtension` subclass with other :class:`SnapshotOptions`.

    Examples
    --------
    >>> ext = cdk_template_extension(resource_types=("AWS::Lambda::Alias",))
    >>> ext.options.resource_types
    ('AWS::Lambda::Alias',)
    """
    options = SnapshotOptions(
        ignore_assets=ignore_assets,
        ignore_current_version=ignore_current_version,
        ignore_bootstrap=ignore_bootstrap,
        ignore_metadata=ignore_metadata,
        ignore_tags=ignore_tags,
        resource_types=resource_types,
    )
    return type("CustomCdkTemplateExtension", (CdkTemplateExtension,), {"options": options})
