"""Per-stack release infrastructure shared by every SafeFunction in the stack.

CDK's ``LambdaDeploymentGroup`` creates a CodeDeploy application and a service role
for every deployment group. Fifty functions would mean fifty of each; here every
SafeFunction of a stack uses one application, one role and one custom deployment
config per rollout shape.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_iam as iam
from constructs import Construct, IConstruct

from constructs_pkg.release.rollout import Rollout

#: Id of the per-stack construct holding the shared CodeDeploy application and role.
SHARED_RELEASE_ID = "ConstructsPkgRelease"


class SharedRelease(Construct):
    """The CodeDeploy application, service role and custom configs of one stack.

    Use :meth:`of` to get the stack's instance; it is created on first use with the
    construct id ``ConstructsPkgRelease`` directly under the top-level stack. SafeFunctions
    in nested stacks (a FunctionFleet's members) share their top-level stack's instance;
    CDK passes the application name, role ARN and config names in as nested-stack
    parameters.
    """

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self._application: codedeploy.LambdaApplication | None = None
        self._service_role: iam.Role | None = None
        self._configs: dict[str, codedeploy.ILambdaDeploymentConfig] = {}

    @property
    def application(self) -> codedeploy.LambdaApplication:
        """The stack's CodeDeploy application (created on first use)."""
        if self._application is None:
            self._application = codedeploy.LambdaApplication(self, "Application")
        return self._application

    @property
    def service_role(self) -> iam.Role:
        """The stack's CodeDeploy service role (created on first use)."""
        if self._service_role is None:
            self._service_role = iam.Role(
                self,
                "ServiceRole",
                assumed_by=iam.ServicePrincipal("codedeploy.amazonaws.com"),
                description="CodeDeploy service role shared by every SafeFunction of this stack",
                managed_policies=[
                    iam.ManagedPolicy.from_aws_managed_policy_name(
                        "service-role/AWSCodeDeployRoleForLambdaLimited"
                    )
                ],
            )
        return self._service_role

    @classmethod
    def of(cls, scope: IConstruct) -> SharedRelease:
        """Return the release infrastructure of ``scope``'s top-level stack (created once)."""
        stack = Stack.of(scope)
        while stack.nested_stack_parent is not None:
            stack = stack.nested_stack_parent
        existing = stack.node.try_find_child(SHARED_RELEASE_ID)
        if isinstance(existing, SharedRelease):
            return existing
        return cls(stack, SHARED_RELEASE_ID)

    def deployment_config(self, rollout: Rollout) -> codedeploy.ILambdaDeploymentConfig:
        """Return the config for ``rollout``: predefined or named, else one custom per shape."""
        predefined = rollout.predefined_config()
        if predefined is not None:
            return predefined
        if rollout.kind == "named" and rollout.config is not None:
            return rollout.config
        config = self._configs.get(rollout.config_id)
        if config is None:
            if rollout.kind == "named":
                assert rollout.config_name is not None
                config = codedeploy.LambdaDeploymentConfig.from_lambda_deployment_config_name(
                    self, rollout.config_id, rollout.config_name
                )
            else:
                config = codedeploy.LambdaDeploymentConfig(
                    self, rollout.config_id, traffic_routing=rollout.traffic_routing()
                )
            self._configs[rollout.config_id] = config
        return config
