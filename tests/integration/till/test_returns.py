"""Returns at the till through the simulator: found by number or card, all of it, chosen lines or
an amount; cards refunded through Stripe first, then cash handed back; the slip, the receipt's own
list; refused returns (more than is left, unpaid, voided, foreign receipts, no permission) change
nothing; a double press and two tills at once give back the money once; Stripe out of reach is
mended by checking again. Stripe's ledger says what really went back."""

from __future__ import annotations

import asyncio
import re

import httpx

from kiosk.audit.tables import AuditEntry
from kiosk.payments.settlement import balance
from kiosk.payments.tables import Payment, Refund
from kiosk.people.permissions import set_take_returns
from kiosk.shop.tables import Receipt
from kiosk.till.receipts import add_line, open_receipt, take_cash, void_receipt
from kiosk.till.returns import ReturnRequest, plan_return, take_return
from kiosk.till.tables import ReceiptReturn, ReturnTender
from tests.admin_payments_support import attr, message_of, tagged
from tests.kiosk_support import make_user, make_warehouse, post_form
from tests.payments_support import Kiosk, wait_state, wait_until

REFUNDS = "POST /v1/refunds"
MUG_TEA = (("Mug", "2", "6.00"), ("Tea", "1", "8.00"))  # 20.00


async def sale(
    kiosk: Kiosk, lines: tuple[tuple[str, str, str], ...] = MUG_TEA, cash: str = ""
) -> tuple[int, Payment | None]:
    """A paid receipt: its lines, the cash given (if any), the rest by a Visa tap."""
    receipt_id = await open_receipt(kiosk.warehouse_id, kiosk.user_id)
    for description, quantity, price in lines:
        await add_line(receipt_id, kiosk.warehouse_id, description, quantity, price)
    if cash:
        await take_cash(receipt_id, kiosk.warehouse_id, kiosk.user_id, cash)
    due = (await balance(receipt_id)).due
    paid = None
    if due:
        started = await kiosk.start(receipt_id, amount=due)
        await kiosk.tap(kiosk.readers[0])
        paid = await wait_state(started.id, "succeeded")
    await wait_until(lambda: _is_paid(receipt_id), what="receipt paid")
    return receipt_id, paid


async def _is_paid(receipt_id: int) -> bool:
    row = await Receipt.select(Receipt.status).where(Receipt.id == receipt_id).first()
    return bool(row and row["status"] == "paid")


async def allow(kiosk: Kiosk) -> None:
    boss = await make_user("boss", admin=True, warehouses=())
    assert await set_take_returns(boss, kiosk.user_id, True)


async def number_of(receipt_id: int) -> int:
    row = await Receipt.select(Receipt.number).where(Receipt.id == receipt_id).first()
    assert row is not None
    return int(row["number"])


async def ask(client: httpx.AsyncClient, receipt_id: int, **form: str) -> httpx.Response:
    """Open the return form and submit one of its forms (with the page's one-time key)."""
    page = (await client.get(f"/returns/receipts/{receipt_id}")).text
    key = re.search(r'name="request_key" value="([^"]+)"', page)
    assert key, page
    return await post_form(client, f"/returns/receipts/{receipt_id}", {"request_key": key.group(1), **form})


def confirmation(page: str) -> dict[str, str]:
    start = page.index('data-testid="return-confirm"')
    form = page[start : page.index("</form>", start)]
    return {
        k: v for k, v in re.findall(r'<input type="hidden" name="([\w-]+)" value="([^"]*)"', form) if k != "_csrf_token"
    }


async def give_back(client: httpx.AsyncClient, receipt_id: int, **form: str) -> httpx.Response:
    asked = await ask(client, receipt_id, **form)
    if asked.status_code != 200:
        return asked
    return await post_form(client, f"/returns/receipts/{receipt_id}", confirmation(asked.text))


