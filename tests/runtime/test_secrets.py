"""Secrets are loaded once per cold start, into the environment, and never logged."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

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


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", '{"A": 1}'])
def test_malformed_variable(raw: str) -> None:
    with pytest.raises(SecretsError, match=secrets.SECRETS_ENV):
        load_secrets(None, {secrets.SECRETS_ENV: raw})


def test_decorator_loads_before_the_handler(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    arn = client.create_secret(Name="token", SecretString="t0k3n")["ARN"]
    monkeypatch.setenv(secrets.SECRETS_ENV, json.dumps({"TOKEN": arn}))
    monkeypatch.delenv("TOKEN", raising=False)
    import os

    @with_secrets
    def handle(event: Any, context: Any) -> str:
        return os.environ["TOKEN"]

    assert handle({}, None) == "t0k3n"
