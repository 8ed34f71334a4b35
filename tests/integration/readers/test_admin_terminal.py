"""/admin/locations and /admin/readers against the simulator: create a location, pair locations
with warehouses (one each), register, rename and remove readers, flag readers no till can use; and
the till is offered exactly the readers of its warehouse's location."""

from __future__ import annotations

import asyncio

import pytest
from litestar import Litestar

from kiosk.audit.tables import AuditEntry
from kiosk.readers.tables import LocationPairing
from tests.admin_support import Client, snapshot
from tests.kiosk_support import make_warehouse, post_form
from tests.setup_support import ADDRESS, save_keys, setup_app
from tests.simulator_support import RunningSimulator


@pytest.fixture
def app(db: str, simulator: RunningSimulator) -> Litestar:
    return setup_app(simulator)


@pytest.fixture
async def admin(admin_client: Client) -> Client:
    """The admin, with the Stripe key saved."""
    await save_keys(admin_client)
    return admin_client


def locations(simulator: RunningSimulator) -> list[dict[str, object]]:
    return list(simulator.sim.table("terminal.location").values())


def readers(simulator: RunningSimulator) -> list[dict[str, object]]:
    return list(simulator.sim.table("terminal.reader").values())


async def create_location(client: Client, **changes: str) -> str:
    response = await post_form(client, "/admin/locations", {**ADDRESS, **changes})
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def test_without_a_key_the_pages_say_what_to_do(admin_client: Client) -> None:
    for url in ("/admin/locations", "/admin/readers"):
        page = await admin_client.get(url)
        assert page.status_code == 503
        assert "Enter and save the Stripe secret key first" in page.text


async def test_creating_a_location(admin: Client, simulator: RunningSimulator) -> None:
    assert await create_location(admin, postal_code="D02") == "/admin/locations?done=created"
    [location] = locations(simulator)
    assert location["display_name"] == "Harbour shop"
    assert location["address"]["country"] == "IE" and location["address"]["postal_code"] == "D02"  # type: ignore[index]
    page = (await admin.get("/admin/locations?done=created")).text
    assert "Location created" in page and "Harbour shop" in page and "1 Quay St, D02, Dublin, IE" in page
    assert await AuditEntry.exists().where(AuditEntry.action == "location.create")


async def test_a_bad_address_is_refused_field_by_field(admin: Client, simulator: RunningSimulator) -> None:
    before = await snapshot()
    response = await post_form(
        admin, "/admin/locations", {"display_name": "", "line1": "", "city": "", "country": "Ireland"}
    )
    assert response.status_code == 400
    assert 'data-testid="error-display_name">Give the location a name' in response.text
    assert 'data-testid="error-line1">Enter the street address' in response.text
    assert 'data-testid="error-city">Enter the city' in response.text
    assert 'data-testid="error-country">Enter the two-letter country code' in response.text
    assert 'value="Ireland"' in response.text
    assert locations(simulator) == [] and await snapshot() == before


async def test_pairing_locations_with_warehouses(admin: Client, simulator: RunningSimulator, warehouse: int) -> None:
    annex = await make_warehouse("Annex", "usd")
    await create_location(admin, display_name="North")
    await create_location(admin, display_name="South")
    north, south = (loc["id"] for loc in locations(simulator))
    edit = await admin.get("/admin/locations?edit=true")
    assert edit.text.count('data-testid="pair-select"') == 2
    response = await post_form(admin, "/admin/locations/pairing", {f"warehouse_{north}": str(warehouse)})
    assert response.headers["location"] == "/admin/locations?done=paired"
    page = (await admin.get("/admin/locations")).text
    assert page.count('data-testid="paired-warehouse">Main<') == 1 and "not paired" in page
    # Moving Main to South and pairing Annex with North in one save.
    form = {f"warehouse_{north}": str(annex), f"warehouse_{south}": str(warehouse)}
    assert (await post_form(admin, "/admin/locations/pairing", form)).status_code == 303
    rows = await LocationPairing.select(LocationPairing.stripe_location_id, LocationPairing.warehouse)
    assert {r["stripe_location_id"]: r["warehouse"] for r in rows} == {north: annex, south: warehouse}
    entries = await AuditEntry.select(AuditEntry.detail).where(AuditEntry.action == "location.pairing")
    assert len(entries) == 3


async def test_one_warehouse_for_two_locations_is_refused(
    admin: Client, simulator: RunningSimulator, warehouse: int
) -> None:
    await create_location(admin, display_name="North")
    await create_location(admin, display_name="South")
    north, south = (loc["id"] for loc in locations(simulator))
    before = await snapshot()
    form = {f"warehouse_{north}": str(warehouse), f"warehouse_{south}": str(warehouse)}
    response = await post_form(admin, "/admin/locations/pairing", form)
    assert response.status_code == 400
    assert response.text.count("Main is chosen for 2 locations: a warehouse has one location.") == 2
    response = await post_form(admin, "/admin/locations/pairing", {f"warehouse_{north}": "999"})
    assert f'data-testid="error-warehouse_{north}">Choose one of the warehouses.' in response.text
    assert await snapshot() == before


