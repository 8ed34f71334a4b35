"""The promises every fault run ends by checking, against Stripe's own books (the simulator's ledger).

For every receipt:
1. money Stripe confirmed for it (authorized and not canceled nor refunded, over every PaymentIntent
   whose metadata names the receipt) equals what the receipt records as paid by card — nothing lost,
   nothing taken that the kiosk does not know of;
2. no card tender has two successful charges (per intent, and per payment across intents);
3. no authorization is left uncaptured for an abandoned receipt (voided, or named by the test), nor
   at the end of a run for any payment but one kept for an admin's capture (manual capture, "keep");
4. no receipt is closed without its money: a paid receipt's cash plus Stripe's money is its total;
5. returns never give back more than was taken (kiosk/till/returns.py): what Stripe refunded on the
   receipt's intents is at most what they captured, the cash handed back at most the cash taken, all
   the receipt's returns together at most what was paid; and what Stripe refunded is what the
   kiosk's refund rows say went back (at the end of a run; before it, a refund recorded but not yet
   sent may still be on its way, never the other way round).
Intents are matched to receipts by the metadata Stripe holds, not by the kiosk's own records, so an
intent the kiosk lost track of (a crash between Stripe's answer and the commit) still counts.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import httpx

from kiosk.payments.refunds.events import LIVE
from kiosk.payments.states import RECEIPT_SETTLED
from kiosk.payments.tables import Payment, Refund
from kiosk.shop.tables import CashTender, Receipt
from kiosk.simulator import ledger
from kiosk.simulator.core import Simulator
from kiosk.till.tables import CASH, ReceiptReturn, ReturnTender


@dataclass
class StripeBooks:
    """What the simulated account holds: the ledger per intent and each intent's metadata."""

    ledger: dict[str, dict[str, Any]]
    metadata: dict[str, dict[str, str]]

    def confirmed(self, intent_id: str) -> int:
        """Money Stripe holds for the intent now: taken, less canceled and refunded."""
        return self.taken(intent_id) - self.refunded(intent_id)

    def taken(self, intent_id: str) -> int:
        """Authorized and not canceled: what the tender brought, refunds aside."""
        entry = self.ledger.get(intent_id)
        if entry is None:
            return 0
        return int(entry["authorized"]) - int(entry["canceled"])

    def captured(self, intent_id: str) -> int:
        return int((self.ledger.get(intent_id) or {}).get("captured", 0))

    def refunded(self, intent_id: str) -> int:
        return int((self.ledger.get(intent_id) or {}).get("refunded", 0))

    def open_hold(self, intent_id: str) -> int:
        """Authorized, neither captured nor canceled."""
        entry = self.ledger.get(intent_id) or {"authorized": 0, "captured": 0, "canceled": 0}
        return int(entry["authorized"]) - int(entry["captured"]) - int(entry["canceled"])

    def succeeded_charges(self, intent_id: str) -> int:
        charges = (self.ledger.get(intent_id) or {}).get("charges", [])
        return sum(1 for c in charges if c["status"] == "succeeded")


def books_of(sim: Simulator) -> StripeBooks:
    """The books of a simulator running in this process (no API call: API faults cannot get in the way)."""
    intents = list(sim.table("payment_intent").values())
    return StripeBooks(ledger.summary(sim)["intents"], {i["id"]: dict(i.get("metadata") or {}) for i in intents})


async def _get(client: httpx.AsyncClient, path: str, **kwargs: Any) -> Any:
    """A read of the books; an API fault left over by the test (500, 429) is waited out."""
    for _ in range(20):
        response = await client.get(path, **kwargs)
        if response.status_code not in (429, 500):
            return response.raise_for_status().json()
        await asyncio.sleep(0.1)
    return response.raise_for_status().json()


