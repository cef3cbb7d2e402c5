"""A CDK app of its own: one SafeFunction, released by canary, checked on every synth.

``cdk synth`` runs this file (``cdk.json``: ``"app": "python app.py"``).
"""

from pathlib import Path

from aws_cdk import App, Duration, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_

from constructs_pkg import Rollout, SafeFunction
from constructs_pkg.checks import DeploymentSafetyChecks

HANDLER_DIR = Path(__file__).parent / "handler"


def build(app: App) -> Stack:
    """Add the service's stack to ``app`` and return it."""
    stack = Stack(app, "OrdersService")
    orders = SafeFunction(
        stack,
        "Orders",
        # __pycache__ would change the asset hash (and publish a new version) for nothing.
        code=lambda_.Code.from_asset(str(HANDLER_DIR), exclude=["__pycache__"]),
        handler="orders.handler",
        runtime=lambda_.Runtime.PYTHON_3_12,
        timeout=Duration.seconds(10),
        # The default, written out: 10 % of the traffic for 10 minutes, then all of it, and
        # 8 more minutes with the alarms watching (the bake). A rollback when more than 2 % of
        # the new version's calls fail (at least 4 in 2 minutes) or its p99 passes 5 s.
        rollout=Rollout.canary(percent=10, interval=Duration.minutes(10), bake=Duration.minutes(8)),
    )
    # A caller is granted the alias, so it always reaches the version being released.
    caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    orders.grant_invoke(caller)
    return stack


def main() -> None:
    """Synthesize the app; the deployment-safety checks fail the synth on an error."""
    app = App()
    build(app)
    Validations.of(app).add_plugins(DeploymentSafetyChecks())
    app.synth()


if __name__ == "__main__":
    main()
