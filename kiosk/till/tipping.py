"""Tips on the reader, as a warehouse's setting (the Warehouses admin page). Domain only.

No tips (the default): every payment tells the reader to skip its tip screen (`skip_tipping`),
whatever Stripe's Dashboard says. Tips on the reader: three suggestions, percentages of the
amount or fixed amounts, kept in a Stripe Terminal Configuration (`tipping.<currency>`) that the
warehouse's location uses (`configuration_overrides`): that is where Stripe's readers read them.
Whatever the setting, the tip a payment got is recorded from Stripe's own numbers
(`amount_details.tip`, kiosk/payments/states.py), never assumed.

Refused, with a message by the field and nothing changed: a currency Stripe takes no tips in, a
warehouse with no location, a location with a reader that has no tip screen, suggestions that are
not one to three percentages (1-100) or amounts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kiosk.audit import trail as audit
from kiosk.db.engine import write_transaction
from kiosk.forms import FormErrors, field_error
from kiosk.money.amounts import MoneyError, format_decimal, format_money, parse_amount
from kiosk.readers.tables import LocationPairing
from kiosk.shop.tables import Warehouse
from kiosk.stripe_account.admin_gateway import (
    TIPPING_CURRENCIES,
    TIPPING_DEVICES,
    AdminStripeError,
    StripeAdmin,
    TipSuggestions,
)

OFF, PERCENTAGES, AMOUNTS = "off", "percentages", "amounts"
MODES = {OFF: "No tips", PERCENTAGES: "Tips on the reader: percentages", AMOUNTS: "Tips on the reader: fixed amounts"}
MAX_SUGGESTIONS = 3


class WarehouseMissing(LookupError):
    pass


@dataclass(frozen=True)
class Tipping:
    mode: str
    choices: tuple[int, ...]  # percent, or minor units
    currency: str
    configuration: str  # the Stripe Terminal Configuration id ("" before the first save)

    @property
    def on(self) -> bool:
        return self.mode != OFF

    def typed(self) -> str:
        """The suggestions as the form shows them: "10, 15, 20" or "1.00, 2.00, 3.00"."""
        if self.mode == AMOUNTS:
            return ", ".join(format_decimal(c, self.currency) for c in self.choices)
        return ", ".join(str(c) for c in self.choices)

    def summary(self) -> str:
        if self.mode == PERCENTAGES:
            return "Tips on the reader: " + ", ".join(f"{c}%" for c in self.choices)
        if self.mode == AMOUNTS:
            return "Tips on the reader: " + ", ".join(format_money(c, self.currency) for c in self.choices)
        return "No tips"


def currencies_with_tips() -> str:
    return ", ".join(sorted(code.upper() for code in TIPPING_CURRENCIES))


async def tipping_of(warehouse_id: int) -> Tipping:
    row = (
        await Warehouse.select(
            Warehouse.tipping, Warehouse.tip_choices, Warehouse.currency, Warehouse.tip_configuration
        )
        .where(Warehouse.id == warehouse_id)
        .first()
    )
    if row is None:
        raise WarehouseMissing(warehouse_id)
    choices = tuple(int(c) for c in str(row["tip_choices"] or "").split(",") if c.strip().isdigit())
    mode = row["tipping"] if row["tipping"] in MODES else OFF
    return Tipping(mode, choices, str(row["currency"]), str(row["tip_configuration"] or ""))


def parse_choices(mode: str, typed: str, currency: str) -> tuple[int, ...]:
    """One to three suggestions: whole percentages 1-100, or amounts in the warehouse's currency."""
    if mode == PERCENTAGES:
        parts = [p.strip().rstrip("%").strip() for p in re.split(r"[,;\s]+", typed) if p.strip()]
    else:  # a comma may be a decimal mark ("2,50"): amounts are apart by spaces, ";" or ", "
        parts = [p.strip() for p in re.split(r"[;\s]+", typed.replace(", ", " ")) if p.strip()]
    if not 1 <= len(parts) <= MAX_SUGGESTIONS:
        raise field_error(
            "tip_choices", f"Enter one to {MAX_SUGGESTIONS} suggestions, separated by spaces, like “10 15 20”."
        )
    if mode == PERCENTAGES:
        if not all(p.isdigit() and 1 <= int(p) <= 100 for p in parts):
            raise field_error("tip_choices", "Percentages are whole numbers from 1 to 100, like “10 15 20”.")
        return tuple(int(p) for p in parts)
    amounts = []
    for part in parts:
        try:
            amounts.append(parse_amount(part, currency))
        except MoneyError as exc:
            raise field_error("tip_choices", f"“{part}”: {exc}") from exc
    return tuple(amounts)


