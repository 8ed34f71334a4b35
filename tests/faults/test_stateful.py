"""Property-based: any interleaving of cashiers, customers, webhooks (any order, repeated, missing),
Stripe outages, reader faults and reconciler passes keeps the promises of tests/faults/invariants.py.

The engine runs in this process against the simulator (a thread). No webhook endpoint is registered:
the machine takes Stripe's events from the simulator and delivers them itself, in whatever order
hypothesis picks, twice, or never. After every step the books must agree so far; at the end of an
example everything is settled (pending events delivered, the reconciler run, the open receipts
abandoned) and the books must agree exactly, with no authorization left on an abandoned receipt.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from kiosk.payments import actions as payments
from kiosk.payments.engine import Engine, Timing
from kiosk.payments.events import record_event
from kiosk.payments.recovery import reconcile_everything, sweep_abandoned
from kiosk.payments.recovery_policy import Recovery
from kiosk.payments.settlement import balance
from kiosk.payments.tables import Payment, WebhookEvent
from kiosk.readers.tables import LocationPairing
from kiosk.shop.tables import OPEN, Receipt
from kiosk.stripe_account.admin_gateway import WEBHOOK_EVENTS
from kiosk.stripe_account.errors import PaymentError
from kiosk.stripe_account.gateway import StripeGateway
from kiosk.stripe_account.objects import event_from
from kiosk.till.receipts import add_quick_amount, open_receipt
from tests.faults.invariants import assert_invariants, books_of
from tests.kiosk_support import make_user, make_warehouse
from tests.simulator_support import DEFAULT_KEY, RunningSimulator

T = TypeVar("T")
CARDS = {"approve": "4242424242424242", "decline": "4000000000009995"}
# No patience at all: every reconciler pass and "Check status" asks Stripe at once, and a reader
# action still in progress is treated as stuck (so the intent is read as well).
EAGER = Timing(0, 0, 0, stuck_after=0, attention_recheck=0, in_flight=0, resume_window=3600)
AT_ONCE = Recovery(batch=50, abandon_after=3600)
ABANDON_ALL = Recovery(batch=50, abandon_after=0)
ACTIONS = ["cancel", "check", "retry", "poll"]
FAULTS = ["500", "429", "unplug", "unplug_after_auth", "timeout", "timeout_applied"]


def machine(simulator: RunningSimulator) -> type[RuleBasedStateMachine]:
    user_ids: list[int] = []
    examples = iter(range(1, 10_000))

    class Checkout(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.loop = asyncio.Runner()
            self.receipts: list[int] = []
            self.delivered: list[dict[str, Any]] = []
            self.dropped: set[str] = set()

        def run(self, coro: Coroutine[Any, Any, T]) -> T:
            return self.loop.run(coro)

        def control(self, path: str, body: Any = None) -> Any:
            try:
                return simulator.control("POST", path, body)
            except httpx.HTTPStatusError:
                return None  # e.g. nothing on the reader to tap: the customer's hand changes nothing

        @initialize(capture=st.sampled_from(["automatic", "manual"]))
        def shop(self, capture: str) -> None:
            simulator.control("POST", "/_sim/reset")
            client = simulator.client()
            address = {"line1": "1 Main St", "city": "Dublin", "country": "IE"}
            self.location = client.v1.terminal.locations.create(params={"display_name": "M", "address": address}).id
            self.readers = [
                client.v1.terminal.readers.create(params={"registration_code": code, "location": self.location}).id
                for code in ("simulated-wpe", "simulated-s700")
            ]
            self.engine = self.run(self._engine(capture))

        async def _engine(self, capture: str) -> Engine:
            # A fresh day: the previous example's payments belong to a simulator account that is gone.
            await Payment.delete(force=True)
            await WebhookEvent.delete(force=True)
            await Receipt.delete(force=True)
            self.warehouse = await make_warehouse(f"Shop {next(examples)}", "usd")
            if not user_ids:
                user_ids.append(await make_user("cashier", warehouses=()))
            await LocationPairing.insert(LocationPairing(stripe_location_id=self.location, warehouse=self.warehouse))
            # No SDK retries: every 500 reaches the engine (and no test time goes to backoff sleeps).
            gateway = StripeGateway(DEFAULT_KEY, api_base=simulator.url, max_network_retries=0)
            return Engine(gateway, capture, True, EAGER)

        async def _payment(self, index: int) -> Payment | None:
            receipt = self.receipts[index % len(self.receipts)]
            query = Payment.objects().where(Payment.receipt == receipt).order_by(Payment.id, ascending=False)
            row: Payment | None = await query.first()
            return row

        async def _act(self, coro: Coroutine[Any, Any, Any]) -> None:
            with contextlib.suppress(PaymentError, LookupError):  # refused with a message for the cashier
                await coro

        @precondition(lambda self: len(self.receipts) < 4)
        @rule(amount=st.sampled_from(["10.00", "12.34", "20.00"]), reader=st.integers(0, 1))
        def pay(self, amount: str, reader: int) -> None:
            async def go() -> None:
                receipt = await open_receipt(self.warehouse, user_ids[0])
                await add_quick_amount(receipt, self.warehouse, amount)
                self.receipts.append(receipt)
                await self._act(self._start(receipt, reader))

            self.run(go())

        async def _start(self, receipt: int, reader: int) -> None:
            """What the Pay button does (routes/payments.py): the reader, the amount due, start."""
            found = await payments.find_reader(self.engine, self.location, self.readers[reader])
            due = (await balance(receipt)).tenderable
            user = user_ids[0]
            await payments.start_payment(
                self.engine, receipt_id=receipt, reader=found, amount=due, currency="usd", user_id=user, holder="t"
            )

        async def _retry(self, payment_id: int, reader: int) -> None:
            found = await payments.find_reader(self.engine, self.location, self.readers[reader])
            await payments.retry_payment(self.engine, payment_id, found, "t")

        def busy_readers(self) -> list[str]:
            """Readers showing a payment to the customer (the simulator's own view, no API call)."""
            readers = simulator.sim.table("terminal.reader")
            return [
                r for r in self.readers if ((readers.get(r) or {}).get("action") or {}).get("status") == "in_progress"
            ]

        @precondition(lambda self: self.busy_readers())
        @rule(hand=st.sampled_from(["approve", "approve", "decline", "cancel"]), pick=st.integers(0, 1))
        def customer(self, hand: str, pick: int) -> None:
            busy = self.busy_readers()
            reader = busy[pick % len(busy)]
            if hand == "cancel":
                self.control(f"/_sim/readers/{reader}/customer_cancel")
            else:
                self.control(f"/_sim/readers/{reader}/present", {"card_number": CARDS[hand]})

        @rule(reader=st.integers(0, 1), fault=st.sampled_from(FAULTS), count=st.integers(1, 3))
        def trouble(self, reader: int, fault: str, count: int) -> None:
            """Stripe answering 500 or 429 for a while; a reader unplugged, or timing out."""
            base = f"/_sim/readers/{self.readers[reader]}"
            if fault in {"500", "429"}:
                self.control("/_sim/faults/api", {"status": int(fault), "count": count})
            elif fault.startswith("unplug"):
                self.control(f"{base}/disconnect", {"authorized": fault == "unplug_after_auth"})
            else:
                self.control(f"{base}/timeout", {"applied": fault == "timeout_applied", "count": 1})

        def pending(self) -> list[dict[str, Any]]:
            seen = {e["id"] for e in self.delivered} | self.dropped
            events = list(simulator.sim.table("event").values())
            return [e for e in events if e["type"] in WEBHOOK_EVENTS and e["id"] not in seen]

        @rule(pick=st.integers(0, 20), twice=st.booleans())
        def webhook(self, pick: int, twice: bool) -> None:
            """Deliver any pending event (so, in any order); sometimes an old one again."""
            pool = self.delivered if twice and self.delivered else self.pending()
            if pool:
                event = pool[pick % len(pool)]
                self.delivered.append(event)
                self.run(record_event(self.engine, event_from(event)))

        @rule(pick=st.integers(0, 20))
        def lose_webhook(self, pick: int) -> None:
            pool = self.pending()
            if pool:
                self.dropped.add(pool[pick % len(pool)]["id"])

        @precondition(lambda self: self.receipts)
        @rule(
            index=st.integers(0, 3),
            action=st.sampled_from(ACTIONS),
            reader=st.integers(0, 1),
        )
        def cashier(self, index: int, action: str, reader: int) -> None:
            async def go() -> None:
                payment = await self._payment(index)
                if payment is None:
                    return
                if action == "poll":  # what the page shows comes from the database alone
                    calls = simulator.sim.api_calls.total()
                    view = payments.payment_view(payment)
                    assert view.state == payment.state and simulator.sim.api_calls.total() == calls
                elif action == "cancel":
                    await self._act(payments.cancel_payment(self.engine, payment.id))
                elif action == "check":
                    await self._act(payments.check_payment(self.engine, payment.id))
                else:
                    await self._act(self._retry(payment.id, reader))

            self.run(go())

        @rule()
        def reconciler_pass(self) -> None:
            self.run(reconcile_everything(self.engine, AT_ONCE))

        @invariant()
        def books_agree_so_far(self) -> None:
            if self.receipts:
                self.run(assert_invariants(books_of(simulator.sim), only=self.receipts, final=False))

        def teardown(self) -> None:
            try:
                if hasattr(self, "engine"):
                    self.run(self._settle())
            finally:
                if hasattr(self, "engine"):
                    self.run(self.engine.gateway.aclose())
                self.loop.close()

        async def _settle(self) -> None:
            """The day ends: faults clear and late news arrives. With Stripe reachable, the reconciler
            alone must bring the kiosk's books level with Stripe's (every authorization known, and
            captured unless kept); then every receipt left open is abandoned."""
            await asyncio.to_thread(self.control, "/_sim/faults/api", {"status": 500, "count": 0})
            for sweep in (False, False, True, True, False):  # a reader timeout left queued eats one try
                for event in self.pending():
                    self.delivered.append(event)
                    await record_event(self.engine, event_from(event))
                await reconcile_everything(self.engine, AT_ONCE)
                if sweep:
                    await sweep_abandoned(self.engine, ABANDON_ALL)
                else:
                    await assert_invariants(books_of(simulator.sim), only=self.receipts, final=True)
            abandoned = [row["id"] for row in await Receipt.select(Receipt.id).where(Receipt.status == OPEN)]
            await assert_invariants(books_of(simulator.sim), only=self.receipts, abandoned=abandoned)

    return Checkout


def test_any_interleaving_keeps_the_promises(db: str, simulator: RunningSimulator) -> None:
    run_state_machine_as_test(
        machine(simulator),
        settings=settings(
            max_examples=30,
            stateful_step_count=25,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
