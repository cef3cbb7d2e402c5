"""Secrets are loaded once per cold start, into the environment, and never logged."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from constructs_pkg.runtime import secrets
from constructs_pkg.runtime.secrets import SecretsError, load_secrets, with_secrets

REGION = "eu-west-1"


@pytest.fixture(autouse=True)
def cold_start() -> Iterator[None]:
    secrets._reset_for_tests()
    yield
    secrets._reset_for_tests()


@pytest.fixture
def client(mocked_aws: str) -> Any:
    return boto3.client("secretsmanager", region_name=mocked_aws)


class Counting:
    """A client wrapper that counts GetSecretValue calls."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls = 0

    def get_secret_value(self, **kwargs: Any) -> Any:
        self.calls += 1
        return self.client.get_secret_value(**kwargs)


def test_loads_each_secret_once_per_cold_start(client: Any, caplog: Any) -> None:
    db = client.create_secret(Name="db", SecretString="hunter2")["ARN"]
    api = client.create_secret(Name="api", SecretString='{"key": "s3cr3t"}')["ARN"]
    env = {secrets.SECRETS_ENV: json.dumps({"DB_PASSWORD": db, "API": api})}
    counting = Counting(client)
    caplog.set_level(logging.DEBUG, logger="constructs_pkg")
    assert load_secrets(counting, env) == ["API", "DB_PASSWORD"]
    assert env["DB_PASSWORD"] == "hunter2"
    assert json.loads(env["API"]) == {"key": "s3cr3t"}
    # Warm invocations: nothing fetched again.
    assert load_secrets(counting, env) == []
    assert counting.calls == 2
    assert "hunter2" not in caplog.text
    assert "s3cr3t" not in caplog.text


