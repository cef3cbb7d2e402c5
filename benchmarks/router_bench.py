"""``make bench``: what the sticky canary router adds to a request, measured without AWS.

The router's own work per request (read the key, hash it, pick the version from the cached
alias routing, serialize the event for ``Invoke``, parse the answer) is timed with an
in-process Lambda client that answers at once, for a 1 KB and a 100 KB event. What this cannot
measure here (no AWS account): the extra network hop of the ``Invoke`` call, and the
router's own cold start beyond importing boto3 and creating its client, which is timed too.

Usage: ``python -m benchmarks.router_bench``.
"""

from __future__ import annotations

import io
import subprocess
import sys
import timeit
from typing import Any

from constructs_pkg.runtime.sticky_router import RoutingCache, parse_key_path, route

KEY = "$.requestContext.authorizer.claims.sub"
SIZES = (1_000, 100_000)


class InstantLambda:
    """A Lambda client whose alias is mid-canary (10 %) and whose functions answer at once."""

    def get_alias(self, **_: Any) -> dict[str, Any]:
        """Answer as GetAlias does for an alias mid-canary."""
        return {"FunctionVersion": "6", "RoutingConfig": {"AdditionalVersionWeights": {"7": 0.1}}}

    def invoke(self, **_: Any) -> dict[str, Any]:
        """Answer as Invoke does for a function that returns at once."""
        return {"StatusCode": 200, "Payload": io.BytesIO(b'{"statusCode": 200, "body": "ok"}')}


def per_request_microseconds(size: int, number: int) -> float:
    """Mean router time of one request with an event of about ``size`` bytes."""
    client = InstantLambda()
    cache = RoutingCache(client, function="orders", alias="live", ttl=5)
    steps = parse_key_path(KEY)
    event = {"requestContext": {"authorizer": {"claims": {"sub": "user-42"}}}, "body": "x" * size}

    def once() -> None:
        route(
            event, lambda_client=client, cache=cache, function="orders", alias="live", steps=steps
        )

    return timeit.timeit(once, number=number) / number * 1e6


def cold_client_milliseconds() -> float:
    """Import boto3 and create a Lambda client in a fresh interpreter, as a cold start does."""
    code = (
        "import time; t = time.perf_counter(); import boto3; "
        "boto3.client('lambda', region_name='eu-west-1'); "
        "print((time.perf_counter() - t) * 1000)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout)


def main() -> None:
    """Print the figures docs/sticky-canary.md quotes."""
    for size in SIZES:
        micros = per_request_microseconds(size, 20_000 if size < 10_000 else 2_000)
        print(f"router work per request, {size:>7,} B event: {micros:8.1f} us")
    cold = sorted(cold_client_milliseconds() for _ in range(3))[1]
    print(f"router cold start, boto3 import + Lambda client (median of 3): {cold:.0f} ms")


if __name__ == "__main__":
    main()
