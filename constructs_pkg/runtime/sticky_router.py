"""A sticky canary: each user (tenant, session ...) stays on one version for the whole rollout.

An alias's weights pick a version per *invocation*, at random, so one user can hop between
the old and the new version inside one session. This router sits in front of the function
(API Gateway, a function URL): it hashes a key of the request (``$.requestContext.
authorizer.claims.sub``) into a stable bucket 0-99 and invokes the new version for buckets
below the alias's current canary weight, the old version otherwise. The weight is read from
the alias's routing configuration (what CodeDeploy shifts), cached for a few seconds, so a
user moves once, when the weight passes their bucket, and back only on a rollback.

Anything unexpected falls back to safety: no key in the request goes to the stable version;
an alias that cannot be read is invoked as the alias (CodeDeploy's random weights). Standard
library and boto3 only.

Examples
--------
>>> bucket("user-42") == bucket("user-42")
True
>>> Routing(stable="7", canary="8", weight=0.1).version_for(bucket=5)
'8'
>>> Routing(stable="7", canary="8", weight=0.1).version_for(bucket=10)
'7'
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from constructs_pkg.runtime.env import (
    STICKY_ALIAS_ENV,
    STICKY_CACHE_SECONDS_ENV,
    STICKY_FUNCTION_ENV,
    STICKY_KEY_ENV,
)

logger = logging.getLogger(__name__)

__all__ = [
    "Routing",
    "RoutingCache",
    "TargetFunctionError",
    "bucket",
    "handler",
    "key_of",
    "parse_key_path",
    "route",
]

#: ``$.a.b``, ``$.headers['x-user']``, ``$.items[0].id``.
_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\['([^'\]]+)'\]|\[(\d+)\]")


class TargetFunctionError(Exception):
    """The version the router invoked returned a function error (its payload is the message)."""


def parse_key_path(path: str) -> list[str | int]:
    """Split a key path (``$.a.b['c-d'][0]``) into its steps; ValueError when malformed.

    Examples
    --------
    >>> parse_key_path("$.requestContext.authorizer.claims.sub")
    ['requestContext', 'authorizer', 'claims', 'sub']
    >>> parse_key_path("$.headers['x-tenant']")
    ['headers', 'x-tenant']
    """
    if not path.startswith("$") or len(path) < 2:
        raise ValueError(f"key path {path!r} must start with '$.' or '$['")
    steps: list[str | int] = []
    position = 1
    while position < len(path):
        match = _STEP.match(path, position)
        if match is None:
            raise ValueError(f"key path {path!r} is malformed at character {position}")
        name, quoted, index = match.groups()
        steps.append(int(index) if index is not None else (name or quoted))
        position = match.end()
    return steps


def key_of(event: Any, steps: list[str | int]) -> str | None:
    """Return the request's key: the value at ``steps`` as text, None when it is not there."""
    value = event
    for step in steps:
        if isinstance(step, int) and isinstance(value, list):
            if not -len(value) <= step < len(value):
                return None
            value = value[step]
        elif isinstance(step, str) and isinstance(value, Mapping) and step in value:
            value = value[step]
        else:
            return None
    if value is None or isinstance(value, Mapping | list) or value == "":
        return None
    return str(value)


def bucket(key: str) -> int:
    """Return the key's stable bucket, 0-99 (SHA-256: the same everywhere, every time)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % 100


@dataclass(frozen=True)
class Routing:
    """The alias's routing: its version, and the canary version with its weight (0 to 1)."""

    stable: str
    canary: str | None = None
    weight: float = 0.0

    def version_for(self, *, bucket: int | None) -> str:
        """Return the version a request of ``bucket`` runs (no key: the stable version)."""
        if self.canary is None or bucket is None:
            return self.stable
        return self.canary if bucket < round(self.weight * 100) else self.stable

    @classmethod
    def of_alias(cls, alias: Mapping[str, Any]) -> Routing:
        """Read ``GetAlias``'s answer."""
        weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        stable = str(alias["FunctionVersion"])
        if not weights:
            return cls(stable)
        canary, weight = next(iter(weights.items()))
        return cls(stable, str(canary), float(weight))


class RoutingCache:
    """The alias's routing, read at most once per ``ttl`` seconds; the last good one on errors."""

    def __init__(
        self,
        lambda_client: Any,
        *,
        function: str,
        alias: str,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = lambda_client
        self._function = function
        self._alias = alias
        self._ttl = ttl
        self._clock = clock
        self._routing: Routing | None = None
        self._read_at = float("-inf")

    def get(self) -> Routing | None:
        """Return the routing, or None when it was never read successfully."""
        now = self._clock()
        if now - self._read_at < self._ttl:
            return self._routing
        try:
            answer = self._client.get_alias(FunctionName=self._function, Name=self._alias)
            self._routing = Routing.of_alias(answer)
        except Exception:  # keep routing with what we know; never fail the request for it
            logger.warning("cannot read alias %s of %s", self._alias, self._function, exc_info=True)
        self._read_at = now
        return self._routing


def route(
    event: Any,
    *,
    lambda_client: Any,
    cache: RoutingCache,
    function: str,
    alias: str,
    steps: list[str | int],
) -> Any:
    """Invoke the version ``event``'s key belongs to and return its answer."""
    key = key_of(event, steps)
    routing = cache.get()
    qualifier = (
        alias
        if routing is None
        else routing.version_for(bucket=None if key is None else bucket(key))
    )
    response = lambda_client.invoke(
        FunctionName=f"{function}:{qualifier}",
        InvocationType="RequestResponse",
        Payload=json.dumps(event).encode(),
    )
    body = response["Payload"].read().decode() if "Payload" in response else ""
    if response.get("FunctionError"):
        raise TargetFunctionError(body[:2000])
    return json.loads(body) if body else None


_state: dict[str, Any] = {}  # per execution environment: the client and the routing cache


def handler(event: Any, context: Any) -> Any:
    """Lambda entry point (``constructs_pkg.runtime.sticky_router.handler``)."""
    if not _state:
        import boto3

        client = boto3.client("lambda")
        function, alias = os.environ[STICKY_FUNCTION_ENV], os.environ[STICKY_ALIAS_ENV]
        _state.update(
            client=client,
            function=function,
            alias=alias,
            steps=parse_key_path(os.environ[STICKY_KEY_ENV]),
            cache=RoutingCache(
                client,
                function=function,
                alias=alias,
                ttl=float(os.environ.get(STICKY_CACHE_SECONDS_ENV, "5")),
            ),
        )
    return route(
        event,
        lambda_client=_state["client"],
        cache=_state["cache"],
        function=_state["function"],
        alias=_state["alias"],
        steps=_state["steps"],
    )
