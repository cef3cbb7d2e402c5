"""CodeDeploy pre/post-traffic hook that smoke-tests one exact Lambda version.

Configuration comes from environment variables set by ``SmokeTest``:

``SMOKE_TARGET_FUNCTION_ARN``
    Qualified ARN of the version under test (``arn:...:function:orders:7``).
``SMOKE_PAYLOAD``
    JSON event to send.
``SMOKE_EXPECT``
    Optional JSON the response must contain (see :func:`contains`).
``SMOKE_TARGET_TIMEOUT_SECONDS``
    The target's timeout in whole seconds; every wait of the hook is derived from it
    (:class:`HookTiming`).

Whatever happens -- success, function error, unexpected response, a read timeout, a bad
configuration, an exception in this code -- the hook reports ``Succeeded`` or ``Failed`` to
CodeDeploy exactly once, within its own timeout, so a deployment never waits for
CodeDeploy's one-hour hook timeout. The handler never raises: CodeDeploy invokes hooks
asynchronously, and an exception would make Lambda run the smoke test again. Standard
library and boto3 only.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from constructs_pkg.runtime.env import (
    SMOKE_EXPECT_ENV,
    SMOKE_PAYLOAD_ENV,
    SMOKE_TARGET_ENV,
    SMOKE_TARGET_TIMEOUT_ENV,
)

__all__ = [
    "ACCESS_DENIED_RETRY_SECONDS",
    "FAILED",
    "INVOKE_MARGIN_SECONDS",
    "LAMBDA_MAX_TIMEOUT_SECONDS",
    "REPORT_RESERVE_SECONDS",
    "SUCCEEDED",
    "HookTiming",
    "SmokeConfigError",
    "SmokeTestFailedError",
    "contains",
    "handle",
    "handler",
    "parse_target_timeout",
    "report",
    "run_smoke_test",
]

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

SUCCEEDED: Final = "Succeeded"
FAILED: Final = "Failed"

#: Lambda's maximum function timeout (``constructs_pkg.limits`` has the same number; this
#: module cannot import it, it runs in Lambda without the rest of the library).
LAMBDA_MAX_TIMEOUT_SECONDS: Final = 900
#: Beyond the target's timeout: its cold start (init runs outside the timeout) and the network.
INVOKE_MARGIN_SECONDS: Final = 10
#: How long an ``AccessDeniedException`` is retried (IAM propagation of the new permission).
ACCESS_DENIED_RETRY_SECONDS: Final = 30
#: Connecting to the Lambda endpoint.
CONNECT_TIMEOUT_SECONDS: Final = 5
#: Kept free at the end of the hook's run for PutLifecycleEventHookExecutionStatus.
REPORT_RESERVE_SECONDS: Final = 15
#: Connect / read timeout of one PutLifecycleEventHookExecutionStatus call.
REPORT_CALL_TIMEOUT_SECONDS: Final = 3

#: Error codes worth retrying: throttling and the service's own failures.
_RETRYABLE_CODES = frozenset(
    {
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "RequestLimitExceeded",
        "RequestTimeout",
        "RequestTimeoutException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
    }
)
#: CodeDeploy's answer when this hook execution was reported before (a lost response).
_ALREADY_REPORTED = "LifecycleEventAlreadyCompletedException"


class SmokeTestFailedError(Exception):
    """The new version answered, but not the way the smoke test expects (or not in time)."""


class SmokeConfigError(SmokeTestFailedError):
    """The hook's environment is not what ``SmokeTest`` writes."""


