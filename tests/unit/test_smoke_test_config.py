from __future__ import annotations

import pytest

from constructs_pkg import ConfigurationError, SmokeTest
from constructs_pkg.defaults import SMOKE_MAX_JSON_BYTES


def test_payload_is_required():
    with pytest.raises(
        ConfigurationError, match=r"SmokeTest\(payload\)=None is not allowed.*would test nothing"
    ):
        SmokeTest(payload=None)


@pytest.mark.parametrize("payload", [{"ping": True}, [1, 2], "text", 0, False, {}])
def test_any_json_value_is_a_payload(payload):
    assert SmokeTest(payload=payload).payload == payload


def test_payload_json_is_key_sorted():
    assert SmokeTest(payload={"b": 1, "a": 2}).payload_json == '{"a": 2, "b": 1}'


@pytest.mark.parametrize("payload", [{"when": object()}, {1, 2}, float("nan")])
def test_non_json_payload_rejected(payload):
    with pytest.raises(ConfigurationError, match=r"SmokeTest\(payload\)=.* expected a JSON value"):
        SmokeTest(payload=payload)


def test_non_json_expect_rejected():
    with pytest.raises(ConfigurationError, match=r"SmokeTest\(expect\)=.* expected a JSON value"):
        SmokeTest(payload={}, expect={"x": object()})


def test_payload_size_limit_both_sides():
    overhead = len('{"k": ""}')
    SmokeTest(payload={"k": "x" * (SMOKE_MAX_JSON_BYTES - overhead)})
    with pytest.raises(ConfigurationError, match=rf"expected at most {SMOKE_MAX_JSON_BYTES} bytes"):
        SmokeTest(payload={"k": "x" * (SMOKE_MAX_JSON_BYTES - overhead + 1)})
