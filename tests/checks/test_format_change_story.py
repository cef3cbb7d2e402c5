"""The three-release story of docs/contracts.md, planned release by release."""

from __future__ import annotations

import json
import os
import re

import pytest
from aws_cdk import App

from constructs_pkg.tools.cli import main
from docs.examples import format_change
from tests.cdk_helpers import CDK_CONTEXT, ROOT


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    cwd = os.getcwd()
    os.chdir(ROOT)  # the example uses repository-relative asset paths
    try:
        out = {}
        for release in (1, 2, 3):
            outdir = tmp_path_factory.mktemp(f"release{release}")
            app = App(outdir=str(outdir), analytics_reporting=False, context=CDK_CONTEXT)
            format_change.build(app, release)
            app.synth()
            out[release] = str(outdir)
        return out
    finally:
        os.chdir(cwd)


def _hazards(capsys, new, baseline):
    code = main(["plan", new, "--baseline", baseline, "--json"])
    return code, [h["kind"] for h in json.loads(capsys.readouterr().out)["hazards"]]


def test_each_step_is_safe(releases, capsys):
    assert _hazards(capsys, releases[2], releases[1]) == (0, [])
    assert _hazards(capsys, releases[3], releases[2]) == (0, [])


def test_skipping_a_step_is_a_hazard(releases, capsys):
    assert _hazards(capsys, releases[3], releases[1]) == (1, ["format-dropped"])


def test_the_producer_is_released_after_the_consumer(releases, capsys):
    main(["plan", releases[2], "--json"])
    order = json.loads(capsys.readouterr().out)["release_order"]
    assert order == [
        {
            "consumer": "Shipping/Shipper",
            "format_version": 2,
            "producer": "Shipping/Orders",
            "via": "Shipping/Shipments",
        }
    ]


def _doc_blocks() -> list[str]:
    """The output blocks of docs/plan.md's minimal example."""
    text = (ROOT / "docs" / "plan.md").read_text(encoding="utf-8")
    example = text.split("## Minimal example", 1)[1].split("## What it shows", 1)[0]
    return re.findall(r"```\n(.*?)```", example, flags=re.DOTALL)


def test_docs_plan_example_is_what_plan_prints(releases, capsys):
    planned, skipped = _doc_blocks()
    assert main(["plan", releases[2], "--baseline", releases[1]]) == 0
    assert capsys.readouterr().out == planned
    assert main(["plan", releases[3], "--baseline", releases[1]]) == 1
    out = capsys.readouterr().out
    assert out[out.index("HAZARDS") :] == skipped
