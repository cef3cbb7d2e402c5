"""CodeDeploy pre/post-traffic hook that smoke-tests one exact Lambda version.

Configuration comes from environment variables set by ``SmokeTest``:

``SMOKE_TARGET_FUNCTION_ARN``
    Qualified ARN of the version under test (``arn:...:function:orders:7``).
``SMOKE_PAYLOAD``
    JSON event to send.
``SMOKE_EXPECT``
    Optional JSON the response must contain (subset match for objects).
``SMOKE_TARGET_TIMEOUT_SECONDS``
    The target's timeout; the invoke waits that long plus a margin.

Whatever happens -- success, function error, unexpected response, an exception in
this code -- the hook reports ``Succeeded`` or ``Failed`` to CodeDeploy before it
returns, so a deployment never waits for CodeDeploy's one-hour hook timeout.
Standard library and boto3 only.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from constructs_pkg.runtime.env import (
    SMOKE_EXPECT_ENV,
    SMOKE_PAYLOAD_ENV,
    SMOKE_TARGET_ENV,
    SMOKE_TARGET_TIMEOUT_ENV,
)

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

SUCCEEDED = "Succeeded"
FAILED = "Failed"
ACCESS_DENIED_RETRY_SECONDS = 30.0
INVOKE_MARGIN_SECONDS = 10


class SmokeTestFailedError(Exception):
    """The new version answered, but not the way the smoke test expects."""


def contains(actual: Any, expected: Any) -> bool:
    """Return True when ``actual`` contains ``expected``.

    Objects match when every expected key is present with a matching value
    (recursively); every other value must be equal.

    Examples
    --------
    >>> contains({"ok": True, "version": "7"}, {"ok": True})
    True
    >>> contains({"ok": False}, {"ok": True})
    False
    """
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and contains(actual[key], value) for key, value in expected.items()
        )
    return bool(actual == expected)


def run_smoke_test(
    lambda_client: Any,
    *,
    target: str,
    payload: str,
    expect: str | None,
    sleep: Callable[[float], None] = time.sleep,
    retry_seconds: float = ACCESS_DENIED_RETRY_SECONDS,
) -> str:
    """Invoke ``target`` with ``payload`` and check the answer.

    Returns a one-line description of the success; raises :class:`SmokeTestFailedError`
    when the version fails the test. An ``AccessDeniedException`` is retried for up
    to ``retry_seconds`` because the permission to invoke a new version is granted
    in the same deployment and IAM is eventually consistent.
    """
    waited = 0.0
    delay = 1.0
    while True:
        try:
            response = lambda_client.invoke(
                FunctionName=target,
                InvocationType="RequestResponse",
                Payload=payload.encode(),
            )
            break
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code")
            if code != "AccessDeniedException" or waited >= retry_seconds:
                raise
            logger.info("invoke of %s was denied, retrying in %.0f s", target, delay)
            sleep(delay)
            waited += delay
            delay = min(delay * 2, 8.0)
    body = response["Payload"].read().decode() if "Payload" in response else ""
    if response.get("FunctionError"):
        raise SmokeTestFailedError(
            f"{target} returned a function error ({response['FunctionError']}): {body[:1000]}"
        )
    if expect is not None:
        expected = json.loads(expect)
        try:
            actual = json.loads(body) if body else None
        except json.JSONDecodeError:
            raise SmokeTestFailedError(f"{target} returned non-JSON: {body[:1000]}") from None
        if not contains(actual, expected):
            raise SmokeTestFailedError(
                f"{target} returned {body[:1000]}, which does not contain {expect}"
            )
    return f"{target} passed the smoke test"


def report(
    codedeploy_client: Any,
    event: dict[str, Any],
    status: str,
    *,
    attempts: int = 3,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Tell CodeDeploy how the lifecycle hook ended, retrying a failed call a few times."""
    for attempt in range(1, attempts + 1):
        try:
            codedeploy_client.put_lifecycle_event_hook_execution_status(
                deploymentId=event["DeploymentId"],
                lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
                status=status,
            )
            return
        except Exception:
            if attempt == attempts:
                raise
            logger.warning("reporting %s to CodeDeploy failed, retrying", status, exc_info=True)
            sleep(float(attempt))


def handle(
    event: dict[str, Any],
    *,
    lambda_client: Any,
    codedeploy_client: Any,
    environ: Mapping[str, str] = os.environ,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, str]:
    """Run the smoke test described by ``environ`` and report the outcome to CodeDeploy."""
    status = FAILED
    detail = "smoke test did not run"
    try:
        detail = run_smoke_test(
            lambda_client,
            target=environ[SMOKE_TARGET_ENV],
            payload=environ[SMOKE_PAYLOAD_ENV],
            expect=environ.get(SMOKE_EXPECT_ENV),
            sleep=sleep,
        )
        status = SUCCEEDED
    except SmokeTestFailedError as exc:
        detail = str(exc)
    except Exception as exc:  # report every failure, never leave CodeDeploy waiting
        detail = f"smoke test crashed: {type(exc).__name__}: {exc}"
        logger.exception("smoke test crashed")
    finally:
        logger.info(json.dumps({"status": status, "detail": detail}))
        report(codedeploy_client, event, status, sleep=sleep)
    return {"status": status, "detail": detail}


def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    """Lambda entry point (``constructs_pkg.runtime.smoke_hook.handler``)."""
    import boto3
    from botocore.config import Config

    timeout = int(os.environ.get(SMOKE_TARGET_TIMEOUT_ENV, "3")) + INVOKE_MARGIN_SECONDS
    # One attempt only: a retried invoke would run the smoke test twice.
    lambda_client = boto3.client(
        "lambda",
        config=Config(read_timeout=timeout, retries={"max_attempts": 1, "mode": "standard"}),
    )
    codedeploy_client = boto3.client("codedeploy")
    return handle(event, lambda_client=lambda_client, codedeploy_client=codedeploy_client)
