"""One day's report of a warehouse: the figures of every source, the cash drawer, the receipts,
and Stripe's word on the card totals. An X report is made on demand and kept nowhere; a Z report
(kiosk/reports/closing.py) is the same report made once, with the cash counted, and frozen.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from kiosk.reports.days import Day, local_day
from kiosk.reports.figures import SOURCES, Block, ReceiptCounts, Row, Scope, receipt_counts
from kiosk.reports.stripe_check import Mismatch, StripeCheck, check_day, not_checked
from kiosk.shop.tables import Warehouse
from kiosk.shop.timezones import zone
from kiosk.stripe_account.gateway import StripeGateway

X, Z = "X", "Z"
NO_STRIPE = "No Stripe key is configured, so card totals were not checked against Stripe."


class WarehouseGone(LookupError):
    pass


@dataclass(frozen=True)
class Place:
    """The warehouse a report is about, as it was when the report was made."""

    id: int
    name: str
    currency: str
    timezone: str


async def place(warehouse_id: int) -> Place:
    row = (
        await Warehouse.select(Warehouse.id, Warehouse.name, Warehouse.currency, Warehouse.timezone)
        .where(Warehouse.id == warehouse_id)
        .first()
    )
    if row is None:
        raise WarehouseGone(warehouse_id)
    return Place(int(row["id"]), str(row["name"]), str(row["currency"]), str(row["timezone"]))


@dataclass(frozen=True)
class DayReport:
    kind: str  # X | Z
    warehouse_id: int
    warehouse_name: str
    currency: str
    day: str  # the local day, YYYY-MM-DD
    timezone: str
    made_at: str  # ISO time (UTC)
    blocks: tuple[Block, ...]
    cash_expected: int
    takings: int
    receipts: ReceiptCounts
    stripe: StripeCheck
    notes: tuple[str, ...] = ()
    # A Z report's own: its number, the cash the cashier counted, who closed the day.
    number: int | None = None
    cash_counted: int | None = None
    closed_by: str = ""

    @property
    def cash_difference(self) -> int | None:
        """Counted minus expected: below zero is cash missing, above is cash over."""
        return None if self.cash_counted is None else self.cash_counted - self.cash_expected

    @property
    def made_local(self) -> str:
        """When it was made, on the warehouse's clock."""
        return datetime.fromisoformat(self.made_at).astimezone(zone(self.timezone)).strftime("%Y-%m-%d %H:%M")

    @property
    def title(self) -> str:
        return f"Z report #{self.number}" if self.kind == Z else "X report"

    def block(self, key: str) -> Block | None:
        return next((b for b in self.blocks if b.key == key), None)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DayReport:
        blocks = tuple(Block(**{**b, "rows": tuple(Row(**r) for r in b["rows"])}) for b in data.get("blocks", []))
        stripe = data["stripe"]
        check = StripeCheck(**{**stripe, "mismatches": tuple(Mismatch(**m) for m in stripe.get("mismatches", []))})
        return cls(
            **{
                **data,
                "blocks": blocks,
                "stripe": check,
                "receipts": ReceiptCounts(**data["receipts"]),
                "notes": tuple(data.get("notes", ())),
            }
        )


def scope_of(where: Place, day: Day) -> Scope:
    return Scope(where.id, where.currency, day.start, day.end)


async def make_report(where: Place, day: Day, gateway: StripeGateway | None, kind: str = X) -> DayReport:
    """Add up the day (every source in SQL), then read Stripe once to check the card totals."""
    scope = scope_of(where, day)
    parts = [await source(scope) for source in SOURCES]
    check = await check_day(gateway, scope) if gateway is not None else not_checked(NO_STRIPE)
    return DayReport(
        kind=kind,
        warehouse_id=where.id,
        warehouse_name=where.name,
        currency=where.currency,
        day=day.day.isoformat(),
        timezone=day.timezone,
        made_at=datetime.now(UTC).isoformat(),
        blocks=tuple(block for part in parts for block in part.blocks),
        cash_expected=sum(part.cash for part in parts),
        takings=sum(part.takings for part in parts),
        receipts=await receipt_counts(scope),
        stripe=check,
        notes=tuple(note for part in parts for note in part.notes),
    )


async def x_report(warehouse_id: int, day: Any, gateway: StripeGateway | None) -> DayReport:
    """The day's figures so far (any time, as often as wanted; nothing is kept)."""
    where = await place(warehouse_id)
    return await make_report(where, local_day(day, where.timezone), gateway)


def as_z(report: DayReport, number: int, counted: int, closed_by: str) -> DayReport:
    return replace(report, kind=Z, number=number, cash_counted=counted, closed_by=closed_by)
