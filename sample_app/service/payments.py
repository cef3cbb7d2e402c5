"""Payment authorization. A real service would call a payment provider here."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

MAX_AMOUNT_CENTS = 1_000_000
METRICS_NAMESPACE = "OrderService"


def emit_declined(function_version: str, reason: str) -> None:
    """Log a ``PaymentsDeclined`` metric per function version (CloudWatch embedded metric format).

    The rollback alarm on this metric filters on ``FunctionVersion``, so it watches the
    version being released, like the alarms constructs_pkg generates.
    """
    print(
        json.dumps(
            {
                "_aws": {
                    "Timestamp": int(time.time() * 1000),
                    "CloudWatchMetrics": [
                        {
                            "Namespace": METRICS_NAMESPACE,
                            "Dimensions": [["FunctionVersion"]],
                            "Metrics": [{"Name": "PaymentsDeclined", "Unit": "Count"}],
                        }
                    ],
                },
                "FunctionVersion": function_version,
                "PaymentsDeclined": 1,
                "reason": reason,
            }
        )
    )


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Authorize ``amount_cents`` for ``order_id``; ``{"ping": true}`` is a health check."""
    if event.get("ping"):
        return {"ok": True, "service": "payments"}
    order_id = str(event["order_id"])
    amount = int(event["amount_cents"])
    if amount <= 0 or amount > MAX_AMOUNT_CENTS:
        emit_declined(getattr(context, "function_version", "$LATEST"), "amount_out_of_range")
        return {"order_id": order_id, "authorized": False, "reason": "amount_out_of_range"}
    # Idempotent: the same order always gets the same authorization id.
    auth_id = hashlib.sha256(f"{order_id}:{amount}".encode()).hexdigest()[:16]
    return {"order_id": order_id, "authorized": True, "authorization_id": auth_id}
