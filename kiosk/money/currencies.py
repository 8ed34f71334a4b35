"""The currencies the shop takes and their smallest card charge. No HTTP.

Stripe's minimums (kiosk/money/amounts.py, from Stripe's docs) are the floor: an admin may raise a
minimum, never lower it. A currency without a stored row is enabled when it is the default or a
warehouse prices in it; a currency a warehouse uses cannot be disabled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from piccolo.columns import Column

from kiosk.audit import trail as audit
from kiosk.db.engine import write_transaction
from kiosk.db.settings import bump_revision
from kiosk.money import amounts as money
from kiosk.money.amounts import (
    MoneyError,
    exponent,
    format_decimal,
    format_money,
    normalize_currency,
    parse_amount,
    stripe_minimum,
)
from kiosk.money.tables import CurrencySetting
from kiosk.shop.tables import Warehouse

DEFAULT_ENABLED = frozenset({"usd"})
KNOWN = tuple(sorted(set(money.CARD_MINIMUMS) | money.ZERO_DECIMAL | money.THREE_DECIMAL))


class CurrencyError(ValueError):
    """A refused change; the message is for the admin, shown next to the field."""


@dataclass(frozen=True)
class Currency:
    code: str
    enabled: bool
    stripe_minimum: int | None
    minimum: int | None  # what the till enforces
    used_by: tuple[str, ...]  # warehouses pricing in it

    @property
    def decimals(self) -> int:
        return exponent(self.code)

    @property
    def raised(self) -> bool:
        return self.minimum is not None and self.minimum != self.stripe_minimum


async def _warehouse_currencies() -> dict[str, tuple[str, ...]]:
    rows = await Warehouse.select(Warehouse.name, Warehouse.currency).order_by(Warehouse.name)
    used: dict[str, list[str]] = {}
    for row in rows:
        used.setdefault(row["currency"], []).append(row["name"])
    return {code: tuple(names) for code, names in used.items()}


async def overview() -> list[Currency]:
    """Every currency the admin has a say on: enabled ones first, then the rest of Stripe's list."""
    rows = {row["currency"]: row for row in await CurrencySetting.select()}
    used = await _warehouse_currencies()
    currencies = []
    for code in sorted(set(KNOWN) | rows.keys() | used.keys() | DEFAULT_ENABLED):
        row = rows.get(code)
        enabled = bool(row["enabled"]) if row else code in DEFAULT_ENABLED
        raised = row["card_minimum"] if row else None
        floor = stripe_minimum(code)
        minimum = max(raised, floor or 0) if raised is not None else floor
        currencies.append(Currency(code, enabled or code in used, floor, minimum, used.get(code, ())))
    return sorted(currencies, key=lambda c: (not c.enabled, c.code))


async def enabled_codes() -> list[str]:
    """The currencies a warehouse may be priced in."""
    return [c.code for c in await overview() if c.enabled]


async def load_raised_minimums() -> None:
    """Make the till's minimum checks (kiosk/money/amounts.py) honour the stored minimums."""
    rows = await CurrencySetting.select(CurrencySetting.currency, CurrencySetting.card_minimum).where(
        CurrencySetting.card_minimum.is_not_null()
    )
    money.use_raised_minimums({row["currency"]: int(row["card_minimum"]) for row in rows})


def parse_minimum(text: str, code: str) -> int:
    """A typed minimum in `code`'s units -> minor units, refused below Stripe's own figure."""
    try:
        amount = parse_amount(text, code)
    except MoneyError as exc:
        raise CurrencyError(str(exc)) from exc
    floor = stripe_minimum(code)
    if floor is not None and amount < floor:
        raise CurrencyError(
            f"Stripe's minimum for {code.upper()} is {format_money(floor, code)}: the kiosk's cannot be lower."
        )
    if code in money.THREE_DECIMAL and amount % 10:
        suggestion = format_decimal(amount // 10 * 10 + 10, code)
        raise CurrencyError(f"{code.upper()} card amounts must end in 0 (Stripe needs it): try {suggestion}.")
    return amount


async def _upsert(code: str, actor_id: int, action: str, detail: dict[str, Any], **fields: Any) -> None:
    changes: dict[Column | str, Any] = {"updated_at": datetime.now(UTC)}
    changes.update(fields)
    async with write_transaction(CurrencySetting._meta.db):
        if await CurrencySetting.exists().where(CurrencySetting.currency == code):
            await CurrencySetting.update(changes).where(CurrencySetting.currency == code)
        else:
            await CurrencySetting.insert(CurrencySetting(currency=code, **fields))
        await bump_revision()
        await audit.record(actor_id, action, f"currency {code.upper()}", detail)


async def set_minimum(code: str, text: str, actor_id: int) -> int:
    """Store the minimum typed for a currency; returns it in minor units."""
    amount = parse_minimum(text, code)
    before = money.card_minimum(code)
    detail = {"from": format_money(before, code) if before else None, "to": format_money(amount, code)}
    stored = None if amount == stripe_minimum(code) else amount
    await _upsert(code, actor_id, "currency.minimum", detail, card_minimum=stored)
    await load_raised_minimums()
    return amount


async def enable(text: str, actor_id: int) -> str:
    try:
        code = normalize_currency(text)
    except MoneyError as exc:
        raise CurrencyError(str(exc)) from exc
    await _upsert(code, actor_id, "currency.enable", {}, enabled=True)
    return code


async def disable(code: str, actor_id: int) -> None:
    used = (await _warehouse_currencies()).get(code)
    if used:
        verb = "prices" if len(used) == 1 else "price"
        raise CurrencyError(f"{', '.join(used)} {verb} in {code.upper()}: change that first.")
    await _upsert(code, actor_id, "currency.disable", {}, enabled=False)
