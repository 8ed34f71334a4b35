"""What the receipt page's customer section shows (`partials/receipt_customer.html`)."""

from __future__ import annotations

from typing import Any

from kiosk.customers import attach, protection
from kiosk.shop.tables import OPEN, Receipt


async def receipt_customer_context(receipt_id: int, **extra: Any) -> dict[str, Any]:
    row = await Receipt.select(Receipt.status).where(Receipt.id == receipt_id).first()
    return {
        "rc_receipt_id": receipt_id,
        "rc_open": bool(row and row["status"] == OPEN),
        "rc_current": await attach.of_receipt(receipt_id),
        "rc_saving": await protection.saving_allowed(),
        "rc_errors": {},
        "rc_typed": {},
        **extra,
    }


async def receipt_customer_of(
    receipt_id: int, status: str, current: attach.ReceiptCustomerView | None, saving: bool | None = None
) -> dict[str, Any]:
    """`receipt_customer_context` for a caller that has read the receipt's status and customer, and
    with them whether cards may be saved (`saving`, from `protection.saving_of`; None: read here)."""
    return {
        "rc_receipt_id": receipt_id,
        "rc_open": status == OPEN,
        "rc_current": current,
        "rc_saving": await protection.saving_allowed() if saving is None else saving,
        "rc_errors": {},
        "rc_typed": {},
    }
