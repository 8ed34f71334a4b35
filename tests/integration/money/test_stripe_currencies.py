"""/admin/currencies with every currency Stripe charges in: searchable and grouped, enabling one
Terminal cannot take card-present in the account's country says so, an unknown code changes nothing;
and a warehouse's locale decides how the till writes and reads its amounts."""

from __future__ import annotations

import html
import re

import pytest
from litestar import Litestar

from kiosk.audit.tables import AuditEntry
from kiosk.money.catalog import STRIPE_CURRENCIES
from kiosk.money.tables import CurrencySetting
from kiosk.shop.tables import ReceiptLine, Warehouse
from kiosk.stripe_account.keys import Account, KeyEntry, save_keys
from tests.admin_support import Client, snapshot
from tests.kiosk_support import post_form

LISTED = re.compile(r'data-testid="stripe-currency" data-code="([a-z]{3})"')


def listed(page: str) -> list[str]:
    return LISTED.findall(page)


def text_of(page: str) -> str:
    return html.unescape(page).replace("\u00a0", " ")


async def test_every_stripe_currency_is_listed_with_decimals_and_minimum(admin_client: Client) -> None:
    page = (await admin_client.get("/admin/currencies")).text
    assert len(STRIPE_CURRENCIES) >= 135
    assert sorted([*listed(page), "usd"]) == list(STRIPE_CURRENCIES)  # USD is enabled, the rest listed
    shown = text_of(page)
    assert f"Stripe charges in {len(STRIPE_CURRENCIES)} currencies" in shown
    assert re.search(r"JPY</strong> Japanese Yen</div>\s*<div class=\"muted\">0 decimals\s*· minimum ¥50", shown)
    assert re.search(r"KWD</strong> Kuwaiti Dinar</div>\s*<div class=\"muted\">3 decimals", shown)
    assert re.search(r"ISK</strong> Icelandic Króna</div>\s*<div class=\"muted\">2 decimals, whole units only", shown)
    # No published figure: Stripe's rule, not a made-up number.
    assert re.search(r"KES</strong> Kenyan Shilling</div>\s*<div class=\"muted\">2 decimals\s*· minimum the "
                     r"settlement currency's, converted", shown)  # fmt: skip


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?q=yen", ["jpy"]),
        ("?q=krona", ["isk", "sek"]),  # accents aside: Icelandic Króna too
        ("?q=KWD", ["kwd"]),
        ("?q=franc", ["bif", "cdf", "chf", "djf", "gnf", "kmf", "rwf", "xaf", "xof", "xpf"]),
        ("?kind=three", ["bhd", "jod", "kwd", "omr", "tnd"]),
        ("?kind=zero&q=franc", ["bif", "djf", "gnf", "kmf", "rwf", "xaf", "xof", "xpf"]),
        ("?q=nothing-like-it", []),
    ],
)
async def test_the_list_is_searched_and_filtered(admin_client: Client, query: str, expected: list[str]) -> None:
    page = (await admin_client.get(f"/admin/currencies{query}")).text
    assert listed(page) == expected
    if not expected:
        assert "No currency matches." in page


async def test_published_minimums_group(admin_client: Client) -> None:
    page = text_of((await admin_client.get("/admin/currencies?kind=published")).text)
    assert listed(page)[:3] == ["aed", "aud", "bgn"] and "kes" not in listed(page)
    assert "minimum HUF 175.00" in page and "minimum £0.30" in page


async def test_an_unknown_currency_is_refused_and_nothing_changes(admin_client: Client) -> None:
    before = await snapshot()
    response = await post_form(admin_client, "/admin/currencies", {"currency": "XYZ"})
    assert response.status_code == 400
    assert (
        'data-testid="error-currency">XYZ is not a currency Stripe charges in: nothing was changed. '
        f"Pick one of Stripe&#39;s {len(STRIPE_CURRENCIES)} currencies, like EUR or JPY."
    ) in response.text
    assert 'value="XYZ"' in response.text  # what was typed stays in the field
    assert await snapshot() == before
    assert not await CurrencySetting.exists().where(CurrencySetting.currency == "xyz")


@pytest.mark.parametrize("action", ["minimum", "disable"])
async def test_an_unknown_currency_in_a_rows_address_changes_nothing(admin_client: Client, action: str) -> None:
    before = await snapshot()
    response = await post_form(admin_client, f"/admin/currencies/xyz/{action}", {"minimum": "1.00"})
    assert response.status_code == 400
    assert 'data-testid="currency-error">XYZ is not a currency Stripe charges in: nothing was changed.' in response.text
    assert await snapshot() == before


