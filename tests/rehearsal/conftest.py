"""Synthesized assemblies shared by the rehearsal tests (each is synthesized once)."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import App

from tests.cdk_helpers import CDK_CONTEXT


def _app(outdir: Path) -> App:
    # aws:cdk:path metadata, as `cdk synth` writes it: releases are named by construct path.
    return App(
        outdir=str(outdir),
        analytics_reporting=False,
        builtin_cloud_formation_validation=False,
        context={**CDK_CONTEXT, "aws:cdk:enable-path-metadata": True},
    )


@pytest.fixture(scope="session")
def sample_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample app (sample_app/app.py), as ``cdk synth`` builds it."""
    from sample_app.app import build

    outdir = tmp_path_factory.mktemp("sample-cdk-out")
    app = _app(outdir)
    build(app)
    app.synth()
    return outdir


@pytest.fixture(scope="session")
def variants_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plain-CDK variants (tests/rehearsal/variants.py) and the FunctionFleet example."""
    from docs.examples.fleet import build as build_fleet
    from tests.rehearsal.variants import build_plain

    outdir = tmp_path_factory.mktemp("variants-cdk-out")
    app = _app(outdir)
    build_plain(app)
    build_fleet(app)
    app.synth()
    return outdir
