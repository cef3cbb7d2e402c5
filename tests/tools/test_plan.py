"""constructs-pkg plan on assemblies synthesized here: the plan, and every baseline hazard."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import App, Duration, RemovalPolicy, Stack
from aws_cdk import aws_sqs as sqs

from constructs_pkg import FifoOrderedConsumer, RollbackAlarms, Rollout, SafeFunction
from constructs_pkg.tools.cli import main
from tests.cdk_helpers import CDK_CONTEXT, TEST_ENV, function_kwargs


def _synth(outdir: Path, *, release: int) -> Path:
    """Release 1 (baseline) or 2 (the next one, which trips every hazard)."""
    app = App(outdir=str(outdir), analytics_reporting=False, context=CDK_CONTEXT)
    stack = Stack(app, "Shop", env=TEST_ENV)
    worker = SafeFunction(stack, "Worker", **function_kwargs(timeout=Duration.seconds(20)))
    orders = SafeFunction(
        stack,
        "Orders",
        **function_kwargs(),
        # Release 2 shifts it all at once without a bake, and drops its latency alarm.
        rollout=Rollout.canary() if release == 1 else Rollout.all_at_once(bake=Duration.minutes(0)),
        alarms=(
            RollbackAlarms(p99_latency=Duration.seconds(2))
            if release == 1
            else RollbackAlarms(p99_timeout_share=None)
        ),
    )
    # Catalog is recycled in release 2: a new version with the same code.
    SafeFunction(stack, "Catalog", **function_kwargs(), recycle=None if release == 1 else "r2")
    # Payments gives up its rollout in release 2 (acknowledged on purpose, a hazard all the same).
    payments = SafeFunction(
        stack,
        "Payments",
        **function_kwargs(),
        rollout=Rollout.canary() if release == 1 else Rollout.disabled(),
    )
    del payments
    jobs = FifoOrderedConsumer(
        stack, "Jobs", consumer=worker, accepted_format_versions=(1, 2) if release == 1 else (2,)
    )
    jobs.add_producer(orders, format_version=1 if release == 1 else 2)
    if release == 1:
        legacy = sqs.Queue(stack, "Legacy", removal_policy=RemovalPolicy.RETAIN)
        legacy.grant_send_messages(orders.function)
    app.synth()
    return outdir


@pytest.fixture(scope="module")
def assemblies(tmp_path_factory):
    base = tmp_path_factory.mktemp("assemblies")
    return _synth(base / "v1", release=1), _synth(base / "v2", release=2)


def test_plan_prints_timeline_alarms_rehearsal_capacity_and_order(assemblies, capsys):
    baseline, _ = assemblies
    assert main(["plan", str(baseline)]) == 0
    out = capsys.readouterr().out
    orders = out.split("Shop/Orders (alias live): ", 1)[1].splitlines()
    # The default rollout: the shifts, then the bake, which ends the deployment.
    assert orders[0] == "canary: 10% for 10 minutes, then 100%; 8-minute bake"
    assert orders[1].strip() == "timeline: 10% at t0, 100% at t+10 min, bake until t+18 min"
    # Error rate (2-minute period) and p99 latency.
    assert orders[2].strip() == "rollback alarms: 2, need 2 min of data"
    assert (
        "rehearsal: not rehearsed (constructs-pkg plan --rehearse, or constructs-pkg rehearse)"
        in out
    )
    assert "Shop/Jobs (sqs-fifo) -> Shop/Worker, accepts format versions [1, 2]" in out
    assert "poison-record stall 10 min (max_receive_count 5 x visibility timeout 120 s)" in out
    assert "Shop/Orders after Shop/Worker (format 1 via Shop/Jobs)" in out
    assert out.rstrip().endswith("No hazards found.")


def test_same_release_has_no_hazards(assemblies, capsys):
    baseline, _ = assemblies
    assert main(["plan", str(baseline), "--baseline", str(baseline)]) == 0


def test_every_hazard_against_the_baseline(assemblies, capsys):
    baseline, new = assemblies
    assert main(["plan", str(new), "--baseline", str(baseline), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    kinds = {h["kind"]: h for h in report["hazards"]}
    assert set(kinds) == {"decommission", "format-dropped", "less-safe-rollout"}
    assert "AWS::SQS::Queue Legacy" in kinds["decommission"]["message"]
    assert "while the baseline still uses it from Orders" in kinds["decommission"]["message"]
    assert (
        "no longer accepts format version 1, which Shop/Orders emits"
        in kinds["format-dropped"]["message"]
    )
    less_safe = " ".join(
        h["message"] for h in report["hazards"] if h["kind"] == "less-safe-rollout"
    )
    assert "rollback alarms went from 2 to 1" in less_safe
    assert (
        "the rollout became all at once (was canary: 10% for 10 minutes, then 100%; "
        "8-minute bake)" in less_safe
    )
    assert "Shop/Payments is released less safely: the rollout is disabled" in less_safe
    # Orders loses its bake; Payments' disabled rollout says so once, not as a lost bake too.
    assert "Shop/Orders is released less safely: " in less_safe
    assert "the bake went from 8 to 0 minutes" in less_safe
    assert less_safe.count("the bake went from") == 1
    assert {r["rehearsal"]["status"] for r in report["releases"]} == {"not rehearsed"}
    # The JSON carries the bake in force of each release (RolloutRecord.bake_minutes).
    bakes = {r["path"]: r["rollout"]["bake_minutes"] for r in report["releases"]}
    assert bakes == {"Shop/Worker": 8, "Shop/Orders": 0, "Shop/Catalog": 8, "Shop/Payments": 0}


def test_hazards_in_text_output(assemblies, capsys):
    baseline, new = assemblies
    assert main(["plan", str(new), "--baseline", str(baseline)]) == 1
    out = capsys.readouterr().out
    assert "HAZARDS (4)" in out
    assert "Shop/Orders (alias live): all at once: 100% immediately; no bake\n" in out
    assert "Shop/Worker (alias live): canary: 10% for 10 minutes, then 100%; 8-minute bake\n" in out
    assert "Shop/Catalog (alias live)" in out
    assert "change since the baseline: recycle only, code unchanged" in out


def test_the_plan_says_what_changes_for_each_function(assemblies, capsys):
    baseline, new = assemblies
    main(["plan", str(new), "--baseline", str(baseline), "--json"])
    changes = {r["path"]: r["change"] for r in json.loads(capsys.readouterr().out)["releases"]}
    assert changes == {
        "Shop/Worker": "unchanged",
        "Shop/Orders": "configuration changed",  # its format version (an environment variable)
        "Shop/Catalog": "recycle only, code unchanged",
        "Shop/Payments": "unchanged",  # only its rollout changed, not the function
    }


def test_plan_rehearses_each_release_on_request(assemblies, capsys):
    baseline, new = assemblies
    assert main(["plan", str(baseline), "--rehearse", "--traffic", "100"]) == 0
    canary = next(line for line in capsys.readouterr().out.splitlines() if "rehearsal:" in line)
    assert "rehearsal: 200 runs, seed 0, default assumptions; at 100 req/s: fails every call" in (
        canary
    )
    # The hazards still set the exit code.
    assert main(["plan", str(new), "--baseline", str(baseline), "--rehearse", "--json"]) == 1
    releases = {r["path"]: r["rehearsal"] for r in json.loads(capsys.readouterr().out)["releases"]}
    # Release 2 shifts Shop/Orders all at once without a bake: the deployment ends before any
    # alarm fires.
    all_at_once = releases["Shop/Orders"]["rates"]["10"]
    assert all_at_once["errors=100%"]["p_rollback"] == 0
    assert all_at_once["errors=100%"]["p_promoted"] == 1
    # Shop/Worker keeps the default canary and bake: caught.
    assert releases["Shop/Worker"]["rates"]["10"]["errors=100%"]["p_rollback"] > 0.9


def test_traffic_without_rehearse_is_a_usage_error(assemblies, capsys):
    baseline, _ = assemblies
    assert main(["plan", str(baseline), "--traffic", "5"]) == 2
    assert capsys.readouterr().err.strip() == "constructs-pkg plan: --traffic needs --rehearse"


def test_not_an_assembly_is_a_usage_error(tmp_path, capsys):
    assert main(["plan", str(tmp_path)]) == 2
    assert "is not a cloud assembly: no manifest.json" in capsys.readouterr().err
