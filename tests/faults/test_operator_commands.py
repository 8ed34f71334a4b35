"""The operator's commands against a real database: `kiosk reconcile` finishes what no server is
left to finish, `kiosk payment-log` tells the story of a receipt's card payments."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from kiosk.config import PROJECT_ROOT
from kiosk.payments.tables import Payment, WebhookEvent
from tests.faults.conftest import Stack
from tests.faults.harness import FAST_TIMING, SIM_KEY
from tests.faults.till import INSUFFICIENT_FUNDS, wait_payment, wait_until


async def kiosk_command(stack: Stack, *argv: str) -> subprocess.CompletedProcess[str]:
    """`kiosk ARGV` with the environment the servers of this test run with."""
    env = {
        **os.environ,
        **stack.db_env,
        "KIOSK_STRIPE_API_BASE": stack.sim.url,
        "KIOSK_STRIPE_SECRET_KEY": SIM_KEY,
        "KIOSK_PAYMENT_TIMING": FAST_TIMING,
    }
    cmd = [sys.executable, "-m", "kiosk.cli", *argv]
    run = subprocess.run
    return await asyncio.to_thread(run, cmd, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)


async def test_reconcile_finishes_a_payment_no_server_is_left_to_finish(stack: Stack) -> None:
    server = (await stack.server()).start()
    till = await stack.till(server)
    receipt = await stack.shop.receipt("10.00")
    assert (await till.pay(receipt, stack.shop.readers[0])).status_code == 200
    await wait_payment(receipt, "on_reader")
    server.kill()  # the only server dies; the customer taps; the webhooks find nobody
    await stack.shop.tap(0)
    result = await kiosk_command(stack, "reconcile")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Checked 1 payment(s)" in result.stdout
    await wait_payment(receipt, "succeeded")
    await stack.invariants()


async def test_payment_log_tells_what_happened_to_a_receipt(stack: Stack) -> None:
    server = (await stack.server()).start()
    till = await stack.till(server)
    receipt = await stack.shop.receipt("10.00")
    assert (await till.pay(receipt, stack.shop.readers[0])).status_code == 200
    await wait_payment(receipt, "on_reader")
    await stack.shop.tap(0, INSUFFICIENT_FUNDS)
    declined = await wait_payment(receipt, "declined")
    assert (await till.post(f"/payments/{declined.id}/retry", {"reader_id": stack.shop.readers[0]})).status_code == 200
    await wait_payment(receipt, "on_reader")
    await stack.shop.tap(0)
    done = await wait_payment(receipt, "succeeded")

    async def settled() -> bool:
        """Every event the log will tell, so that both runs below tell the same story: the decline's
        two (the reader's action, the intent), the approval's three (the action, the intent, the
        charge with the card), and the reconciler done with the card."""
        card = await Payment.exists().where(
            (Payment.id == done.id) & Payment.card_last4.is_not_null() & Payment.reconcile_after.is_null()
        )
        return card and await WebhookEvent.count().where(WebhookEvent.payment == done.id) >= 5

    await wait_until(settled, what="the five webhooks recorded and the card known")
    number = "1"  # the shop's first receipt
    result = await kiosk_command(stack, "payment-log", number, "--warehouse", "Main")
    assert result.returncode == 0, result.stderr
    log = result.stdout
    assert f"Receipt {number} at Main" in log and ": paid" in log
    assert f"Card payment P{done.id}: succeeded, $10.00" in log and "attempt 2" in log
    assert "insufficient_funds" not in log.split("steps:")[0]  # the failure was cleared by the retry
    assert "terminal.reader.action_failed" in log and "terminal.reader.action_succeeded" in log
    assert "retry" in log and "→ succeeded" in log
    by_intent = await kiosk_command(stack, "payment-log", str(done.payment_intent_id))
    assert by_intent.stdout == log
    missing = await kiosk_command(stack, "payment-log", "999")
    assert missing.returncode == 1 and "no receipt or payment matches" in missing.stderr
    print(log)
