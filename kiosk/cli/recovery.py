"""`kiosk reconcile` and `kiosk payment-log`: the operator's tools for payments.

`kiosk reconcile` runs one pass of the reconciler that every server runs in the background, over
every payment not yet finished, and prints what it did and what still needs a person. It takes
the same per-payment leases as the servers, so it is safe to run while they serve.
`kiosk payment-log RECEIPT_OR_PAYMENT` prints what happened to a receipt's card payments.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from kiosk.config import Settings


async def _reconcile() -> int:
    from kiosk.payments.engine import Engine
    from kiosk.payments.recovery import paced, reconcile_everything
    from kiosk.payments.recovery_policy import recovery_from_env, timing_from_env
    from kiosk.payments.states import NEEDS_ATTENTION
    from kiosk.payments.tables import Payment
    from kiosk.readers.snapshot import DatabaseReaderNews
    from kiosk.stripe_account import keys as stripe_settings
    from kiosk.stripe_account.gateway import StripeGateway

    base = Settings.from_env()
    settings = (await stripe_settings.load(base)).applied_to(base)
    gateway = StripeGateway.from_settings(settings, DatabaseReaderNews())
    if gateway is None:
        print("kiosk reconcile: no Stripe secret key is configured (admin pages or KIOSK_STRIPE_SECRET_KEY).")
        return 2
    recovery = recovery_from_env()
    engine = Engine.from_settings(settings, gateway, timing_from_env())
    try:
        report = await reconcile_everything(paced(engine, recovery), recovery)
    finally:
        await gateway.aclose()
    print(f"Checked {report.checked} payment(s) with Stripe; canceled {report.abandoned} of abandoned receipts.")
    if report.failed:
        print(f"{report.failed} could not be finished now (Stripe or a reader unreachable); run again later.")
    waiting = await Payment.select(Payment.id, Payment.receipt, Payment.attention_reason).where(
        Payment.state == NEEDS_ATTENTION
    )
    for row in waiting:
        print(f"  P{row['id']} (receipt id {row['receipt']}) needs attention: {row['attention_reason']}")
    return 1 if report.failed else 0


def reconcile(_: argparse.Namespace) -> int:
    return asyncio.run(_reconcile())


def payment_log(args: argparse.Namespace) -> int:
    from kiosk.payments.log import NotFound, Query
    from kiosk.payments.log import payment_log as report

    try:
        lines = asyncio.run(report(Query(args.what, args.warehouse)))
    except NotFound as exc:
        print(f"kiosk payment-log: {exc}", file=sys.stderr)
        return 1
    print("\n".join(lines).rstrip())
    return 0


def add_recovery_commands(sub: Any) -> None:
    """Register the commands on the `kiosk` parser's subparsers."""
    p = sub.add_parser("reconcile", help="one pass of the payments reconciler over every unfinished payment")
    p.set_defaults(func=reconcile)

    p = sub.add_parser("payment-log", help="what happened to a receipt's card payments")
    p.add_argument(
        "what", metavar="RECEIPT_OR_PAYMENT", help="receipt number (12), payment (P7) or PaymentIntent (pi_...)"
    )
    p.add_argument("--warehouse", metavar="NAME", help="the warehouse of the receipt number")
    p.set_defaults(func=payment_log)
