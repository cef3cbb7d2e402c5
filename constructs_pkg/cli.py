"""The ``constructs-pkg`` console script.

``constructs-pkg plan [CDK_OUT] [--baseline OLD_CDK_OUT] [--json]`` prints the release plan
of a synthesized cloud assembly and, with a baseline, the hazards since it. The exit code
is 1 when a hazard is found (so CI can gate on it), 2 on a usage error, 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from constructs_pkg.plan import build_plan, load_assembly

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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
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


def entry_point() -> None:
    """Console-script entry (``constructs-pkg``)."""
    sys.exit(main())
