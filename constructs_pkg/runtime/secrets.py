"""Load a fleet's secrets into the environment, once per cold start.

A FunctionFleet passes the secrets a member may read in ``CONSTRUCTS_PKG_SECRETS``: a JSON
object from environment variable name to secret ARN. :func:`load_secrets` fetches each
secret with ``GetSecretValue`` the first time it is called in an execution environment,
puts the values into ``os.environ`` and remembers that it did; later calls (warm
invocations) cost nothing. Values are never logged or put in exception messages.
Standard library and boto3 only.

Examples
--------
::

    from constructs_pkg.runtime.secrets import load_secrets, with_secrets

    @with_secrets
    def handle(event, context):
        password = os.environ["DB_PASSWORD"]
"""

from __future__ import annotations

import functools
import json
import os
import threading
from collections.abc import Callable, MutableMapping
from typing import Any, TypeVar

from constructs_pkg.runtime.env import SECRETS_ENV

__all__ = ["SECRETS_ENV", "SecretsError", "load_secrets", "with_secrets"]


_F = TypeVar("_F", bound=Callable[..., Any])
_lock = threading.Lock()
_loaded: dict[str, str] = {}  # env name -> secret id, for the secrets already in the environment


class SecretsError(RuntimeError):
    """A secret could not be loaded. The message names the variable and secret, never a value."""


def load_secrets(
    client: Any | None = None,
    environ: MutableMapping[str, str] | None = None,
) -> list[str]:
    """Put every secret named in ``CONSTRUCTS_PKG_SECRETS`` into the environment, once.

    Parameters
    ----------
    client
        A boto3 Secrets Manager client. Default: ``boto3.client("secretsmanager")``,
        created only when something is left to load.
    environ
        Where to put the values. Default: ``os.environ``.

    Returns
    -------
    list of str
        The names of the variables loaded by this call (empty when all were loaded before).

    Raises
    ------
    SecretsError
        ``CONSTRUCTS_PKG_SECRETS`` is not a JSON object of names to ARNs, or a secret cannot
        be read or has no ``SecretString``.
    """
    env = os.environ if environ is None else environ
    wanted = _parse(env.get(SECRETS_ENV, ""))
    with _lock:
        todo = {name: arn for name, arn in wanted.items() if _loaded.get(name) != arn}
        if not todo:
            return []
        if client is None:
            import boto3

            client = boto3.client("secretsmanager")
        for name, arn in todo.items():
            try:
                response = client.get_secret_value(SecretId=arn)
            except Exception as exc:
                raise SecretsError(
                    f"cannot read secret {arn} for {name}: {type(exc).__name__}"
                ) from None
            value = response.get("SecretString")
            if value is None:
                raise SecretsError(f"secret {arn} for {name} has no SecretString (binary secret)")
            env[name] = value
            _loaded[name] = arn
        return sorted(todo)


def with_secrets(handler: _F) -> _F:
    """Decorate a Lambda handler so the secrets are in the environment before it runs."""

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        load_secrets()
        return handler(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _reset_for_tests() -> None:
    """Forget which secrets were loaded (a new cold start)."""
    with _lock:
        _loaded.clear()


def _parse(raw: str) -> dict[str, str]:
    if not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError:
        raise SecretsError(f"{SECRETS_ENV} is not JSON") from None
    if not isinstance(parsed, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()
    ):
        raise SecretsError(f"{SECRETS_ENV} must be a JSON object of variable name to secret ARN")
    return parsed