async def refunded_at_stripe(kiosk: Kiosk, payment: Payment | None) -> int:
    assert payment is not None
    return int((await kiosk.ledger())["intents"][payment.payment_intent_id]["refunded"])


def line_ids(page: str) -> list[str]:
    return [attr(row, "data-line") or "" for row in tagged(page, "return-line")]


async def test_one_line_goes_back_to_the_card_with_its_slip_and_the_receipt_shows_it(kiosk: Kiosk) -> None:
    await allow(kiosk)
    receipt_id, paid = await sale(kiosk)
    number = await number_of(receipt_id)
    async with kiosk.cashier() as cashier:
        found = await cashier.get("/returns", params={"number": str(number)})
        assert found.status_code == 200
        assert [attr(r, "data-returnable") for r in tagged(found.text, "found-receipt")] == ["yes"]
        form = (await cashier.get(f"/returns/receipts/{receipt_id}")).text
        mug, _tea = line_ids(form)
        asked = await ask(cashier, receipt_id, scope="lines", **{f"qty-{mug}": "1"})
        assert asked.status_code == 200
        assert "Return $6.00: $6.00 back to Visa •••• 4242?" in asked.text
        done = await post_form(cashier, f"/returns/receipts/{receipt_id}", confirmation(asked.text))
        assert done.status_code == 303
        page = (await cashier.get(done.headers["location"])).text
        assert [attr(t, "data-state") for t in tagged(page, "return-tender")] == ["succeeded"]
        slip = (await cashier.get(done.headers["location"] + "/slip")).text
        assert f"Original receipt #{number}" in slip and "Refund to Visa •••• 4242" in slip
        assert "1 returned" in slip and "\u2212$6.00" in slip and "Cashier: cashier" in slip
        assert 'data-testid="slip-status" data-state="done"' in slip
        receipt = (await cashier.get(f"/receipts/{receipt_id}")).text
        assert len(tagged(receipt, "receipt-return")) == 1 and 'data-testid="start-return"' in receipt
        printed = (await cashier.get(f"/receipts/{receipt_id}/print")).text
        assert 'data-testid="printed-return"' in printed and "PARTLY REFUNDED" in printed
        # Two more mugs than are left: refused by the line, nothing changes.
        again = await ask(cashier, receipt_id, scope="lines", **{f"qty-{mug}": "2"})
        assert again.status_code == 400
        assert message_of(again.text, "error-line") == "At most 1 of this line can still be returned."
    assert await refunded_at_stripe(kiosk, paid) == 600
    [entry] = await AuditEntry.select().where(AuditEntry.action == "return.create").output(load_json=True)
    assert entry["actor_name"] == "cashier" and entry["detail"]["amount"] == "$6.00"
    assert entry["detail"]["lines"] == ["1 x Mug"] and entry["detail"]["how"] == "$6.00 back to Visa •••• 4242"


async def test_a_mixed_receipt_goes_back_to_the_card_first_then_in_cash(kiosk: Kiosk) -> None:
    await allow(kiosk)
    receipt_id, paid = await sale(kiosk, (("Lamp", "1", "25.00"),), cash="10.00")
    async with kiosk.cashier() as cashier:
        asked = await ask(cashier, receipt_id, scope="everything")
        assert "Return $25.00: $15.00 back to Visa •••• 4242 and $10.00 in cash?" in asked.text
        assert [attr(p, "data-kind") for p in tagged(asked.text, "review-part")] == ["card", "cash"]
        done = await post_form(cashier, f"/returns/receipts/{receipt_id}", confirmation(asked.text))
        assert done.status_code == 303
        nothing = (await cashier.get(f"/returns/receipts/{receipt_id}")).text
        assert 'data-testid="nothing-left"' in nothing
        printed = (await cashier.get(f"/receipts/{receipt_id}/print")).text
        assert "REFUNDED IN FULL" in printed
        form = {"scope": "amount", "amount": "1.00", "request_key": "late"}
        refused = await post_form(cashier, f"/returns/receipts/{receipt_id}", form)
        assert refused.status_code == 400
        assert message_of(refused.text, "error-form") == "Everything paid on this receipt was given back already."
    assert await refunded_at_stripe(kiosk, paid) == 1500
    tenders = await ReturnTender.select(ReturnTender.kind, ReturnTender.amount).order_by(ReturnTender.id)
    assert [(t["kind"], t["amount"]) for t in tenders] == [("card", 1500), ("cash", 1000)]