@dataclass(frozen=True)
class HookTiming:
    """Every wait of the hook, derived from one number: the target's timeout.

    The construct sets the hook function's timeout to :attr:`hook_seconds`; the hook waits
    at most :attr:`invoke_read_timeout` for the target's answer and retries an
    ``AccessDeniedException`` for at most :attr:`access_denied_retry_seconds`, which leaves
    :data:`REPORT_RESERVE_SECONDS` to report. Near Lambda's 900 s maximum the wait is capped,
    so there is always time to report.

    Examples
    --------
    >>> HookTiming.for_target(3)
    HookTiming(target_seconds=3, hook_seconds=63, invoke_read_timeout=13, access_denied_retry_seconds=30)
    >>> HookTiming.for_target(900).invoke_read_timeout  # 900 - 15 (report) - 5 (connect)
    880
    """  # noqa: E501

    target_seconds: int
    hook_seconds: int
    invoke_read_timeout: int
    access_denied_retry_seconds: int

    @classmethod
    def for_target(cls, target_seconds: int) -> HookTiming:
        """Derive the timing for a target whose timeout is ``target_seconds`` (1-900)."""
        if (
            isinstance(target_seconds, bool)
            or not isinstance(target_seconds, int)
            or not 1 <= target_seconds <= LAMBDA_MAX_TIMEOUT_SECONDS
        ):
            raise ValueError(
                f"target_seconds={target_seconds!r} is not allowed: expected a whole number "
                f"of seconds from 1 to {LAMBDA_MAX_TIMEOUT_SECONDS} (a Lambda timeout)"
            )
        wanted_wait = target_seconds + INVOKE_MARGIN_SECONDS
        fixed = CONNECT_TIMEOUT_SECONDS + REPORT_RESERVE_SECONDS
        hook = min(wanted_wait + ACCESS_DENIED_RETRY_SECONDS + fixed, LAMBDA_MAX_TIMEOUT_SECONDS)
        wait = min(wanted_wait, hook - fixed)
        retry = min(ACCESS_DENIED_RETRY_SECONDS, hook - fixed - wait)
        return cls(target_seconds, hook, wait, retry)

    @property
    def waits_for_full_timeout(self) -> bool:
        """False when the target may run longer than the hook can wait for it."""
        return self.invoke_read_timeout >= self.target_seconds + INVOKE_MARGIN_SECONDS


def parse_target_timeout(raw: str | None) -> int:
    """Read ``SMOKE_TARGET_TIMEOUT_SECONDS``; raise :class:`SmokeConfigError` if malformed.

    Examples
    --------
    >>> parse_target_timeout("30")
    30
    >>> parse_target_timeout("30.5")
    Traceback (most recent call last):
    ...
    constructs_pkg.runtime.smoke_hook.SmokeConfigError: SMOKE_TARGET_TIMEOUT_SECONDS='30.5' \
is not a whole number of seconds from 1 to 900
    """
    text = (raw or "").strip()
    if text.isdigit() and text.isascii() and 1 <= int(text) <= LAMBDA_MAX_TIMEOUT_SECONDS:
        return int(text)
    raise SmokeConfigError(
        f"{SMOKE_TARGET_TIMEOUT_ENV}={raw!r} is not a whole number of seconds from 1 to "
        f"{LAMBDA_MAX_TIMEOUT_SECONDS}"
    )


def contains(actual: Any, expected: Any) -> bool:
    """Return True when the JSON value ``actual`` contains ``expected``.

    Objects match when every expected key is present with a matching value (recursively);
    lists match element by element and must have the same length; every other value must
    be equal **and of the same JSON type**: ``true`` is not ``1``, ``"1"`` is not ``1``;
    numbers compare by value (``1`` matches ``1.0``).

    Examples
    --------
    >>> contains({"ok": True, "version": "7"}, {"ok": True})
    True
    >>> contains({"ok": 1}, {"ok": True})
    False
    >>> contains({"n": 1.0}, {"n": 1})
    True
    """
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and contains(actual[key], value) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(contains(a, e) for a, e in zip(actual, expected, strict=True))
        )
    if _json_type(actual) != _json_type(expected):
        return False
    return bool(actual == expected)


#: The JSON type of a parsed value, for the type-aware comparison (bool before int).
_JSON_TYPES: Final = ((bool, "boolean"), (int | float, "number"), (str, "string"))


def _json_type(value: Any) -> str:
    for python_type, name in _JSON_TYPES:
        if isinstance(value, python_type):
            return name
    return "null" if value is None else type(value).__name__


def _error_code(exc: BaseException) -> str | None:
    """Return the service error code of a botocore ``ClientError`` (None for others)."""
    response = getattr(exc, "response", None)
    error = response.get("Error") if isinstance(response, Mapping) else None
    code = error.get("Code") if isinstance(error, Mapping) else None
    return str(code) if code else None


def _http_status(exc: BaseException) -> int:
    response = getattr(exc, "response", None)
    metadata = response.get("ResponseMetadata") if isinstance(response, Mapping) else None
    status = metadata.get("HTTPStatusCode") if isinstance(metadata, Mapping) else None
    return status if isinstance(status, int) else 0


