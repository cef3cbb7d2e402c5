"""The bake hook against botocore's Stubber: it watches exactly the group's alarms, reports once."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from constructs_pkg.runtime import bake_hook, smoke_hook
from constructs_pkg.runtime.bake_hook import MAX_BAKE_SECONDS, POLL_SECONDS, BakeTiming
from constructs_pkg.runtime.env import (
    BAKE_SECONDS_ENV,
    SMOKE_EXPECT_ENV,
    SMOKE_PAYLOAD_ENV,
    SMOKE_TARGET_ENV,
    SMOKE_TARGET_TIMEOUT_ENV,
)

TARGET = "arn:aws:lambda:us-east-1:123456789012:function:orders:7"
EVENT = {"DeploymentId": "d-ABCDEF123", "LifecycleEventHookExecutionId": "hook-exec-1"}
REPORT = "put_lifecycle_event_hook_execution_status"
ALARMS = ["orders-errors", "orders-latency"]
TYPES = ["CompositeAlarm", "MetricAlarm"]


def _client(service: str, **kwargs: Any) -> Any:
    return boto3.client(
        service,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        **kwargs,
    )


class FakeClock:
    """Monotonic time that only moves when the hook sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@dataclass
class Clients:
    lam: Any
    lam_stub: Stubber
    cd: Any
    cd_stub: Stubber
    cw: Any
    cw_stub: Stubber


@pytest.fixture
def clients() -> Iterator[Clients]:
    lam, cd, cw = _client("lambda"), _client("codedeploy"), _client("cloudwatch")
    with Stubber(lam) as lam_stub, Stubber(cd) as cd_stub, Stubber(cw) as cw_stub:
        yield Clients(lam, lam_stub, cd, cd_stub, cw, cw_stub)
        # Every queued response was used: the report (queued last) was made, exactly once
        # (a second report would find no response queued and fail the test).
        lam_stub.assert_no_pending_responses()
        cd_stub.assert_no_pending_responses()
        cw_stub.assert_no_pending_responses()


def _expect_report(c: Clients, status: str) -> None:
    c.cd_stub.add_response(
        REPORT,
        {"lifecycleEventHookExecutionId": "hook-exec-1"},
        {
            "deploymentId": "d-ABCDEF123",
            "lifecycleEventHookExecutionId": "hook-exec-1",
            "status": status,
        },
    )


def _expect_group(
    c: Clients,
    *,
    enabled: bool = True,
    ignore: bool = False,
    alarms: list[str] | None = None,
) -> None:
    c.cd_stub.add_response(
        "get_deployment",
        {"deploymentInfo": {"applicationName": "orders-app", "deploymentGroupName": "orders"}},
        {"deploymentId": "d-ABCDEF123"},
    )
    c.cd_stub.add_response(
        "get_deployment_group",
        {
            "deploymentGroupInfo": {
                "applicationName": "orders-app",
                "deploymentGroupName": "orders",
                "alarmConfiguration": {
                    "enabled": enabled,
                    "ignorePollAlarmFailure": ignore,
                    "alarms": [{"name": n} for n in (ALARMS if alarms is None else alarms)],
                },
            }
        },
        {"applicationName": "orders-app", "deploymentGroupName": "orders"},
    )


def _alarm(name: str, state: str = "OK", reason: str = "fine") -> dict[str, str]:
    return {"AlarmName": name, "StateValue": state, "StateReason": reason}


def _expect_poll(
    c: Clients,
    metric: list[dict[str, str]] | None = None,
    composite: list[dict[str, str]] | None = None,
    names: list[str] | None = None,
) -> None:
    c.cw_stub.add_response(
        "describe_alarms",
        {
            "MetricAlarms": [_alarm(n) for n in ALARMS] if metric is None else metric,
            "CompositeAlarms": composite or [],
        },
        {"AlarmNames": ALARMS if names is None else names, "AlarmTypes": TYPES},
    )


