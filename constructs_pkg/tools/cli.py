"""The ``constructs-pkg`` console script.

``constructs-pkg plan [CDK_OUT] [--baseline OLD_CDK_OUT] [--json]`` prints the release plan
of a synthesized cloud assembly and, with a baseline, the hazards since it. The exit code
is 1 when a hazard is found (so CI can gate on it), 2 on a usage error, 0 otherwise.

``constructs-pkg rehearse [CDK_OUT] [--traffic 1,10,100] [--fault ...|all] [--runs N]
[--seed N] [--json]`` simulates releases of a bad (or healthy) new version against every
CodeDeploy Lambda deployment group of the assembly and prints how often, and how fast, it is
rolled back (see :mod:`constructs_pkg.rehearsal`). The exit code is 2 on a usage error, 0
otherwise.

``constructs-pkg drain HANDLER (--events FILE | --queue-url URL) [--path DIR]...`` runs a
handler locally on events in Lambda's shape (see :mod:`constructs_pkg.tools.drain`). The exit
code is 1 when a record failed, a delete failed or the drain was stopped early, 2 on a usage
error, 0 otherwise.

``constructs-pkg --version`` prints the version of the installed distribution.

Every usage error -- a bad argument, a malformed file or assembly, missing credentials -- is
one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import NoReturn

from constructs_pkg.errors import ConfigurationError
from constructs_pkg.rehearsal.run import DEFAULT_RUNS, DEFAULT_SEED
from constructs_pkg.tools.plan import PLAN_REHEARSAL_RUNS, build_plan, load_assembly

__all__ = ["DISTRIBUTION", "main", "version"]

#: The distribution's name (pyproject.toml ``project.name``), whose metadata has the version.
DISTRIBUTION = "constructs-pkg"


def version() -> str:
    """Return the installed version of :data:`DISTRIBUTION`, from its package metadata.

    Source code that was never installed (no ``*.dist-info``) has no version; the answer then
    says so instead of guessing.
    """
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (and exit code 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}\n")


def _whole_in(low: int, high: int | None = None) -> Callable[[str], int]:
    """Return an argparse type: a whole number from ``low`` to ``high``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            allowed = f"{low} to {high}" if high is not None else f"a whole number >= {low}"
            raise argparse.ArgumentTypeError(f"{text!r} is not allowed: expected {allowed}")
        return value

    return parse


