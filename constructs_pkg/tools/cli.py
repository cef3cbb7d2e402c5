"""The ``constructs-pkg`` console script.

``constructs-pkg plan [CDK_OUT] [--baseline OLD_CDK_OUT] [--json]`` prints the release plan
of a synthesized cloud assembly and, with a baseline, the hazards since it. The exit code
is 1 when a hazard is found (so CI can gate on it), 2 on a usage error, 0 otherwise.

``constructs-pkg drain HANDLER (--events FILE | --queue-url URL) [--path DIR]...`` runs a
handler locally on events in Lambda's shape (see :mod:`constructs_pkg.tools.drain`). The exit
code is 1 when a record failed, 2 on a usage error, 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from constructs_pkg.tools.plan import build_plan, load_assembly

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="constructs-pkg", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    plan = commands.add_parser(
        "plan", help="release plan of a cloud assembly, hazards vs a baseline"
    )
    plan.add_argument(
        "cdk_out", nargs="?", default="cdk.out", help="cloud assembly (default: cdk.out)"
    )
    plan.add_argument("--baseline", help="the cloud assembly of the release currently deployed")
    plan.add_argument("--json", action="store_true", help="machine-readable output")

    drain = commands.add_parser("drain", help="run a handler locally on SQS events")
    drain.add_argument("handler", help="module.function of the handler")
    drain.add_argument(
        "--path", action="append", default=[], help="directory to import from (repeatable)"
    )
    source = drain.add_mutually_exclusive_group(required=True)
    source.add_argument("--events", help="JSON file: an event, events, or messages")
    source.add_argument("--queue-url", help="poll this SQS queue (boto3 credentials)")
    drain.add_argument("--batch-size", type=int, default=10, help="messages per event (1-10)")
    drain.add_argument("--max-batches", type=int, help="stop after this many batches")
    drain.add_argument("--wait-seconds", type=int, default=1, help="long-poll wait (0-20)")
    drain.add_argument(
        "--no-report-batch-item-failures",
        action="store_true",
        help="any failure fails the whole batch (a mapping without ReportBatchItemFailures)",
    )
    drain.add_argument("--env", action="append", default=[], help="NAME=VALUE for the handler")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    if args.command == "drain":
        return _drain(args)
    try:
        assembly = load_assembly(args.cdk_out)
        baseline = load_assembly(args.baseline) if args.baseline else None
    except (OSError, ValueError) as exc:
        print(f"constructs-pkg plan: {exc}", file=sys.stderr)
        return 2
    plan = build_plan(assembly, baseline)
    if args.json:
        print(json.dumps(plan.to_json(), indent=2, sort_keys=True))
    else:
        print(plan.render())
    return 1 if plan.hazards else 0


def _drain(args: argparse.Namespace) -> int:
    import os

    from constructs_pkg.tools import drain

    try:
        for pair in args.env:
            name, sep, value = pair.partition("=")
            if not sep or not name:
                raise ValueError(f"--env {pair!r}: expected NAME=VALUE")
            os.environ[name] = value
        handler = drain.load_handler(args.handler, args.path or ["."])
        if args.events:
            report = drain.drain_events(
                handler, drain.events_from_file(args.events, batch_size=args.batch_size)
            )
        else:
            report = drain.drain_queue(
                handler,
                args.queue_url,
                batch_size=args.batch_size,
                wait_seconds=args.wait_seconds,
                max_batches=args.max_batches,
                report_batch_item_failures=not args.no_report_batch_item_failures,
            )
    except (OSError, ValueError, RuntimeError) as exc:
        print(f"constructs-pkg drain: {exc}", file=sys.stderr)
        return 2
    print(report.render())
    return 1 if report.failed else 0


def entry_point() -> None:
    """Console-script entry (``constructs-pkg``)."""
    sys.exit(main())