def _environ(bake: str = "100", *, smoke: bool = False) -> dict[str, str]:
    env = {BAKE_SECONDS_ENV: bake}
    if smoke:
        env.update(
            {
                SMOKE_TARGET_ENV: TARGET,
                SMOKE_PAYLOAD_ENV: '{"ping": true}',
                SMOKE_EXPECT_ENV: '{"ok": true}',
                SMOKE_TARGET_TIMEOUT_ENV: "3",
            }
        )
    return env


def _run(
    c: Clients, environ: dict[str, str], clock: FakeClock | None = None, **kwargs: Any
) -> dict[str, str]:
    clock = clock or FakeClock()
    timeouts: list[float] = []

    def make_lambda_client(read_timeout: float) -> Any:
        timeouts.append(read_timeout)
        return c.lam

    result = bake_hook.handle(
        EVENT,
        codedeploy_client=c.cd,
        cloudwatch_client=c.cw,
        make_lambda_client=make_lambda_client,
        environ=environ,
        sleep=clock.sleep,
        clock=clock,
        **kwargs,
    )
    assert len(timeouts) <= 1
    return result


def _expect_invoke(c: Clients, answer: object, **response: Any) -> None:
    raw = json.dumps(answer).encode()
    c.lam_stub.add_response(
        "invoke",
        {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(raw), len(raw)), **response},
        {"FunctionName": TARGET, "InvocationType": "RequestResponse", "Payload": b'{"ping": true}'},
    )


# --- the bake -------------------------------------------------------------------------------


@pytest.mark.parametrize("bake", [100, 90, 20, 1, MAX_BAKE_SECONDS])
def test_quiet_bake_succeeds_after_polling_the_whole_bake(clients, bake):
    polls = math.ceil(bake / POLL_SECONDS) + 1  # one at once, every 20 s, one at the end
    _expect_group(clients)
    for _ in range(polls):
        _expect_poll(clients)
    _expect_report(clients, "Succeeded")
    clock = FakeClock()
    result = _run(clients, _environ(str(bake)), clock)
    assert (result["status"], result["report"]) == ("Succeeded", "reported")
    assert result["detail"] == (
        f"baked {bake} s watching 2 alarm(s) of orders-app/orders (orders-errors, "
        f"orders-latency) in {polls} checks: none in ALARM"
    )
    assert sum(clock.slept) == bake  # it really kept the deployment open for the bake
    assert all(pause <= POLL_SECONDS for pause in clock.slept)


def test_alarm_at_the_third_poll_fails_at_once(clients):
    _expect_group(clients)
    _expect_poll(clients)
    _expect_poll(clients)
    _expect_poll(
        clients,
        metric=[
            _alarm("orders-errors", "ALARM", "Threshold Crossed: 1 datapoint [7.0] > 1.0"),
            _alarm("orders-latency"),
        ],
    )
    _expect_report(clients, "Failed")  # and no 4th poll: none is queued
    clock = FakeClock()
    result = _run(clients, _environ("600"), clock)
    assert result["status"] == "Failed"
    assert result["detail"] == (
        "in ALARM after 40 of 600 s of the bake: orders-errors (Threshold Crossed: 1 "
        "datapoint [7.0] > 1.0)"
    )
    assert clock.slept == [20.0, 20.0]


def test_composite_alarm_in_alarm_is_caught(clients):
    _expect_group(clients, alarms=["orders-composite"])
    _expect_poll(
        clients,
        metric=[],
        composite=[_alarm("orders-composite", "ALARM", "errors AND latency")],
        names=["orders-composite"],
    )  # expected_params assert AlarmTypes=["CompositeAlarm", "MetricAlarm"]
    _expect_report(clients, "Failed")
    result = _run(clients, _environ())
    assert result["status"] == "Failed"
    assert "orders-composite (errors AND latency)" in result["detail"]


def test_insufficient_data_is_not_an_alarm(clients):
    _expect_group(clients)
    quiet = [_alarm("orders-errors", "INSUFFICIENT_DATA"), _alarm("orders-latency")]
    _expect_poll(clients, metric=quiet)
    _expect_poll(clients, metric=quiet)
    _expect_report(clients, "Succeeded")
    assert _run(clients, _environ("20"))["status"] == "Succeeded"