def test_no_secrets_means_no_client(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_secrets(None, {}) == []


def test_a_missing_secret_names_the_variable_not_a_value(client: Any) -> None:
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:gone-AbCdEf"
    env = {secrets.SECRETS_ENV: json.dumps({"GONE": arn})}
    with pytest.raises(
        SecretsError, match=f"cannot read secret {arn} for GONE: ResourceNotFoundException"
    ):
        load_secrets(client, env)
    assert "GONE" not in env


def test_binary_secret_is_an_error(client: Any) -> None:
    arn = client.create_secret(Name="bin", SecretBinary=b"\x00\x01")["ARN"]
    with pytest.raises(SecretsError, match="no SecretString"):
        load_secrets(client, {secrets.SECRETS_ENV: json.dumps({"BIN": arn})})


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", '{"AB": 1}', '{"AB": ""}', "[" * 100_000])
def test_malformed_variable(raw: str) -> None:
    with pytest.raises(SecretsError, match=secrets.SECRETS_ENV):
        load_secrets(None, {secrets.SECRETS_ENV: raw})


# --- never loggable ------------------------------------------------------------------------


def test_botocore_debug_logs_never_show_a_value(client: Any, caplog: Any) -> None:
    arn = client.create_secret(Name="db", SecretString="hunter2-very-secret")["ARN"]
    caplog.set_level(logging.DEBUG)  # the root logger: botocore's body logs are on
    parsers = logging.getLogger("botocore.parsers")
    guards = [f for f in parsers.filters if isinstance(f, secrets._RedactSecretValues)]
    for guard in guards:  # prove the test can fail: without the guard the value is logged
        parsers.removeFilter(guard)
    client.get_secret_value(SecretId=arn)
    assert "hunter2-very-secret" in caplog.text
    caplog.clear()
    assert load_secrets(client, {secrets.SECRETS_ENV: json.dumps({"DB_PASSWORD": arn})})
    assert "hunter2-very-secret" not in caplog.text
    assert secrets.REDACTED in caplog.text  # botocore did log the body, blanked
    # Any later call in the process is covered too, and the guard is installed once.
    client.get_secret_value(SecretId=arn)
    assert "hunter2-very-secret" not in caplog.text
    secrets.guard_botocore_logs()
    assert sum(isinstance(f, secrets._RedactSecretValues) for f in parsers.filters) == 1


class Refusing:
    """A client that must not be called: names are checked before anything is fetched."""

    def get_secret_value(self, **kwargs: Any) -> Any:
        raise AssertionError("fetched a secret for a refused name")


@pytest.mark.parametrize(
    "name",
    [
        "PATH",
        "path",
        "LD_LIBRARY_PATH",
        "LD_PRELOAD",
        "PYTHONPATH",
        "HOME",
        "AWS_REGION",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_LAMBDA_FUNCTION_NAME",
        "aws_session_token",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "HANDLER",
        "CONSTRUCTS_PKG_SECRETS",
        "RELEASE_ID",
    ],
)
def test_reserved_names_are_refused(name: str) -> None:
    env = {secrets.SECRETS_ENV: json.dumps({name: "arn:aws:secretsmanager:x"})}
    with pytest.raises(SecretsError, match=f"{secrets.SECRETS_ENV}: '{name}' is reserved"):
        load_secrets(Refusing(), env)
    assert set(env) == {secrets.SECRETS_ENV}


@pytest.mark.parametrize("name", ["A=B", "A\0B", "1A", "A-B", "", "A", "\u00c9T\u00c9", "A B"])
def test_invalid_names_are_refused(name: str) -> None:
    env = {secrets.SECRETS_ENV: json.dumps({name: "arn:aws:secretsmanager:x"})}
    with pytest.raises(SecretsError, match="is not an environment variable name"):
        load_secrets(Refusing(), env)


ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:s-AbCdEf"


def _stubbed(*values: str) -> Any:
    """A Secrets Manager client answering GetSecretValue with ``values``, in order."""
    stubbed = boto3.client(
        "secretsmanager", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(stubbed)
    for value in values:
        stubber.add_response(
            "get_secret_value", {"ARN": ARN, "Name": "s", "SecretString": value}, {"SecretId": ARN}
        )
    stubber.activate()
    return stubbed


@pytest.mark.parametrize("name", ["AB", "a1", "DB_PASSWORD", "PATHS", "AWSOME", "LAMBDAX"])
def test_names_just_inside_the_rules_are_loaded(name: str) -> None:
    env = {secrets.SECRETS_ENV: json.dumps({name: ARN})}
    assert load_secrets(_stubbed("v"), env) == [name]
    assert env[name] == "v"


@pytest.mark.parametrize(
    ("value", "problem"),
    [("hunter\x002", "a NUL character"), ("hunter\ud8002", "not valid UTF-8 text")],
)
def test_values_the_environment_cannot_hold(value: str, problem: str) -> None:
    env = {secrets.SECRETS_ENV: json.dumps({"GOOD": ARN, "BAD": ARN})}
    with pytest.raises(SecretsError, match=problem) as raised:
        load_secrets(_stubbed("fine", value), env)
    assert "hunter" not in str(raised.value)
    assert set(env) == {secrets.SECRETS_ENV}  # all or nothing: GOOD was not set either


def test_equals_signs_in_values_are_kept() -> None:
    env = {secrets.SECRETS_ENV: json.dumps({"TOKEN": ARN})}
    load_secrets(_stubbed("c2VjcmV0=="), env)
    assert env["TOKEN"] == "c2VjcmV0=="


def test_decorator_loads_before_the_handler(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    arn = client.create_secret(Name="token", SecretString="t0k3n")["ARN"]
    monkeypatch.setenv(secrets.SECRETS_ENV, json.dumps({"TOKEN": arn}))
    monkeypatch.delenv("TOKEN", raising=False)
    import os

    @with_secrets
    def handle(event: Any, context: Any) -> str:
        return os.environ["TOKEN"]

    assert handle({}, None) == "t0k3n"