async def test_registering_renaming_and_removing_a_reader(admin: Client, simulator: RunningSimulator) -> None:
    await create_location(admin)
    [location] = locations(simulator)
    form = {"registration_code": "simulated-wpe", "label": "Till 1", "location": str(location["id"])}
    response = await post_form(admin, "/admin/readers", form)
    assert response.headers["location"] == "/admin/readers?done=registered"
    [reader] = readers(simulator)
    assert reader["label"] == "Till 1" and reader["location"] == location["id"]
    page = (await admin.get("/admin/readers")).text
    assert 'data-testid="reader-label">Till 1<' in page and "WisePOS E (simulated)" in page
    assert 'data-testid="reader-status">online<' in page and 'data-testid="reader-last-seen">last seen' in page
    response = await post_form(admin, f"/admin/readers/{reader['id']}/rename", {"label": "Front desk"})
    assert response.status_code == 303 and readers(simulator)[0]["label"] == "Front desk"
    response = await post_form(admin, f"/admin/readers/{reader['id']}/rename", {"label": "  "})
    assert response.status_code == 400 and 'data-testid="error-label">Give the reader a label' in response.text
    assert readers(simulator)[0]["label"] == "Front desk"
    # One press only asks, saying which reader goes and what that means; only Yes removes it.
    page = (await admin.get("/admin/readers")).text
    assert f'href="/admin/readers?remove={reader["id"]}#reader-{reader["id"]}" data-testid="remove-reader"' in page
    asked = (await admin.get(f"/admin/readers?remove={reader['id']}")).text
    assert 'data-testid="remove-confirm"' in asked
    assert "Remove Front desk (WisePOS E (simulated) · " in asked and "no till can take cards on it" in asked
    assert "Yes, remove Front desk" in asked and 'data-testid="remove-keep"' in asked
    bare = await post_form(admin, f"/admin/readers/{reader['id']}/remove")
    assert bare.status_code == 200 and 'data-testid="remove-confirm"' in bare.text
    assert len(readers(simulator)) == 1  # a press that did not come through the question removes nothing
    response = await post_form(admin, f"/admin/readers/{reader['id']}/remove", {"confirm": "yes"})
    assert response.headers["location"] == "/admin/readers?done=removed" and readers(simulator) == []
    actions = [r["action"] for r in await AuditEntry.select(AuditEntry.action).order_by(AuditEntry.id)]
    assert actions[-3:] == ["reader.register", "reader.rename", "reader.remove"]


async def test_offline_readers_show_as_offline(admin: Client, simulator: RunningSimulator) -> None:
    await create_location(admin)
    [location] = locations(simulator)
    form = {"registration_code": "simulated-s700", "label": "Till 2", "location": str(location["id"])}
    await post_form(admin, "/admin/readers", form)
    [reader] = readers(simulator)
    await asyncio.to_thread(simulator.control, "POST", f"/_sim/readers/{reader['id']}/offline")
    assert 'data-testid="reader-status">offline<' in (await admin.get("/admin/readers")).text


async def test_bad_registrations_are_refused_next_to_the_field(admin: Client, simulator: RunningSimulator) -> None:
    await create_location(admin)
    [location] = locations(simulator)
    before = await snapshot()
    response = await post_form(admin, "/admin/readers", {"registration_code": "", "label": "", "location": "tml_nope"})
    assert response.status_code == 400
    assert 'data-testid="error-registration_code">Enter the code the reader shows' in response.text
    assert 'data-testid="error-label">Give the reader a label' in response.text
    assert 'data-testid="error-location">Choose the location the reader is at' in response.text
    form = {"registration_code": "purple-monkey-dishwasher", "label": "Till 1", "location": str(location["id"])}
    response = await post_form(admin, "/admin/readers", form)
    assert response.status_code == 400
    assert 'data-testid="error-registration_code">The registration code you provided is invalid' in response.text
    assert readers(simulator) == [] and await snapshot() == before


async def test_readers_without_a_usable_location_are_flagged(admin: Client, simulator: RunningSimulator) -> None:
    # Registered elsewhere without a location (the Dashboard allows it): no till can use it.
    stray = await asyncio.to_thread(
        lambda: simulator.client().v1.terminal.readers.create(
            params={"registration_code": "simulated-wpe", "label": "Stray"}
        )
    )
    page = (await admin.get("/admin/locations")).text
    assert f'data-testid="unusable-reader" data-reader-id="{stray.id}"' in page
    assert 'data-testid="reader-unusable">no location' in (await admin.get("/admin/readers")).text


async def test_the_till_is_offered_only_its_locations_readers(
    admin: Client, simulator: RunningSimulator, warehouse: int, cashier_client: Client
) -> None:
    annex = await make_warehouse("Annex", "usd")
    await create_location(admin, display_name="Main shop")
    await create_location(admin, display_name="Annex shop")
    main_loc, annex_loc = (str(loc["id"]) for loc in locations(simulator))
    for code, label, location in (
        ("simulated-wpe", "Main till", main_loc),
        ("simulated-s700", "Annex till", annex_loc),
    ):
        form = {"registration_code": code, "label": label, "location": location}
        assert (await post_form(admin, "/admin/readers", form)).status_code == 303
    form = {f"warehouse_{main_loc}": str(warehouse), f"warehouse_{annex_loc}": str(annex)}
    assert (await post_form(admin, "/admin/locations/pairing", form)).status_code == 303
    receipt = await post_form(cashier_client, "/receipts", {})
    await post_form(cashier_client, f"{receipt.headers['location']}/amount", {"amount": "10.00"})
    picker = (await cashier_client.get(f"{receipt.headers['location']}/card/readers")).text
    assert "Main till" in picker and "Annex till" not in picker
