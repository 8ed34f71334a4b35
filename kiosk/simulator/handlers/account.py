"""Enough of the account and balance for a POS to verify its key: https://docs.stripe.com/api/accounts."""

from __future__ import annotations

from typing import Any

from kiosk.simulator import ledger
from kiosk.simulator.api import Call, endpoint
from kiosk.simulator.core import Simulator
from kiosk.simulator.objects import snapshot

JSON = dict[str, Any]
DISPLAY_NAME = "Kiosk Simulator"


def account(sim: Simulator) -> JSON:
    """The simulated account, created on first look so that ``created`` stays put."""
    table = sim.table("account")
    if sim.account_id not in table:
        table[sim.account_id] = {
            "id": sim.account_id,
            "object": "account",
            "business_profile": {"name": DISPLAY_NAME, "mcc": "5999", "support_email": None, "url": None},
            "business_type": "company",
            "capabilities": {"card_payments": "active", "transfers": "active"},
            "charges_enabled": True,
            "controller": {"type": "account"},
            "country": "US",
            "created": sim.now(),
            "default_currency": "usd",
            "details_submitted": True,
            "email": "simulator@kiosk.invalid",
            "metadata": {},
            "payouts_enabled": True,
            "settings": {"dashboard": {"display_name": DISPLAY_NAME, "timezone": "Etc/UTC"}},
            "type": "standard",
        }
    return table[sim.account_id]


@endpoint("get", "/v1/account")
def retrieve_account(call: Call) -> JSON:
    return snapshot(account(call.sim))


@endpoint("get", "/v1/balance")
def retrieve_balance(call: Call) -> JSON:
    """Card funds are pending until paid out: captured minus refunded, per currency."""
    totals = ledger.summary(call.sim)["totals"] or {"usd": dict.fromkeys(ledger.MOVEMENTS, 0)}
    net = {currency: t["captured"] - t["refunded"] for currency, t in sorted(totals.items())}
    pending = [{"amount": n, "currency": c, "source_types": {"card": n}} for c, n in net.items()]
    available = [{"amount": 0, "currency": c, "source_types": {"card": 0}} for c, _ in sorted(totals.items())]
    return {"object": "balance", "available": available, "pending": pending, "livemode": False}