async def read_books(sim_url: str, key: str) -> StripeBooks:
    """The ledger (`GET /_sim/ledger`) and every PaymentIntent's metadata (`GET /v1/payment_intents`)."""
    async with httpx.AsyncClient(base_url=sim_url, trust_env=False, timeout=10) as client:
        ledger_rows = (await _get(client, "/_sim/ledger"))["intents"]
        metadata: dict[str, dict[str, str]] = {}
        params: dict[str, Any] = {"limit": 100}
        while True:
            page = await _get(client, "/v1/payment_intents", params=params, headers={"Authorization": f"Bearer {key}"})
            metadata.update({intent["id"]: intent.get("metadata") or {} for intent in page["data"]})
            if not page["has_more"] or not page["data"]:
                break
            params = {"limit": 100, "starting_after": page["data"][-1]["id"]}
    return StripeBooks(ledger_rows, metadata)


@dataclass
class Verdict:
    violations: list[str] = field(default_factory=list)
    receipts: dict[int, str] = field(default_factory=dict)  # a line per receipt, to read a failure

    def __str__(self) -> str:
        return "\n".join(["invariants broken:", *self.violations, "receipts:", *self.receipts.values()])


@dataclass
class KioskBooks:
    """What the kiosk's database says, per receipt: its card payments and the cash taken."""

    payments: dict[int, list[dict[str, Any]]]
    cash: dict[int, int]
    # Per receipt: card refunds the kiosk counts as given back (its Refund rows, LIVE), cash handed
    # back by returns, and the returns' amounts.
    refunds: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    cash_returned: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    returned: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    @classmethod
    async def read(cls) -> KioskBooks:
        columns = (Payment.id, Payment.receipt, Payment.amount, Payment.state, Payment.payment_intent_id)
        columns += (Payment.tip_amount, Payment.amount_charged)
        payments: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in await Payment.select(*columns, Payment.keep_for_capture):
            payments[row["receipt"]].append(row)
        cash: dict[int, int] = defaultdict(int)
        for row in await CashTender.select(CashTender.receipt, CashTender.amount):
            cash[row["receipt"]] += row["amount"]
        books = cls(payments, cash)
        live = Refund.state.is_in(list(LIVE))
        for row in await Refund.select(Refund.payment.receipt, Refund.amount).where(live):
            books.refunds[row["payment.receipt"]] += row["amount"]
        for row in await ReturnTender.select(ReturnTender.receipt_return.receipt, ReturnTender.amount).where(
            ReturnTender.kind == CASH
        ):
            books.cash_returned[row["receipt_return.receipt"]] += row["amount"]
        for row in await ReceiptReturn.select(ReceiptReturn.receipt, ReceiptReturn.amount):
            books.returned[row["receipt"]] += row["amount"]
        return books


async def verdict(
    books: StripeBooks, abandoned: Collection[int] = (), only: Collection[int] | None = None, *, final: bool = True
) -> Verdict:
    """Every broken promise; `only` limits the check to these receipts (and their intents). Before the
    end of a run (`final=False`) news may still be on its way, so a receipt may record less than Stripe
    confirmed (never more)."""
    result = Verdict()
    intents_of: dict[int, list[str]] = defaultdict(list)
    for intent_id, meta in books.metadata.items():
        if meta.get("receipt", "").isdigit():
            intents_of[int(meta["receipt"])].append(intent_id)
        elif books.confirmed(intent_id) and only is None:
            result.violations.append(f"{intent_id} holds money but names no receipt: {meta}")
    receipts = Receipt.select(Receipt.id, Receipt.total, Receipt.status)
    if only is not None:
        receipts = receipts.where(Receipt.id.is_in([*only, -1]))
    kiosk = await KioskBooks.read()
    for receipt in await receipts:
        rid = receipt["id"]
        check = ReceiptCheck(receipt, kiosk.payments[rid], kiosk.cash[rid], intents_of[rid])
        check.run(books, rid in abandoned, final, result)
        given = Given(kiosk.refunds[rid], kiosk.cash_returned[rid], kiosk.returned[rid])
        result.violations += [f"receipt {rid}: {problem}" for problem in given.problems(check, books, final)]
    return result


