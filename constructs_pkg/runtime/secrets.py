"""Load a fleet's secrets into the environment, once per cold start.

A FunctionFleet passes the secrets a member may read in ``CONSTRUCTS_PKG_SECRETS``: a JSON
object from environment variable name to secret ARN. :func:`load_secrets` fetches each
secret with ``GetSecretValue`` the first time it is called in an execution environment,
puts the values into ``os.environ`` and remembers that it did; later calls (warm
invocations) cost nothing. Standard library and boto3 only.

Values never reach a log or an exception message, at any log level: botocore logs every
response body at DEBUG (``botocore.parsers``), so before the first call a filter is put on
that logger that blanks any record holding a Secrets Manager secret value. Names are
checked before anything is fetched (:func:`constructs_pkg.runtime.env.env_name_problem`:
no ``PATH``, ``AWS_*``, ``LAMBDA_*``, ``_HANDLER``...), values after (no NUL, valid
UTF-8), and the environment is changed only when every secret is good.

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
import logging
import os
import threading
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from constructs_pkg.runtime.env import SECRETS_ENV, env_name_problem

__all__ = [
    "REDACTED",
    "SECRETS_ENV",
    "SecretSource",
    "SecretsError",
    "guard_botocore_logs",
    "load_secrets",
    "with_secrets",
]


_F = TypeVar("_F", bound=Callable[..., Any])
_lock = threading.Lock()
# Per execution environment (that is the point: once per cold start): env name -> secret id.
_loaded: dict[str, str] = {}

#: What a log record holding a secret value is replaced with.
REDACTED: Final = "<response body redacted by constructs_pkg.runtime.secrets: a secret value>"
#: Loggers that write response bodies (botocore's response parser, at DEBUG).
_BODY_LOGGERS: Final = ("botocore.parsers",)
#: What marks a Secrets Manager response that carries a value.
_SECRET_MARKERS: Final = ("SecretString", "SecretBinary")


class SecretsError(RuntimeError):
    """A secret could not be loaded. The message names the variable and secret, never a value."""


@dataclass(frozen=True)
class SecretSource:
    """One entry of ``CONSTRUCTS_PKG_SECRETS``: the variable to set and the secret to read.

    Every secret becomes variables in :meth:`variables` only; a later format (a JSON
    secret expanded into several variables) adds fields here and cases there.
    """

    name: str
    secret_id: str

    def variables(self, secret_string: str) -> dict[str, str]:
        """Return the environment variables this secret's value becomes."""
        return {self.name: secret_string}


class _RedactSecretValues(logging.Filter):
    """Blank log records that contain a Secrets Manager secret value."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a record that cannot be formatted: keep it out, to be safe
            text = _SECRET_MARKERS[0]
        if any(marker in text for marker in _SECRET_MARKERS):
            record.msg = REDACTED
            record.args = ()
        return True


def guard_botocore_logs() -> None:
    """Make sure botocore's body logs never show a secret value (idempotent)."""
    for name in _BODY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactSecretValues) for f in logger.filters):
            logger.addFilter(_RedactSecretValues())


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
        ``CONSTRUCTS_PKG_SECRETS`` is not a JSON object of names to ARNs, a name is not a
        valid or is a reserved variable name, a secret cannot be read, has no
        ``SecretString``, or its value cannot be put in the environment (a NUL character,
        invalid UTF-8). Nothing is put in the environment then.
    """
    env = os.environ if environ is None else environ
    wanted = _parse(env.get(SECRETS_ENV, ""))
    with _lock:
        todo = [source for source in wanted if _loaded.get(source.name) != source.secret_id]
        if not todo:
            return []
        guard_botocore_logs()
        if client is None:
            import boto3

            client = boto3.client("secretsmanager")
        values: dict[str, str] = {}
        for source in todo:
            values.update(_fetch(client, source))
        env.update(values)
        for source in todo:
            _loaded[source.name] = source.secret_id
        return sorted(values)


def _fetch(client: Any, source: SecretSource) -> dict[str, str]:
    where = f"secret {source.secret_id} for {source.name}"
    try:
        response = client.get_secret_value(SecretId=source.secret_id)
    except Exception as exc:
        raise SecretsError(f"cannot read {where}: {type(exc).__name__}") from None
    value = response.get("SecretString") if isinstance(response, Mapping) else None
    if not isinstance(value, str):
        raise SecretsError(f"{where} has no SecretString (binary secret)")
    variables = source.variables(value)
    for name, text in variables.items():
        if "\0" in text:
            raise SecretsError(f"{where}: the value holds a NUL character, {name} cannot hold it")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise SecretsError(f"{where}: the value is not valid UTF-8 text") from None
    return variables


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


def _parse(raw: str) -> list[SecretSource]:
    if not raw:
        return []
    try:
        parsed = json.loads(raw)
    except (ValueError, RecursionError):
        raise SecretsError(f"{SECRETS_ENV} is not JSON") from None
    if not isinstance(parsed, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in parsed.items()
    ):
        raise SecretsError(f"{SECRETS_ENV} must be a JSON object of variable name to secret ARN")
    for name in parsed:
        problem = env_name_problem(name)
        if problem is not None:
            raise SecretsError(f"{SECRETS_ENV}: {problem}")
    return [SecretSource(name, secret_id) for name, secret_id in parsed.items()]
