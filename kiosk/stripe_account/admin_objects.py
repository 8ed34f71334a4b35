"""What the admin pages need from Stripe's objects: locations, readers, and a key's verification.

Parsed leniently from the objects' JSON (`to_dict()`), as kiosk/stripe_account/objects.py does for the
payments engine: a missing optional field means "not known", never a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kiosk.stripe_account.keys import Account


@dataclass(frozen=True)
class Permission:
    resource: str
    level: str  # Read | Write
    used_for: str

    def __str__(self) -> str:
        return f"{self.resource}: {self.level} ({self.used_for})"


REQUIRED = (
    Permission("PaymentIntents", "Write", "take card payments"),
    Permission("Terminal readers", "Write", "send payments to readers"),
    Permission("Terminal locations", "Read", "offer each warehouse its readers"),
)
OPTIONAL = (
    Permission("Terminal locations", "Write", "create locations on these pages"),
    Permission("Webhook endpoints", "Write", "register the webhook endpoint on these pages"),
)


@dataclass(frozen=True)
class Verification:
    """What Stripe said about a key: whose account, which mode, and any missing permission."""

    account: Account | None  # None: a restricted key may not read the account
    key_kind: str  # secret | restricted
    livemode: bool
    missing: tuple[Permission, ...] = ()
    optional_missing: tuple[Permission, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class Location:
    id: str
    display_name: str
    address: str


@dataclass(frozen=True)
class Reader:
    id: str
    label: str
    device_type: str
    serial_number: str
    online: bool
    location: str | None
    last_seen: datetime | None


def location_from(data: dict[str, Any]) -> Location:
    address = data.get("address") or {}
    parts = [address.get(k) for k in ("line1", "line2", "postal_code", "city", "state", "country")]
    return Location(str(data["id"]), str(data.get("display_name") or data["id"]), ", ".join(p for p in parts if p))


def reader_from(data: dict[str, Any]) -> Reader:
    seen = data.get("last_seen_at")  # milliseconds since the epoch
    return Reader(
        id=str(data["id"]),
        label=str(data.get("label") or data["id"]),
        device_type=str(data.get("device_type") or ""),
        serial_number=str(data.get("serial_number") or ""),
        online=data.get("status") == "online",
        location=data.get("location") or None,
        last_seen=datetime.fromtimestamp(seen / 1000, UTC) if isinstance(seen, int | float) else None,
    )
