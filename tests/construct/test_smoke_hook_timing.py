"""SmokeTest.create_hook: the hook's timeout and what it is told derive from one number."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Duration, Stack
from aws_cdk.assertions import Annotations, Match, Template

from constructs_pkg import SafeFunction, SmokeTest
from constructs_pkg.release.smoke_test import HOOK_HANDLER
from constructs_pkg.runtime.env import SMOKE_TARGET_TIMEOUT_ENV
from constructs_pkg.runtime.smoke_hook import HookTiming
from tests.cdk_helpers import TEST_ENV, function_kwargs, new_app

#: target timeout (seconds) -> (hook timeout, a warning that the wait is capped)
CASES = {3: (63, False), 840: (900, False), 870: (900, False), 871: (900, True), 900: (900, True)}


@pytest.fixture(scope="module")
def stacks() -> dict[int, Stack]:
    app = new_app()
    built = {}
    for seconds in CASES:
        stack = Stack(app, f"Target{seconds}", env=TEST_ENV)
        SafeFunction(
            stack,
            "Orders",
            **function_kwargs(timeout=Duration.seconds(seconds)),
            smoke_test=SmokeTest(payload={}),
        )
        built[seconds] = stack
    return built


def _hook(stack: Stack) -> dict[str, Any]:
    functions = Template.from_stack(stack).find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": HOOK_HANDLER}}
    )
    (hook,) = functions.values()
    properties: dict[str, Any] = hook["Properties"]
    return properties


@pytest.mark.parametrize("seconds", sorted(CASES))
def test_hook_timeout_and_target_timeout(stacks: dict[int, Stack], seconds: int) -> None:
    hook_seconds, _ = CASES[seconds]
    properties = _hook(stacks[seconds])
    assert properties["Timeout"] == hook_seconds == HookTiming.for_target(seconds).hook_seconds
    assert properties["Environment"]["Variables"][SMOKE_TARGET_TIMEOUT_ENV] == str(seconds)


@pytest.mark.parametrize("seconds", sorted(CASES))
def test_a_capped_wait_is_a_warning(stacks: dict[int, Stack], seconds: int) -> None:
    _, warned = CASES[seconds]
    warnings = Annotations.from_stack(stacks[seconds]).find_warning(
        "*", Match.string_like_regexp("The smoke test waits at most")
    )
    assert bool(warnings) is warned
    if warned:
        wait = HookTiming.for_target(seconds).invoke_read_timeout
        assert f"waits at most {wait} s for the new version, whose timeout is {seconds} s" in str(
            warnings[0]
        )
