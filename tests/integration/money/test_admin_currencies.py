"""/admin/currencies: enabled currencies with Stripe's minimum as the floor, raised minimums that the
till then enforces, zero- and three-decimal currencies, and nothing saved on bad input."""

from __future__ import annotations

import html

from litestar import Litestar

from kiosk.audit.tables import AuditEntry
from kiosk.money.amounts import card_minimum
from kiosk.money.tables import CurrencySetting
from tests.admin_support import Client, snapshot
from tests.kiosk_support import make_warehouse, post_form


async def minimum_of(code: str) -> int | None:
    row = await CurrencySetting.select(CurrencySetting.card_minimum).where(CurrencySetting.currency == code).first()
    return row["card_minimum"] if row else None


async def test_usd_is_enabled_by_default_with_stripes_minimum(admin_client: Client) -> None:
    page = (await admin_client.get("/admin/currencies")).text
    assert page.count('data-testid="currency" data-currency=') == 1
    assert 'data-currency="usd"' in page and "$0.50" in page
    assert '<option value="JPY">' in page  # offered for enabling


async def test_raising_a_minimum_is_enforced_at_the_till(
    app: Litestar, admin_client: Client, cashier_client: Client
) -> None:
    response = await post_form(admin_client, "/admin/currencies/usd/minimum", {"minimum": "1.00"})
    assert response.headers["location"] == "/admin/currencies?done=minimum"
    assert await minimum_of("usd") == 100 and card_minimum("usd") == 100
    assert 'value="1.00"' in (await admin_client.get("/admin/currencies")).text
    receipt = (await post_form(cashier_client, "/receipts", {})).headers["location"]
    await post_form(cashier_client, f"{receipt}/amount", {"amount": "0.75"})
    picker = (await cashier_client.get(f"{receipt}/card/readers")).text
    assert "The smallest card payment in USD is $1.00." in picker
    entry = await AuditEntry.select(AuditEntry.detail).where(AuditEntry.action == "currency.minimum").first()
    assert entry is not None and '"to": "$1.00"' in entry["detail"]
    # Back to Stripe's figure: nothing raised is stored any more.
    await post_form(admin_client, "/admin/currencies/usd/minimum", {"minimum": "0.50"})
    assert await minimum_of("usd") is None and card_minimum("usd") == 50


async def test_a_minimum_below_stripes_is_refused_and_nothing_saved(admin_client: Client) -> None:
    before = await snapshot()
    response = await post_form(admin_client, "/admin/currencies/usd/minimum", {"minimum": "0.30"})
    assert response.status_code == 400
    message = "Stripe's minimum for USD is $0.50: the kiosk's cannot be lower."
    assert f'data-testid="error-minimum">{message}' in html.unescape(response.text)
    assert 'value="0.30"' in response.text
    response = await post_form(admin_client, "/admin/currencies/usd/minimum", {"minimum": "lots"})
    assert "is not an amount" in response.text
    assert await snapshot() == before and card_minimum("usd") == 50


async def test_zero_and_three_decimal_currencies(admin_client: Client) -> None:
    for code in ("jpy", "kwd"):
        assert (await post_form(admin_client, "/admin/currencies", {"currency": code.upper()})).status_code == 303
    page = (await admin_client.get("/admin/currencies")).text
    assert 'data-currency="jpy"' in page and "¥50" in page and 'data-currency="kwd"' in page
    response = await post_form(admin_client, "/admin/currencies/jpy/minimum", {"minimum": "60.5"})
    assert "JPY amounts have no decimal places." in response.text
    response = await post_form(admin_client, "/admin/currencies/kwd/minimum", {"minimum": "0.125"})
    assert "KWD card amounts must end in 0 (Stripe needs it): try 0.130." in response.text
    assert (await post_form(admin_client, "/admin/currencies/jpy/minimum", {"minimum": "100"})).status_code == 303
    assert (await post_form(admin_client, "/admin/currencies/kwd/minimum", {"minimum": "0.500"})).status_code == 303
    assert await minimum_of("jpy") == 100 and await minimum_of("kwd") == 500
    page = (await admin_client.get("/admin/currencies")).text
    assert 'value="100"' in page and 'value="0.500"' in page


async def test_a_bad_code_is_refused_next_to_the_field(admin_client: Client) -> None:
    before = await snapshot()
    response = await post_form(admin_client, "/admin/currencies", {"currency": "euro"})
    assert response.status_code == 400
    assert 'data-testid="error-currency">euro is not a currency code' in response.text
    assert await snapshot() == before


async def test_a_currency_in_use_cannot_be_disabled(admin_client: Client, warehouse: int) -> None:
    await make_warehouse("Dublin", "eur")
    page = (await admin_client.get("/admin/currencies")).text
    assert 'data-currency="eur"' in page  # a warehouse prices in it: enabled
    before = await snapshot()
    response = await post_form(admin_client, "/admin/currencies/eur/disable")
    assert response.status_code == 400
    assert "Dublin prices in EUR: change that first." in response.text
    assert await snapshot() == before
    await post_form(admin_client, "/admin/currencies", {"currency": "gbp"})
    response = await post_form(admin_client, "/admin/currencies/gbp/disable")
    assert response.headers["location"] == "/admin/currencies?done=disabled"
    assert 'data-currency="gbp"' not in (await admin_client.get("/admin/currencies")).text
