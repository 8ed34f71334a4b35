"""The currencies the shop takes and their smallest card charge. No HTTP.

Every currency Stripe charges in may be enabled (kiosk/money/catalog.py); any other code is refused.
Stripe's minimums are the floor: an admin may raise a minimum, never lower it. A currency without a
stored row is enabled when it is the default or a warehouse prices in it; a currency a warehouse
uses cannot be disabled. Terminal takes card-present payments only in the local currency of the
Stripe account's country: enabling another one is allowed (saved cards may be charged in it) and
the admin is told so.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from babel import Locale
from babel.numbers import get_currency_name
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
from kiosk.money.catalog import STRIPE_CURRENCIES, TERMINAL_CURRENCY, THREE_DECIMAL, WHOLE_UNITS_ONLY
from kiosk.money.tables import CurrencySetting
from kiosk.shop.tables import Warehouse
from kiosk.stripe_account.keys import Account

DEFAULT_ENABLED = frozenset({"usd"})
KNOWN = STRIPE_CURRENCIES
# The Currencies page's groups (`kind` filter).
KINDS = {
    "all": "All currencies",
    "published": "Minimum published by Stripe",
    "zero": "No decimals",
    "three": "Three decimals",
}


def _folded(text: str) -> str:
    """Lowercase without accents, for searching: "Króna" -> "krona"."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def currency_name(code: str) -> str:
    """'eur' -> 'Euro' (Babel's English name; the code itself where it has none)."""
    return str(get_currency_name(code.upper(), locale="en")) or code.upper()


# Countries English names with "the".
_WITH_THE = frozenset({"US", "GB", "NL", "AE", "PH", "BS", "GM"})


def country_name(country: str) -> str:
    """'DE' -> 'Germany', 'US' -> 'the United States' (as it reads in a sentence)."""
    code = country.upper()
    name = str(Locale.parse("en_US").territories.get(code, code))
    return f"the {name}" if code in _WITH_THE else name


def settlement_minimum(account: Account | None) -> str | None:
    """Stripe's minimum in the account's settlement currency, as people read it ("$0.50"), if known."""
    currency = (account.default_currency if account else "").lower()
    minimum = stripe_minimum(currency) if currency else None
    return format_money(minimum, currency) if minimum is not None else None


def terminal_note(code: str, account: Account | None) -> str | None:
    """What an admin must know before pricing in `code`: None when Terminal takes it card-present in
    the Stripe account's country, else the plain rule."""
    country = (account.country if account else "").upper()
    local = TERMINAL_CURRENCY.get(country)
    if local == code:
        return None
    if not country:
        return (
            f"Terminal takes card-present payments only in the local currency of the Stripe account's country, "
            f"which the kiosk does not know yet (save the keys on the Stripe page). Saved cards may still be "
            f"charged in {code.upper()}."
        )
    if local is None:
        return (
            f"Stripe Terminal is not offered in {country_name(country)}, the Stripe account's country: card-present "
            f"payments cannot be taken there. Saved cards may still be charged in {code.upper()}."
        )
    return (
        f"Terminal in {country_name(country)} takes card-present payments only in {local.upper()}; saved cards "
        f"may still be charged in {code.upper()}."
    )


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
    def name(self) -> str:
        return currency_name(self.code)

    @property
    def whole_units_only(self) -> bool:
        return self.code in WHOLE_UNITS_ONLY

    def kind_of(self, kind: str) -> bool:
        """Whether the currency is in one of the page's groups (see KINDS)."""
        if kind == "published":
            return self.stripe_minimum is not None
        if kind in ("zero", "three"):
            return self.decimals == (0 if kind == "zero" else 3)
        return True

    def matches(self, query: str) -> bool:
        """The page's search: the code or the name contains what was typed ("krona" finds Króna too)."""
        wanted = _folded(query.strip())
        return not wanted or wanted in self.code or wanted in _folded(self.name)

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
    if code in THREE_DECIMAL and amount % 10:
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


def stripe_code(text: str) -> str:
    """A typed code -> Stripe's lowercase code, refused when it is not one Stripe charges in."""
    try:
        code = normalize_currency(text)
    except MoneyError as exc:
        raise CurrencyError(str(exc)) from exc
    if code not in STRIPE_CURRENCIES:
        raise CurrencyError(
            f"{code.upper()} is not a currency Stripe charges in: nothing was changed. "
            f"Pick one of Stripe's {len(STRIPE_CURRENCIES)} currencies, like EUR or JPY."
        )
    return code


async def enable(text: str, actor_id: int) -> str:
    code = stripe_code(text)
    await _upsert(code, actor_id, "currency.enable", {}, enabled=True)
    return code


async def disable(code: str, actor_id: int) -> None:
    used = (await _warehouse_currencies()).get(code)
    if used:
        verb = "prices" if len(used) == 1 else "price"
        raise CurrencyError(f"{', '.join(used)} {verb} in {code.upper()}: change that first.")
    await _upsert(code, actor_id, "currency.disable", {}, enabled=False)
