"""Resolve what an ordered consumer invokes: a SafeFunction's alias, an alias or a version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration, Token
from aws_cdk import aws_lambda as lambda_

from constructs_pkg import limits
from constructs_pkg.errors import ConfigurationError
from constructs_pkg.release.alarms import ReleaseMetricFactory
from constructs_pkg.release.safe_function import SafeFunction

__all__ = ["Consumer", "ConsumerTarget", "describe_value", "resolve_consumer"]

#: What ``consumer=`` accepts.
Consumer = SafeFunction | lambda_.IAlias | lambda_.IVersion


@dataclass(frozen=True)
class ConsumerTarget:
    """The qualified function an event source mapping invokes, and what is known about it.

    ``timeout_seconds`` and ``reserved_concurrency`` are None when they cannot be read at
    synth time (an imported function, or a value that is a token).
    """

    target: lambda_.IFunction
    safe_function: SafeFunction | None
    timeout_seconds: float | None
    reserved_concurrency: int | None
    description: str
    #: Construct path of the releasable unit that owns the target: the SafeFunction for its
    #: alias, else the function of the alias/version.
    owner_path: str
    #: Name of the function behind the target (a token is fine).
    function_name: str
    #: What the mapping invokes: the alias name, or the version number.
    qualifier: str
    #: The version the qualifier points at now (the qualifier itself for a version).
    version: str

    @property
    def assumed_timeout_seconds(self) -> float:
        """The timeout, or Lambda's 900 s maximum when it cannot be read (worst case)."""
        if self.timeout_seconds is None:
            return float(limits.LAMBDA_MAX_TIMEOUT_SECONDS)
        return self.timeout_seconds

    def metrics(self, period: Duration) -> ReleaseMetricFactory:
        """Lambda metrics of the invoked alias or version (``FunctionName`` + ``Resource``)."""
        return ReleaseMetricFactory(self.function_name, self.qualifier, self.version, period)


def resolve_consumer(consumer: Any, *, path: str) -> ConsumerTarget:
    """Return the alias or version to invoke; reject an unqualified function.

    An event source mapping on the unqualified function invokes ``$LATEST``: it bypasses
    the alias, so canaries, rollback alarms and rollbacks would not apply to it.
    """
    safe: SafeFunction | None = None
    if isinstance(consumer, SafeFunction):
        safe, alias = consumer, consumer.alias
        function: Any = consumer.function
        target: lambda_.IFunction = alias
        qualifier, version = alias.alias_name, alias.version.version
        description = f"alias {alias.alias_name} of {consumer.node.path}"
    elif _is_alias(consumer):
        function, target = consumer.version.lambda_, consumer
        qualifier, version = consumer.alias_name, consumer.version.version
        description = f"alias {consumer.alias_name}"
    elif _is_version(consumer):
        function, target = consumer.lambda_, consumer
        qualifier = version = consumer.version
        description = "a published version"
    else:
        raise ConfigurationError(
            "consumer",
            describe_value(consumer),
            "a SafeFunction, a lambda.IAlias or a lambda.IVersion",
            path=path,
            reason="An event source on the unqualified function invokes $LATEST and bypasses "
            "the alias, so canaries and rollbacks would not apply. Pass the SafeFunction "
            "(its alias is used) or an alias.",
        )
    timeout, reserved = _function_settings(function)
    owner = safe if safe is not None else function
    return ConsumerTarget(
        target=target,
        safe_function=safe,
        timeout_seconds=timeout,
        reserved_concurrency=reserved,
        description=description,
        owner_path=owner.node.path,
        function_name=function.function_name,
        qualifier=qualifier,
        version=version,
    )


def describe_value(value: Any) -> str:
    """Show a construct (or any object) as error messages do: ``<Function Stack/Plain>``."""
    node = getattr(value, "node", None)
    kind = type(value).__name__
    return f"<{kind} {node.path}>" if node is not None else f"<{kind}>"


def _is_alias(value: Any) -> bool:
    return isinstance(value, lambda_.Alias) or (
        hasattr(value, "alias_name")
        and hasattr(value, "version")
        and hasattr(value, "grant_invoke")
    )


def _is_version(value: Any) -> bool:
    return isinstance(value, lambda_.Version) or (
        hasattr(value, "lambda_") and hasattr(value, "version") and hasattr(value, "grant_invoke")
    )


def _function_settings(function: Any) -> tuple[float | None, int | None]:
    """Timeout (seconds) and reserved concurrency of a function defined in this app."""
    cfn = getattr(getattr(function, "node", None), "default_child", None)
    if not isinstance(cfn, lambda_.CfnFunction):
        return None, None  # imported: nothing to read
    timeout = cfn.timeout
    timeout_seconds: float | None
    if timeout is None:
        timeout_seconds = limits.LAMBDA_DEFAULT_TIMEOUT_SECONDS
    elif Token.is_unresolved(timeout):
        timeout_seconds = None
    else:
        timeout_seconds = float(timeout)
    reserved = cfn.reserved_concurrent_executions
    if reserved is not None and Token.is_unresolved(reserved):
        reserved = None
    return timeout_seconds, None if reserved is None else int(reserved)