def test_alarm_in_the_final_check_fails(clients):
    _expect_group(clients)
    for _ in range(5):
        _expect_poll(clients)
    _expect_poll(clients, metric=[_alarm("orders-latency", "ALARM", "p99 > 1 s")])
    _expect_report(clients, "Failed")
    result = _run(clients, _environ("100"))
    assert result["detail"] == "in ALARM after 100 of 100 s of the bake: orders-latency (p99 > 1 s)"


@pytest.mark.parametrize(("enabled", "alarms"), [(False, None), (True, [])])
def test_disabled_or_no_alarms_end_the_bake_at_once(clients, enabled, alarms):
    _expect_group(clients, enabled=enabled, alarms=alarms)
    _expect_report(clients, "Succeeded")  # no describe_alarms queued: none may be made
    clock = FakeClock()
    result = _run(clients, _environ("600"), clock)
    assert result["status"] == "Succeeded"
    assert result["detail"] == (
        "alarms are disabled for deployment group orders-app/orders (or it has none): "
        "nothing to watch, no bake"
    )
    assert clock.slept == []


def test_no_bake_reads_no_alarms(clients):
    _expect_report(clients, "Succeeded")
    result = _run(clients, _environ("0"))
    assert (result["status"], result["detail"]) == ("Succeeded", "no bake (BAKE_SECONDS=0)")


# --- alarms that cannot be read: CodeDeploy's ignorePollAlarmFailure -------------------------


def test_missing_alarm_fails(clients):
    _expect_group(clients)
    _expect_poll(clients, metric=[_alarm("orders-errors")])
    _expect_report(clients, "Failed")
    result = _run(clients, _environ())
    assert result["status"] == "Failed"
    assert result["detail"] == (
        "cannot watch the alarms after 0 of 100 s of the bake: alarm(s) not found: "
        "orders-latency (deployment group orders-app/orders does not set "
        "ignorePollAlarmFailure)"
    )


def test_missing_alarm_with_ignore_poll_alarm_failure_keeps_baking(clients, caplog):
    _expect_group(clients, ignore=True)
    for _ in range(6):
        _expect_poll(clients, metric=[_alarm("orders-errors")])
    _expect_report(clients, "Succeeded")
    clock = FakeClock()
    result = _run(clients, _environ(), clock)
    assert result["status"] == "Succeeded"
    assert "in 6 checks: none in ALARM" in result["detail"]
    assert (
        "6 check(s) could not read the alarms (ignored: the group sets ignorePollAlarmFailure)"
        in result["detail"]
    )
    assert sum(clock.slept) == 100
    assert "alarm(s) not found: orders-latency" in caplog.text


def test_ignored_missing_alarm_does_not_hide_another_in_alarm(clients):
    _expect_group(clients, ignore=True)
    _expect_poll(clients, metric=[_alarm("orders-errors", "ALARM", "errors")])
    _expect_report(clients, "Failed")
    assert "orders-errors (errors)" in _run(clients, _environ())["detail"]


def test_throttled_describe_alarms_is_retried_then_ok(clients):
    _expect_group(clients)
    clients.cw_stub.add_client_error("describe_alarms", "Throttling", http_status_code=400)
    clients.cw_stub.add_client_error("describe_alarms", "InternalFailure", http_status_code=500)
    _expect_poll(clients)
    _expect_poll(clients)
    _expect_report(clients, "Succeeded")
    clock = FakeClock()
    result = _run(clients, _environ("20"), clock)
    assert result["status"] == "Succeeded"
    assert "in 2 checks" in result["detail"]
    assert clock.slept == [1.0, 2.0, 17.0]  # the retries' pauses count towards the bake


def test_describe_alarms_that_keeps_failing_fails(clients):
    _expect_group(clients)
    for _ in range(3):
        clients.cw_stub.add_client_error("describe_alarms", "Throttling", http_status_code=400)
    _expect_report(clients, "Failed")
    result = _run(clients, _environ())
    assert result["status"] == "Failed"
    assert "cannot watch the alarms after 0 of 100 s" in result["detail"]
    assert "DescribeAlarms failed (Throttling:" in result["detail"]


