"""Retire old versions of a SafeFunction: a custom resource after each release.

See :mod:`constructs_pkg.runtime.version_pruner` for what is never deleted.
"""

from __future__ import annotations

from aws_cdk import CustomResource, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct, IConstruct

from constructs_pkg import defaults
from constructs_pkg._acknowledge import acknowledge, logical_id
from constructs_pkg.release.runtime_layer import runtime_code
from constructs_pkg.runtime import version_pruner

__all__ = ["VersionPruner", "retain_versions"]

PRUNER_ID = "ConstructsPkgVersionPruner"
PRUNER_HANDLER = "constructs_pkg.runtime.version_pruner.handler"
RESOURCE_TYPE = "Custom::VersionRetention"


class VersionPruner(Construct):
    """The stack's one pruner function (custom resource provider). Use :meth:`of`."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        #: The provider function every ``Custom::VersionRetention`` of the stack calls.
        self.function = lambda_.Function(
            self,
            "Resource",
            code=runtime_code(),
            handler=PRUNER_HANDLER,
            runtime=lambda_.Runtime.PYTHON_3_14,
            timeout=Duration.minutes(defaults.VERSION_PRUNER_TIMEOUT_MINUTES),
            memory_size=256,
            description="Deletes old versions of SafeFunctions after each release "
            "(never one an alias uses, never during a deployment)",
        )

    @classmethod
    def of(cls, scope: IConstruct) -> VersionPruner:
        """Return ``scope``'s stack's pruner, creating it on first use."""
        stack = Stack.of(scope)
        existing = stack.node.try_find_child(PRUNER_ID)
        if isinstance(existing, VersionPruner):
            return existing
        return cls(stack, PRUNER_ID)

    def allow(self, function: lambda_.Function) -> None:
        """Let the pruner read ``function``'s versions and aliases, and delete its versions."""
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=[
                    "lambda:ListVersionsByFunction",
                    "lambda:ListAliases",
                    "lambda:ListProvisionedConcurrencyConfigs",
                ],
                resources=[function.function_arn],
            )
        )
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:DeleteFunction"],
                # Versions only (qualified ARNs): never the function itself.
                resources=[f"{function.function_arn}:*"],
            )
        )
        role = self.function.role
        policy = None if role is None else role.node.try_find_child("DefaultPolicy")
        if policy is not None:
            acknowledge(
                policy,
                f"AwsSolutions-IAM5[Resource::<{logical_id(function)}.Arn>:*]",
                "The pruner deletes old versions of this one function: the wildcard is the "
                "version qualifier (never the function itself).",
            )


def retain_versions(
    scope: Construct,
    *,
    function: lambda_.Function,
    alias: lambda_.Alias,
    keep: int,
) -> CustomResource:
    """Keep the newest ``keep`` versions of ``function`` (and every one in use) after a release.

    The custom resource depends on the alias, so CloudFormation runs it after CodeDeploy
    finished shifting; its ``Version`` property changes with every new version, so it runs
    on every release.
    """
    pruner = VersionPruner.of(scope)
    pruner.allow(function)
    resource = CustomResource(
        scope,
        "VersionRetention",
        service_token=pruner.function.function_arn,
        resource_type=RESOURCE_TYPE,
        properties={
            version_pruner.FUNCTION_NAME: function.function_name,
            version_pruner.ALIAS_NAME: alias.alias_name,
            version_pruner.KEEP: str(keep),
            "Version": alias.version.version,
        },
    )
    resource.node.add_dependency(alias)
    return resource
