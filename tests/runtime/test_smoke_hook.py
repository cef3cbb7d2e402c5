"""The smoke hook against botocore's Stubber: every outcome is reported to CodeDeploy, once."""

from __future__ import annotations

import ast
import io
import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from constructs_pkg import limits
from constructs_pkg.runtime import smoke_hook
from constructs_pkg.runtime.env import (
    SMOKE_EXPECT_ENV,
    SMOKE_PAYLOAD_ENV,
    SMOKE_TARGET_ENV,
    SMOKE_TARGET_TIMEOUT_ENV,
)
from constructs_pkg.runtime.smoke_hook import HookTiming

TARGET = "arn:aws:lambda:eu-west-1:123456789012:function:orders:7"
EVENT = {"DeploymentId": "d-ABCDEF123", "LifecycleEventHookExecutionId": "hook-exec-1"}
REPORT = "put_lifecycle_event_hook_execution_status"


def _client(service: str, **kwargs: Any) -> Any:
    return boto3.client(
        service,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        **kwargs,
    )


def _body(payload: object) -> StreamingBody:
    raw = json.dumps(payload).encode()
    return StreamingBody(io.BytesIO(raw), len(raw))


class FakeClock:
    """Monotonic time that only moves when the hook sleeps (or a test advances it)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clients():
    lam, cd = _client("lambda"), _client("codedeploy")
    with Stubber(lam) as lam_stub, Stubber(cd) as cd_stub:
        yield lam, lam_stub, cd, cd_stub
        lam_stub.assert_no_pending_responses()
        cd_stub.assert_no_pending_responses()


def _expect_invoke(stub: Stubber, payload: str, response: dict[str, object]) -> None:
    stub.add_response(
        "invoke",
        {"StatusCode": 200, **response},
        {"FunctionName": TARGET, "InvocationType": "RequestResponse", "Payload": payload.encode()},
    )


def _expect_report(stub: Stubber, status: str) -> None:
    stub.add_response(
        REPORT,
        {"lifecycleEventHookExecutionId": "hook-exec-1"},
        {
            "deploymentId": "d-ABCDEF123",
            "lifecycleEventHookExecutionId": "hook-exec-1",
            "status": status,
        },
    )


def _environ(expect: str | None = '{"ok": true}', timeout: str = "3") -> dict[str, str]:
    env = {
        SMOKE_TARGET_ENV: TARGET,
        SMOKE_PAYLOAD_ENV: '{"ping": true}',
        SMOKE_TARGET_TIMEOUT_ENV: timeout,
    }
    if expect is not None:
        env[SMOKE_EXPECT_ENV] = expect
    return env


def _run(clients, environ, *, clock: FakeClock | None = None, **kwargs: Any) -> dict[str, str]:
    lam, _, cd, _ = clients
    clock = clock or FakeClock()
    timeouts: list[float] = []

    def make_lambda_client(read_timeout: float) -> Any:
        timeouts.append(read_timeout)
        return lam

    result = smoke_hook.handle(
        EVENT,
        make_lambda_client=make_lambda_client,
        codedeploy_client=cd,
        environ=environ,
        sleep=clock.sleep,
        clock=clock,
        **kwargs,
    )
    assert len(timeouts) <= 1
    return {**result, "read_timeouts": json.dumps(timeouts)}


# --- outcomes ------------------------------------------------------------------------------


def test_success_reports_succeeded_once(clients):
    _, lam_stub, _, cd_stub = clients
    _expect_invoke(lam_stub, '{"ping": true}', {"Payload": _body({"ok": True, "extra": 1})})
    _expect_report(cd_stub, "Succeeded")
    result = _run(clients, _environ())
    assert (result["status"], result["report"]) == ("Succeeded", "reported")
    # The target's 3 s + 10 s margin: the read timeout the Lambda client is created with.
    assert json.loads(result["read_timeouts"]) == [13]


def test_no_expectation_only_requires_no_function_error(clients):
    _, lam_stub, _, cd_stub = clients
    _expect_invoke(lam_stub, '{"ping": true}', {"Payload": _body("anything")})
    _expect_report(cd_stub, "Succeeded")
    assert _run(clients, _environ(expect=None))["status"] == "Succeeded"


def test_function_error_reports_failed(clients):
    _, lam_stub, _, cd_stub = clients
    _expect_invoke(
        lam_stub,
        '{"ping": true}',
        {"FunctionError": "Unhandled", "Payload": _body({"errorMessage": "boom"})},
    )
    _expect_report(cd_stub, "Failed")
    result = _run(clients, _environ())
    assert result["status"] == "Failed"
    assert "function error (Unhandled)" in result["detail"]
    assert "boom" in result["detail"]


def test_unexpected_response_reports_failed(clients):
    _, lam_stub, _, cd_stub = clients
    _expect_invoke(lam_stub, '{"ping": true}', {"Payload": _body({"ok": False})})
    _expect_report(cd_stub, "Failed")
    result = _run(clients, _environ())
    assert result["status"] == "Failed"
    assert "does not contain" in result["detail"]


@pytest.mark.parametrize(
    ("answer", "status"),
    [({"ok": 1}, "Failed"), ({"ok": "true"}, "Failed"), ({"ok": True}, "Succeeded")],
)
def test_expectation_is_type_aware_end_to_end(clients, answer, status):
    _, lam_stub, _, cd_stub = clients
    _expect_invoke(lam_stub, '{"ping": true}', {"Payload": _body(answer)})
    _expect_report(cd_stub, status)
    assert _run(clients, _environ())["status"] == status


def test_non_json_response_reports_failed(clients):
    _, lam_stub, _, cd_stub = clients
    raw = b"<html>"
    _expect_invoke(
        lam_stub, '{"ping": true}', {"Payload": StreamingBody(io.BytesIO(raw), len(raw))}
    )
    _expect_report(cd_stub, "Failed")
    assert "non-JSON" in _run(clients, _environ())["detail"]


def test_exception_inside_the_hook_reports_failed(clients):
    _, _, _, cd_stub = clients
    _expect_report(cd_stub, "Failed")
    environ = _environ()
    del environ[SMOKE_PAYLOAD_ENV]  # KeyError inside the hook
    result = _run(clients, environ)
    assert result["status"] == "Failed"
    assert result["detail"].startswith("smoke test crashed: KeyError")
    assert result["report"] == "reported"


def test_invoke_service_error_reports_failed(clients):
    _, lam_stub, _, cd_stub = clients
    lam_stub.add_client_error("invoke", "ResourceNotFoundException", "no such version")
    _expect_report(cd_stub, "Failed")
    assert "ResourceNotFoundException" in _run(clients, _environ())["detail"]


@pytest.mark.parametrize("raw", ["", "abc", "0", "901", "-5", "3.5", " ", "1e3", "\uff11\uff10"])
def test_bad_target_timeout_still_reports_failed(clients, raw):
    _, _, _, cd_stub = clients
    _expect_report(cd_stub, "Failed")  # and no invoke: the Stubber has none queued
    environ = _environ(timeout=raw)
    result = _run(clients, environ)
    assert result["status"] == "Failed"
    assert result["detail"] == (
        f"SMOKE_TARGET_TIMEOUT_SECONDS={raw!r} is not a whole number of seconds from 1 to 900"
    )
    assert result["report"] == "reported"


def test_missing_target_timeout_still_reports_failed(clients):
    _, _, _, cd_stub = clients
    _expect_report(cd_stub, "Failed")
    environ = _environ()
    del environ[SMOKE_TARGET_TIMEOUT_ENV]
    assert "SMOKE_TARGET_TIMEOUT_SECONDS=None" in _run(clients, environ)["detail"]


@pytest.mark.parametrize(("raw", "seconds"), [("1", 1), ("900", 900), (" 30 ", 30)])
def test_target_timeout_bounds_accepted(raw, seconds):
    assert smoke_hook.parse_target_timeout(raw) == seconds


# --- AccessDenied retries, bounded by the retry budget and by the time left --------------


def test_access_denied_is_retried_while_iam_propagates(clients):
    _, lam_stub, _, cd_stub = clients
    lam_stub.add_client_error("invoke", "AccessDeniedException", "not yet")
    lam_stub.add_client_error("invoke", "AccessDeniedException", "not yet")
    _expect_invoke(lam_stub, '{"ping": true}', {"Payload": _body({"ok": True})})
    _expect_report(cd_stub, "Succeeded")
    assert _run(clients, _environ())["status"] == "Succeeded"


def test_access_denied_retries_stop_at_the_budget(clients):
    lam, lam_stub, _, _ = clients
    for _ in range(7):  # 6 pauses adding up to exactly 30 s, then the 7th try fails
        lam_stub.add_client_error("invoke", "AccessDeniedException", "denied")
    clock = FakeClock()
    with pytest.raises(Exception, match="AccessDenied"):
        smoke_hook.run_smoke_test(
            lam, target=TARGET, payload="{}", expect=None, sleep=clock.sleep, retry_seconds=30
        )
    assert clock.slept == [1.0, 2.0, 4.0, 8.0, 8.0, 7.0]
    assert sum(clock.slept) == smoke_hook.ACCESS_DENIED_RETRY_SECONDS


def test_access_denied_is_not_retried_without_time_for_a_full_wait(clients):
    # Target 880 s: the hook (900 s) keeps 15 s to report, 5 s to connect and waits 880 s:
    # no second left for AccessDenied retries.
    _, lam_stub, _, cd_stub = clients
    lam_stub.add_client_error("invoke", "AccessDeniedException", "denied")
    _expect_report(cd_stub, "Failed")
    clock = FakeClock()
    result = _run(clients, _environ(timeout="880"), clock=clock)
    assert "AccessDeniedException" in result["detail"]
    assert clock.slept == []
    assert json.loads(result["read_timeouts"]) == [880]


def test_remaining_time_caps_the_wait(clients):
    # The hook started late (or Lambda gave it less): the wait shrinks, the report reserve stays.
    _, lam_stub, _, cd_stub = clients
    _expect_invoke(lam_stub, '{"ping": true}', {"Payload": _body({"ok": True})})
    _expect_report(cd_stub, "Succeeded")
    result = _run(clients, _environ(timeout="300"), remaining_seconds=100.0)
    assert json.loads(result["read_timeouts"]) == [100 - 15 - 5]


def test_no_time_left_to_invoke_still_reports(clients):
    _, _, _, cd_stub = clients
    _expect_report(cd_stub, "Failed")
    result = _run(clients, _environ(), remaining_seconds=20.5)
    assert "no time to invoke the target and still report" in result["detail"]


# --- reporting: retried when worth it, never raised, exactly once -------------------------


def test_report_is_retried_on_throttling_then_succeeds(clients):
    _, _, cd, cd_stub = clients
    cd_stub.add_client_error(REPORT, "ThrottlingException", http_status_code=400)
    cd_stub.add_client_error(REPORT, "InternalFailure", http_status_code=500)
    _expect_report(cd_stub, "Succeeded")
    clock = FakeClock()
    assert smoke_hook.report(cd, EVENT, "Succeeded", sleep=clock.sleep) == "reported"
    assert clock.slept == [1.0, 2.0]


@pytest.mark.parametrize(
    "code",
    [
        "DeploymentDoesNotExistException",
        "InvalidDeploymentIdException",
        "InvalidLifecycleEventHookExecutionIdException",
        "InvalidLifecycleEventHookExecutionStatusException",
        "UnsupportedActionForDeploymentTypeException",
        "ValidationException",
        "AccessDeniedException",
    ],
)
def test_non_retryable_report_error_is_final_and_not_raised(clients, code):
    _, lam_stub, _, cd_stub = clients
    _expect_invoke(lam_stub, '{"ping": true}', {"Payload": _body({"ok": True})})
    cd_stub.add_client_error(REPORT, code, http_status_code=400)  # one call, no retry
    clock = FakeClock()
    result = _run(clients, _environ(), clock=clock)  # returns: Lambda will not retry
    assert result["report"] == f"not reported: {code}"
    assert clock.slept == []


def test_already_completed_counts_as_reported(clients):
    # The first report went through but its answer was lost: no second smoke test, no raise.
    _, _, cd, cd_stub = clients
    cd_stub.add_client_error(REPORT, "LifecycleEventAlreadyCompletedException")
    assert smoke_hook.report(cd, EVENT, "Failed") == "already reported"


def test_retryable_report_errors_give_up_after_three_calls(clients):
    _, _, cd, cd_stub = clients
    for _ in range(3):
        cd_stub.add_client_error(REPORT, "ThrottlingException", http_status_code=400)
    clock = FakeClock()
    outcome = smoke_hook.report(cd, EVENT, "Failed", sleep=clock.sleep)
    assert outcome == "not reported: ThrottlingException"
    assert clock.slept == [1.0, 2.0]


def test_report_retries_stop_when_the_hook_runs_out_of_time(clients):
    _, _, cd, cd_stub = clients
    cd_stub.add_client_error(REPORT, "ThrottlingException", http_status_code=400)
    clock = FakeClock()
    outcome = smoke_hook.report(cd, EVENT, "Failed", sleep=clock.sleep, time_left=lambda: 6.5)
    assert outcome == "not reported: ThrottlingException"
    assert clock.slept == []  # 1 s pause + 2 x 3 s call timeouts > 6.5 s left


def test_event_without_ids_is_logged_not_raised(clients):
    _, _, cd, _ = clients
    for event in (
        {},
        {"DeploymentId": "d-1"},
        {"DeploymentId": 1, "LifecycleEventHookExecutionId": 2},
    ):
        assert smoke_hook.report(cd, event, "Failed").startswith("not reported")


# --- the one number everything derives from ------------------------------------------------


@pytest.mark.parametrize(
    ("target", "hook", "wait", "retry"),
    [
        (1, 61, 11, 30),
        (3, 63, 13, 30),
        (840, 900, 850, 30),  # the last target the hook waits for in full with full retries
        (841, 900, 851, 29),
        (870, 900, 880, 0),  # the last target the hook waits for in full
        (871, 900, 880, 0),
        (900, 900, 880, 0),
    ],
)
def test_timing_near_the_bounds(target, hook, wait, retry):
    timing = HookTiming.for_target(target)
    assert (timing.hook_seconds, timing.invoke_read_timeout) == (hook, wait)
    assert timing.access_denied_retry_seconds == retry
    assert timing.waits_for_full_timeout is (target <= 870)


def test_timing_always_leaves_time_to_report():
    for target in range(1, limits.LAMBDA_MAX_TIMEOUT_SECONDS + 1):
        timing = HookTiming.for_target(target)
        used = (
            timing.invoke_read_timeout
            + timing.access_denied_retry_seconds
            + smoke_hook.CONNECT_TIMEOUT_SECONDS
            + smoke_hook.REPORT_RESERVE_SECONDS
        )
        assert used <= timing.hook_seconds <= limits.LAMBDA_MAX_TIMEOUT_SECONDS, target


@pytest.mark.parametrize("target", [0, 901, -1, True, 3.0, "3"])
def test_timing_rejects_impossible_targets(target):
    with pytest.raises(ValueError, match=r"target_seconds=.* expected a whole number"):
        HookTiming.for_target(target)


def test_runtime_max_matches_the_library_limit():
    assert smoke_hook.LAMBDA_MAX_TIMEOUT_SECONDS == limits.LAMBDA_MAX_TIMEOUT_SECONDS


# --- strict expectations --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "expected", "result"),
    [
        ({"ok": True, "n": 1}, {"ok": True}, True),
        ({"ok": 1}, {"ok": True}, False),
        ({"ok": True}, {"ok": 1}, False),
        ({"n": 0}, {"n": False}, False),
        ({"n": "1"}, {"n": 1}, False),
        ({"n": 1.0}, {"n": 1}, True),
        ({"n": None}, {"n": None}, True),
        ({}, {"n": None}, False),
        ({"a": {"b": 1, "c": 2}}, {"a": {"b": 1}}, True),
        ({"a": {"b": 2}}, {"a": {"b": 1}}, False),
        ({"ok": True}, {"ok": True, "missing": 1}, False),
        ([1, 2], [1, 2], True),
        ([1, 2, 3], [1, 2], False),
        ([True], [1], False),
        ([{"a": 1, "b": 2}], [{"a": 1}], True),
        ("ok", "ok", True),
        (None, {"ok": True}, False),
        ({"ok": True}, [True], False),
        (float("nan"), float("nan"), False),
    ],
)
def test_contains(actual, expected, result):
    assert smoke_hook.contains(actual, expected) is result


# --- the Lambda entry point against local endpoints ----------------------------------------


class _Endpoints(BaseHTTPRequestHandler):
    """Lambda Invoke and CodeDeploy PutLifecycleEventHookExecutionStatus, on localhost."""

    hang = threading.Event()
    release = threading.Event()
    reports: list[dict[str, Any]] = []  # noqa: RUF012 - one server per test

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path.startswith("/2015-03-31/functions/"):
            if self.hang.is_set():
                self.release.wait(5)  # never answers within the hook's read timeout
                return
            answer = b'{"ok": true}'
        else:
            self.reports.append(json.loads(body))
            answer = b'{"lifecycleEventHookExecutionId": "hook-exec-1"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        pass


class _Context:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def get_remaining_time_in_millis(self) -> int:
        return int(self.seconds * 1000)


@pytest.fixture
def endpoints(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_Endpoints]]:
    _Endpoints.reports = []
    _Endpoints.hang.clear()
    _Endpoints.release.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Endpoints)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    for name, value in {
        "AWS_ENDPOINT_URL_LAMBDA": url,
        "AWS_ENDPOINT_URL_CODEDEPLOY": url,
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        **_environ(),
    }.items():
        monkeypatch.setenv(name, value)
    yield _Endpoints
    _Endpoints.release.set()  # let a hanging request end
    server.shutdown()
    server.server_close()


def test_entry_point_invokes_and_reports(endpoints):
    result = smoke_hook.handler(EVENT, _Context(63))
    assert (result["status"], result["report"]) == ("Succeeded", "reported")
    assert endpoints.reports == [
        {
            "deploymentId": "d-ABCDEF123",
            "lifecycleEventHookExecutionId": "hook-exec-1",
            "status": "Succeeded",
        }
    ]


def test_entry_point_reports_a_read_timeout_as_a_clear_failure(endpoints):
    endpoints.hang.set()
    # 21 s left: 15 s report reserve + 5 s connect leave a 1 s read timeout.
    result = smoke_hook.handler(EVENT, _Context(21))
    assert result["status"] == "Failed"
    assert result["detail"] == (
        f"{TARGET} did not answer within 1 s (read timeout): it hangs or runs longer than "
        "its timeout allows"
    )
    assert [r["status"] for r in endpoints.reports] == ["Failed"]


# --- packaging -----------------------------------------------------------------------------


def test_runtime_package_uses_only_stdlib_and_boto3():
    allowed_roots = {"boto3", "botocore", "constructs_pkg"}
    stdlib = set(sys.stdlib_module_names)
    runtime_dir = Path(smoke_hook.__file__).parent
    for source in runtime_dir.glob("*.py"):
        tree = ast.parse(source.read_text())
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                root = name.split(".")[0]
                assert root in stdlib or root in allowed_roots, f"{source.name} imports {name}"
                if root == "constructs_pkg":
                    assert name.startswith("constructs_pkg.runtime"), f"{source.name}: {name}"
