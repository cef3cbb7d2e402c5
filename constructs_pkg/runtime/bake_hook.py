"""CodeDeploy AfterAllowTraffic hook that bakes: it watches the alarms after the last shift.

Once all traffic is on the new version, CodeDeploy runs the AfterAllowTraffic hook and keeps
the deployment open until the hook reports. This hook uses that time: it keeps the
deployment open for ``BAKE_SECONDS`` seconds and checks the deployment group's own CloudWatch
alarms every :data:`POLL_SECONDS`. An alarm in ``ALARM`` makes it report ``Failed`` at once
(CodeDeploy then fails the deployment and rolls back); a bake that ends with no alarm
reports ``Succeeded``.

Configuration comes from environment variables (names in :mod:`constructs_pkg.runtime.env`):

``BAKE_SECONDS``
    Whole seconds to bake, 0 to :data:`MAX_BAKE_SECONDS` (0: no bake).
``SMOKE_TARGET_FUNCTION_ARN``, ``SMOKE_PAYLOAD``, ``SMOKE_EXPECT``, ``SMOKE_TARGET_TIMEOUT_SECONDS``
    Optional: when the target is set, the post-traffic smoke test of
    :mod:`constructs_pkg.runtime.smoke_hook` runs first, and a failed smoke test ends the hook
    with ``Failed`` before any bake.

The alarms watched are exactly the deployment group's (its ``alarmConfiguration``); an alarm
that cannot be read fails the bake unless the group sets ``ignorePollAlarmFailure``, as
CodeDeploy's own alarm polling does. The hook never runs past its own run: a hook whose time
cannot hold the whole bake reports ``Failed``, so a version is never promoted on a short bake
(size the hook with :meth:`BakeTiming.for_bake`). Like the smoke hook it reports exactly
once in every path and never raises. Standard library and boto3 only.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from constructs_pkg.runtime.env import (
    BAKE_SECONDS_ENV,
    SMOKE_EXPECT_ENV,
    SMOKE_PAYLOAD_ENV,
    SMOKE_TARGET_ENV,
    SMOKE_TARGET_TIMEOUT_ENV,
)
from constructs_pkg.runtime.smoke_hook import (
    CONNECT_TIMEOUT_SECONDS,
    FAILED,
    LAMBDA_MAX_TIMEOUT_SECONDS,
    REPORT_CALL_TIMEOUT_SECONDS,
    REPORT_RESERVE_SECONDS,
    SUCCEEDED,
    HookTiming,
    SmokeTestFailedError,
    _error_code,
    _retryable,
    finish,
    make_lambda_client,
    parse_target_timeout,
    remaining_seconds_of,
    run_smoke_test,
    single_attempt_client,
)

__all__ = [
    "ALARM_TYPES",
    "MAX_BAKE_SECONDS",
    "POLL_CALL_TIMEOUT_SECONDS",
    "POLL_SECONDS",
    "START_MARGIN_SECONDS",
    "AlarmCheck",
    "AlarmConfiguration",
    "BakeConfigError",
    "BakeFailedError",
    "BakeTiming",
    "check_alarms",
    "get_alarm_configuration",
    "handle",
    "handler",
    "parse_bake_seconds",
]

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

#: The longest bake: with the start margin, the report reserve and one poll of margin it
#: still fits in Lambda's 900 s (without a smoke test).
MAX_BAKE_SECONDS: Final = 840
#: Seconds between two checks of the alarms (CodeDeploy's own alarm polling is no faster).
POLL_SECONDS: Final = 20
#: Beyond the report reserve, for a hook without a smoke test: its cold start and the calls
#: that read the deployment group's alarm configuration.
START_MARGIN_SECONDS: Final = 10
#: Connect / read timeout of one CloudWatch DescribeAlarms call.
POLL_CALL_TIMEOUT_SECONDS: Final = 4
#: Both kinds: without ``AlarmTypes`` DescribeAlarms returns metric alarms only.
ALARM_TYPES: Final = ("CompositeAlarm", "MetricAlarm")

#: Calls of one read (GetDeployment, GetDeploymentGroup, DescribeAlarms) when it is throttled.
_ATTEMPTS: Final = 3
#: How much of an alarm's StateReason the detail quotes.
_REASON_CHARS: Final = 300

_T = TypeVar("_T")


class BakeFailedError(Exception):
    """The bake ends the deployment: an alarm, alarms that cannot be read, too little time."""


class BakeConfigError(BakeFailedError):
    """The hook's environment is not what its construct writes."""


