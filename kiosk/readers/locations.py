"""Terminal locations with their readers and warehouses, for the admin pages. No HTTP.

Stripe owns locations and readers (read fresh on every admin page: admins are few, and a stale
list here would mislead); the kiosk owns the pairing of each location with one warehouse
(`LocationPairing`), which decides the readers a till is offered.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from kiosk.audit import trail as audit
from kiosk.db.engine import write_transaction
from kiosk.forms import FormErrors
from kiosk.readers.tables import LocationPairing
from kiosk.shop.tables import Warehouse
from kiosk.stripe_account.admin_gateway import LocationAddress, StripeAdmin
from kiosk.stripe_account.admin_objects import Location, Reader
from kiosk.stripe_account.keys import KeysInForce

NOT_CONFIGURED = "Enter and save the Stripe secret key first (Stripe page)."
_COUNTRY = re.compile(r"^[A-Z]{2}$")


class NotConfigured(Exception):
    """No Stripe secret key yet: nothing can be read from Stripe."""


def admin_client(runtime: KeysInForce) -> StripeAdmin:
    """A client with the saved secret key, for one admin request."""
    if not runtime.config.secret_key:
        raise NotConfigured(NOT_CONFIGURED)
    return StripeAdmin(runtime.config.secret_key, runtime.base.stripe_api_base)


@dataclass(frozen=True)
class WarehouseChoice:
    id: int
    name: str
    currency: str


@dataclass(frozen=True)
class LocationView:
    location: Location
    readers: list[Reader]
    warehouse: WarehouseChoice | None


@dataclass(frozen=True)
class Overview:
    locations: list[LocationView]
    # Readers no till can use: no location, or one Stripe no longer lists.
    unusable: list[Reader]
    warehouses: list[WarehouseChoice]
    # Pairings with locations Stripe no longer lists (location id -> warehouse).
    stale: dict[str, WarehouseChoice]


async def warehouses() -> list[WarehouseChoice]:
    rows = await Warehouse.select(Warehouse.id, Warehouse.name, Warehouse.currency).order_by(Warehouse.name)
    return [WarehouseChoice(int(r["id"]), r["name"], r["currency"]) for r in rows]


async def pairings() -> dict[str, int]:
    rows = await LocationPairing.select(LocationPairing.stripe_location_id, LocationPairing.warehouse)
    return {r["stripe_location_id"]: int(r["warehouse"]) for r in rows}


async def overview(stripe: StripeAdmin) -> Overview:
    locations, readers = await stripe.list_locations(), await stripe.list_readers()
    choices = await warehouses()
    by_id = {w.id: w for w in choices}
    paired = await pairings()
    known = {location.id for location in locations}
    views = [
        LocationView(
            location,
            [r for r in readers if r.location == location.id],
            by_id.get(paired[location.id]) if location.id in paired else None,
        )
        for location in locations
    ]
    unusable = [r for r in readers if r.location not in known]
    stale = {loc: by_id[wid] for loc, wid in paired.items() if loc not in known and wid in by_id}
    return Overview(views, unusable, choices, stale)


def location_form(form: dict[str, str]) -> tuple[str, LocationAddress]:
    """The display name and Stripe address of a new location, or FormErrors by field."""
    value = {k: (form.get(k) or "").strip() for k in ("display_name", "line1", "line2", "city", "state", "postal_code")}
    country = (form.get("country") or "").strip().upper()
    errors: dict[str, str] = {}
    if not value["display_name"]:
        errors["display_name"] = "Give the location a name (cashiers do not see it; admins do)."
    elif len(value["display_name"]) > 100:
        errors["display_name"] = "At most 100 characters."
    if not value["line1"]:
        errors["line1"] = "Enter the street address."
    if not value["city"]:
        errors["city"] = "Enter the city."
    if not _COUNTRY.match(country):
        errors["country"] = "Enter the two-letter country code, like US, GB or DE."
    if errors:
        raise FormErrors(errors)
    address: LocationAddress = {"country": country, "line1": value["line1"], "city": value["city"]}
    for optional in ("line2", "state", "postal_code"):
        if value[optional]:
            address[optional] = value[optional]
    return value["display_name"], address


def _pairing_errors(choices: dict[str, int | None], names: dict[int, str]) -> dict[str, str]:
    counts = Counter(w for w in choices.values() if w is not None)
    return {
        f"warehouse_{location}": f"{names[w]} is chosen for {counts[w]} locations: a warehouse has one location."
        for location, w in choices.items()
        if w is not None and counts[w] > 1
    }


def parse_pairings(form: dict[str, str], known: set[str], names: dict[int, str]) -> dict[str, int | None]:
    """Each known location's chosen warehouse (None: unpaired), or FormErrors by field."""
    choices: dict[str, int | None] = {}
    errors: dict[str, str] = {}
    for location in sorted(known):
        text = (form.get(f"warehouse_{location}") or "").strip()
        if not text:
            choices[location] = None
        elif text.isdigit() and int(text) in names:
            choices[location] = int(text)
        else:
            errors[f"warehouse_{location}"] = "Choose one of the warehouses."
    errors.update(_pairing_errors(choices, names))
    if errors:
        raise FormErrors(errors)
    return choices


async def save_pairings(choices: dict[str, int | None], names: dict[int, str], actor_id: int) -> list[str]:
    """Pair each location with its chosen warehouse; pairings with locations Stripe no longer
    lists are dropped. Returns the locations whose pairing changed."""
    before = await pairings()
    wanted = {location: w for location, w in choices.items() if w is not None}
    changed = sorted(loc for loc in set(before) | set(choices) if before.get(loc) != wanted.get(loc))
    if not changed:
        return []
    async with write_transaction(LocationPairing._meta.db):
        # Every row whose location changed goes first, so a warehouse moving between two
        # locations never meets itself on the unique warehouse column.
        await LocationPairing.delete().where(LocationPairing.stripe_location_id.is_in(changed))
        for location in changed:
            old, new = before.get(location), wanted.get(location)
            if new is not None:
                await LocationPairing.insert(LocationPairing(stripe_location_id=location, warehouse=new))
            detail = {"from": names.get(old) if old else None, "to": names.get(new) if new else None}
            await audit.record(actor_id, "location.pairing", f"location {location}", detail)
    return changed