@dataclass
class ReceiptCheck:
    """The four promises for one receipt; each broken one is a line in `result.violations`."""

    receipt: dict[str, Any]
    payments: list[dict[str, Any]]
    cash: int
    intents: list[str]

    def run(self, books: StripeBooks, abandoned: bool, final: bool, result: Verdict) -> None:
        rid, total = self.receipt["id"], self.receipt["total"]
        settled = [p for p in self.payments if p["state"] in RECEIPT_SETTLED]
        # What Stripe took as the kiosk recorded it (amount_received: tips included), else the amount asked.
        recorded = sum(p["amount"] if p["amount_charged"] is None else p["amount_charged"] for p in settled)
        tips = sum(p["tip_amount"] or 0 for p in settled)
        # What the tenders brought: refunds (returns) are promise 5's.
        stripe_money = sum(books.taken(i) for i in self.intents)
        states = ", ".join(f"P{p['id']}={p['state']}" for p in self.payments)
        refunded = sum(books.refunded(i) for i in self.intents)
        result.receipts[rid] = (
            f"  receipt {rid} {self.receipt['status']}: total {total} cash {self.cash} "
            f"card recorded {recorded} stripe {stripe_money} refunded {refunded} [{states}] intents {self.intents}"
        )
        broken = [
            *self._money(recorded, stripe_money, final),
            *self._doubles(books),
            *(self._holds(books, abandoned) if final else []),
        ]
        if self.receipt["status"] == "paid" and self.cash + stripe_money != total + tips:
            broken.append(f"is paid but cash {self.cash} + card {stripe_money} != {total} + tips {tips}")
        result.violations += [f"receipt {rid}: {problem}" for problem in broken]

    def _money(self, recorded: int, stripe_money: int, final: bool) -> list[str]:
        if (stripe_money != recorded) if final else (recorded > stripe_money):
            return [f"Stripe confirmed {stripe_money}, the receipt records {recorded}"]
        return []

    def _doubles(self, books: StripeBooks) -> list[str]:
        problems = [f"{i} has several successful charges" for i in self.intents if books.succeeded_charges(i) > 1]
        per_payment: dict[str, int] = defaultdict(int)
        for intent_id in self.intents:
            if books.taken(intent_id) > 0:
                per_payment[books.metadata[intent_id].get("payment", "?")] += 1
        return problems + [f"payment {p} was charged on {n} intents" for p, n in per_payment.items() if n > 1]

    def _holds(self, books: StripeBooks, abandoned: bool) -> list[str]:
        held = {i for i in self.intents if books.open_hold(i) > 0}
        if held and (abandoned or self.receipt["status"] == "voided"):
            return [f"was abandoned but {sorted(held)} still hold an uncaptured authorization"]
        kept = {
            p["payment_intent_id"] for p in self.payments if p["keep_for_capture"] and p["state"] == "requires_capture"
        }
        return [f"{sorted(held - kept)} authorized but never captured"] if held - kept else []


@dataclass
class Given:
    """What the kiosk says went back on one receipt (promise 5)."""

    card: int  # its Refund rows that give money back
    cash: int  # cash handed back by returns
    returned: int  # its returns, card and cash

    def problems(self, check: ReceiptCheck, books: StripeBooks, final: bool) -> list[str]:
        found = []
        stripe_refunded = sum(books.refunded(i) for i in check.intents)
        for intent_id in check.intents:
            if books.refunded(intent_id) > books.captured(intent_id):
                found.append(f"{intent_id} refunded {books.refunded(intent_id)}, more than it captured")
        if self.cash > check.cash:
            found.append(f"handed back {self.cash} in cash, more than the {check.cash} taken")
        taken = check.cash + sum(books.taken(i) for i in check.intents)
        if self.returned > taken:
            found.append(f"returns give back {self.returned}, more than the {taken} taken")
        if (stripe_refunded != self.card) if final else (stripe_refunded > self.card):
            found.append(f"Stripe refunded {stripe_refunded}, the kiosk records {self.card} given back to cards")
        return found


async def assert_invariants(
    books: StripeBooks | tuple[str, str],
    *,
    abandoned: Collection[int] = (),
    only: Collection[int] | None = None,
    final: bool = True,
) -> Verdict:
    """Check every promise; fail the test with every broken one and a line per receipt. `books` is
    the simulator's (in this process), or its (URL, API key) to read them over HTTP."""
    if isinstance(books, tuple):
        books = await read_books(*books)
    result = await verdict(books, abandoned, only, final=final)
    assert not result.violations, str(result)
    return result
