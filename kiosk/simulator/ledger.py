"""The ledger: every money movement the simulated account made, for "nothing lost, nothing doubled".

Movements are plain JSON rows in ``sim.table(KIND)``, so persistence and reset handle them like any
object. ``summary`` folds them per PaymentIntent (authorized, captured, refunded, canceled) and
lists each intent's charges as they stand now, declined ones included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from kiosk.simulator.core import new_id

if TYPE_CHECKING:
    from kiosk.simulator.core import Simulator

JSON = dict[str, Any]
KIND = "simulator.ledger_movement"
Movement = Literal["authorized", "captured", "refunded", "canceled"]
MOVEMENTS: tuple[Movement, ...] = ("authorized", "captured", "refunded", "canceled")


def record(
    sim: Simulator,
    movement: Movement,
    intent: JSON,
    amount: int,
    charge: str | None = None,
    refund: str | None = None,
) -> None:
    """Write one movement of ``amount`` (minor units of the intent's currency)."""
    row_id = new_id("lmv", 16)
    sim.table(KIND)[row_id] = {
        "id": row_id,
        "object": KIND,
        "created": sim.now(),
        "movement": movement,
        "payment_intent": intent["id"],
        "charge": charge,
        "refund": refund,
        "amount": amount,
        "currency": intent["currency"],
    }


def summary(sim: Simulator) -> JSON:
    """``{"intents": {pi_id: {...}}, "totals": {currency: {...}}, "movements": [...]}``."""
    intents: dict[str, JSON] = {}
    for charge in sim.table("charge").values():
        if charge.get("payment_intent"):
            _entry(intents, charge["payment_intent"], charge["currency"])
    movements = list(sim.table(KIND).values())
    for row in movements:
        _entry(intents, row["payment_intent"], row["currency"])[row["movement"]] += row["amount"]
    for intent_id, entry in intents.items():
        entry["charges"] = [_charge_line(c) for c in sim.table("charge").values() if c["payment_intent"] == intent_id]
    totals: dict[str, JSON] = {}
    for entry in intents.values():
        total = totals.setdefault(entry["currency"], dict.fromkeys(MOVEMENTS, 0))
        for movement in MOVEMENTS:
            total[movement] += entry[movement]
    return {"intents": intents, "totals": totals, "movements": movements}


def _entry(intents: dict[str, JSON], intent_id: str, currency: str) -> JSON:
    return intents.setdefault(
        intent_id,
        {"payment_intent": intent_id, "currency": currency, **dict.fromkeys(MOVEMENTS, 0), "charges": []},
    )


def _charge_line(charge: JSON) -> JSON:
    keys = ("id", "status", "amount", "captured", "amount_captured", "amount_refunded", "failure_code")
    return {key: charge.get(key) for key in keys}