class _OutOfTimeError(BakeFailedError):
    """No time is left for another call before the report reserve."""


@dataclass(frozen=True)
class BakeTiming:
    """The hook's timeout, derived from the bake and the optional smoke test's target.

    :attr:`hook_seconds` is the smoke hook's timeout (:meth:`HookTiming.for_target`) -- or,
    without a smoke test, :data:`REPORT_RESERVE_SECONDS` plus :data:`START_MARGIN_SECONDS`
    -- plus the bake plus one :data:`POLL_SECONDS` of margin for the final check.

    Examples
    --------
    >>> BakeTiming.for_bake(300, None)
    BakeTiming(bake_seconds=300, target_seconds=None, hook_seconds=345)
    >>> BakeTiming.for_bake(600, 3).hook_seconds  # 63 (smoke hook) + 600 + 20
    683
    >>> BakeTiming.for_bake(840, 3)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: a 840 s bake after a smoke test of a 3 s target needs a 923 s hook ...
    """

    bake_seconds: int
    target_seconds: int | None
    hook_seconds: int

    @classmethod
    def for_bake(cls, bake_seconds: int, target_seconds: int | None) -> BakeTiming:
        """Size the hook for ``bake_seconds`` (0-840) and a smoke target's timeout (or None).

        Raises
        ------
        ValueError
            When ``bake_seconds`` is not a whole number from 0 to :data:`MAX_BAKE_SECONDS`,
            ``target_seconds`` is not a Lambda timeout, or the hook would need more than
            Lambda's 900 s.
        """
        if (
            isinstance(bake_seconds, bool)
            or not isinstance(bake_seconds, int)
            or not 0 <= bake_seconds <= MAX_BAKE_SECONDS
        ):
            raise ValueError(
                f"bake_seconds={bake_seconds!r} is not allowed: expected a whole number of "
                f"seconds from 0 to {MAX_BAKE_SECONDS}"
            )
        if target_seconds is None:
            base = REPORT_RESERVE_SECONDS + START_MARGIN_SECONDS
            before = "without a smoke test"
        else:
            base = HookTiming.for_target(target_seconds).hook_seconds
            before = f"after a smoke test of a {target_seconds} s target"
        hook = base + bake_seconds + POLL_SECONDS
        if hook > LAMBDA_MAX_TIMEOUT_SECONDS:
            longest = LAMBDA_MAX_TIMEOUT_SECONDS - base - POLL_SECONDS
            raise ValueError(
                f"a {bake_seconds} s bake {before} needs a {hook} s hook ({base} s + the bake "
                f"+ {POLL_SECONDS} s for the final check), more than Lambda's "
                f"{LAMBDA_MAX_TIMEOUT_SECONDS} s maximum: bake at most {max(longest, 0)} s"
            )
        return cls(bake_seconds, target_seconds, hook)


def parse_bake_seconds(raw: str | None) -> int:
    """Read ``BAKE_SECONDS``; raise :class:`BakeConfigError` if malformed.

    Examples
    --------
    >>> parse_bake_seconds("600")
    600
    >>> parse_bake_seconds("10m")
    Traceback (most recent call last):
    ...
    constructs_pkg.runtime.bake_hook.BakeConfigError: BAKE_SECONDS='10m' is not a whole \
number of seconds from 0 to 840
    """
    text = (raw or "").strip()
    if text.isdigit() and text.isascii() and int(text) <= MAX_BAKE_SECONDS:
        return int(text)
    raise BakeConfigError(
        f"{BAKE_SECONDS_ENV}={raw!r} is not a whole number of seconds from 0 to {MAX_BAKE_SECONDS}"
    )


@dataclass(frozen=True)
class AlarmConfiguration:
    """A deployment group's ``alarmConfiguration``, as CodeDeploy uses it."""

    deployment_group: str
    enabled: bool
    ignore_poll_alarm_failure: bool
    names: tuple[str, ...]

    @property
    def watches(self) -> bool:
        """False for a group whose alarms are disabled or that has none (a hotfix)."""
        return self.enabled and bool(self.names)