async def test_enabling_a_currency_terminal_cannot_take_in_the_accounts_country(
    app: Litestar, admin_client: Client, admin_user: int
) -> None:
    account = Account("acct_1", "Harbour shop", False, country="DE", default_currency="eur")
    await save_keys(app.state.settings, KeyEntry(), account, admin_user)
    response = await post_form(admin_client, "/admin/currencies", {"currency": "gbp"})
    assert response.headers["location"] == "/admin/currencies?done=enabled&code=gbp"
    page = text_of((await admin_client.get(response.headers["location"])).text)
    note = "Terminal in Germany takes card-present payments only in EUR; saved cards may still be charged in GBP."
    assert f'data-testid="flash">GBP enabled. {note}' in page
    assert page.count(f'data-testid="terminal-note">{note}') == 1  # the row says it too
    assert "minimum the equivalent of €0.50" in page  # the settlement currency's published minimum
    # EUR is Terminal's currency in Germany: enabled without a note.
    response = await post_form(admin_client, "/admin/currencies", {"currency": "EUR"})
    page = text_of((await admin_client.get(response.headers["location"])).text)
    assert 'data-testid="flash">EUR enabled.</p>' in page
    assert await AuditEntry.count().where(AuditEntry.action == "currency.enable") == 2


async def test_without_a_known_country_the_rule_is_said(admin_client: Client) -> None:
    response = await post_form(admin_client, "/admin/currencies", {"currency": "sek"})
    page = text_of((await admin_client.get(response.headers["location"])).text)
    rule = "the local currency of the Stripe account's country, which the kiosk does not know yet"
    assert f'data-testid="flash">SEK enabled. Terminal takes card-present payments only in {rule}' in page
    assert 'data-testid="terminal-rule"' in page and 'data-testid="terminal-note"' not in page  # said once


async def test_a_warehouse_locale_is_chosen_and_validated(admin_client: Client, warehouse: int) -> None:
    page = text_of((await admin_client.get(f"/admin/warehouses/{warehouse}")).text)
    assert '<option value="de_DE" >German (Germany) · 1.234,50 €</option>' in page
    before = await snapshot()
    fields = {"name": "Main", "currency": "usd", "locale": "xx_YY"}
    response = await post_form(admin_client, f"/admin/warehouses/{warehouse}", fields)
    assert response.status_code == 400
    assert "“xx_YY” is not a locale the kiosk knows (like en_US or de_DE)." in html.unescape(response.text)
    assert await snapshot() == before
    fields["locale"] = "de_DE"
    assert (await post_form(admin_client, f"/admin/warehouses/{warehouse}", fields)).status_code == 303
    assert await Warehouse.select(Warehouse.locale).where(Warehouse.id == warehouse).first() == {"locale": "de_DE"}
    entry = await AuditEntry.select().where(AuditEntry.action == "warehouse.update").output(load_json=True).first()
    assert entry is not None and entry["detail"] == {"locale": {"from": "en_US", "to": "de_DE"}}


async def test_the_till_writes_and_reads_amounts_as_the_warehouse_does(
    admin_client: Client, cashier_client: Client, warehouse: int
) -> None:
    await post_form(admin_client, "/admin/currencies", {"currency": "eur"})
    fields = {"name": "Main", "currency": "eur", "locale": "de_DE"}
    assert (await post_form(admin_client, f"/admin/warehouses/{warehouse}", fields)).status_code == 303
    receipt = (await post_form(cashier_client, "/receipts", {})).headers["location"]
    # The dot groups thousands in German: "12.50" is refused, saying how it is written here.
    response = await post_form(cashier_client, f"{receipt}/amount", {"amount": "12.50"})
    assert "“12.50” is not an amount as German (Germany) writes it. Did you mean 1.250 or 12,5?" in html.unescape(
        response.text
    )
    assert not await ReceiptLine.exists()
    await post_form(cashier_client, f"{receipt}/amount", {"amount": "1.234,50"})
    assert await ReceiptLine.select(ReceiptLine.unit_amount).first() == {"unit_amount": 123450}
    page = text_of((await cashier_client.get(receipt)).text)
    assert 'data-testid="receipt-total">1.234,50 €<' in page
    assert 'value="1234,50"' in page  # the cash field, pre-filled as the cashier would type it
    printed = text_of((await cashier_client.get(f"{receipt}/print")).text)
    assert "1.234,50 €" in printed