def test_denied_describe_alarms_is_not_retried_but_can_be_ignored(clients):
    _expect_group(clients, ignore=True)
    clients.cw_stub.add_client_error("describe_alarms", "AccessDenied", http_status_code=403)
    _expect_poll(clients)
    _expect_report(clients, "Succeeded")
    clock = FakeClock()
    result = _run(clients, _environ("20"), clock)
    assert result["status"] == "Succeeded"
    assert "1 check(s) could not read the alarms" in result["detail"]
    assert clock.slept == [20.0]


def test_unreadable_deployment_group_fails(clients):
    for _ in range(3):
        clients.cd_stub.add_client_error("get_deployment", "ThrottlingException")
    _expect_report(clients, "Failed")
    clock = FakeClock()
    result = _run(clients, _environ(), clock)
    assert result["status"] == "Failed"
    assert result["detail"].startswith(
        "cannot read the deployment group's alarms (ThrottlingException:"
    )
    assert clock.slept == [1.0, 2.0]


def test_throttled_get_deployment_is_retried(clients):
    clients.cd_stub.add_client_error("get_deployment", "ThrottlingException")
    _expect_group(clients, enabled=False)
    _expect_report(clients, "Succeeded")
    assert _run(clients, _environ())["status"] == "Succeeded"


# --- the smoke test first ---------------------------------------------------------------------


def test_smoke_test_then_bake(clients):
    _expect_invoke(clients, {"ok": True})
    _expect_group(clients)
    _expect_poll(clients)
    _expect_poll(clients)
    _expect_report(clients, "Succeeded")
    result = _run(clients, _environ("20", smoke=True))
    assert result["status"] == "Succeeded"
    assert result["detail"].startswith(f"{TARGET} passed the smoke test; baked 20 s watching")


def test_smoke_test_then_alarm_names_both(clients):
    _expect_invoke(clients, {"ok": True})
    _expect_group(clients)
    _expect_poll(
        clients, metric=[_alarm("orders-errors", "ALARM", "5xx"), _alarm("orders-latency")]
    )
    _expect_report(clients, "Failed")
    result = _run(clients, _environ("20", smoke=True))
    assert result["detail"] == (
        f"{TARGET} passed the smoke test; in ALARM after 0 of 20 s of the bake: orders-errors (5xx)"
    )


def test_failed_smoke_test_fails_without_a_bake(clients):
    _expect_invoke(clients, {"errorMessage": "boom"}, FunctionError="Unhandled")
    _expect_report(clients, "Failed")  # no get_deployment / describe_alarms queued
    result = _run(clients, _environ("600", smoke=True))
    assert result["status"] == "Failed"
    assert "function error (Unhandled)" in result["detail"]
    assert result["detail"].endswith("(no bake)")


def test_bad_smoke_timeout_fails_without_a_bake(clients):
    _expect_report(clients, "Failed")
    environ = {**_environ(smoke=True), SMOKE_TARGET_TIMEOUT_ENV: "soon"}
    result = _run(clients, environ)
    assert result["detail"] == (
        "SMOKE_TARGET_TIMEOUT_SECONDS='soon' is not a whole number of seconds from 1 to 900 "
        "(no bake)"
    )


@pytest.mark.parametrize(("remaining", "read_timeout"), [(683, 13), (645, 5)])
def test_smoke_read_timeout_leaves_the_bake_its_time(clients, remaining, read_timeout):
    # Hook sized for a 3 s target and a 600 s bake: 683 s, and the smoke test waits its usual
    # 13 s. With less time the wait shrinks, never the 600 s bake + 20 s + 15 s to report:
    # 645 - 15 - 620 - 5 (connect) = 5 s.
    _expect_invoke(clients, {"ok": True})
    _expect_group(clients, enabled=False)
    _expect_report(clients, "Succeeded")
    lam_timeouts: list[float] = []

    def make_lambda_client(timeout: float) -> Any:
        lam_timeouts.append(timeout)
        return clients.lam

    clock = FakeClock()
    result = bake_hook.handle(
        EVENT,
        codedeploy_client=clients.cd,
        cloudwatch_client=clients.cw,
        make_lambda_client=make_lambda_client,
        environ=_environ("600", smoke=True),
        sleep=clock.sleep,
        clock=clock,
        remaining_seconds=remaining,
    )
    assert result["status"] == "Succeeded"
    assert lam_timeouts == [read_timeout]