@dataclass(frozen=True)
class AlarmCheck:
    """One look at the alarms: those in ``ALARM`` (name, reason) and those not found."""

    in_alarm: tuple[tuple[str, str], ...]
    missing: tuple[str, ...]


def _call(
    call: Callable[[], _T],
    *,
    what: str,
    call_seconds: float,
    sleep: Callable[[float], None],
    time_left: Callable[[], float],
) -> _T:
    """Make ``call``, retrying throttling and 5xx like ``report`` while time is left."""
    for attempt in range(1, _ATTEMPTS + 1):
        if time_left() < call_seconds:
            raise _OutOfTimeError(
                f"no time left for {what} before the {REPORT_RESERVE_SECONDS} s kept to report"
            )
        try:
            return call()
        except Exception as exc:
            pause = float(attempt)
            if not _retryable(exc) or attempt == _ATTEMPTS or time_left() < pause + call_seconds:
                raise
            code = _error_code(exc) or type(exc).__name__
            logger.warning("%s failed (%s), retrying in %.0f s", what, code, pause)
            sleep(pause)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def get_alarm_configuration(
    codedeploy_client: Any,
    deployment_id: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
    time_left: Callable[[], float] = lambda: math.inf,
) -> AlarmConfiguration:
    """Read the alarm configuration of the deployment group ``deployment_id`` belongs to.

    GetDeployment gives the application and deployment group, GetDeploymentGroup their
    ``alarmConfiguration``. Throttling and 5xx answers are retried a few times; any other
    error, or one that keeps coming, is raised.

    Examples
    --------
    >>> class FakeCodeDeploy:
    ...     def get_deployment(self, deploymentId):
    ...         return {"deploymentInfo": {"applicationName": "app",
    ...                                    "deploymentGroupName": "orders"}}
    ...     def get_deployment_group(self, applicationName, deploymentGroupName):
    ...         return {"deploymentGroupInfo": {"alarmConfiguration": {
    ...             "enabled": True, "alarms": [{"name": "orders-errors"}]}}}
    >>> get_alarm_configuration(FakeCodeDeploy(), "d-1")
    AlarmConfiguration(deployment_group='app/orders', enabled=True, \
ignore_poll_alarm_failure=False, names=('orders-errors',))
    """
    call_seconds = 2 * REPORT_CALL_TIMEOUT_SECONDS
    deployment = _call(
        lambda: codedeploy_client.get_deployment(deploymentId=deployment_id),
        what="GetDeployment",
        call_seconds=call_seconds,
        sleep=sleep,
        time_left=time_left,
    )["deploymentInfo"]
    application = deployment["applicationName"]
    group_name = deployment["deploymentGroupName"]
    group = _call(
        lambda: codedeploy_client.get_deployment_group(
            applicationName=application, deploymentGroupName=group_name
        ),
        what="GetDeploymentGroup",
        call_seconds=call_seconds,
        sleep=sleep,
        time_left=time_left,
    )["deploymentGroupInfo"]
    config = group.get("alarmConfiguration") or {}
    names = tuple(str(alarm["name"]) for alarm in config.get("alarms") or () if alarm.get("name"))
    return AlarmConfiguration(
        deployment_group=f"{application}/{group_name}",
        enabled=bool(config.get("enabled")),
        ignore_poll_alarm_failure=bool(config.get("ignorePollAlarmFailure")),
        names=names,
    )


def check_alarms(cloudwatch_client: Any, names: Sequence[str]) -> AlarmCheck:
    """Look at the alarms ``names`` once (metric and composite alarms alike).

    A deployment group has at most 10 alarms, well within DescribeAlarms' 100 names; a
    ``NextToken`` is followed all the same. Errors are raised.

    Examples
    --------
    >>> class FakeCloudWatch:
    ...     def describe_alarms(self, AlarmNames, AlarmTypes):
    ...         return {"MetricAlarms": [], "CompositeAlarms": [{"AlarmName": "orders",
    ...                 "StateValue": "ALARM", "StateReason": "errors in ALARM"}]}
    >>> check_alarms(FakeCloudWatch(), ["orders", "gone"])
    AlarmCheck(in_alarm=(('orders', 'errors in ALARM'),), missing=('gone',))
    """
    request: dict[str, Any] = {"AlarmNames": list(names), "AlarmTypes": list(ALARM_TYPES)}
    states: dict[str, tuple[str, str]] = {}
    while True:
        response = cloudwatch_client.describe_alarms(**request)
        for alarm in [*response.get("MetricAlarms", ()), *response.get("CompositeAlarms", ())]:
            states[alarm["AlarmName"]] = (
                str(alarm.get("StateValue", "")),
                str(alarm.get("StateReason", "")),
            )
        token = response.get("NextToken")
        if not token:
            break
        request["NextToken"] = token
    in_alarm = tuple(
        (name, states[name][1]) for name in names if name in states and states[name][0] == "ALARM"
    )
    return AlarmCheck(in_alarm, tuple(name for name in names if name not in states))


