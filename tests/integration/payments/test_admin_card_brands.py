"""The admin Payments page's accepted card brands: saved, audited, used by the next payment; an empty
list is refused next to the list and nothing changes."""

from __future__ import annotations

import httpx

from kiosk.db.tables import Setting
from kiosk.payments import brands
from tests.admin_payments_support import admin_browser, audit_log, message_of, tagged
from tests.kiosk_support import csrf_token
from tests.payments_support import Kiosk, assert_nothing_charged


async def save_brands(client: httpx.AsyncClient, ticked: list[str]) -> httpx.Response:
    form: dict[str, str | list[str]] = {"brands": ticked, "_csrf_token": await csrf_token(client)}
    return await client.post("/admin/payments/brands", data=form)


def checked(html: str) -> list[str]:
    return [code for code in brands.ALL if "checked" in tagged(html, f"brand-{code}")[0]]


async def test_every_brand_is_accepted_until_an_admin_says_otherwise(kiosk: Kiosk) -> None:
    async with admin_browser(kiosk) as admin:
        page = await admin.get("/admin/payments")
        assert checked(page.text) == list(brands.ALL)
        for label in ("Visa", "Mastercard", "American Express", "Discover", "JCB", "Diners", "UnionPay", "Interac"):
            assert label in page.text
        assert "eftpos" in page.text


async def test_brands_are_saved_audited_and_used_by_the_next_payment(kiosk: Kiosk) -> None:
    async with admin_browser(kiosk) as admin:
        saved = await save_brands(admin, ["visa", "mastercard", "interac"])
        assert saved.status_code == 303
        page = await admin.get(saved.headers["location"])
        assert "Accepted card brands saved" in page.text
        assert checked(page.text) == ["visa", "mastercard", "interac"]
        again = await save_brands(admin, ["interac", "visa", "mastercard"])
        assert "Nothing changed" in (await admin.get(again.headers["location"])).text
    [entry] = await audit_log("payment.accepted_brands")
    assert entry["actor_name"] == "boss"
    assert entry["detail"]["removed"] == ["American Express", "Discover", "JCB", "Diners Club", "UnionPay", "eftpos"]
    assert entry["detail"]["accepted_brands"]["to"] == "Visa, Mastercard, Interac"
    started = await kiosk.start(await kiosk.receipt("10.00"))
    assert started.accepted_brands == "visa,mastercard,interac" and started.state == "collecting"
    await kiosk.control("POST", f"/_sim/readers/{kiosk.readers[0]}/customer_cancel")


async def test_an_empty_brand_list_is_refused_next_to_the_list_and_nothing_changes(kiosk: Kiosk) -> None:
    async with admin_browser(kiosk) as admin:
        await save_brands(admin, ["visa"])
        refused = await save_brands(admin, [])
        assert refused.status_code == 400
        assert message_of(refused.text, "error-brands") == brands.EMPTY
        assert "Nothing was saved" in message_of(refused.text, "form-error")
        assert checked(refused.text) == []  # what the admin sent is shown, to be corrected
        page = await admin.get("/admin/payments")
        assert checked(page.text) == ["visa"]
        unknown = await save_brands(admin, ["visa", "diners_club_international"])
        assert unknown.status_code == 400 and message_of(unknown.text, "error-brands") == brands.UNKNOWN
    stored = await Setting.select(Setting.value).where(Setting.name == brands.SETTING)
    assert [row["value"] for row in stored] == ["visa"]
    assert len(await audit_log("payment.accepted_brands")) == 1
    await assert_nothing_charged(kiosk)
