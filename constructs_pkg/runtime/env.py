"""Every environment-variable name that crosses from a construct into Lambda.

Constructs set these names and the code in :mod:`constructs_pkg.runtime` reads them; both
sides import them from here, so they cannot drift apart. Standard library only.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "BAKE_SECONDS_ENV",
    "ENV_NAME_PATTERN",
    "FORMAT_VERSION_SUFFIX",
    "HANDLER_ENV",
    "LAMBDA_RESERVED_ENV",
    "QUEUE_URL_SUFFIX",
    "RECYCLE_ENV",
    "RELEASE_ID_ENV",
    "RESERVED_ENV_NAMES",
    "RESERVED_ENV_PREFIXES",
    "SECRETS_ENV",
    "SMOKE_EXPECT_ENV",
    "SMOKE_PAYLOAD_ENV",
    "SMOKE_TARGET_ENV",
    "SMOKE_TARGET_TIMEOUT_ENV",
    "STICKY_ALIAS_ENV",
    "STICKY_CACHE_SECONDS_ENV",
    "STICKY_FUNCTION_ENV",
    "STICKY_KEY_ENV",
    "STREAM_NAME_SUFFIX",
    "env_name_problem",
]

# --- FunctionFleet members (runtime.dispatch, runtime.secrets) ------------------------------

#: The member's entry point (``module.function``), read by ``runtime.dispatch.handler``.
HANDLER_ENV: Final = "HANDLER"
#: JSON object of environment variable name -> secret ARN, read by ``runtime.secrets``.
SECRETS_ENV: Final = "CONSTRUCTS_PKG_SECRETS"
#: The fleet's release id.
RELEASE_ID_ENV: Final = "RELEASE_ID"

# --- SafeFunction ---------------------------------------------------------------------------

#: A recycle token: changing it publishes a new version with the same code, so every warm
#: execution environment is replaced (through the normal rollout).
RECYCLE_ENV: Final = "CONSTRUCTS_PKG_RECYCLE"

# --- Sticky canary router (runtime.sticky_router) --------------------------------------------

#: The function behind the router (its name) ...
STICKY_FUNCTION_ENV: Final = "STICKY_TARGET_FUNCTION"
#: ... its alias, whose routing configuration says the canary weight ...
STICKY_ALIAS_ENV: Final = "STICKY_TARGET_ALIAS"
#: ... the request's key path (``$.requestContext.authorizer.claims.sub``) ...
STICKY_KEY_ENV: Final = "STICKY_KEY_PATH"
#: ... and how long the weight is cached, in seconds.
STICKY_CACHE_SECONDS_ENV: Final = "STICKY_CACHE_SECONDS"

# --- Smoke-test hooks (runtime.smoke_hook) --------------------------------------------------

#: Qualified ARN of the version under test.
SMOKE_TARGET_ENV: Final = "SMOKE_TARGET_FUNCTION_ARN"
#: JSON event sent to it.
SMOKE_PAYLOAD_ENV: Final = "SMOKE_PAYLOAD"
#: Optional JSON the response must contain.
SMOKE_EXPECT_ENV: Final = "SMOKE_EXPECT"
#: The target's timeout in whole seconds.
SMOKE_TARGET_TIMEOUT_ENV: Final = "SMOKE_TARGET_TIMEOUT_SECONDS"

# --- Bake after the last shift (runtime.bake_hook, read by the rehearsal too) ----------------

#: Whole seconds the AfterAllowTraffic hook keeps the deployment open after the last traffic
#: shift, watching the deployment group's alarms (0: no bake, only the post-traffic test).
BAKE_SECONDS_ENV: Final = "BAKE_SECONDS"

# --- Producers of a format-version contract (runtime.contracts) -----------------------------

#: ``<PREFIX>_QUEUE_URL``: the queue a producer sends to.
QUEUE_URL_SUFFIX: Final = "_QUEUE_URL"
#: ``<PREFIX>_STREAM_NAME``: the stream a producer puts records on.
STREAM_NAME_SUFFIX: Final = "_STREAM_NAME"
#: ``<PREFIX>_FORMAT_VERSION``: the format version a producer writes.
FORMAT_VERSION_SUFFIX: Final = "_FORMAT_VERSION"

# --- Lambda's own -----------------------------------------------------------------------------

#: Variables the Lambda runtime sets; a function's configuration may not set them.
#: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
LAMBDA_RESERVED_ENV: Final = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)

# --- What a variable set at run time may be called -----------------------------------------

#: Lambda's pattern for environment variable names (CreateFunction ``Environment``).
ENV_NAME_PATTERN: Final = re.compile(r"[a-zA-Z][a-zA-Z0-9_]+")
#: Prefixes Lambda reserves or uses for its own variables (``AWS_REGION``,
#: ``AWS_LAMBDA_FUNCTION_NAME``, ``LAMBDA_TASK_ROOT``, ``_HANDLER``, ``_X_AMZN_TRACE_ID``...).
RESERVED_ENV_PREFIXES: Final = ("AWS_", "LAMBDA_", "_")
#: Names the runtime or the process depends on (Lambda sets most of them), and this
#: library's own names: overwriting one changes how code is found, loaded or dispatched.
RESERVED_ENV_NAMES: Final = frozenset(
    {
        "PATH",
        "LD_LIBRARY_PATH",
        "LD_PRELOAD",
        "PYTHONPATH",
        "PYTHONHOME",
        "PYTHONSTARTUP",
        "NODE_PATH",
        "NODE_OPTIONS",
        "LANG",
        "TZ",
        "HOME",
        "TMPDIR",
        HANDLER_ENV,
        SECRETS_ENV,
        RELEASE_ID_ENV,
        RECYCLE_ENV,
    }
)


def env_name_problem(name: object) -> str | None:
    """Say why ``name`` cannot be set at run time, or return None when it can.

    Examples
    --------
    >>> env_name_problem("DB_PASSWORD") is None
    True
    >>> env_name_problem("AWS_REGION")
    "'AWS_REGION' is reserved: names starting with AWS_, LAMBDA_ or _ belong to Lambda"
    >>> env_name_problem("A=B")  # doctest: +ELLIPSIS
    "'A=B' is not an environment variable name: expected a letter, then one or more ..."
    """
    if isinstance(name, str) and name.upper().startswith(RESERVED_ENV_PREFIXES):
        prefixes = ", ".join(RESERVED_ENV_PREFIXES[:-1]) + f" or {RESERVED_ENV_PREFIXES[-1]}"
        return f"{name!r} is reserved: names starting with {prefixes} belong to Lambda"
    if not isinstance(name, str) or not ENV_NAME_PATTERN.fullmatch(name):
        return (
            f"{name!r} is not an environment variable name: expected a letter, then one or "
            "more letters, digits or _"
        )
    if name.upper() in RESERVED_ENV_NAMES:
        return f"{name!r} is reserved: the runtime or constructs_pkg depends on it"
    return None
