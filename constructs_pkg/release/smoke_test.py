"""Smoke tests run by CodeDeploy lifecycle hooks before (or after) traffic shifts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import Annotations, Duration
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from constructs_pkg import defaults, limits
from constructs_pkg._validation import function_timeout_seconds
from constructs_pkg.errors import ConfigurationError
from constructs_pkg.release.runtime_layer import runtime_code
from constructs_pkg.runtime import env
from constructs_pkg.runtime.smoke_hook import HookTiming

__all__ = ["SmokeTest"]

HOOK_HANDLER = "constructs_pkg.runtime.smoke_hook.handler"
HOOK_RUNTIME = lambda_.Runtime.PYTHON_3_14


@dataclass(frozen=True)
class SmokeTest:
    """A managed CodeDeploy hook that invokes the new version and checks its answer.

    The hook function is created for you (code in ``constructs_pkg.runtime.smoke_hook``,
    standard library and boto3 only). It is told the exact new version, invokes it
    synchronously with ``payload``, fails on a function error or when the response
    does not contain ``expect``, and always reports ``Succeeded`` or ``Failed`` to
    CodeDeploy, also when it crashes, so a deployment never waits for the one-hour
    hook timeout.

    Parameters
    ----------
    payload
        The event sent to the new version: any JSON value, at most 1536 bytes as JSON
        (it travels in an environment variable). Required.
    expect
        The response must contain this: for an object, every key with an equal value
        (nested objects compared the same way); anything else must be equal.
        Default: any response without a function error passes.

    Examples
    --------
    >>> SmokeTest(payload={"ping": True}, expect={"ok": True}).payload_json
    '{"ping": true}'
    """

    payload: Any
    expect: Any = None

    #: How the boundary's errors show a SmokeTest.
    __example__ = 'SmokeTest(payload={"ping": True})'

    def __post_init__(self) -> None:
        if self.payload is None:
            raise ConfigurationError(
                "SmokeTest(payload)",
                None,
                "a JSON value to send to the new version",
                reason="A smoke test without a payload would test nothing.",
            )
        _check_json("SmokeTest(payload)", self.payload)
        if self.expect is not None:
            _check_json("SmokeTest(expect)", self.expect)

    @property
    def payload_json(self) -> str:
        """The payload as key-sorted JSON (what the hook sends)."""
        return json.dumps(self.payload, sort_keys=True, separators=(", ", ": "))

    @property
    def expect_json(self) -> str | None:
        """The expectation as key-sorted JSON, or None."""
        if self.expect is None:
            return None
        return json.dumps(self.expect, sort_keys=True, separators=(", ", ": "))

    def create_hook(
        self,
        scope: Construct,
        construct_id: str,
        *,
        target: lambda_.IVersion,
        target_timeout: Duration | None,
    ) -> lambda_.Function:
        """Create the hook function that smoke-tests ``target`` and allow it to invoke it.

        The hook's timeout, how long it waits for ``target`` and how long it retries an
        ``AccessDeniedException`` all derive from ``target_timeout``
        (:class:`constructs_pkg.runtime.smoke_hook.HookTiming`), so the hook always has time
        left to report; near Lambda's 900 s maximum the wait is capped (with a warning).
        """
        # A token timeout is unknown here: size the hook for Lambda's default.
        target_seconds = target_timeout_seconds(target_timeout)
        timing = HookTiming.for_target(target_seconds)
        if not timing.waits_for_full_timeout:
            Annotations.of(scope).add_warning_v2(
                "constructs_pkg:smoke-hook-wait",
                f"The smoke test waits at most {timing.invoke_read_timeout} s for the new "
                f"version, whose timeout is {target_seconds} s: the hook cannot run longer than "
                f"{timing.hook_seconds} s and must keep time to report to CodeDeploy. A smoke "
                "payload that answers quickly avoids a false failure.",
            )
        environment = self.hook_environment(target, timing.target_seconds)
        hook = hook_function(
            scope,
            construct_id,
            handler=HOOK_HANDLER,
            timeout_seconds=timing.hook_seconds,
            environment=environment,
            description=f"Smoke test of {scope.node.path} (CodeDeploy lifecycle hook)",
        )
        target.grant_invoke(hook)
        return hook

    def hook_environment(self, target: lambda_.IVersion, target_seconds: int) -> dict[str, str]:
        """Return the environment a hook reads this smoke test from (``runtime.smoke_hook``)."""
        environment = {
            env.SMOKE_TARGET_ENV: target.function_arn,
            env.SMOKE_PAYLOAD_ENV: self.payload_json,
            env.SMOKE_TARGET_TIMEOUT_ENV: str(target_seconds),
        }
        if self.expect_json is not None:
            environment[env.SMOKE_EXPECT_ENV] = self.expect_json
        return environment


def hook_function(
    scope: Construct,
    construct_id: str,
    *,
    handler: str,
    timeout_seconds: int,
    environment: dict[str, str],
    description: str,
) -> lambda_.Function:
    """Create a CodeDeploy lifecycle hook function running the library's runtime code."""
    return lambda_.Function(
        scope,
        construct_id,
        code=runtime_code(),
        handler=handler,
        runtime=HOOK_RUNTIME,
        timeout=Duration.seconds(timeout_seconds),
        memory_size=defaults.SMOKE_HOOK_MEMORY_MB,
        environment=environment,
        description=description,
    )


def target_timeout_seconds(target_timeout: Duration | None) -> int:
    """Return the smoke target's timeout in whole seconds, 1-900 (Lambda's default for a token)."""
    seconds = int(function_timeout_seconds(target_timeout) or limits.LAMBDA_DEFAULT_TIMEOUT_SECONDS)
    return max(1, min(seconds, limits.LAMBDA_MAX_TIMEOUT_SECONDS))


def _check_json(argument: str, value: Any) -> None:
    if isinstance(value, Mapping):
        value = dict(value)
    try:
        text = json.dumps(value, sort_keys=True, separators=(", ", ": "), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(
            argument, value, "a JSON value (dict, list, str, number, bool)", reason=str(exc)
        ) from None
    size = len(text.encode())
    if size > defaults.SMOKE_MAX_JSON_BYTES:
        raise ConfigurationError(
            argument,
            f"<{size} bytes of JSON>",
            f"at most {defaults.SMOKE_MAX_JSON_BYTES} bytes of JSON",
            reason="It is passed to the hook in an environment variable (4 KB in total).",
        )
