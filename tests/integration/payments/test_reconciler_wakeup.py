"""The reconciler sleeps while nothing is due (kiosk/payments/wakeup.py): a payment whose webhook
never comes is still finished, by its own server's writes waking the loop, or, when those writes
were made elsewhere (another server sharing the database), by the look the idle ceiling brings."""

from __future__ import annotations

from datetime import datetime

import pytest

from kiosk.payments import wakeup
from kiosk.payments.tables import PaymentLog
from tests.payments_support import Shop, assert_charged_once, serve_kiosk, wait_state
from tests.simulator_support import RunningSimulator


async def _steps(payment_id: int) -> list[str]:
    rows = await PaymentLog.select(PaymentLog.step).where(PaymentLog.payment == payment_id)
    return [row["step"] for row in rows]


async def _sale_without_webhooks(shop: Shop, simulator: RunningSimulator) -> None:
    """A card sale whose webhooks Stripe never delivers: only the reconciler can finish it."""
    async for kiosk in serve_kiosk(simulator, shop):
        await kiosk.control("POST", "/_sim/webhooks/faults", {"mode": "drop", "count": 20})
        started = await kiosk.start(await kiosk.receipt("10.00"))
        await kiosk.tap(kiosk.readers[0])
        done = await wait_state(started.id, "succeeded")
        assert "reconciled" in await _steps(started.id)
        await assert_charged_once(kiosk, done.payment_intent_id, 1000)


async def test_its_own_server_checks_a_payment_whose_webhook_never_comes(
    shop: Shop, simulator: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The idle look comes only once a minute here (far beyond the wait for the sale): the payment's
    own writes of `reconcile_after` wake the reconciler in time."""
    monkeypatch.setenv("KIOSK_RECOVERY", "idle_ceiling=600")  # at the tests' 0.1-s tick: 60 s
    hinted: list[datetime | None] = []
    real = wakeup.due_at

    def noted(when: datetime | None) -> None:
        hinted.append(when)
        real(when)

    monkeypatch.setattr(wakeup, "due_at", noted)
    await _sale_without_webhooks(shop, simulator)
    assert any(when is not None for when in hinted)


async def test_a_payment_written_by_another_server_is_found_by_the_idle_look(
    shop: Shop, simulator: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No write wakes this reconciler (as when another server wrote the rows): its idle look, at
    most every 2 s here, finds the overdue payment and finishes it."""
    monkeypatch.setenv("KIOSK_RECOVERY", "idle_ceiling=20")  # at the tests' 0.1-s tick: 2 s
    monkeypatch.setattr(wakeup, "due_at", lambda when: None)
    await _sale_without_webhooks(shop, simulator)
