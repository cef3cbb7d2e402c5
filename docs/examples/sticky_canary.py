"""A sticky canary: each tenant stays on one version of Orders for the whole canary."""

from aws_cdk import App, Duration, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_lambda as lambda_

from constructs_pkg import Rollout, SafeFunction, StickyRouter


def build(app: App) -> Stack:
    """Add the example stack to ``app`` and return it."""
    stack = Stack(app, "StickyService")
    orders = SafeFunction(
        stack,
        "Orders",
        code=lambda_.Code.from_asset("sample_app/service"),
        handler="orders.handler",
        runtime=lambda_.Runtime.PYTHON_3_12,
        timeout=Duration.seconds(10),
        rollout=Rollout.linear(percent=10, every=Duration.minutes(2)),
    )
    # API Gateway invokes the router; the router invokes Orders' versions.
    router = StickyRouter(stack, "OrdersRouter", target=orders, key="$.headers['x-tenant-id']")
    api = apigateway.RestApi(stack, "Api")
    api.root.add_resource("orders").add_method(
        "POST", apigateway.LambdaIntegration(router.function)
    )
    return stack
