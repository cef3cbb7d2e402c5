"""``constructs-pkg rehearse``, ``plan --rehearse`` and the constructs_pkg.testing helpers."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from constructs_pkg.errors import ConfigurationError
from constructs_pkg.testing import assert_healthy_release_passes, assert_release_catches
from constructs_pkg.tools.cli import main

ORDERS = "OrderService/Orders"
SMALL = ["--runs", "60", "--traffic", "10", "--release", ORDERS]


def test_rehearse_prints_assumptions_and_one_row_per_scenario(sample_cdk_out, capsys):
    assert main(["rehearse", str(sample_cdk_out), *SMALL, "--fault", "errors=100%,healthy"]) == 0
    out = capsys.readouterr().out
    assert "1 release(s) x 1 rate(s) x 2 fault(s), 60 runs each, seed 0" in out
    assert "Assumptions (not AWS facts; see docs/rehearsal.md):" in out
    assert "visible 30-150 s (uniform) after the minute" in out
    assert "shifting traffic back takes 10 s" in out
    assert (
        f"{ORDERS}  canary: 10% for 10 minutes, then 100% "
        "(CodeDeployDefault.LambdaCanary10Percent10Minutes); "
        "BeforeAllowTraffic + AfterAllowTraffic (8-minute bake) hook(s); 2 alarm(s)\n"
    ) in out
    rows = [
        line.split() for line in out.splitlines() if line.strip().startswith(("errors", "healthy"))
    ]
    assert [row[:2] for row in rows] == [["errors=100%", "10"], ["healthy", "10"]]
    assert rows[1][3] == "false"


def test_rehearse_json(sample_cdk_out, capsys):
    assert main(["rehearse", str(sample_cdk_out), *SMALL, "--fault", "errors=5%", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["runs"] == 60
    assert report["seed"] == 0
    assert report["assumptions"]["timing"]["shift_back_seconds"] == 10
    (release,) = report["releases"]
    assert release["release"] == ORDERS
    assert release["deployment_config"] == "CodeDeployDefault.LambdaCanary10Percent10Minutes"
    # The smoke test before traffic, the managed bake hook after it.
    assert release["hooks"] == ["BeforeAllowTraffic", "AfterAllowTraffic"]
    assert release["bake_seconds"] == 480
    error_rate, latency = release["alarms"]  # in the group's order
    assert "ErrorRate" in error_rate
    assert "P99Latency" in latency
    (scenario,) = release["scenarios"]
    assert scenario["fault"] == "errors=5%"
    assert scenario["rate"] == 10
    assert 0 <= scenario["p_rollback_ci95"][0] <= scenario["p_rollback"]
    assert scenario["p_false_rollback"] is None


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--runs", "many"], "--runs='many' is not allowed: expected a whole number."),
        (["--traffic", "fast"], "--traffic='fast' is not allowed"),
        (["--traffic", "-1"], "traffic=-1.0 is not allowed"),
        (["--fault", "errors=200%"], "errors=P% with 0 < P <= 100"),
        (["--seed", "-3"], "--seed='-3' is not allowed"),
        (["--release", "Nope"], "releases='Nope' is not allowed"),
        (["--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(sample_cdk_out, capsys, arguments, message):
    code: object
    try:
        code = main(["rehearse", str(sample_cdk_out), *arguments])
    except SystemExit as exited:  # argparse's own errors
        code = exited.code
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_not_an_assembly_and_an_assembly_without_releases(tmp_path, capsys):
    assert main(["rehearse", str(tmp_path)]) == 2
    assert "is not a cloud assembly: no manifest.json" in capsys.readouterr().err
    (tmp_path / "manifest.json").write_text(json.dumps({"version": "1", "artifacts": {}}))
    assert main(["rehearse", str(tmp_path)]) == 0
    assert "No CodeDeploy Lambda releases" in capsys.readouterr().out


def test_the_console_script_never_prints_a_traceback(tmp_path):
    script = Path(sys.executable).parent / "constructs-pkg"
    run = subprocess.run(
        [str(script), "rehearse", str(tmp_path), "--runs", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert run.stderr.count("\n") == 1


def test_plan_without_rehearse_says_so(sample_cdk_out, capsys):
    assert main(["plan", str(sample_cdk_out)]) == 0
    out = capsys.readouterr().out
    assert "rehearsal: not rehearsed (constructs-pkg plan --rehearse" in out
    assert "worst-case exposure" not in out


# --- constructs_pkg.testing --------------------------------------------------------------------


def test_assert_release_catches_passes_and_fails_with_the_figures(sample_cdk_out, variants_cdk_out):
    rehearsal = assert_release_catches(
        sample_cdk_out,
        fault="errors=100%",
        traffic=10,
        at_least=0.9,
        runs=100,
        releases=["OrderService/Catalog"],
    )
    assert rehearsal.results[0].p_rollback >= 0.9
    # The default rollout and alarms catch 5 % errors even at 1 req/s (the bake watches
    # after the shift to 100 %), and a version failing every call within the 10-minute canary.
    assert_release_catches(
        sample_cdk_out,
        fault="errors=5%",
        traffic=[1, 100],
        at_least=0.95,
        runs=100,
        releases=[ORDERS],
    )
    assert_release_catches(
        sample_cdk_out,
        fault="errors=100%",
        traffic=1,
        at_least=0.95,
        max_past_first_step=0,
        runs=100,
        releases=[ORDERS],
    )
    # Plain/WrongLive's only alarm never sees data (aws-cdk#14248): it catches nothing, at
    # every rate, and the message has each figure and the finding that explains it.
    with pytest.raises(AssertionError) as failed:
        assert_release_catches(
            variants_cdk_out,
            fault="errors=100%",
            traffic=[1, 100],
            at_least=0.95,
            runs=100,
            releases=["Plain/WrongLive", "Plain/RightLive"],
        )
    message = str(failed.value)
    assert message.startswith("a version with errors=100% is not caught (2):")
    for rate in (1, 100):
        assert re.search(
            rf"Plain/WrongLive at {rate} req/s, errors=100%: rolled back 0 % < 95 % "
            r"\(95 % interval 0(\.0)? %-3\.7 % over 100 runs\)",
            message,
        )
    assert "Plain/RightLive at" not in message  # its alarm watches the new version: caught
    assert "findings:\n  Plain/WrongLive: " in message
    assert "aws-cdk#14248" in message
    # A 3-minute canary is shorter than the detection delay: versions move past the first step.
    with pytest.raises(AssertionError, match="past the first step") as failed:
        assert_release_catches(
            variants_cdk_out,
            fault="errors=100%",
            traffic=10,
            at_least=0,
            max_past_first_step=0,
            runs=100,
            releases=["Plain/CustomLive"],
        )
    assert re.search(
        r"Plain/CustomLive at 10 req/s, errors=100%: past the first step \d+(\.\d)? % > 0 % "
        r"\(95 % interval .* over 100 runs\)",
        str(failed.value),
    )


def test_the_past_first_step_line_gives_the_interval_of_that_share(variants_cdk_out):
    with pytest.raises(AssertionError) as failed:
        assert_release_catches(
            variants_cdk_out,
            fault="errors=100%",
            traffic=10,
            at_least=0,
            max_past_first_step=0,
            runs=100,
            releases=["Plain/CustomLive"],
        )
    found = re.search(
        r"past the first step (\d+(?:\.\d)?) % > 0 % \(95 % interval "
        r"(\d+(?:\.\d)?) %-(\d+(?:\.\d)?) %",
        str(failed.value),
    )
    assert found
    share, low, high = (float(group) for group in found.groups())
    assert low <= share <= high


def test_assert_healthy_release_passes(sample_cdk_out, variants_cdk_out):
    assert_healthy_release_passes(
        sample_cdk_out, traffic=10, at_most=0.02, runs=100, releases=["OrderService/Fulfillment"]
    )
    # Payments' alarms (error rate with 4+ errors per period, p99 at 5 s) leave a healthy
    # version alone, even at a 0.1 % bar.
    assert_healthy_release_passes(
        sample_cdk_out, traffic=10, at_most=0.001, runs=100, releases=["OrderService/Payments"]
    )
    # Plain/RightLive rolls back on any error of the new version: a healthy version's 0.1 %
    # errors roll it back.
    with pytest.raises(AssertionError) as failed:
        assert_healthy_release_passes(
            variants_cdk_out, traffic=10, at_most=0.001, runs=100, releases=["Plain/RightLive"]
        )
    message = str(failed.value)
    assert message.startswith("a healthy version is rolled back (1):")
    assert re.search(
        r"Plain/RightLive at 10 req/s, healthy: false rollbacks \d+(\.\d)? % > 0\.1 % "
        r"\(95 % interval .* over 100 runs\)",
        message,
    )
    with pytest.raises(ConfigurationError, match="at_most=5 is not allowed"):
        assert_healthy_release_passes(sample_cdk_out, at_most=5)
