"""Minimal SafeFunction: the default release.

Canary 10 % for 10 minutes, an 8-minute bake, error-rate and p99 rollback alarms.
"""

from aws_cdk import App, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_

from constructs_pkg import SafeFunction


def build(app: App) -> Stack:
    """Add the example stack to ``app`` and return it."""
    stack = Stack(app, "MinimalService")
    orders = SafeFunction(
        stack,
        "Orders",
        code=lambda_.Code.from_asset("sample_app/service"),
        handler="orders.handler",
        runtime=lambda_.Runtime.PYTHON_3_12,
        timeout=Duration.seconds(10),
    )
    # Callers get permission on the alias, so they always reach the released version.
    workflow_role = iam.Role(
        stack, "Workflow", assumed_by=iam.ServicePrincipal("states.amazonaws.com")
    )
    orders.grant_invoke(workflow_role)
    return stack
