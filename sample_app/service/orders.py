"""Order intake: validate, price through the catalog, authorize through payments."""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

from constructs_pkg.runtime.contracts import producer_settings, put_record, send_message

_clients: dict[str, Any] = {}


def _client(service: str) -> Any:
    if service not in _clients:
        import boto3

        _clients[service] = boto3.client(service)
    return _clients[service]


def _invoke(function_arn: str, payload: dict[str, Any]) -> dict[str, Any]:
    response = _client("lambda").invoke(
        FunctionName=function_arn, Payload=json.dumps(payload).encode()
    )
    body: dict[str, Any] = json.loads(response["Payload"].read())
    if response.get("FunctionError"):
        raise RuntimeError(f"{function_arn} failed: {body}")
    return body


def validate(event: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the order lines, or raise ValueError naming what is wrong."""
    items = event.get("items")
    if not isinstance(items, list) or not items:
        raise ValueError("items must be a non-empty list")
    for line in items:
        if not isinstance(line, dict) or not isinstance(line.get("sku"), str):
            raise ValueError(f"every item needs a sku: {line!r}")
        quantity = line.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            raise ValueError(f"quantity must be a positive whole number: {line!r}")
    return items


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Accept ``{"items": [{"sku", "quantity"}]}``; ``{"ping": true}`` is a health check."""
    if event.get("ping"):
        return {"ok": True, "service": "orders"}
    try:
        items = validate(event)
    except ValueError as exc:
        return {"accepted": False, "reason": str(exc)}
    total = 0
    for line in items:
        product = _invoke(os.environ["CATALOG_FUNCTION"], {"sku": line["sku"]})
        if product.get("error") or not product.get("in_stock"):
            return {"accepted": False, "reason": f"{line['sku']} is not available"}
        total += int(product["price_cents"]) * int(line["quantity"])
    order_id = str(uuid.uuid4())
    payment = _invoke(
        os.environ["PAYMENTS_FUNCTION"], {"order_id": order_id, "amount_cents": total}
    )
    if not payment.get("authorized"):
        return {"accepted": False, "reason": payment.get("reason", "payment declined")}
    customer = str(event.get("customer_id", "anonymous"))
    publish_accepted(customer, order_id, total)
    return {"accepted": True, "order_id": order_id, "total_cents": total}


def publish_accepted(customer: str, order_id: str, total: int) -> None:
    """Emit the order event (keyed by customer), queue its fulfillment steps (grouped by order)."""
    events = producer_settings("ORDER_EVENTS")
    put_record(
        _client("kinesis"),
        stream_name=events.target,
        partition_key=customer,
        payload={"type": "OrderAccepted", "order_id": order_id, "total_cents": total},
        format_version=events.format_version,
    )
    jobs = producer_settings("FULFILLMENT_JOBS")
    for step in ("reserve", "pack", "ship"):
        send_message(
            _client("sqs"),
            queue_url=jobs.target,
            body={"order_id": order_id, "step": step},
            format_version=jobs.format_version,
            message_group_id=order_id,
        )
