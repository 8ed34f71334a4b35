"""The promises every fault run ends by checking, against Stripe's own books (the simulator's ledger).

For every receipt:
1. money Stripe confirmed for it (authorized and not canceled nor refunded, over every PaymentIntent
   whose metadata names the receipt) equals what the receipt records as paid by card — nothing lost,
   nothing taken that the kiosk does not know of;
2. no card tender has two successful charges (per intent, and per payment across intents);
3. no authorization is left uncaptured for an abandoned receipt (voided, or named by the test), nor
   at the end of a run for any payment but one kept for an admin's capture (manual capture, "keep");
4. no receipt is closed without its money: a paid receipt's cash plus Stripe's money is its total.
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

from kiosk.payment_states import RECEIPT_SETTLED
from kiosk.payment_tables import Payment
from kiosk.simulator import ledger
from kiosk.simulator.core import Simulator
from kiosk.tables import CashTender, Receipt


@dataclass
class StripeBooks:
    """What the simulated account holds: the ledger per intent and each intent's metadata."""

    ledger: dict[str, dict[str, Any]]
    metadata: dict[str, dict[str, str]]

    def confirmed(self, intent_id: str) -> int:
        entry = self.ledger.get(intent_id)
        if entry is None:
            return 0
        return int(entry["authorized"]) - int(entry["canceled"]) - int(entry["refunded"])

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


async def _recorded_card(receipt_id: int) -> tuple[int, list[dict[str, Any]]]:
    rows = await Payment.select(
        Payment.id, Payment.amount, Payment.state, Payment.payment_intent_id, Payment.keep_for_capture
    ).where(Payment.receipt == receipt_id)
    return sum(r["amount"] for r in rows if r["state"] in RECEIPT_SETTLED), rows


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
    for receipt in await receipts:
        await _check_receipt(books, receipt, intents_of[receipt["id"]], receipt["id"] in abandoned, final, result)
    return result


async def _check_receipt(
    books: StripeBooks, receipt: dict[str, Any], intents: list[str], abandoned: bool, final: bool, result: Verdict
) -> None:
    rid = receipt["id"]
    recorded, payments = await _recorded_card(rid)
    stripe_money = sum(books.confirmed(i) for i in intents)
    cash = sum(r["amount"] for r in await CashTender.select(CashTender.amount).where(CashTender.receipt == rid))
    states = ", ".join(f"P{p['id']}={p['state']}" for p in payments)
    result.receipts[rid] = f"  receipt {rid} {receipt['status']}: total {receipt['total']} cash {cash} " + (
        f"card recorded {recorded} stripe {stripe_money} [{states}] intents {intents}"
    )
    broken = (stripe_money != recorded) if final else (recorded > stripe_money)
    if broken:
        result.violations.append(f"receipt {rid}: Stripe confirmed {stripe_money}, the receipt records {recorded}")
    for intent_id in intents:
        if books.succeeded_charges(intent_id) > 1:
            result.violations.append(f"receipt {rid}: {intent_id} has several successful charges")
    per_payment: dict[str, int] = defaultdict(int)
    for intent_id in intents:
        if books.confirmed(intent_id) > 0:
            per_payment[books.metadata[intent_id].get("payment", "?")] += 1
    result.violations += [
        f"receipt {rid}: payment {p} was charged on {n} intents" for p, n in per_payment.items() if n > 1
    ]
    held = [i for i in intents if books.open_hold(i) > 0] if final else []
    if held and (abandoned or receipt["status"] == "voided"):
        result.violations.append(f"receipt {rid} was abandoned but {held} still hold an uncaptured authorization")
    kept = {p["payment_intent_id"] for p in payments if p["keep_for_capture"] and p["state"] == "requires_capture"}
    if set(held) - kept:
        result.violations.append(f"receipt {rid}: {sorted(set(held) - kept)} authorized but never captured")
    if receipt["status"] == "paid" and cash + stripe_money != receipt["total"]:
        result.violations.append(f"receipt {rid} is paid but cash {cash} + card {stripe_money} != {receipt['total']}")


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
