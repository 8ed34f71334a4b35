"""The Customers admin: the list in the admin nav, adding and editing (Stripe's copy follows), bad input."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from kiosk.audit.tables import AuditEntry
from kiosk.customers.tables import Customer
from tests.kiosk_support import post_form

Client = AsyncTestClient[Any]


async def test_customers_is_in_the_admin_nav_and_an_admin_adds_one(admin_client: Client) -> None:
    index = await admin_client.get("/admin/")
    assert 'data-testid="section-customers"' in index.text
    added = await post_form(admin_client, "/admin/customers", {"name": "Grace Hopper", "email": "grace@example.com"})
    assert added.status_code == 303
    listed = await admin_client.get("/admin/customers")
    assert "Grace Hopper" in listed.text and "grace@example.com" in listed.text
    found = await admin_client.get("/admin/customers", params={"q": "hopp"})
    assert "Grace Hopper" in found.text
    assert await AuditEntry.exists().where(AuditEntry.action == "customer.create")


async def test_an_invalid_email_or_no_name_is_refused_next_to_the_field(admin_client: Client) -> None:
    refused = await post_form(admin_client, "/admin/customers", {"name": "", "email": "grace at example"})
    assert refused.status_code == 400
    assert 'data-testid="error-email"' in refused.text and 'data-testid="error-name"' in refused.text
    assert await Customer.count() == 0


async def test_an_edit_is_saved_audited_and_refused_when_bad(admin_client: Client) -> None:
    await post_form(admin_client, "/admin/customers", {"name": "Grace", "email": "grace@example.com"})
    row = await Customer.select(Customer.id).first()
    assert row is not None
    url = f"/admin/customers/{row['id']}"
    bad = await post_form(admin_client, url, {"name": "Grace", "email": "nope@", "phone": ""})
    assert bad.status_code == 400 and 'data-testid="error-email"' in bad.text
    saved = await post_form(admin_client, url, {"name": "Grace Hopper", "email": "g@example.com", "phone": "555 0100"})
    assert saved.status_code == 303
    after = await Customer.select().where(Customer.id == row["id"]).first()
    assert after is not None and (after["name"], after["email"], after["phone"]) == (
        "Grace Hopper",
        "g@example.com",
        "555 0100",
    )
    entry = await AuditEntry.select().where(AuditEntry.action == "customer.update").output(load_json=True).first()
    assert entry is not None and entry["detail"]["email"] == {"from": "grace@example.com", "to": "g@example.com"}
    page = await admin_client.get(url)
    assert 'data-testid="no-saved-cards"' in page.text and "Not at Stripe yet" in page.text


async def test_an_unknown_customer_is_not_found(admin_client: Client) -> None:
    assert (await admin_client.get("/admin/customers/999")).status_code == 404