def test_no_time_for_smoke_test_and_bake_fails(clients):
    _expect_report(clients, "Failed")
    result = _run(clients, _environ("600", smoke=True), remaining_seconds=600)
    assert result["detail"] == (
        "only 600 s of the hook's run are left: no time to run the smoke test, bake and still "
        "report (size the hook with BakeTiming.for_bake)"
    )


# --- configuration and time -----------------------------------------------------------------


@pytest.mark.parametrize("raw", ["", "abc", "-5", "841", "3.5", " ", "1e3", "\uff11\uff10"])
def test_malformed_bake_seconds_fails_and_reports(clients, raw):
    _expect_report(clients, "Failed")
    result = _run(clients, _environ(raw))
    assert (result["status"], result["report"]) == ("Failed", "reported")
    assert result["detail"] == (
        f"BAKE_SECONDS={raw!r} is not a whole number of seconds from 0 to 840"
    )


def test_missing_bake_seconds_fails_and_reports(clients):
    _expect_report(clients, "Failed")
    result = _run(clients, {})
    assert result["detail"] == "BAKE_SECONDS=None is not a whole number of seconds from 0 to 840"


def test_bake_too_long_for_the_smoke_target_fails_with_the_sizing_error(clients):
    _expect_report(clients, "Failed")
    result = _run(clients, _environ("840", smoke=True))
    assert result["detail"].startswith(
        "a 840 s bake after a smoke test of a 3 s target needs a 923 s hook"
    )


def test_too_little_remaining_time_fails_without_a_short_bake(clients):
    _expect_report(clients, "Failed")  # no alarm reads: the bake cannot run in full
    clock = FakeClock()
    result = _run(clients, _environ("600"), clock, remaining_seconds=300)
    assert result["status"] == "Failed"
    assert result["detail"] == (
        "only 285 s of the hook's run are left before the 15 s kept to report: too few for "
        "the 600 s bake and its final alarm check (8 s); the hook's timeout is too small "
        "(size it with BakeTiming.for_bake), and a version is not promoted on a short bake"
    )
    assert clock.slept == []


def test_just_enough_remaining_time_bakes_in_full(clients):
    _expect_group(clients)
    for _ in range(2):
        _expect_poll(clients)
    _expect_report(clients, "Succeeded")
    result = _run(clients, _environ("20"), remaining_seconds=20 + 8 + 15)
    assert result["status"] == "Succeeded"


class SlowCloudWatch:
    """A CloudWatch client whose DescribeAlarms takes ``seconds`` of the fake clock."""

    def __init__(self, client: Any, clock: FakeClock, seconds: float) -> None:
        self.client, self.clock, self.seconds = client, clock, seconds

    def describe_alarms(self, **kwargs: Any) -> Any:
        self.clock.now += self.seconds
        return self.client.describe_alarms(**kwargs)


def test_slow_polls_that_leave_no_time_for_the_final_check_fail(clients):
    # Time is just enough at the start, but two 21 s polls eat it: at the final check only
    # 6 s are left before the report reserve, less than one call may take (8 s). The hook
    # reports Failed instead of running over (or skipping the check).
    _expect_group(clients)
    _expect_poll(clients)
    _expect_poll(clients)
    _expect_report(clients, "Failed")
    clock = FakeClock()
    result = bake_hook.handle(
        EVENT,
        codedeploy_client=clients.cd,
        cloudwatch_client=SlowCloudWatch(clients.cw, clock, 21),
        make_lambda_client=lambda t: clients.lam,
        environ=_environ("40"),
        sleep=clock.sleep,
        clock=clock,
        remaining_seconds=40 + 8 + 15,
    )
    assert result["status"] == "Failed"
    assert result["detail"] == (
        "the 40 s bake ran, but no time left for DescribeAlarms before the 15 s kept to "
        "report; a version is not promoted without its full bake"
    )
    assert clock.slept == []  # both polls overran their 20 s slot: no pause between them


