"""The sticky canary router against botocore's Stubber: one user, one version, per weight."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from constructs_pkg.runtime import sticky_router
from constructs_pkg.runtime.sticky_router import Routing, RoutingCache, bucket, key_of, route

FUNCTION, ALIAS = "orders", "live"
STEPS = sticky_router.parse_key_path("$.requestContext.authorizer.claims.sub")


def _event(user: str | None) -> dict[str, Any]:
    claims = {} if user is None else {"sub": user}
    return {"requestContext": {"authorizer": {"claims": claims}}, "path": "/orders"}


def _alias(stub: Stubber, version: str, weights: dict[str, float] | None = None) -> None:
    answer: dict[str, Any] = {"Name": ALIAS, "FunctionVersion": version}
    if weights:
        answer["RoutingConfig"] = {"AdditionalVersionWeights": weights}
    stub.add_response("get_alias", answer, {"FunctionName": FUNCTION, "Name": ALIAS})


def _invoke(stub: Stubber, qualifier: str, event: dict[str, Any], answer: Any = None) -> None:
    raw = json.dumps({"ran": qualifier} if answer is None else answer).encode()
    stub.add_response(
        "invoke",
        {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(raw), len(raw))},
        {
            "FunctionName": f"{FUNCTION}:{qualifier}",
            "InvocationType": "RequestResponse",
            "Payload": json.dumps(event).encode(),
        },
    )


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _route(client: Any, cache: RoutingCache, event: dict[str, Any]) -> Any:
    return route(
        event, lambda_client=client, cache=cache, function=FUNCTION, alias=ALIAS, steps=STEPS
    )


def _users_in(low: int, high: int) -> list[str]:
    """Users whose bucket is in [low, high), found by search (the hash is stable)."""
    found = [f"user-{n}" for n in range(5000) if low <= bucket(f"user-{n}") < high]
    assert found
    return found


def test_buckets_are_stable_and_spread_evenly():
    counts = [0] * 100
    for n in range(20_000):
        counts[bucket(f"user-{n}")] += 1
    assert bucket("user-1") == bucket("user-1")
    assert min(counts) > 120  # 200 expected per bucket
    assert max(counts) < 290


def test_a_user_below_the_weight_runs_the_canary_everyone_else_the_stable(stubbed):
    client, stub = stubbed
    cache = RoutingCache(client, function=FUNCTION, alias=ALIAS, ttl=5, clock=Clock())
    canary_user, stable_user = _users_in(0, 10)[0], _users_in(10, 100)[0]
    _alias(stub, "7", {"8": 0.1})
    _invoke(stub, "8", _event(canary_user))
    _invoke(stub, "7", _event(stable_user))
    _invoke(stub, "7", _event(None))  # no key: the stable version, never a coin toss
    assert _route(client, cache, _event(canary_user)) == {"ran": "8"}
    assert _route(client, cache, _event(stable_user)) == {"ran": "7"}
    assert _route(client, cache, _event(None)) == {"ran": "7"}


def test_a_user_moves_once_when_the_weight_passes_their_bucket(stubbed):
    client, stub = stubbed
    clock = Clock()
    cache = RoutingCache(client, function=FUNCTION, alias=ALIAS, ttl=5, clock=clock)
    user = _users_in(30, 40)[0]
    _alias(stub, "7", {"8": 0.1})
    _invoke(stub, "7", _event(user))
    _invoke(stub, "7", _event(user))  # still cached: no second GetAlias
    assert _route(client, cache, _event(user)) == {"ran": "7"}
    clock.now = 4.9
    assert _route(client, cache, _event(user)) == {"ran": "7"}
    clock.now = 5.0  # the cache expired: linear step to 50 %
    _alias(stub, "7", {"8": 0.5})
    _invoke(stub, "8", _event(user))
    assert _route(client, cache, _event(user)) == {"ran": "8"}
    clock.now = 10.0  # promoted: the alias points at 8 with no weights
    _alias(stub, "8")
    _invoke(stub, "8", _event(user))
    assert _route(client, cache, _event(user)) == {"ran": "8"}


def test_a_rollback_brings_everyone_back(stubbed):
    client, stub = stubbed
    clock = Clock()
    cache = RoutingCache(client, function=FUNCTION, alias=ALIAS, ttl=1, clock=clock)
    user = _users_in(0, 10)[0]
    _alias(stub, "7", {"8": 0.1})
    _invoke(stub, "8", _event(user))
    assert _route(client, cache, _event(user)) == {"ran": "8"}
    clock.now = 2
    _alias(stub, "7")  # CodeDeploy rolled back
    _invoke(stub, "7", _event(user))
    assert _route(client, cache, _event(user)) == {"ran": "7"}


def test_an_unreadable_alias_keeps_the_last_routing_then_falls_back_to_the_alias(stubbed):
    client, stub = stubbed
    clock = Clock()
    cache = RoutingCache(client, function=FUNCTION, alias=ALIAS, ttl=1, clock=clock)
    user = _users_in(0, 10)[0]
    _alias(stub, "7", {"8": 0.1})
    _invoke(stub, "8", _event(user))
    assert _route(client, cache, _event(user)) == {"ran": "8"}
    clock.now = 2
    stub.add_client_error("get_alias", "TooManyRequestsException")
    _invoke(stub, "8", _event(user))  # the last good routing
    assert _route(client, cache, _event(user)) == {"ran": "8"}
    fresh = RoutingCache(client, function=FUNCTION, alias=ALIAS, ttl=1, clock=clock)
    stub.add_client_error("get_alias", "AccessDeniedException")
    _invoke(stub, ALIAS, _event(user))  # never read: CodeDeploy's own weights decide
    assert _route(client, fresh, _event(user)) == {"ran": ALIAS}


def test_a_function_error_of_the_target_is_raised(stubbed):
    client, stub = stubbed
    cache = RoutingCache(client, function=FUNCTION, alias=ALIAS, ttl=5, clock=Clock())
    _alias(stub, "7")
    raw = b'{"errorMessage": "boom"}'
    stub.add_response(
        "invoke",
        {
            "StatusCode": 200,
            "FunctionError": "Unhandled",
            "Payload": StreamingBody(io.BytesIO(raw), len(raw)),
        },
    )
    with pytest.raises(sticky_router.TargetFunctionError, match="boom"):
        _route(client, cache, _event("u"))


@pytest.mark.parametrize(
    ("path", "event", "key"),
    [
        ("$.headers['x-tenant']", {"headers": {"x-tenant": "acme"}}, "acme"),
        ("$.items[0].id", {"items": [{"id": 7}]}, "7"),
        ("$.items[3].id", {"items": [{"id": 7}]}, None),
        ("$.user", {"user": ""}, None),
        ("$.user", {"user": {"nested": 1}}, None),
        ("$.user", [1, 2], None),
    ],
)
def test_key_paths(path, event, key):
    assert key_of(event, sticky_router.parse_key_path(path)) == key


@pytest.mark.parametrize("path", ["", "$", "requestContext.sub", "$.a..b", "$.a[x]", "$.a['b"])
def test_malformed_key_paths(path):
    with pytest.raises(ValueError, match="key path"):
        sticky_router.parse_key_path(path)


def test_routing_of_an_alias_answer():
    assert Routing.of_alias({"FunctionVersion": "3"}) == Routing("3")
    assert Routing.of_alias(
        {"FunctionVersion": "3", "RoutingConfig": {"AdditionalVersionWeights": {"4": 0.25}}}
    ) == Routing("3", "4", 0.25)


def test_the_routing_decision_costs_microseconds():
    """The router's own work per request (the invoke's network time is not measurable here)."""
    routing = Routing("7", "8", 0.1)
    started = time.perf_counter()
    for n in range(10_000):
        routing.version_for(bucket=bucket(key_of(_event(f"user-{n}"), STEPS) or ""))
    per_request = (time.perf_counter() - started) / 10_000
    assert per_request < 0.0005  # well under a millisecond, even on a busy CI machine