def _parser() -> argparse.ArgumentParser:
    """Return the parser of the command line: ``plan``, ``rehearse`` and ``drain``."""
    parser = _Parser(prog="constructs-pkg", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_plan(commands)
    _add_rehearse(commands)
    _add_drain(commands)
    return parser


def _add_plan(commands: argparse._SubParsersAction[_Parser]) -> None:
    """Add ``constructs-pkg plan``."""
    plan = commands.add_parser(
        "plan", help="release plan of a cloud assembly, hazards vs a baseline"
    )
    plan.add_argument(
        "cdk_out", nargs="?", default="cdk.out", help="cloud assembly (default: cdk.out)"
    )
    plan.add_argument("--baseline", help="the cloud assembly of the release currently deployed")
    plan.add_argument("--json", action="store_true", help="machine-readable output")

    plan.add_argument(
        "--rehearse",
        action="store_true",
        help=f"rehearse each release ({PLAN_REHEARSAL_RUNS} runs at --traffic, default 10 req/s)",
    )
    plan.add_argument(
        "--traffic", default=None, help="requests per second for --rehearse (default: 10)"
    )


def _add_rehearse(commands: argparse._SubParsersAction[_Parser]) -> None:
    """Add ``constructs-pkg rehearse``."""
    rehearse = commands.add_parser(
        "rehearse", help="simulate bad releases: are they rolled back, and how fast?"
    )
    rehearse.add_argument(
        "cdk_out", nargs="?", default="cdk.out", help="cloud assembly (default: cdk.out)"
    )
    rehearse.add_argument(
        "--traffic", default="1,10,100", help="requests per second, comma-separated (1,10,100)"
    )
    rehearse.add_argument(
        "--fault",
        default="all",
        help="errors=P%%, latency=Fx, healthy, comma-separated, or all (default: all)",
    )
    rehearse.add_argument("--runs", default=str(DEFAULT_RUNS), help="releases per scenario")
    rehearse.add_argument("--seed", default=str(DEFAULT_SEED), help="random seed (default: 0)")
    rehearse.add_argument(
        "--release", action="append", help="only this release (repeatable; as printed)"
    )
    rehearse.add_argument(
        "--engine", default="auto", help="auto (numpy if installed), numpy or python"
    )
    rehearse.add_argument("--json", action="store_true", help="machine-readable output")


def _add_drain(commands: argparse._SubParsersAction[_Parser]) -> None:
    """Add ``constructs-pkg drain``."""
    drain = commands.add_parser("drain", help="run a handler locally on SQS events")
    drain.add_argument("handler", help="module.function of the handler")
    drain.add_argument(
        "--path", action="append", default=[], help="directory to import from (repeatable)"
    )
    source = drain.add_mutually_exclusive_group(required=True)
    source.add_argument("--events", help="JSON file: an event, events, or messages")
    source.add_argument("--queue-url", help="poll this SQS queue (boto3 credentials)")
    drain.add_argument(
        "--batch-size", type=_whole_in(1, 10), default=10, help="messages per event (1-10)"
    )
    drain.add_argument("--max-batches", type=_whole_in(1), help="stop after this many batches")
    drain.add_argument(
        "--max-receives",
        type=_whole_in(1),
        help="receives of one message before the drain stops (default: the queue's "
        "maxReceiveCount, else 3)",
    )
    drain.add_argument(
        "--wait-seconds", type=_whole_in(0, 20), default=1, help="long-poll wait (0-20)"
    )
    drain.add_argument(
        "--no-report-batch-item-failures",
        action="store_true",
        help="a mapping without ReportBatchItemFailures: the response is ignored, only an "
        "exception fails the batch",
    )
    drain.add_argument("--env", action="append", default=[], help="NAME=VALUE for the handler")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    if args.command == "drain":
        return _drain(args)
    if args.command == "rehearse":
        return _rehearse(args)
    try:
        assembly = load_assembly(args.cdk_out)
        baseline = load_assembly(args.baseline) if args.baseline else None
        rates = parse_rates(args.traffic) if args.traffic is not None else [10.0]
        if args.traffic is not None and not args.rehearse:
            raise ValueError("--traffic needs --rehearse")
        plan = build_plan(assembly, baseline, rehearse_at=rates if args.rehearse else None)
    except (OSError, ValueError) as exc:
        print(f"constructs-pkg plan: {_one_line(exc)}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(plan.to_json(), indent=2, sort_keys=True))
    else:
        print(plan.render())
    return 1 if plan.hazards else 0


def parse_rates(text: str) -> list[float]:
    """``"1,10,100"`` -> ``[1.0, 10.0, 100.0]`` (rates are checked by the rehearsal)."""
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigurationError(
            "--traffic", text, "requests per second, comma-separated (e.g. 1,10,100)"
        ) from None


def _whole(option: str, text: str) -> int:
    if not text.strip().isdigit():
        raise ConfigurationError(option, text, "a whole number")
    return int(text)


def _rehearse(args: argparse.Namespace) -> int:
    from constructs_pkg.rehearsal import rehearse

    try:
        rehearsal = rehearse(
            args.cdk_out,
            traffic=parse_rates(args.traffic),
            faults=args.fault,
            runs=_whole("--runs", args.runs),
            seed=_whole("--seed", args.seed),
            releases=args.release,
            engine=args.engine,
        )
    except (OSError, ValueError) as exc:
        print(f"constructs-pkg rehearse: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(rehearsal.to_json(), indent=2, sort_keys=True))
    elif not rehearsal.releases:
        print(f"No CodeDeploy Lambda releases in {args.cdk_out}: nothing to rehearse.")
    else:
        print(rehearsal.render())
    return 0


def _drain(args: argparse.Namespace) -> int:
    import os

    from constructs_pkg.tools import drain

    report_failures = not args.no_report_batch_item_failures
    try:
        for pair in args.env:
            name, sep, value = pair.partition("=")
            if not sep or not _ENV_NAME.fullmatch(name) or "\0" in value:
                raise drain.DrainError(f"--env {pair!r}: expected NAME=VALUE")
            os.environ[name] = value
        handler = drain.load_handler(args.handler, args.path or ["."])
        if args.events:
            report = drain.drain_events(
                handler,
                drain.events_from_file(args.events, batch_size=args.batch_size),
                max_batches=args.max_batches,
                report_batch_item_failures=report_failures,
            )
        else:
            report = drain.drain_queue(
                handler,
                args.queue_url,
                batch_size=args.batch_size,
                wait_seconds=args.wait_seconds,
                max_batches=args.max_batches,
                max_receives=args.max_receives,
                report_batch_item_failures=report_failures,
            )
    except (OSError, ValueError) as exc:
        print(f"constructs-pkg drain: {_one_line(exc)}", file=sys.stderr)
        return 2
    print(report.render())
    return 0 if report.ok else 1


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:500]


def entry_point() -> None:
    """Console-script entry (``constructs-pkg``)."""
    sys.exit(main())


if __name__ == "__main__":
    entry_point()
