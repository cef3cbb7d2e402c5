"""Order intake: validate, price through the catalog, authorize through payments."""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

_lambda_client: Any = None


def _invoke(function_arn: str, payload: dict[str, Any]) -> dict[str, Any]:
    global _lambda_client
    if _lambda_client is None:
        import boto3

        _lambda_client = boto3.client("lambda")
    response = _lambda_client.invoke(
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
    return {"accepted": True, "order_id": order_id, "total_cents": total}
