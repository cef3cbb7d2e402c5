"""Every environment-variable name that crosses from a construct into Lambda.

Constructs set these names and the code in :mod:`constructs_pkg.runtime` reads them; both
sides import them from here, so they cannot drift apart. Standard library only.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "FORMAT_VERSION_SUFFIX",
    "HANDLER_ENV",
    "LAMBDA_RESERVED_ENV",
    "QUEUE_URL_SUFFIX",
    "RECYCLE_ENV",
    "RELEASE_ID_ENV",
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
