"""A FunctionFleet: one artifact, three members, two waves, a secret and a FIFO consumer."""

from aws_cdk import App, Duration, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager

from constructs_pkg import FifoOrderedConsumer, FunctionFleet, Rollout


def build(app: App) -> Stack:
    """Add the example stack to ``app`` and return it."""
    stack = Stack(app, "Backend")
    db_password = secretsmanager.Secret.from_secret_name_v2(stack, "DbPassword", "prod/db")

    fleet = FunctionFleet(
        stack,
        "Backend",
        code=lambda_.Code.from_asset("sample_app/service", exclude=["__pycache__"]),
        runtime=lambda_.Runtime.PYTHON_3_12,
        rollout=Rollout.canary(percent=10, interval=Duration.minutes(10)),
        secrets=[db_password],  # every member may read it, as DB_PASSWORD
    )
    fleet.add_function(
        "Api", handler="orders.handler", memory_size=512, timeout=Duration.seconds(10)
    )
    fleet.add_function(
        "PdfExport",
        handler="catalog.handler",
        memory_size=3008,
        timeout=Duration.minutes(5),
        rollout=Rollout.all_at_once(),
        wave=2,  # starts shifting after every wave-1 alias is done
    )
    # A FIFO consumer whose versions must not interleave on one message group is released at
    # once (no canary: its smoke test and the release's alarms still run).
    worker = fleet.add_function(
        "Worker",
        handler="fulfillment.handler",
        timeout=Duration.seconds(30),
        rollout=Rollout.all_at_once(),
    )
    # Created in the member's scope: lives in the member's nested stack.
    FifoOrderedConsumer(worker, "Jobs", consumer=worker)
    return stack