def _retryable(exc: BaseException) -> bool:
    """Throttling, a 5xx, or a connection problem; not a rejected request."""
    code = _error_code(exc)
    if code is not None:
        return code in _RETRYABLE_CODES or _http_status(exc) >= 500
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import HTTPClientError

    return isinstance(exc, BotoConnectionError | HTTPClientError)


def _is_read_timeout(exc: BaseException) -> bool:
    from botocore.exceptions import ReadTimeoutError

    return isinstance(exc, ReadTimeoutError)


def run_smoke_test(
    lambda_client: Any,
    *,
    target: str,
    payload: str,
    expect: str | None,
    sleep: Callable[[float], None] = time.sleep,
    retry_seconds: float = ACCESS_DENIED_RETRY_SECONDS,
    read_timeout: float | None = None,
    time_left: Callable[[], float] | None = None,
) -> str:
    """Invoke ``target`` with ``payload`` and check the answer.

    Returns a one-line description of the success; raises :class:`SmokeTestFailedError`
    when the version fails the test (also when it does not answer within
    ``read_timeout``, the read timeout ``lambda_client`` was created with). An
    ``AccessDeniedException`` is retried for at most ``retry_seconds`` in all, because the
    permission to invoke a new version is granted in the same deployment and IAM is
    eventually consistent -- but only while ``time_left()`` still leaves a full
    ``read_timeout`` (plus the connect timeout) after the pause.
    """
    expected = json.loads(expect) if expect is not None else None
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
            if _is_read_timeout(exc):
                raise SmokeTestFailedError(
                    f"{target} did not answer within {read_timeout or 0:g} s (read timeout): "
                    "it hangs or runs longer than its timeout allows"
                ) from None
            pause = min(delay, retry_seconds - waited)
            needed = pause + (read_timeout or 0) + CONNECT_TIMEOUT_SECONDS
            if (
                _error_code(exc) != "AccessDeniedException"
                or pause <= 0
                or (time_left is not None and time_left() < needed)
            ):
                raise
            logger.info("invoke of %s was denied, retrying in %.0f s", target, pause)
            sleep(pause)
            waited += pause
            delay = min(delay * 2, 8.0)
    stream = response.get("Payload")
    body = stream.read().decode(errors="replace") if stream is not None else ""
    if response.get("FunctionError"):
        raise SmokeTestFailedError(
            f"{target} returned a function error ({response['FunctionError']}): {body[:1000]}"
        )
    if expect is not None:
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
    event: Mapping[str, Any],
    status: str,
    *,
    attempts: int = 3,
    sleep: Callable[[float], None] = time.sleep,
    time_left: Callable[[], float] | None = None,
) -> str:
    """Tell CodeDeploy how the lifecycle hook ended; return what became of the report.

    Throttling, 5xx answers and connection errors are retried (up to ``attempts`` calls,
    and only while ``time_left()`` leaves room for another call); any other error --
    an unknown deployment, a hook execution already completed, a validation error -- is
    final at once. Never raises: the result is ``"reported"``, ``"already reported"`` or
    ``"not reported: <why>"`` (CodeDeploy then fails the hook after its own timeout).
    """
    deployment = event.get("DeploymentId") if isinstance(event, Mapping) else None
    execution = event.get("LifecycleEventHookExecutionId") if isinstance(event, Mapping) else None
    if not isinstance(deployment, str) or not isinstance(execution, str):
        logger.error("the event has no DeploymentId / LifecycleEventHookExecutionId: no report")
        return "not reported: the event names no deployment and hook execution"
    for attempt in range(1, attempts + 1):
        try:
            codedeploy_client.put_lifecycle_event_hook_execution_status(
                deploymentId=deployment,
                lifecycleEventHookExecutionId=execution,
                status=status,
            )
            return "reported"
        except Exception as exc:
            code = _error_code(exc) or type(exc).__name__
            if code == _ALREADY_REPORTED:
                return "already reported"
            pause = float(attempt)
            room = time_left is None or time_left() >= pause + 2 * REPORT_CALL_TIMEOUT_SECONDS
            if not _retryable(exc) or attempt == attempts or not room:
                logger.error("reporting %s to CodeDeploy failed: %s", status, code, exc_info=True)
                return f"not reported: {code}"
            logger.warning("reporting %s to CodeDeploy failed (%s), retrying", status, code)
            sleep(pause)
    return "not reported"  # pragma: no cover - the loop returns on its last attempt


