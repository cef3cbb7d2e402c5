"""plan and DeploymentSafetyChecks follow a FunctionFleet's nested stacks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack, Validations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs

from constructs_pkg import FunctionFleet
from constructs_pkg.checks import DeploymentSafetyChecks
from constructs_pkg.tools.cli import main
from constructs_pkg.tools.plan import build_plan, load_assembly
from docs.examples import fleet as fleet_example
from tests.cdk_helpers import CDK_CONTEXT, ROOT, TEST_ENV, inline_code, new_app


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: Any) -> Path:
    outdir = tmp_path_factory.mktemp("fleet")
    cwd = Path.cwd()
    import os

    os.chdir(ROOT)
    try:
        app = App(outdir=str(outdir), analytics_reporting=False, context=CDK_CONTEXT)
        fleet_example.build(app)
        app.synth()
    finally:
        os.chdir(cwd)
    return Path(outdir)


def test_plan_reads_the_nested_member_stacks(assembly: Path) -> None:
    loaded = load_assembly(assembly)
    nested = [name for name in loaded.templates if name.startswith("Backend/")]
    assert len(nested) == 3
    plan = build_plan(loaded)
    waves = {release["path"].rsplit("/", 1)[-1]: release["wave"] for release in plan.releases}
    assert waves == {"Api": 1, "PdfExport": 2, "Worker": 1}
    assert {c["path"].rsplit("/", 1)[-1] for c in plan.consumers} == {"Jobs"}


def test_plan_text_names_fleet_wave_and_release(assembly: Path, capsys: Any) -> None:
    assert main(["plan", str(assembly)]) == 0
    out = capsys.readouterr().out
    assert "fleet Backend/Backend, wave 2, release " in out
    assert main(["plan", str(assembly), "--json"]) == 0
    releases = json.loads(capsys.readouterr().out)["releases"]
    assert {r["wave"] for r in releases} == {1, 2}


def _fleet_app(*, unsafe: bool) -> App:
    app = new_app()
    stack = Stack(app, "Svc", env=TEST_ENV)
    fleet = FunctionFleet(stack, "Backend", code=inline_code(), runtime=lambda_.Runtime.PYTHON_3_12)
    member = fleet.add_function("Api", handler="index.handler")
    if unsafe:
        # In the member's nested stack: a queue consumed by the unqualified function.
        raw = lambda_.Function(
            member,
            "Raw",
            code=inline_code(),
            handler="index.handler",
            runtime=lambda_.Runtime.PYTHON_3_12,
        )
        raw.add_event_source(sources.SqsEventSource(sqs.Queue(member, "RawQueue")))
    return app


def test_plugin_passes_a_safe_fleet() -> None:
    app = _fleet_app(unsafe=False)
    Validations.of(app).add_plugins(DeploymentSafetyChecks())
    app.synth()
    assert DeploymentSafetyChecks().validate_scope(_fleet_app(unsafe=False)).findings == ()


def test_plugin_sees_findings_inside_nested_stacks() -> None:
    report = DeploymentSafetyChecks().validate_scope(_fleet_app(unsafe=True))
    assert report.findings
    assert all("/Backend/" in f.stack for f in report.findings)
    app = _fleet_app(unsafe=True)
    Validations.of(app).add_plugins(DeploymentSafetyChecks())
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