async def test_a_cash_receipt_hands_cash_back_and_says_so(kiosk: Kiosk) -> None:
    await allow(kiosk)
    receipt_id, _ = await sale(kiosk, (("Mug", "2", "6.00"),), cash="20.00")
    async with kiosk.cashier() as cashier:
        asked = await ask(cashier, receipt_id, scope="amount", amount="2.50")
        assert "Return $2.50: $2.50 in cash?" in asked.text
        done = await post_form(cashier, f"/returns/receipts/{receipt_id}", confirmation(asked.text))
        page = (await cashier.get(done.headers["location"])).text
        assert [attr(t, "data-kind") for t in tagged(page, "return-tender")] == ["cash"]
        assert "Hand $2.50 to the customer from the drawer." in page
        receipt = (await cashier.get(f"/receipts/{receipt_id}")).text
        assert 'data-testid="refund-status" data-state="partially_refunded"' in receipt
        slip = (await cashier.get(done.headers["location"] + "/slip")).text
        assert "Cash handed back" in slip and "Card refunds" not in slip
        printed = (await cashier.get(f"/receipts/{receipt_id}/print")).text
        assert "PARTLY REFUNDED" in printed and "net $9.50" in printed
    assert await kiosk.calls(REFUNDS) == 0


async def test_an_amount_larger_than_what_is_left_is_refused_and_changes_nothing(kiosk: Kiosk) -> None:
    await allow(kiosk)
    receipt_id, paid = await sale(kiosk)
    async with kiosk.cashier() as cashier:
        assert (await give_back(cashier, receipt_id, scope="amount", amount="5.00")).status_code == 303
        too_much = await ask(cashier, receipt_id, scope="amount", amount="15.01")
        assert too_much.status_code == 400
        assert message_of(too_much.text, "error-amount") == "At most $15.00 can still be returned on this receipt."
        assert 'value="15.01"' in too_much.text  # what was typed is still there
        not_money = await ask(cashier, receipt_id, scope="amount", amount="ten")
        assert not_money.status_code == 400 and message_of(not_money.text, "error-amount")
        zero = await ask(cashier, receipt_id, scope="lines")
        assert message_of(zero.text, "error-lines") == "Choose how many of which lines are returned."
    assert await ReceiptReturn.count() == 1 and await kiosk.calls(REFUNDS) == 1
    assert await refunded_at_stripe(kiosk, paid) == 500


