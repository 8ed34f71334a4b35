"""Tips against a real server process, with webhooks lost or duplicated: the tip is recorded from
Stripe's numbers (amount_details.tip, amount_received) and the receipt's paid total is what Stripe
took: also for a tip the kiosk did not ask for (tipping switched on in Stripe's Dashboard)."""

from __future__ import annotations

from typing import Any

from kiosk.payments.settlement import balance
from kiosk.payments.tables import Payment
from kiosk.shop.tables import Warehouse
from tests.faults.conftest import Stack
from tests.faults.harness import SIM_KEY
from tests.faults.invariants import read_books
from tests.faults.till import wait_payment, wait_until


async def _fault(stack: Stack, mode: str, count: int) -> None:
    await stack.sim.control("POST", "/_sim/webhooks/faults", {"mode": mode, "count": count})


async def _tips_on(stack: Stack) -> None:
    """What the Warehouses admin page does (tests/integration/till/test_tipping_admin.py)."""
    data = {"name": "Kiosk: Main", **{f"tipping[usd][percentages][{i}]": str(p) for i, p in enumerate((10, 15, 20))}}
    configuration = (await stack.sim.api("POST", "/v1/terminal/configurations", data))["id"]
    await stack.sim.api(
        "POST", f"/v1/terminal/locations/{stack.shop.location}", {"configuration_overrides": configuration}
    )
    await Warehouse.update({Warehouse.tipping: "percentages", Warehouse.tip_choices: "10,15,20"}).where(
        Warehouse.id == stack.shop.warehouse_id
    )


async def _recorded(receipt: int) -> Payment:
    async def probe() -> Payment | None:
        row = await Payment.objects().where(Payment.receipt == receipt).first()
        return row if row is not None and row.amount_charged is not None and row.card_brand else None

    return await wait_until(probe, what="the tip and what Stripe took recorded")


async def _received(stack: Stack, intent_id: str) -> dict[str, Any]:
    intent: dict[str, Any] = await stack.sim.api("GET", f"/v1/payment_intents/{intent_id}")
    return intent


async def test_a_tip_chosen_on_the_reader_with_every_webhook_lost(stack: Stack) -> None:
    await _tips_on(stack)
    server = (await stack.server()).start()
    till = await stack.till(server)
    await _fault(stack, "drop", 50)
    receipt = await stack.shop.receipt("40.00")
    assert (await till.pay(receipt, stack.shop.readers[0])).status_code == 200
    await wait_payment(receipt, "on_reader")
    screen = await stack.sim.control("GET", f"/_sim/readers/{stack.shop.readers[0]}/screen")
    assert screen["state"] == "tipping" and [t["amount"] for t in screen["tips"]] == [400, 600, 800]
    await stack.shop.reader_fault(0, "tip", {"amount": 600})
    await stack.shop.tap(0)
    await wait_payment(receipt, "succeeded")
    paid = await _recorded(receipt)  # by the reconciler: no webhook came
    intent = await _received(stack, str(paid.payment_intent_id))
    assert intent["amount_details"]["tip"]["amount"] == 600 and intent["amount_received"] == 4600
    assert (paid.amount, paid.tip_amount, paid.amount_charged) == (4000, 600, 4600)
    owed = await balance(receipt)
    assert (owed.total, owed.tips, owed.taken, owed.due) == (4000, 600, 4600, 0)
    await stack.invariants()


async def test_a_tip_the_kiosk_did_not_ask_for_counts_as_stripe_took_it(stack: Stack) -> None:
    """The warehouse says no tips, yet Stripe reports one (as when tipping was switched on in the
    Dashboard): recorded from Stripe's numbers, with every webhook delivered twice."""
    server = (await stack.server()).start()
    till = await stack.till(server)
    await _fault(stack, "duplicate", 10)
    receipt = await stack.shop.receipt("25.00")
    assert (await till.pay(receipt, stack.shop.readers[0])).status_code == 200
    await wait_payment(receipt, "on_reader")
    reader = await stack.sim.api("GET", f"/v1/terminal/readers/{stack.shop.readers[0]}")
    assert reader["action"]["process_payment_intent"]["process_config"]["skip_tipping"] is True
    await stack.sim.control("POST", f"/_sim/readers/{stack.shop.readers[0]}/present", {"amount_tip": 375})
    await wait_payment(receipt, "succeeded")
    paid = await _recorded(receipt)
    assert (paid.amount, paid.tip_amount, paid.amount_charged) == (2500, 375, 2875)
    books = await read_books(stack.sim.url, SIM_KEY)
    assert books.ledger[str(paid.payment_intent_id)]["captured"] == 2875
    assert (await balance(receipt)).taken == 2875
    await stack.invariants()
