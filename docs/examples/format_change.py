"""Changing a message format safely, in three releases (see docs/contracts.md)."""

from aws_cdk import Annotations, App, Duration, Stack
from aws_cdk import aws_lambda as lambda_

from constructs_pkg import FifoOrderedConsumer, RuntimeLayer, SafeFunction

#: release -> (format versions the consumer accepts, format version the producer writes)
RELEASES = {
    1: ((1, 2), 1),  # the consumer learns format 2 first; the producer still writes 1
    2: ((1, 2), 2),  # the producer switches to 2 (released after the consumer)
    3: ((2,), 2),  # once no format-1 message can be left, the consumer drops 1
}


def build(app: App, release: int) -> Stack:
    """Add the example stack of ``release`` (1, 2 or 3) to ``app`` and return it."""
    accepted, written = RELEASES[release]
    stack = Stack(app, "Shipping")
    code = lambda_.Code.from_asset("sample_app/service")
    layers = [RuntimeLayer.of(stack)]
    shipper = SafeFunction(
        stack,
        "Shipper",
        code=code,
        handler="fulfillment.handler",
        runtime=lambda_.Runtime.PYTHON_3_14,
        timeout=Duration.seconds(20),
        layers=layers,
    )
    orders = SafeFunction(
        stack,
        "Orders",
        code=code,
        handler="orders.handler",
        runtime=lambda_.Runtime.PYTHON_3_14,
        layers=layers,
    )
    shipments = FifoOrderedConsumer(
        stack, "Shipments", consumer=shipper, accepted_format_versions=accepted
    )
    shipments.add_producer(orders, format_version=written)
    # During the canary the old and the new Shipper both consume. Each release accepts every
    # format that both of its versions' producers write, so that interleaving is safe.
    Annotations.of(shipments).acknowledge_warning(
        "constructs_pkg:ordered-canary", "old and new versions read every format written"
    )
    return stack