async def test_unpaid_voided_and_foreign_receipts_cannot_be_returned(kiosk: Kiosk) -> None:
    await allow(kiosk)
    open_one = await open_receipt(kiosk.warehouse_id, kiosk.user_id)
    await add_line(open_one, kiosk.warehouse_id, "Mug", "1", "6.00")
    voided = await open_receipt(kiosk.warehouse_id, kiosk.user_id)
    await void_receipt(voided, kiosk.warehouse_id)
    elsewhere = await make_warehouse("Annex", "usd")
    foreign = await open_receipt(elsewhere, kiosk.user_id)
    await add_line(foreign, elsewhere, "Mug", "1", "6.00")
    await take_cash(foreign, elsewhere, kiosk.user_id, "6.00")
    async with kiosk.cashier() as cashier:
        unpaid = await cashier.get(f"/returns/receipts/{open_one}")
        assert unpaid.status_code == 400
        assert f"Receipt #{await number_of(open_one)} is not paid yet" in message_of(unpaid.text, "return-refused")
        forced = await post_form(cashier, f"/returns/receipts/{open_one}", {"scope": "everything", "request_key": "k"})
        assert forced.status_code == 400
        gone = await cashier.get(f"/returns/receipts/{voided}")
        assert "was voided" in message_of(gone.text, "return-refused")
        found = await cashier.get("/returns", params={"number": str(await number_of(voided))})
        assert "was voided" in message_of(found.text, "found-problem")
        assert (await cashier.get(f"/returns/receipts/{foreign}")).status_code == 404
        confirm = {
            "scope": "everything",
            "request_key": "x",
            "step": "confirm",
            "amount_minor": "600",
            "split": "cash::600",
        }
        assert (await post_form(cashier, f"/returns/receipts/{foreign}", confirm)).status_code == 404
        nowhere = await cashier.get("/returns", params={"number": "999"})
        assert (
            nowhere.status_code == 400
            and message_of(nowhere.text, "error-number") == "No receipt #999 in this warehouse."
        )
    assert not await ReceiptReturn.exists()
    # A return made at the Annex is not found from Main: its page, slip and check are 404.
    ask_annex = ReturnRequest(scope="everything", request_key="annex")
    chosen = await plan_return(foreign, elsewhere, ask_annex, kiosk.user_id)
    confirmed = ReturnRequest(scope="everything", request_key="annex", minor=chosen.amount, split=chosen.split_code)
    annex_return = await take_return(None, foreign, elsewhere, confirmed, kiosk.user_id)
    async with kiosk.cashier() as cashier:
        for url in (f"/returns/{annex_return}", f"/returns/{annex_return}/slip"):
            assert (await cashier.get(url)).status_code == 404
        assert (await post_form(cashier, f"/returns/{annex_return}/check")).status_code == 404


async def test_a_cashier_without_the_permission_is_refused_everywhere(kiosk: Kiosk) -> None:
    receipt_id, _ = await sale(kiosk, (("Mug", "1", "6.00"),), cash="6.00")
    async with kiosk.cashier() as cashier:
        page = await cashier.get("/returns")
        assert page.status_code == 403 and "You may not take returns" in message_of(page.text, "returns-not-allowed")
        assert (await cashier.get(f"/returns/receipts/{receipt_id}")).status_code == 403
        confirm = {
            "scope": "everything",
            "request_key": "x",
            "step": "confirm",
            "amount_minor": "600",
            "split": "cash::600",
        }
        assert (await post_form(cashier, f"/returns/receipts/{receipt_id}", confirm)).status_code == 403
        assert 'data-testid="start-return"' not in (await cashier.get(f"/receipts/{receipt_id}")).text
    assert not await ReceiptReturn.exists()


async def test_the_same_confirmation_twice_makes_one_return(kiosk: Kiosk) -> None:
    await allow(kiosk)
    receipt_id, paid = await sale(kiosk)
    async with kiosk.cashier() as cashier:
        asked = await ask(cashier, receipt_id, scope="amount", amount="7.00")
        fields = confirmation(asked.text)
        first, second = await asyncio.gather(
            post_form(cashier, f"/returns/receipts/{receipt_id}", fields),
            post_form(cashier, f"/returns/receipts/{receipt_id}", fields),
        )
        assert first.status_code == second.status_code == 303
        assert first.headers["location"] == second.headers["location"]
    assert await ReceiptReturn.count() == 1 and await kiosk.calls(REFUNDS) == 1
    assert await refunded_at_stripe(kiosk, paid) == 700


