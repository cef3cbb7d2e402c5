"""A sticky canary: a router in front of a SafeFunction that keeps each user on one version.

An alias's weights pick a version per *invocation*, so during a canary one user can hop between
the old and the new version inside one session. :class:`StickyRouter` is a small function that
API Gateway or a function URL invokes instead: it hashes a key of the request into a bucket
0-99 and invokes the new version for the buckets below the canary weight CodeDeploy has set on
the alias, the old version otherwise (``constructs_pkg.runtime.sticky_router``).

The router invokes *versions*, not the alias, and Lambda publishes a version's own invocations
under ``FunctionName`` + ``Resource=<function>:<version>`` with no ``ExecutedVersion``. The
SafeFunction's rollback alarms watch the alias's ``ExecutedVersion`` metrics, so they would not
see the routed traffic: the router adds the same alarms (the same :class:`RollbackAlarms`
thresholds) over the new version's own metrics to the SafeFunction's deployment group.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from constructs_pkg import defaults, limits
from constructs_pkg._acknowledge import acknowledge
from constructs_pkg._tokens import is_token
from constructs_pkg._validation import (
    check_duration,
    check_number,
    check_type,
    function_timeout_seconds,
)
from constructs_pkg.errors import ConfigurationError
from constructs_pkg.release.alarms import (
    ReleaseMetricFactory,
    _rollback_alarm_specs,
)
from constructs_pkg.release.runtime_layer import runtime_code
from constructs_pkg.release.safe_function import SafeFunction
from constructs_pkg.release.smoke_test import HOOK_RUNTIME
from constructs_pkg.runtime import env
from constructs_pkg.runtime.sticky_router import parse_key_path

__all__ = ["StickyRouter", "VersionMetricFactory"]

ROUTER_HANDLER = "constructs_pkg.runtime.sticky_router.handler"

#: Rollouts whose alias carries a canary weight for the router to follow (a custom named
#: config may; the predefined all-at-once names resolve to all_at_once).
_GRADUAL = ("canary", "linear", "named")


class VersionMetricFactory(ReleaseMetricFactory):
    """Lambda metrics of invocations of one version by its own ARN (``<function>:<version>``).

    Lambda publishes them with ``FunctionName`` and ``Resource=<function>:<version>`` and no
    ``ExecutedVersion`` (that dimension is only for invocations through an alias). Both
    :meth:`new_version` and :meth:`alias` return these metrics, so the rollback alarm table
    built for an alias watches the version's direct invocations instead.

    Examples
    --------
    >>> factory = VersionMetricFactory("orders", "live", "7", Duration.minutes(1))
    >>> factory.new_version("Errors", "Sum").dimensions
    {'FunctionName': 'orders', 'Resource': 'orders:7'}
    """

    def new_version(
        self, metric_name: str, statistic: str, period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Metric of the direct invocations of ``version``."""
        return self.metric(
            metric_name,
            statistic,
            {
                "FunctionName": self.function_name,
                "Resource": f"{self.function_name}:{self.version}",
            },
            period,
        )

    def alias(
        self, metric_name: str, statistic: str, period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Return the same as :meth:`new_version`: the router's calls of the new version."""
        return self.new_version(metric_name, statistic, period)


class StickyRouter(Construct):
    """Route each user (tenant, session ...) to one version for the whole canary.

    Put it where the SafeFunction's callers would invoke it (an API Gateway integration, a
    function URL): ``LambdaIntegration(router.function)``. For every request it reads
    ``key`` (a path into the event), puts the key in a stable bucket 0-99 (SHA-256), and
    invokes the new version when the bucket is below the alias's canary weight (read with
    ``GetAlias`` and cached for ``cache_ttl``), the old version otherwise. As CodeDeploy
    raises the weight, users move to the new version once and stay; on a rollback the weight
    drops to 0 and everyone is back on the old version within ``cache_ttl``. A request without
    the key goes to the old version; an alias that cannot be read is invoked as the alias.

    Parameters
    ----------
    scope, construct_id
        Where the router lives.
    target
        The SafeFunction it routes to. Its rollout must be gradual (canary or linear): with
        all-at-once there is no canary to stick to (hotfix deploys are accepted).
    key
        Where the request's key is: ``$.requestContext.authorizer.claims.sub`` (a Cognito
        user), ``$.headers['x-tenant-id']``, ``$.pathParameters.customer``.
    cache_ttl
        How long the canary weight is cached: 1-60 seconds, default 5 seconds.
    memory_size
        Memory of the router function in MB (128-10240); default 256.

    Attributes
    ----------
    function
        The router function (the construct's ``Resource``): integrate it, grant it.
    rollback_alarms
        The alarms over the new version's routed invocations, added to ``target``'s rollback
        alarms (error rate, and p99 latency / throttles when ``target``'s alarms have them).

    Examples
    --------
    ::

        router = StickyRouter(stack, "OrdersRouter", target=orders,
                              key="$.requestContext.authorizer.claims.sub")
        api.root.add_method("POST", apigateway.LambdaIntegration(router.function))
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        target: SafeFunction,
        key: str,
        cache_ttl: Duration | None = None,
        memory_size: int | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self._validate(target, key, cache_ttl, memory_size)
        #: The SafeFunction behind the router.
        self.target = target
        #: The request's key path.
        self.key = key
        ttl = cache_ttl or Duration.seconds(defaults.STICKY_CACHE_SECONDS)
        self.function = self._build_router(key, ttl, memory_size)
        self._grant_router()
        self.rollback_alarms = self._build_alarms()

    # --- steps -----------------------------------------------------------------------------

    def _validate(self, target: Any, key: Any, cache_ttl: Any, memory_size: Any) -> None:
        path = self.node.path
        check_type("target", target, SafeFunction, path=path)
        check_type("key", key, str, path=path)
        if not is_token(key):
            try:
                parse_key_path(key)
            except ValueError as exc:
                raise ConfigurationError(
                    "key",
                    key,
                    "a path into the event such as $.requestContext.authorizer.claims.sub "
                    "or $.headers['x-tenant-id']",
                    path=path,
                    reason=str(exc),
                ) from None
        if cache_ttl is not None:
            check_duration(
                "cache_ttl",
                cache_ttl,
                minimum_seconds=1,
                maximum_seconds=60,
                whole="seconds",
                tokens="reject",
                path=path,
            )
        if memory_size is not None:
            check_number(
                "memory_size",
                memory_size,
                minimum=limits.LAMBDA_MIN_MEMORY_MB,
                maximum=limits.LAMBDA_MAX_MEMORY_MB,
                whole=True,
                path=path,
            )
        if target.rollout.kind not in _GRADUAL and not target.hotfix:
            raise ConfigurationError(
                "target",
                f"{target.node.path} ({target.rollout.describe()})",
                "a SafeFunction released gradually (Rollout.canary() or Rollout.linear())",
                path=path,
                reason="The router follows the alias's canary weight; without a gradual "
                "rollout there is none, and every user moves at once anyway.",
            )

    def _build_router(self, key: str, ttl: Duration, memory_size: int | None) -> lambda_.Function:
        target = self.target
        timeout = function_timeout_seconds(target.function.timeout)
        router_seconds = (
            limits.LAMBDA_MAX_TIMEOUT_SECONDS
            if timeout is None
            else min(
                int(timeout) + defaults.STICKY_ROUTER_TIMEOUT_MARGIN_SECONDS,
                limits.LAMBDA_MAX_TIMEOUT_SECONDS,
            )
        )
        return lambda_.Function(
            self,
            "Resource",
            code=runtime_code(),
            handler=ROUTER_HANDLER,
            runtime=HOOK_RUNTIME,
            timeout=Duration.seconds(router_seconds),
            memory_size=memory_size or defaults.STICKY_ROUTER_MEMORY_MB,
            environment={
                env.STICKY_FUNCTION_ENV: target.function.function_name,
                env.STICKY_ALIAS_ENV: target.alias.alias_name,
                env.STICKY_KEY_ENV: key,
                env.STICKY_CACHE_SECONDS_ENV: str(int(ttl.to_seconds())),
            },
            description=f"Sticky canary router of {target.node.path} by {key}"[:256],
        )

    def _grant_router(self) -> None:
        target = self.target
        self.function.add_to_role_policy(
            iam.PolicyStatement(actions=["lambda:GetAlias"], resources=[target.alias.function_arn])
        )
        # Versions (and, as a fallback, the alias) by their qualified ARNs: never $LATEST.
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[f"{target.function.function_arn}:*"],
            )
        )
        acknowledge(
            self.function,
            "DeploymentSafety::UnqualifiedInvoke",
            "the sticky router invokes only versions and the alias, by qualified ARN",
        )

    def _build_alarms(self) -> list[cloudwatch.IAlarm]:
        target = self.target
        config = target.alarm_config
        metrics = VersionMetricFactory(
            target.function.function_name,
            target.alias.alias_name,
            target.version.version,
            config.period,
        )
        subject = f"{target.node.path} (routed by {self.node.path})"
        alarms: list[cloudwatch.IAlarm] = []
        timeout = function_timeout_seconds(target.function.timeout)
        for spec in _rollback_alarm_specs(config, metrics, subject, timeout):
            alarm = spec.create(self, "Routed")
            target.add_rollback_alarm(alarm)
            alarms.append(alarm)
        return alarms

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` invoke the router (which invokes the target's versions)."""
        return self.function.grant_invoke(grantee)
