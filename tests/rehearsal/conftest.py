"""Synthesized assemblies shared by the rehearsal tests (each is synthesized once)."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import App, Stack

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
def sample_cdk_out(sample_stacks: list[Stack]) -> Path:
    """The cloud assembly of the session's sample app (tests/conftest.py)."""
    app = sample_stacks[0].node.root
    assert isinstance(app, App)
    return Path(app.synth().directory)


@pytest.fixture(scope="session")
def variants_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The variants of tests/rehearsal/variants.py and the FunctionFleet example."""
    from docs.examples.fleet import build as build_fleet
    from tests.rehearsal.variants import build_plain, build_sticky

    outdir = tmp_path_factory.mktemp("variants-cdk-out")
    app = _app(outdir)
    build_plain(app)
    build_sticky(app)
    build_fleet(app)
    app.synth()
    return outdir
