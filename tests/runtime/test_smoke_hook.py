"""The smoke hook against botocore's Stubber: every outcome is reported to CodeDeploy."""

from __future__ import annotations

import ast
import io
import json
from pathlib import Path

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from constructs_pkg.runtime import smoke_hook

TARGET = "arn:aws:lambda:eu-west-1:123456789012:function:orders:7"
EVENT = {"DeploymentId": "d-ABCDEF123", "LifecycleEventHookExecutionId": "hook-exec-1"}


def _client(service: str):
    return boto3.client(
        service,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _body(payload: object) -> StreamingBody:
    raw = json.dumps(payload).encode()
    return StreamingBody(io.BytesIO(raw), len(raw))


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
        "put_lifecycle_event_hook_execution_status",
        {"lifecycleEventHookExecutionId": "hook-exec-1"},
        {
            "deploymentId": "d-ABCDEF123",
            "lifecycleEventHookExecutionId": "hook-exec-1",
            "status": status,
        },
    )


def _environ(expect: str | None = '{"ok": true}') -> dict[str, str]:
    env = {"SMOKE_TARGET_FUNCTION_ARN": TARGET, "SMOKE_PAYLOAD": '{"ping": true}'}
    if expect is not None:
        env["SMOKE_EXPECT"] = expect
    return env


def _run(clients, environ):
    lam, _, cd, _ = clients
    return smoke_hook.handle(
        EVENT, lambda_client=lam, codedeploy_client=cd, environ=environ, sleep=lambda s: None
    )


def test_success_reports_succeeded(clients):
    _, lam_stub, _, cd_stub = clients
    _expect_invoke(lam_stub, '{"ping": true}', {"Payload": _body({"ok": True, "extra": 1})})
    _expect_report(cd_stub, "Succeeded")
    assert _run(clients, _environ())["status"] == "Succeeded"


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
    result = _run(clients, {"SMOKE_TARGET_FUNCTION_ARN": TARGET})  # payload missing: KeyError
    assert result["status"] == "Failed"
    assert result["detail"].startswith("smoke test crashed: KeyError")


def test_invoke_service_error_reports_failed(clients):
    _, lam_stub, _, cd_stub = clients
    lam_stub.add_client_error("invoke", "ResourceNotFoundException", "no such version")
    _expect_report(cd_stub, "Failed")
    assert "ResourceNotFoundException" in _run(clients, _environ())["detail"]


def test_access_denied_is_retried_while_iam_propagates(clients):
    _, lam_stub, _, cd_stub = clients
    lam_stub.add_client_error("invoke", "AccessDeniedException", "not yet")
    lam_stub.add_client_error("invoke", "AccessDeniedException", "not yet")
    _expect_invoke(lam_stub, '{"ping": true}', {"Payload": _body({"ok": True})})
    _expect_report(cd_stub, "Succeeded")
    assert _run(clients, _environ())["status"] == "Succeeded"


def test_access_denied_gives_up_after_the_retry_budget(clients):
    lam, lam_stub, _, _ = clients
    for _ in range(7):  # 6 waits (1 + 2 + 4 + 8 + 8 + 8 = 31 s > 30 s), then the 7th try fails
        lam_stub.add_client_error("invoke", "AccessDeniedException", "denied")
    slept: list[float] = []
    with pytest.raises(Exception, match="AccessDenied"):
        smoke_hook.run_smoke_test(
            lam, target=TARGET, payload="{}", expect=None, sleep=slept.append, retry_seconds=30
        )
    assert slept == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_report_is_retried_then_succeeds(clients):
    _, _, cd, cd_stub = clients
    cd_stub.add_client_error("put_lifecycle_event_hook_execution_status", "ThrottlingException")
    _expect_report(cd_stub, "Succeeded")
    slept: list[float] = []
    smoke_hook.report(cd, EVENT, "Succeeded", sleep=slept.append)
    cd_stub.assert_no_pending_responses()  # the throttled call and the retry were both made
    assert slept == [1.0]


@pytest.mark.parametrize(
    ("actual", "expected", "result"),
    [
        ({"ok": True, "n": 1}, {"ok": True}, True),
        ({"a": {"b": 1, "c": 2}}, {"a": {"b": 1}}, True),
        ({"a": {"b": 2}}, {"a": {"b": 1}}, False),
        ({"ok": True}, {"ok": True, "missing": 1}, False),
        ([1, 2], [1, 2], True),
        ([1, 2, 3], [1, 2], False),
        ("ok", "ok", True),
        (None, {"ok": True}, False),
    ],
)
def test_contains(actual, expected, result):
    assert smoke_hook.contains(actual, expected) is result


def test_runtime_package_uses_only_stdlib_and_boto3():
    allowed_roots = {"boto3", "botocore", "constructs_pkg"}
    import sys

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
                assert root != "aws_cdk"