def finish(
    codedeploy_client: Any,
    event: Mapping[str, Any],
    status: str,
    detail: str,
    *,
    end: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, str]:
    """Report ``status`` once (retrying only until ``end``), log the outcome and return it.

    The last step of every hook: ``{"status", "detail", "report"}``, logged as one JSON line.
    """
    outcome = report(
        codedeploy_client,
        event,
        status,
        sleep=sleep,
        time_left=None if end is None else (lambda: end - clock()),
    )
    logger.info(json.dumps({"status": status, "detail": detail, "report": outcome}))
    return {"status": status, "detail": detail, "report": outcome}


def remaining_seconds_of(context: Any) -> float | None:
    """Return what is left of the hook's own run, from the Lambda context (None: unknown)."""
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        return float(context.get_remaining_time_in_millis()) / 1000
    return None


def single_attempt_client(service: str, timeout_seconds: float) -> Any:
    """Return a boto3 client that makes one attempt per call (the hooks retry themselves)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        config=Config(
            connect_timeout=timeout_seconds,
            read_timeout=timeout_seconds,
            retries={"total_max_attempts": 1, "mode": "standard"},
        ),
    )


def make_lambda_client(read_timeout: float) -> Any:
    """Return the Lambda client that invokes the target once, waiting ``read_timeout``.

    One attempt only: a retried invoke would run the smoke test twice. TCP keepalive keeps
    a long wait alive through NAT gateways (they drop idle connections).
    """
    import boto3
    from botocore.config import Config

    return boto3.client(
        "lambda",
        config=Config(
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            read_timeout=read_timeout,
            retries={"total_max_attempts": 1, "mode": "standard"},
            tcp_keepalive=True,
        ),
    )


def handle(
    event: Mapping[str, Any],
    *,
    make_lambda_client: Callable[[float], Any],
    codedeploy_client: Any,
    environ: Mapping[str, str] = os.environ,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    remaining_seconds: float | None = None,
) -> dict[str, str]:
    """Run the smoke test described by ``environ`` and report the outcome once.

    ``make_lambda_client(read_timeout)`` returns the Lambda client to invoke the target
    with, created with that read timeout. ``remaining_seconds`` is what is left of the
    hook's own run (``context.get_remaining_time_in_millis() / 1000``); default: the hook
    timeout :class:`HookTiming` derives.
    """
    started = clock()
    status = FAILED
    detail = "smoke test did not run"
    end: float | None = None if remaining_seconds is None else started + remaining_seconds
    try:
        timing = HookTiming.for_target(parse_target_timeout(environ.get(SMOKE_TARGET_TIMEOUT_ENV)))
        if end is None:
            end = started + timing.hook_seconds
        invoke_by = end - REPORT_RESERVE_SECONDS
        read_timeout = min(
            timing.invoke_read_timeout, math.floor(invoke_by - started - CONNECT_TIMEOUT_SECONDS)
        )
        if read_timeout < 1:
            raise SmokeTestFailedError(
                f"only {end - started:.0f} s of the hook's run are left: no time to invoke "
                "the target and still report"
            )
        detail = run_smoke_test(
            make_lambda_client(read_timeout),
            target=environ[SMOKE_TARGET_ENV],
            payload=environ[SMOKE_PAYLOAD_ENV],
            expect=environ.get(SMOKE_EXPECT_ENV),
            sleep=sleep,
            retry_seconds=timing.access_denied_retry_seconds,
            read_timeout=read_timeout,
            time_left=lambda: invoke_by - clock(),
        )
        status = SUCCEEDED
    except SmokeTestFailedError as exc:
        detail = str(exc)
    except Exception as exc:  # report every failure, never leave CodeDeploy waiting
        detail = f"smoke test crashed: {type(exc).__name__}: {exc}"
        logger.exception("smoke test crashed")
    return finish(codedeploy_client, event, status, detail, end=end, sleep=sleep, clock=clock)


def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    """Lambda entry point (``constructs_pkg.runtime.smoke_hook.handler``)."""
    try:
        # report() retries, so the client makes one attempt per call.
        codedeploy_client = single_attempt_client("codedeploy", REPORT_CALL_TIMEOUT_SECONDS)
    except Exception as exc:  # no client, no report; raising would only rerun the test
        logger.exception("cannot create the CodeDeploy client")
        return {"status": FAILED, "detail": str(exc), "report": "not reported: no client"}
    return handle(
        event,
        make_lambda_client=make_lambda_client,
        codedeploy_client=codedeploy_client,
        remaining_seconds=remaining_seconds_of(context),
    )
