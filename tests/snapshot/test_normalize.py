"""The snapshot normalization: stable across handler changes, options do what they say."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import Stack, Tags
from aws_cdk import aws_lambda as lambda_

from constructs_pkg import SafeFunction
from constructs_pkg.testing import SnapshotOptions, cdk_template_extension, normalize_template
from tests.cdk_helpers import TEST_ENV, new_app


def _stack_with_code(tmp_path: Path, body: str) -> Stack:
    (tmp_path / "handler.py").write_text(f"def handler(event, context):\n    {body}\n")
    stack = Stack(new_app(), "S", env=TEST_ENV)
    SafeFunction(
        stack,
        "Fn",
        code=lambda_.Code.from_asset(str(tmp_path)),
        handler="handler.handler",
        runtime=lambda_.Runtime.PYTHON_3_12,
    )
    Tags.of(stack).add("team", "orders")
    return stack


def test_changing_handler_code_does_not_change_the_snapshot(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = normalize_template(_stack_with_code(tmp_path / "a", "return 1"))
    second = normalize_template(_stack_with_code(tmp_path / "b", "return 2"))
    assert first == second


def test_without_normalization_the_code_change_shows(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    raw = SnapshotOptions(ignore_assets=False, ignore_current_version=False)
    first = normalize_template(_stack_with_code(tmp_path / "a", "return 1"), raw)
    second = normalize_template(_stack_with_code(tmp_path / "b", "return 2"), raw)
    assert first != second


def test_options(tmp_path):
    stack = _stack_with_code(tmp_path, "return 1")
    full = normalize_template(stack, SnapshotOptions(ignore_bootstrap=False, ignore_metadata=False))
    assert "BootstrapVersion" in full["Parameters"]
    assert "CheckBootstrapVersion" in full["Rules"]
    assert any("Metadata" in r for r in full["Resources"].values())

    default = normalize_template(stack)
    assert "Parameters" not in default
    assert "Rules" not in default
    assert not any("Metadata" in r for r in default["Resources"].values())
    assert any("Tags" in r.get("Properties", {}) for r in default["Resources"].values())

    no_tags = normalize_template(stack, SnapshotOptions(ignore_tags=True))
    assert not any("Tags" in r.get("Properties", {}) for r in no_tags["Resources"].values())

    aliases = normalize_template(stack, SnapshotOptions(resource_types=("AWS::Lambda::Alias",)))
    assert {r["Type"] for r in aliases["Resources"].values()} == {"AWS::Lambda::Alias"}


def test_version_references_are_renamed_consistently():
    version_id = "FnCurrentVersionA1B2C3D4" + "0123456789abcdef" * 2
    template = {
        "Resources": {
            version_id: {"Type": "AWS::Lambda::Version"},
            "Alias": {
                "Type": "AWS::Lambda::Alias",
                "Properties": {"FunctionVersion": {"Fn::GetAtt": [version_id, "Version"]}},
            },
        }
    }
    normalized = normalize_template(template)
    assert set(normalized["Resources"]) == {"FnCurrentVersionA1B2C3D4[HASH]", "Alias"}
    assert normalized["Resources"]["Alias"]["Properties"]["FunctionVersion"] == {
        "Fn::GetAtt": ["FnCurrentVersionA1B2C3D4[HASH]", "Version"]
    }


def test_custom_extension_carries_its_options():
    ext = cdk_template_extension(ignore_tags=True, resource_types=("AWS::Lambda::Function",))
    assert ext.options == SnapshotOptions(
        ignore_tags=True, resource_types=("AWS::Lambda::Function",)
    )


@pytest.mark.parametrize("key", ["S3Key", "ImageUri"])
def test_asset_hashes_anywhere_are_replaced(key):
    digest = "f" * 64
    normalized = normalize_template(
        {"Resources": {"R": {"Type": "T", "Properties": {key: f"x/{digest}.zip"}}}}
    )
    assert normalized["Resources"]["R"]["Properties"][key] == "x/[ASSET-HASH].zip"