#: Connect + read timeout of one DescribeAlarms call: the time a poll needs.
_POLL_CALL_SECONDS: Final = 2 * POLL_CALL_TIMEOUT_SECONDS


def _bake(
    event: Mapping[str, Any],
    *,
    bake_seconds: int,
    codedeploy_client: Any,
    cloudwatch_client: Any,
    end: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> str:
    """Bake; return the success detail or raise :class:`BakeFailedError`."""
    if bake_seconds == 0:
        return f"no bake ({BAKE_SECONDS_ENV}=0)"
    watch_by = end - REPORT_RESERVE_SECONDS

    def time_left() -> float:
        return watch_by - clock()

    _check_time_for_bake(time_left(), bake_seconds)
    config = _read_alarm_configuration(event, codedeploy_client, sleep=sleep, time_left=time_left)
    if not config.watches:
        return (
            f"alarms are disabled for deployment group {config.deployment_group} (or it has "
            "none): nothing to watch, no bake"
        )
    polls, ignored = _watch_alarms(
        config,
        bake_seconds=bake_seconds,
        cloudwatch_client=cloudwatch_client,
        sleep=sleep,
        clock=clock,
        time_left=time_left,
    )
    detail = (
        f"baked {bake_seconds} s watching {len(config.names)} alarm(s) of "
        f"{config.deployment_group} ({', '.join(config.names)}) in {polls} checks: none in ALARM"
    )
    if ignored:
        detail += (
            f"; {len(ignored)} check(s) could not read the alarms (ignored: the group sets "
            "ignorePollAlarmFailure)"
        )
    return detail


def _check_time_for_bake(left: float, bake_seconds: int) -> None:
    """Raise :class:`BakeFailedError` if ``left`` seconds cannot hold the bake and its last poll."""
    if left < bake_seconds + _POLL_CALL_SECONDS:
        raise BakeFailedError(
            f"only {max(left, 0):.0f} s of the hook's run are left before the "
            f"{REPORT_RESERVE_SECONDS} s kept to report: too few for the {bake_seconds} s bake "
            f"and its final alarm check ({_POLL_CALL_SECONDS} s); the hook's timeout is too "
            "small (size it with BakeTiming.for_bake), and a version is not promoted on a "
            "short bake"
        )


def _read_alarm_configuration(
    event: Mapping[str, Any],
    codedeploy_client: Any,
    *,
    sleep: Callable[[float], None],
    time_left: Callable[[], float],
) -> AlarmConfiguration:
    """Read the alarm configuration of the event's deployment.

    Any failure to read it raises :class:`BakeFailedError`.
    """
    deployment_id = event.get("DeploymentId") if isinstance(event, Mapping) else None
    if not isinstance(deployment_id, str):
        raise BakeFailedError("the event names no DeploymentId: no alarms to watch")
    try:
        return get_alarm_configuration(
            codedeploy_client, deployment_id, sleep=sleep, time_left=time_left
        )
    except BakeFailedError:
        raise
    except Exception as exc:
        code = _error_code(exc) or type(exc).__name__
        raise BakeFailedError(
            f"cannot read the deployment group's alarms ({code}: {exc}): no bake"
        ) from None


def _watch_alarms(
    config: AlarmConfiguration,
    *,
    bake_seconds: int,
    cloudwatch_client: Any,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    time_left: Callable[[], float],
) -> tuple[int, list[str]]:
    """Check the alarms now, every :data:`POLL_SECONDS` and at the bake's end.

    Returns the number of checks and the problems ignored because the group sets
    ``ignorePollAlarmFailure``; raises :class:`BakeFailedError` as :func:`_check_once` does.
    """
    started = clock()
    bake_end = started + bake_seconds
    poll_at = started
    polls = 0
    ignored: list[str] = []
    while True:
        final = poll_at >= bake_end
        polls += 1
        problem = _check_once(
            config,
            baked=clock() - started,
            bake_seconds=bake_seconds,
            cloudwatch_client=cloudwatch_client,
            sleep=sleep,
            time_left=time_left,
        )
        if problem:
            ignored.append(problem)
        if final:
            return polls, ignored
        poll_at = min(poll_at + POLL_SECONDS, bake_end)
        pause = poll_at - clock()
        if pause > 0:
            sleep(pause)


def _check_once(
    config: AlarmConfiguration,
    *,
    baked: float,
    bake_seconds: int,
    cloudwatch_client: Any,
    sleep: Callable[[float], None],
    time_left: Callable[[], float],
) -> str:
    """Check the alarms once, ``baked`` seconds into the bake.

    Raises :class:`BakeFailedError` for an alarm in ``ALARM``, for no time left, and for
    alarms that cannot be read unless the group sets ``ignorePollAlarmFailure``; returns the
    problem so ignored (``""``: none).
    """
    try:
        found = _call(
            lambda: check_alarms(cloudwatch_client, config.names),
            what="DescribeAlarms",
            call_seconds=_POLL_CALL_SECONDS,
            sleep=sleep,
            time_left=time_left,
        )
    except _OutOfTimeError as exc:
        cut = (
            f"the {bake_seconds} s bake ran, but {exc}"
            if baked >= bake_seconds
            else f"bake cut short after {baked:.0f} of {bake_seconds} s: {exc}"
        )
        raise BakeFailedError(f"{cut}; a version is not promoted without its full bake") from None
    except Exception as exc:
        code = _error_code(exc) or type(exc).__name__
        problem = f"DescribeAlarms failed ({code}: {exc})"
    else:
        if found.in_alarm:
            alarms = "; ".join(
                f"{name} ({reason[:_REASON_CHARS]})" for name, reason in found.in_alarm
            )
            raise BakeFailedError(
                f"in ALARM after {baked:.0f} of {bake_seconds} s of the bake: {alarms}"
            )
        problem = f"alarm(s) not found: {', '.join(found.missing)}" if found.missing else ""
    if problem:
        if not config.ignore_poll_alarm_failure:
            raise BakeFailedError(
                f"cannot watch the alarms after {baked:.0f} of {bake_seconds} s of the "
                f"bake: {problem} (deployment group {config.deployment_group} does not "
                "set ignorePollAlarmFailure)"
            )
        logger.warning("%s; ignorePollAlarmFailure is set, the bake goes on", problem)
    return problem


def _smoke_test(
    *,
    target_seconds: int,
    bake_reserve: int,
    environ: Mapping[str, str],
    make_lambda_client: Callable[[float], Any],
    started: float,
    end: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> str:
    """Run the smoke test as the smoke hook does, leaving ``bake_reserve`` for the bake."""
    timing = HookTiming.for_target(target_seconds)
    invoke_by = end - REPORT_RESERVE_SECONDS - bake_reserve
    read_timeout = min(
        timing.invoke_read_timeout, math.floor(invoke_by - started - CONNECT_TIMEOUT_SECONDS)
    )
    if read_timeout < 1:
        raise BakeFailedError(
            f"only {end - started:.0f} s of the hook's run are left: no time to run the smoke "
            f"test, bake and still report (size the hook with BakeTiming.for_bake)"
        )
    return run_smoke_test(
        make_lambda_client(read_timeout),
        target=environ[SMOKE_TARGET_ENV],
        payload=environ[SMOKE_PAYLOAD_ENV],
        expect=environ.get(SMOKE_EXPECT_ENV),
        sleep=sleep,
        retry_seconds=timing.access_denied_retry_seconds,
        read_timeout=read_timeout,
        time_left=lambda: invoke_by - clock(),
    )


def _read_timing(environ: Mapping[str, str]) -> BakeTiming:
    """Read the bake and the smoke target from the environment; size the hook for them.

    Raises :class:`BakeConfigError` (for the target's timeout
    :class:`~constructs_pkg.runtime.smoke_hook.SmokeConfigError`) when the environment is not
    what the construct writes.
    """
    bake_seconds = parse_bake_seconds(environ.get(BAKE_SECONDS_ENV))
    smoke = bool(environ.get(SMOKE_TARGET_ENV))
    target_seconds = parse_target_timeout(environ.get(SMOKE_TARGET_TIMEOUT_ENV)) if smoke else None
    try:
        return BakeTiming.for_bake(bake_seconds, target_seconds)
    except ValueError as exc:
        raise BakeConfigError(str(exc)) from None


def handle(
    event: Mapping[str, Any],
    *,
    codedeploy_client: Any,
    cloudwatch_client: Any,
    make_lambda_client: Callable[[float], Any],
    environ: Mapping[str, str] = os.environ,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    remaining_seconds: float | None = None,
) -> dict[str, str]:
    """Run the optional smoke test, bake, and report the outcome to CodeDeploy once.

    ``make_lambda_client(read_timeout)`` returns the Lambda client for the smoke test.
    ``remaining_seconds`` is what is left of the hook's own run
    (``context.get_remaining_time_in_millis() / 1000``); default: the hook timeout
    :meth:`BakeTiming.for_bake` derives. Returns ``{"status", "detail", "report"}``.

    Examples
    --------
    >>> class FakeCodeDeploy:
    ...     def put_lifecycle_event_hook_execution_status(self, **kwargs):
    ...         return {}
    >>> handle({"DeploymentId": "d-1", "LifecycleEventHookExecutionId": "e-1"},
    ...        codedeploy_client=FakeCodeDeploy(), cloudwatch_client=None,
    ...        make_lambda_client=lambda timeout: None, environ={BAKE_SECONDS_ENV: "0"})
    {'status': 'Succeeded', 'detail': 'no bake (BAKE_SECONDS=0)', 'report': 'reported'}
    """
    started = clock()
    status = FAILED
    detail = "bake did not run"
    done: list[str] = []
    end: float | None = None if remaining_seconds is None else started + remaining_seconds
    try:
        timing = _read_timing(environ)
        bake_seconds = timing.bake_seconds
        if end is None:
            end = started + timing.hook_seconds
        if timing.target_seconds is not None:
            done.append(
                _smoke_test(
                    target_seconds=timing.target_seconds,
                    bake_reserve=bake_seconds + POLL_SECONDS if bake_seconds else 0,
                    environ=environ,
                    make_lambda_client=make_lambda_client,
                    started=started,
                    end=end,
                    sleep=sleep,
                    clock=clock,
                )
            )
        done.append(
            _bake(
                event,
                bake_seconds=bake_seconds,
                codedeploy_client=codedeploy_client,
                cloudwatch_client=cloudwatch_client,
                end=end,
                sleep=sleep,
                clock=clock,
            )
        )
        status = SUCCEEDED
        detail = "; ".join(done)
    except SmokeTestFailedError as exc:
        detail = f"{exc} (no bake)"
    except BakeFailedError as exc:
        detail = "; ".join([*done, str(exc)])
    except Exception as exc:  # report every failure, never leave CodeDeploy waiting
        detail = f"bake crashed: {type(exc).__name__}: {exc}"
        logger.exception("bake crashed")
    return finish(codedeploy_client, event, status, detail, end=end, sleep=sleep, clock=clock)


def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    """Lambda entry point (``constructs_pkg.runtime.bake_hook.handler``)."""
    try:
        # report() and the polls retry, so the clients make one attempt per call.
        codedeploy_client = single_attempt_client("codedeploy", REPORT_CALL_TIMEOUT_SECONDS)
    except Exception as exc:  # no client, no report; raising would only rerun the hook
        logger.exception("cannot create the CodeDeploy client")
        return {"status": FAILED, "detail": str(exc), "report": "not reported: no client"}
    try:
        cloudwatch_client = single_attempt_client("cloudwatch", POLL_CALL_TIMEOUT_SECONDS)
    except Exception as exc:  # nothing to watch the alarms with: not a bake
        logger.exception("cannot create the CloudWatch client")
        detail = f"bake crashed: cannot create the CloudWatch client: {exc}"
        return finish(codedeploy_client, event, FAILED, detail)
    return handle(
        event,
        codedeploy_client=codedeploy_client,
        cloudwatch_client=cloudwatch_client,
        make_lambda_client=make_lambda_client,
        remaining_seconds=remaining_seconds_of(context),
    )
