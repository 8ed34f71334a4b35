"""Tips on the reader as an admin sets them on the warehouse page: the suggestions go into a Stripe
Terminal configuration used by the warehouse's location; a currency or reader without on-reader
tipping, or bad suggestions, are refused next to the field and change nothing."""

from __future__ import annotations

import asyncio

import pytest
from litestar import Litestar

from kiosk.audit.tables import AuditEntry
from kiosk.money.currencies import enable
from kiosk.readers.tables import LocationPairing
from kiosk.shop.tables import Warehouse
from tests.admin_support import Client, snapshot
from tests.kiosk_support import make_warehouse, post_form
from tests.payments_support import ADDRESS
from tests.setup_support import save_keys, setup_app
from tests.simulator_support import RunningSimulator


@pytest.fixture
def app(db: str, simulator: RunningSimulator) -> Litestar:
    return setup_app(simulator)


@pytest.fixture
async def admin(admin_client: Client) -> Client:
    await save_keys(admin_client)
    return admin_client


def _location_with_reader(simulator: RunningSimulator) -> str:
    client = simulator.client()
    location = client.v1.terminal.locations.create(params={"display_name": "Main", "address": ADDRESS}).id
    client.v1.terminal.readers.create(
        params={"registration_code": "simulated-wpe", "label": "Front", "location": location}
    )
    return location


async def paired(simulator: RunningSimulator, warehouse_id: int) -> str:
    location = await asyncio.to_thread(_location_with_reader, simulator)
    await LocationPairing.insert(LocationPairing(stripe_location_id=location, warehouse=warehouse_id))
    return location


async def test_percentages_go_to_a_configuration_the_location_uses(
    admin: Client, warehouse: int, simulator: RunningSimulator
) -> None:
    location = await paired(simulator, warehouse)
    url = f"/admin/warehouses/{warehouse}/tipping"
    response = await post_form(admin, url, {"tipping": "percentages", "tip_choices": "10 15 20"})
    assert response.status_code == 303, response.text
    page = (await admin.get(response.headers["location"])).text
    assert "Now: Tips on the reader: 10%, 15%, 20%" in page
    row = await Warehouse.select().where(Warehouse.id == warehouse).first()
    assert row is not None and row["tipping"] == "percentages" and row["tip_choices"] == "10,15,20"
    configuration = simulator.sim.table("terminal.configuration")[row["tip_configuration"]]
    assert configuration["tipping"]["usd"]["percentages"] == [10, 15, 20]
    assert simulator.sim.table("terminal.location")[location]["configuration_overrides"] == configuration["id"]
    # Changed to fixed amounts: the same configuration, updated (never a second one).
    response = await post_form(admin, url, {"tipping": "amounts", "tip_choices": "1, 2.50, 5"})
    assert response.status_code == 303, response.text
    assert list(simulator.sim.table("terminal.configuration")) == [configuration["id"]]
    assert configuration["tipping"]["usd"] == {
        "fixed_amounts": [100, 250, 500],
        "percentages": None,
        "smart_tip_threshold": None,
    }
    assert "Tips on the reader: $1.00, $2.50, $5.00" in (await admin.get(f"/admin/warehouses/{warehouse}")).text
    # Off: the configuration carries no tipping any more, and payments send skip_tipping.
    response = await post_form(admin, url, {"tipping": "off", "tip_choices": ""})
    assert response.status_code == 303
    assert configuration["tipping"] is None
    entries = (
        await AuditEntry.select(AuditEntry.detail)
        .where(AuditEntry.action == "warehouse.tipping")
        .output(load_json=True)
    )
    assert [e["detail"]["to"] for e in entries] == [
        "Tips on the reader: 10%, 15%, 20%",
        "Tips on the reader: $1.00, $2.50, $5.00",
        "No tips",
    ]


async def test_a_currency_without_on_reader_tipping_is_refused(admin: Client, simulator: RunningSimulator) -> None:
    mumbai = await make_warehouse("Mumbai", "inr")
    await paired(simulator, mumbai)
    before = await snapshot()
    response = await post_form(
        admin, f"/admin/warehouses/{mumbai}/tipping", {"tipping": "percentages", "tip_choices": "5 10 15"}
    )
    assert response.status_code == 400
    assert (
        'data-testid="error-tipping">Stripe readers take no tips in INR. On-reader tipping works in AED, AUD'
        in response.text
    )
    assert await snapshot() == before
    assert not simulator.sim.table("terminal.configuration")


async def test_a_reader_without_a_tip_screen_is_refused(
    admin: Client, warehouse: int, simulator: RunningSimulator
) -> None:
    location = await paired(simulator, warehouse)
    [reader] = [r for r in simulator.sim.table("terminal.reader").values() if r["location"] == location]
    reader["device_type"] = "verifone_P400"  # a countertop reader Stripe gives no on-reader tipping
    before = await snapshot()
    response = await post_form(
        admin, f"/admin/warehouses/{warehouse}/tipping", {"tipping": "percentages", "tip_choices": "10 15 20"}
    )
    assert response.status_code == 400
    assert "have no tip screen: Front (verifone P400)" in response.text
    assert await snapshot() == before
    assert not simulator.sim.table("terminal.configuration")


async def test_bad_suggestions_and_no_location_are_refused(
    admin: Client, warehouse: int, simulator: RunningSimulator
) -> None:
    url = f"/admin/warehouses/{warehouse}/tipping"
    before = await snapshot()
    response = await post_form(admin, url, {"tipping": "percentages", "tip_choices": "10 15 20"})
    assert response.status_code == 400 and "Pair Main with a Stripe location first" in response.text
    await paired(simulator, warehouse)
    before = await snapshot()
    for typed, message in (
        ("10 15 20 25", "Enter one to 3 suggestions"),
        ("", "Enter one to 3 suggestions"),
        ("10 150", "Percentages are whole numbers from 1 to 100"),
        ("ten", "Percentages are whole numbers from 1 to 100"),
    ):
        response = await post_form(admin, url, {"tipping": "percentages", "tip_choices": typed})
        assert response.status_code == 400 and message in response.text, typed
        assert f'value="{typed}"' in response.text  # what was typed stays in the field
    response = await post_form(admin, url, {"tipping": "amounts", "tip_choices": "1 -2"})
    assert response.status_code == 400 and "“-2”" in response.text
    response = await post_form(admin, url, {"tipping": "everything", "tip_choices": ""})
    assert response.status_code == 400 and "Choose no tips, or tips as percentages or fixed amounts" in response.text
    assert await snapshot() == before
    assert not simulator.sim.table("terminal.configuration")


async def test_the_currency_cannot_change_under_tips(
    admin: Client, admin_user: int, warehouse: int, simulator: RunningSimulator
) -> None:
    await enable("eur", admin_user)
    await paired(simulator, warehouse)
    url = f"/admin/warehouses/{warehouse}/tipping"
    assert (await post_form(admin, url, {"tipping": "percentages", "tip_choices": "10"})).status_code == 303
    before = await snapshot()
    response = await post_form(admin, f"/admin/warehouses/{warehouse}", {"name": "Main", "currency": "eur"})
    assert response.status_code == 400
    assert "Tips are on in USD: set Tips to “No tips” first" in response.text
    assert await snapshot() == before
