"""What Stripe says it charged and refunded in a span of time, for the day's close.

Parsed from the charges and refunds lists (`to_dict()` of each item). Fields are read leniently:
a missing optional field means "not known", never a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

JSON = dict[str, Any]


@dataclass(frozen=True)
class DayCharge:
    """A charge: `amount` authorized, `amount_captured` of it taken (0 while uncaptured)."""

    id: str
    payment_intent_id: str | None
    status: str  # succeeded | pending | failed
    amount: int
    amount_captured: int
    captured: bool
    currency: str
    created: int
    # The kiosk's own marks, copied by Stripe from the PaymentIntent's metadata.
    warehouse: str | None
    receipt: str | None

    @property
    def taken(self) -> int:
        """What the charge stands for in the day's card sales: the captured amount, or the
        authorization a kept (uncaptured) payment holds."""
        if self.status != "succeeded":
            return 0
        return self.amount_captured if self.captured else self.amount


@dataclass(frozen=True)
class DayRefund:
    id: str
    payment_intent_id: str | None
    status: str  # pending | requires_action | succeeded | failed | canceled
    amount: int
    currency: str
    created: int

    @property
    def given_back(self) -> int:
        """Money on its way back or returned (a failed or canceled refund gave nothing)."""
        return self.amount if self.status in {"pending", "requires_action", "succeeded"} else 0


def _id_of(value: Any) -> str | None:
    if isinstance(value, dict):
        return str(value["id"]) if value.get("id") else None
    return str(value) if value else None


def charge_from(data: JSON) -> DayCharge:
    metadata = data.get("metadata") or {}
    return DayCharge(
        id=str(data["id"]),
        payment_intent_id=_id_of(data.get("payment_intent")),
        status=str(data.get("status") or ""),
        amount=int(data.get("amount") or 0),
        amount_captured=int(data.get("amount_captured") or 0),
        captured=bool(data.get("captured")),
        currency=str(data.get("currency") or ""),
        created=int(data.get("created") or 0),
        warehouse=str(metadata["warehouse"]) if metadata.get("warehouse") else None,
        receipt=str(metadata["receipt"]) if metadata.get("receipt") else None,
    )


def day_refund_from(data: JSON) -> DayRefund:
    return DayRefund(
        id=str(data["id"]),
        payment_intent_id=_id_of(data.get("payment_intent")),
        status=str(data.get("status") or "pending"),
        amount=int(data.get("amount") or 0),
        currency=str(data.get("currency") or ""),
        created=int(data.get("created") or 0),
    )
