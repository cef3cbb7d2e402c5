"""Payment authorization. A real service would call a payment provider here."""

from __future__ import annotations

import hashlib
from typing import Any

MAX_AMOUNT_CENTS = 1_000_000


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Authorize ``amount_cents`` for ``order_id``; ``{"ping": true}`` is a health check."""
    if event.get("ping"):
        return {"ok": True, "service": "payments"}
    order_id = str(event["order_id"])
    amount = int(event["amount_cents"])
    if amount <= 0 or amount > MAX_AMOUNT_CENTS:
        return {"order_id": order_id, "authorized": False, "reason": "amount_out_of_range"}
    # Idempotent: the same order always gets the same authorization id.
    auth_id = hashlib.sha256(f"{order_id}:{amount}".encode()).hexdigest()[:16]
    return {"order_id": order_id, "authorized": True, "authorization_id": auth_id}