def test_event_without_deployment_id_fails(clients):
    result = bake_hook.handle(
        {},
        codedeploy_client=clients.cd,
        cloudwatch_client=clients.cw,
        make_lambda_client=lambda t: clients.lam,
        environ=_environ(),
        sleep=FakeClock().sleep,
        clock=FakeClock(),
    )
    assert result["status"] == "Failed"
    assert result["detail"] == "the event names no DeploymentId: no alarms to watch"
    assert result["report"] == "not reported: the event names no deployment and hook execution"


def test_exception_inside_the_hook_is_reported_as_a_crash(clients):
    _expect_report(clients, "Failed")
    environ = _environ(smoke=True)
    del environ[SMOKE_PAYLOAD_ENV]  # KeyError inside the hook
    result = _run(clients, environ)
    assert result["status"] == "Failed"
    assert result["detail"].startswith("bake crashed: KeyError")
    assert result["report"] == "reported"


# --- sizing the hook ------------------------------------------------------------------------


def test_timing_without_smoke_allows_the_longest_bake():
    timing = BakeTiming.for_bake(MAX_BAKE_SECONDS, None)
    assert timing.hook_seconds == 15 + 10 + 840 + 20
    assert timing.hook_seconds <= smoke_hook.LAMBDA_MAX_TIMEOUT_SECONDS


def test_timing_with_smoke_adds_the_smoke_hook():
    timing = BakeTiming.for_bake(600, 3)
    assert timing.hook_seconds == smoke_hook.HookTiming.for_target(3).hook_seconds + 600 + 20
    assert BakeTiming.for_bake(817, 3).hook_seconds == 900  # the longest bake after it


def test_timing_over_lambdas_maximum_raises():
    with pytest.raises(ValueError, match=r"needs a 901 s hook .* bake at most 817 s"):
        BakeTiming.for_bake(818, 3)
    with pytest.raises(ValueError, match=r"after a smoke test of a 300 s target needs a"):
        BakeTiming.for_bake(600, 300)


@pytest.mark.parametrize("bake", [-1, 841, True, 1.0, "60"])
def test_timing_rejects_impossible_bakes(bake):
    with pytest.raises(ValueError, match=r"bake_seconds=.* expected a whole number"):
        BakeTiming.for_bake(bake, None)


def test_timing_default_lets_the_hook_bake_in_full(clients):
    # Without remaining_seconds the hook assumes the timeout BakeTiming gives it: enough.
    _expect_group(clients)
    for _ in range(math.ceil(MAX_BAKE_SECONDS / POLL_SECONDS) + 1):
        _expect_poll(clients)
    _expect_report(clients, "Succeeded")
    timing = BakeTiming.for_bake(MAX_BAKE_SECONDS, None)
    result = _run(clients, _environ(str(MAX_BAKE_SECONDS)), remaining_seconds=timing.hook_seconds)
    assert result["status"] == "Succeeded"


# --- the Lambda entry point -----------------------------------------------------------------


class _Context:
    def get_remaining_time_in_millis(self) -> int:
        return 345_000


def test_entry_point_creates_its_clients_and_reports(monkeypatch, clients):
    made: dict[str, Any] = {}
    by_service = {"codedeploy": clients.cd, "cloudwatch": clients.cw, "lambda": clients.lam}

    def fake_client(service: str, config: Any = None) -> Any:
        made[service] = config
        return by_service[service]

    monkeypatch.setattr(boto3, "client", fake_client)
    for name, value in _environ("300").items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(SMOKE_TARGET_ENV, raising=False)
    _expect_group(clients, enabled=False)
    _expect_report(clients, "Succeeded")
    result = bake_hook.handler(EVENT, _Context())
    assert (result["status"], result["report"]) == ("Succeeded", "reported")
    assert sorted(made) == ["cloudwatch", "codedeploy"]  # no smoke target: no Lambda client
    assert made["codedeploy"].read_timeout == smoke_hook.REPORT_CALL_TIMEOUT_SECONDS
    assert made["cloudwatch"].read_timeout == bake_hook.POLL_CALL_TIMEOUT_SECONDS
    assert made["cloudwatch"].retries == {"total_max_attempts": 1, "mode": "standard"}
