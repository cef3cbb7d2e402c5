"""``make bench``: N canaried functions with a FIFO consumer, plain CDK vs constructs_pkg.

Each configuration runs in a fresh interpreter (so memory and jsii state do not carry
over) and reports the wall time of building the constructs and synthesizing the app, the
peak resident memory of Python plus its jsii Node process, and CloudFormation resources
per function over every template (nested ones included).

(a) ``plain``: aws-cdk-lib L2s written the usual way -- per function a Function, an Alias,
    a LambdaDeploymentGroup (canary 10 % / 5 min) with an error alarm on the alias, and a
    FIFO queue with a FIFO dead-letter queue consumed through the alias, all in one stack.
(b) ``fleet``: one FunctionFleet; per member a FifoOrderedConsumer in the member's scope.

Usage: ``python -m benchmarks.fleet_bench`` (all), or ``--variant plain --n 40`` (one run,
JSON on stdout).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SERVICE = ROOT / "sample_app" / "service"
RUNS = [("plain", 10), ("fleet", 10), ("plain", 40), ("fleet", 40), ("fleet", 500)]


def build_plain(stack: Any, n: int) -> None:
    """Build (a): N functions in plain CDK L2s, written the usual way."""
    from aws_cdk import Duration
    from aws_cdk import aws_cloudwatch as cloudwatch
    from aws_cdk import aws_codedeploy as codedeploy
    from aws_cdk import aws_lambda as lambda_
    from aws_cdk import aws_lambda_event_sources as sources
    from aws_cdk import aws_sqs as sqs

    code = lambda_.Code.from_asset(str(SERVICE), exclude=["__pycache__", "*.pyc"])
    for i in range(n):
        fn = lambda_.Function(
            stack,
            f"Fn{i}",
            code=code,
            handler="fulfillment.handler",
            runtime=lambda_.Runtime.PYTHON_3_12,
            memory_size=512,
            timeout=Duration.seconds(10),
        )
        alias = lambda_.Alias(stack, f"Fn{i}Live", alias_name="live", version=fn.current_version)
        errors = cloudwatch.Alarm(
            stack,
            f"Fn{i}Errors",
            metric=alias.metric_errors(period=Duration.minutes(1)),
            threshold=1,
            evaluation_periods=1,
        )
        codedeploy.LambdaDeploymentGroup(
            stack,
            f"Fn{i}Deployment",
            alias=alias,
            deployment_config=codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_5_MINUTES,
            alarms=[errors],
        )
        dlq = sqs.Queue(stack, f"Fn{i}Dlq", fifo=True)
        queue = sqs.Queue(
            stack,
            f"Fn{i}Queue",
            fifo=True,
            visibility_timeout=Duration.seconds(60),
            dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=5),
        )
        alias.add_event_source(sources.SqsEventSource(queue, report_batch_item_failures=True))


def build_fleet(stack: Any, n: int) -> None:
    """Build (b): a FunctionFleet of N members, each with a FifoOrderedConsumer."""
    from aws_cdk import Duration
    from aws_cdk import aws_lambda as lambda_

    from constructs_pkg import FifoOrderedConsumer, FunctionFleet, Rollout

    fleet = FunctionFleet(
        stack,
        "Fleet",
        code=lambda_.Code.from_asset(str(SERVICE), exclude=["__pycache__", "*.pyc"]),
        runtime=lambda_.Runtime.PYTHON_3_12,
        # The shape (a) has; no bake, which (a) has no counterpart for.
        rollout=Rollout.canary(percent=10, interval=Duration.minutes(5), bake=Duration.minutes(0)),
        release_id="bench",
    )
    for i in range(n):
        member = fleet.add_function(
            f"Fn{i}",
            handler="fulfillment.handler",
            memory_size=512,
            timeout=Duration.seconds(10),
        )
        FifoOrderedConsumer(member, "Jobs", consumer=member)


def _peak_rss_mib() -> float:
    """Peak RSS of this process and its children (the jsii Node process), in MiB."""
    total_kib = 0
    pids = [str(os.getpid())]
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        children = (task / "children").read_text().split()
        pids.extend(children)
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total_kib += int(line.split()[1])
        except OSError:
            continue
    return total_kib / 1024


def run_one(variant: str, n: int) -> dict[str, Any]:
    """Build and synthesize one configuration in this process; return the measurements."""
    started = time.perf_counter()
    from aws_cdk import App, Environment, Stack

    imported = time.perf_counter()
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    if variant == "plain":
        # Plain CDK refuses a stack over 500 resources at synth; turn that check off so
        # the time can still be compared (such a template would not deploy).
        context["@aws-cdk/core:stackResourceLimit"] = 0
    with tempfile.TemporaryDirectory() as outdir:
        app = App(
            outdir=outdir,
            analytics_reporting=False,
            builtin_cloud_formation_validation=False,
            context=context,
        )
        stack = Stack(app, "Bench", env=Environment(account="123456789012", region="eu-west-1"))
        (build_plain if variant == "plain" else build_fleet)(stack, n)
        built = time.perf_counter()
        assembly = app.synth()
        synthesized = time.perf_counter()
        templates = list(Path(assembly.directory).glob("*.template.json"))
        counts = [len(json.loads(t.read_text()).get("Resources", {})) for t in templates]
    return {
        "variant": variant,
        "n": n,
        "import_s": round(imported - started, 2),
        "build_s": round(built - imported, 2),
        "synth_s": round(synthesized - built, 2),
        "time_s": round(synthesized - imported, 2),
        "peak_mib": round(_peak_rss_mib()),
        "templates": len(templates),
        "largest_template_resources": max(counts),
        "resources": sum(counts),
        "resources_per_function": round(sum(counts) / n, 2),
        "deployable": max(counts) <= 500,
    }


def run_all() -> list[dict[str, Any]]:
    """Run every configuration, each in a fresh interpreter."""
    results = []
    for variant, n in RUNS:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.fleet_bench", "--variant", variant, "--n", str(n)],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
        print(f"  {variant} N={n}: {results[-1]['time_s']} s", file=sys.stderr, flush=True)
    return results


def render(results: list[dict[str, Any]]) -> str:
    """Return the results as a Markdown table."""
    plain = {r["n"]: r for r in results if r["variant"] == "plain"}
    lines = [
        "| variant | N | build + synth (s) | peak memory (MiB) | resources / function | "
        "largest stack (resources) | stacks | (b)/(a) time |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ratio = ""
        if r["variant"] == "fleet" and r["n"] in plain:
            ratio = f"{r['time_s'] / plain[r['n']]['time_s']:.2f}"
        name = "(a) plain CDK" if r["variant"] == "plain" else "(b) FunctionFleet"
        lines.append(
            f"| {name} | {r['n']} | {r['time_s']:.2f} | {r['peak_mib']} | "
            f"{r['resources_per_function']:.2f} | {r['largest_template_resources']} | "
            f"{r['templates']} | {ratio} |"
            + ("" if r["deployable"] else " over 500 resources: would not deploy")
        )
    return "\n".join(lines)


def main() -> int:
    """Command line entry."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", choices=["plain", "fleet"])
    parser.add_argument("--n", type=int)
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(run_one(args.variant, args.n)))
        return 0
    print(render(run_all()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