async def test_two_tills_returning_the_same_receipt_at_once_give_it_back_once(kiosk: Kiosk) -> None:
    await allow(kiosk)
    receipt_id, paid = await sale(kiosk)
    async with kiosk.cashier() as one, kiosk.cashier() as two:
        asked = [await ask(till, receipt_id, scope="everything") for till in (one, two)]
        answers = await asyncio.gather(
            *(
                post_form(till, f"/returns/receipts/{receipt_id}", confirmation(a.text))
                for till, a in zip((one, two), asked, strict=True)
            )
        )
        assert sorted(a.status_code for a in answers) == [303, 400]
        refused = next(a for a in answers if a.status_code == 400)
        assert "changed since" in message_of(refused.text, "error-form") or "given back already" in refused.text
    assert await ReceiptReturn.count() == 1
    assert await refunded_at_stripe(kiosk, paid) == 2000


async def test_receipts_are_found_by_the_card_last_4(kiosk: Kiosk) -> None:
    await allow(kiosk)
    receipt_id, _ = await sale(kiosk)
    await sale(kiosk, (("Mug", "1", "6.00"),), cash="6.00")  # paid in cash: not found by a card
    async with kiosk.cashier() as cashier:
        found = await cashier.get("/returns", params={"last4": "4242"})
        rows = tagged(found.text, "found-receipt")
        assert [attr(r, "data-number") for r in rows] == [str(await number_of(receipt_id))]
        assert "Visa •••• 4242" in found.text
        bad = await cashier.get("/returns", params={"last4": "42a2"})
        assert bad.status_code == 400 and "last 4 digits" in message_of(bad.text, "error-last4")
        none = await cashier.get("/returns", params={"last4": "0000"})
        assert message_of(none.text, "error-last4") == "No receipt of this warehouse was paid by a card ending in 0000."


async def test_stripe_out_of_reach_leaves_the_card_part_unconfirmed_until_checked(kiosk: Kiosk) -> None:
    await allow(kiosk)
    receipt_id, paid = await sale(kiosk)
    assert paid is not None
    await wait_until(lambda: _settled_quietly(paid.id), what="no Stripe call left to make")
    async with kiosk.cashier() as cashier:
        asked = await ask(cashier, receipt_id, scope="amount", amount="4.00")
        await kiosk.control("POST", "/_sim/faults/api", {"status": 429, "count": 1})
        done = await post_form(cashier, f"/returns/receipts/{receipt_id}", confirmation(asked.text))
        assert done.status_code == 303
        page = (await cashier.get(done.headers["location"])).text
        assert [attr(t, "data-state") for t in tagged(page, "return-tender")] == ["creating"]
        assert 'data-testid="return-unconfirmed"' in page
        # After a crash or a lost answer, today's returns on the Returns page point to it.
        today = (await cashier.get("/returns")).text
        assert [attr(r, "data-state") for r in tagged(today, "receipt-return")] == ["unconfirmed"]
        assert "Not confirmed by Stripe" in today
        # Held back from what is left while unconfirmed: never returned twice.
        assert message_of((await cashier.get(f"/returns/receipts/{receipt_id}")).text, "return-left") == "$16.00"
        assert await refunded_at_stripe(kiosk, paid) == 0
        checked = await post_form(cashier, done.headers["location"] + "/check")
        assert checked.status_code == 303
        assert (await post_form(cashier, done.headers["location"] + "/check")).status_code == 303
        page = (await cashier.get(done.headers["location"])).text
        assert [attr(t, "data-state") for t in tagged(page, "return-tender")] == ["succeeded"]
    assert await refunded_at_stripe(kiosk, paid) == 400
    [row] = await Refund.select().where(Refund.payment == paid.id)
    assert row["state"] == "succeeded" and row["note"] == "Return 1 of receipt #" + str(await number_of(receipt_id))
    entries = AuditEntry.select(AuditEntry.action).where(AuditEntry.action.like("return.%")).order_by(AuditEntry.id)
    assert [e["action"] for e in await entries] == [
        "return.create",
        "return.check",
        "return.check",
    ]


async def _settled_quietly(payment_id: int) -> bool:
    row = await Payment.objects().get(Payment.id == payment_id)
    return bool(row and row.card_brand) and row is not None and row.reconcile_after is None