async def _location_of(warehouse_id: int) -> str | None:
    row = (
        await LocationPairing.select(LocationPairing.stripe_location_id)
        .where(LocationPairing.warehouse == warehouse_id)
        .first()
    )
    return str(row["stripe_location_id"]) if row else None


async def set_tipping(actor_id: int, warehouse_id: int, mode: str, typed: str, stripe: StripeAdmin | None) -> Tipping:
    """Save the warehouse's tips setting, at Stripe first (its readers read it there), then here."""
    before = await tipping_of(warehouse_id)
    name = await Warehouse.select(Warehouse.name).where(Warehouse.id == warehouse_id).first()
    warehouse_name = str(name["name"]) if name else str(warehouse_id)
    if mode not in MODES:
        raise field_error("tipping", "Choose no tips, or tips as percentages or fixed amounts.")
    currency = before.currency
    choices: tuple[int, ...] = ()
    if mode != OFF:
        if currency not in TIPPING_CURRENCIES:
            raise field_error(
                "tipping",
                f"Stripe readers take no tips in {currency.upper()}. On-reader tipping works in "
                f"{currencies_with_tips()}.",
            )
        choices = parse_choices(mode, typed, currency)
    location = await _location_of(warehouse_id)
    configuration = before.configuration
    if mode != OFF or configuration:
        if stripe is None:
            raise field_error("tipping", "Stripe is not set up: an admin must enter the Stripe secret key first.")
        if mode != OFF and location is None:
            raise field_error(
                "tipping", f"Pair {warehouse_name} with a Stripe location first: its readers show the tip screen."
            )
        try:
            if mode != OFF and location is not None:
                unable = [
                    r
                    for r in await stripe.list_readers()
                    if r.location == location and r.device_type not in TIPPING_DEVICES
                ]
                if unable:
                    listed = ", ".join(f"{r.label} ({r.device_type.replace('_', ' ')})" for r in unable)
                    raise field_error(
                        "tipping",
                        f"These readers at {warehouse_name}'s location have no tip screen: {listed}. Move them "
                        "to another location, or keep no tips.",
                    )
            tips: TipSuggestions | None = None
            if mode == PERCENTAGES:
                tips = {"percentages": list(choices)}
            elif mode == AMOUNTS:
                tips = {"fixed_amounts": list(choices)}
            configuration = await stripe.save_tipping(
                configuration or None,
                name=f"Kiosk: {warehouse_name}"[:100],
                currency=currency,
                tips=tips,
                idempotency_key=f"kiosk-warehouse-{warehouse_id}-tipping-configuration",
            )
            if location is not None and mode != OFF:
                await stripe.set_location_configuration(location, configuration)
        except AdminStripeError as exc:
            raise FormErrors({"tipping": f"Stripe refused the tips setting: {exc.message}"}) from exc
    after = Tipping(mode, choices, currency, configuration)
    async with write_transaction(Warehouse._meta.db):
        await Warehouse.update(
            {
                Warehouse.tipping: mode,
                Warehouse.tip_choices: ",".join(str(c) for c in choices),
                Warehouse.tip_configuration: configuration,
            }
        ).where(Warehouse.id == warehouse_id)
        detail = {"from": before.summary(), "to": after.summary(), "configuration": configuration, "location": location}
        await audit.record(actor_id, "warehouse.tipping", f"warehouse {warehouse_name}", detail)
    return after
