"""The README's quickstart, a project of its own: its app synthesizes with the safety checks
registered, and its tests (docs/testing.md's example) pass as written, with no conftest.

``make wheel-test`` runs the same files outside the repository against the built wheel.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from types import ModuleType

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template

from constructs_pkg import SafeFunction
from tests.cdk_helpers import ROOT, new_app

QUICKSTART = ROOT / "docs" / "examples" / "quickstart"
FILES = ("app.py", "cdk.json", "test_app.py", "handler/orders.py")


def _load(path: Path, name: str) -> ModuleType:
    """Import a file of the quickstart without putting its folder on sys.path."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def quickstart_app() -> ModuleType:
    return _load(QUICKSTART / "app.py", "quickstart_app")


@pytest.fixture(scope="module")
def stack(quickstart_app) -> Stack:
    built: Stack = quickstart_app.build(new_app())
    return built


def test_cdk_json_runs_the_app():
    assert json.loads((QUICKSTART / "cdk.json").read_text()) == {"app": "python app.py"}


def test_app_releases_its_own_handler_by_canary_with_a_bake(stack):
    tpl = Template.from_stack(stack)
    tpl.has_resource_properties(
        "AWS::Lambda::Function", {"Handler": "orders.handler", "Runtime": "python3.12"}
    )
    tpl.has_resource_properties("AWS::Lambda::Alias", {"Name": "live"})
    tpl.has_resource_properties(
        "AWS::CodeDeploy::DeploymentGroup",
        {"DeploymentConfigName": "CodeDeployDefault.LambdaCanary10Percent10Minutes"},
    )
    # Error rate above 2 % (4+ errors in 2 minutes), p99 above half the 10-second timeout.
    tpl.resource_count_is("AWS::CloudWatch::Alarm", 2)
    tpl.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Threshold": 2,
            "Metrics": Match.array_with(
                [
                    Match.object_like(
                        {"Expression": "IF(errors >= 4, 100 * errors / invocations, 0)"}
                    )
                ]
            ),
        },
    )
    tpl.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Threshold": 5000,
            "Metrics": Match.array_with(
                [Match.object_like({"Expression": "IF(invocations >= 300, p99, 0)"})]
            ),
        },
    )
    # The 8-minute bake runs in the AfterAllowTraffic hook.
    bake_hooks = tpl.find_resources(
        "AWS::Lambda::Function",
        {
            "Properties": {
                "Handler": "constructs_pkg.runtime.bake_hook.handler",
                "Environment": {"Variables": {"BAKE_SECONDS": "480"}},
            }
        },
    )
    assert len(bake_hooks) == 1
    tpl.has_resource(
        "AWS::Lambda::Alias",
        {
            "UpdatePolicy": {
                "CodeDeployLambdaAliasUpdate": Match.object_like(
                    {"AfterAllowTrafficHook": {"Ref": next(iter(bake_hooks))}}
                )
            }
        },
    )
    # The caller may invoke the alias, not the function.
    alias_id = next(iter(tpl.find_resources("AWS::Lambda::Alias")))
    tpl.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Action": "lambda:InvokeFunction", "Resource": {"Ref": alias_id}}
                        )
                    ]
                )
            }
        },
    )


def test_asset_is_the_handler_folder_without_pycache(quickstart_app, stack):
    assert quickstart_app.HANDLER_DIR == QUICKSTART / "handler"
    asset_dirs = [
        path
        for path in Path(stack.node.root.outdir).glob("asset.*")
        if (path / "orders.py").is_file()
    ]
    assert asset_dirs
    assert all(not (path / "__pycache__").exists() for path in asset_dirs)


def test_main_registers_the_safety_checks(quickstart_app, monkeypatch):
    """An alias bypass added to the app fails main()'s synth, as the README says."""
    original = quickstart_app.build

    def build_with_bypass(app: App) -> Stack:
        stack: Stack = original(app)
        orders = next(c for c in stack.node.find_all() if isinstance(c, SafeFunction))
        # SNS invoking the function itself runs $LATEST, around the canary.
        orders.function.add_permission(
            "Bypass", principal=iam.ServicePrincipal("sns.amazonaws.com")
        )
        return stack

    monkeypatch.setattr(quickstart_app, "build", build_with_bypass)
    # The repository's feature flags, and no built-in CloudFormation validation (seconds).
    monkeypatch.setattr(quickstart_app, "App", new_app)
    with pytest.raises(RuntimeError, match=r"ValidationFailed: ERROR Unqualified invoke") as failed:
        quickstart_app.main()
    assert "OrdersService/Orders/Resource/Bypass" in str(failed.value)
    assert "Acknowledge with 'DeploymentSafety::UnqualifiedInvoke'" in str(failed.value)


def test_docs_testing_example_passes_as_written(pytester):
    for name in FILES:
        target = pytester.path / name
        target.parent.mkdir(exist_ok=True)
        shutil.copyfile(QUICKSTART / name, target)
    # First run: no snapshot yet, --snapshot-update writes it (docs/testing.md).
    first = pytester.runpytest("-p", "no:cacheprovider", "--snapshot-update")
    first.assert_outcomes(passed=4)
    snapshot = pytester.path / "__snapshots__" / "test_app" / "test_template_matches_snapshot.json"
    template = json.loads(snapshot.read_text())
    assert "AWS::CodeDeploy::DeploymentGroup" in {r["Type"] for r in template["Resources"].values()}
    assert "[ASSET-HASH]" in snapshot.read_text()
    # Every later run compares with it.
    second = pytester.runpytest("-p", "no:cacheprovider", "-k", "snapshot")
    second.assert_outcomes(passed=1, deselected=3)
    assert "1 snapshot passed" in second.stdout.str()
