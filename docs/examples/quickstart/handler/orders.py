"""The function's code: the status of an order."""

from typing import Any


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Return the status of the order ``event["order_id"]``."""
    order_id = event.get("order_id")
    if not isinstance(order_id, str) or not order_id:
        return {"ok": False, "error": "order_id (a non-empty string) is required"}
    return {"ok": True, "order_id": order_id, "status": "received"}
