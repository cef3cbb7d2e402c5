"""The environment and secrets of fleet members: checked names, no clash with the fleet's own."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from aws_cdk import aws_secretsmanager as secretsmanager

from constructs_pkg._text import upper_snake
from constructs_pkg.errors import ConfigurationError
from constructs_pkg.runtime.env import HANDLER_ENV, RELEASE_ID_ENV, SECRETS_ENV

__all__ = ["RESERVED_ENV", "Secrets", "check_environment", "secret_env_names"]

#: What ``secrets=`` accepts: secrets (environment names derived from their construct ids)
#: or a mapping from environment variable name to secret.
Secrets = Sequence[secretsmanager.ISecret] | Mapping[str, secretsmanager.ISecret]

#: Environment variables the fleet sets itself; users may not.
RESERVED_ENV = (RELEASE_ID_ENV, HANDLER_ENV, SECRETS_ENV)

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def secret_env_names(
    secrets: Secrets, *, argument: str, path: str
) -> dict[str, secretsmanager.ISecret]:
    """Environment variable name -> secret, checked."""
    if isinstance(secrets, Mapping):
        named = dict(secrets)
    else:
        named = {}
        for secret in secrets:
            env_name = upper_snake(secret.node.id)
            if env_name in named:
                raise ConfigurationError(
                    argument,
                    [s.node.path for s in secrets],
                    "secrets whose construct ids give distinct variable names "
                    f"(two give {env_name}); pass a mapping {{'NAME': secret}} instead",
                    path=path,
                )
            named[env_name] = secret
    for env_name in named:
        if not _ENV_NAME.fullmatch(env_name) or env_name.startswith("AWS_"):
            raise ConfigurationError(
                f"{argument} name",
                env_name,
                "an environment variable name (letters, digits, '_'; not starting with a digit "
                "or AWS_)",
                path=path,
            )
    return named


def check_environment(
    environment: Mapping[str, str] | None, *, argument: str, path: str
) -> dict[str, str]:
    """Copy ``environment``; reject a variable the fleet sets itself."""
    env = dict(environment or {})
    for key in env:
        if key in RESERVED_ENV:
            raise ConfigurationError(
                argument,
                {key: env[key]},
                f"no variable named {', '.join(RESERVED_ENV)}",
                path=path,
                reason="The fleet sets these itself.",
            )
    return env
