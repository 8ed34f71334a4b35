"""`kiosk bench --report N`: how long the day's report of a warehouse takes on a day of N receipts.

Seeds a throwaway SQLite database (migrated like any kiosk's) with one warehouse's day: N paid
receipts, alternately cash and card (four brands), a decline per ten card payments, a refund per
twenty, a canceled payment per fifty, five cashiers. Then makes the X report the way the page does
(every source of kiosk/reports/figures.py; Stripe is not asked: the bench measures the kiosk's own
work) `RUNS` times, and the admins' 30-day history once. Prints one row (and writes it as JSON with
--json). A measurement, not a test: nothing fails when it is slow.

Run as `python -m kiosk.bench.day_report N` in a child process whose environment names the
database (the parent, `run_report_bench`, makes and migrates it).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

RUNS = 5
CHUNK = 500
BRANDS = ("visa", "mastercard", "amex", "discover")


async def _seed(receipts: int) -> tuple[int, datetime]:
    from piccolo.apps.user.tables import BaseUser

    from kiosk.payments.tables import Payment, PaymentLog, Refund
    from kiosk.shop.tables import CashTender, Receipt, Warehouse

    wid = int((await Warehouse.insert(Warehouse(name="Bench", currency="usd")).returning(Warehouse.id))[0]["id"])
    users = []
    for n in range(5):
        # Piccolo's constructor is unannotated; the bench's cashiers never log in (any password does).
        row = BaseUser(username=f"cashier{n}", email=f"cashier{n}@bench.invalid", password="x" * 20, active=True)  # type: ignore[no-untyped-call]
        users.append(int((await BaseUser.insert(row).returning(BaseUser.id))[0]["id"]))
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    step = timedelta(seconds=max(86_399 // max(receipts, 1), 1))
    for first in range(0, receipts, CHUNK):
        numbers = range(first, min(first + CHUNK, receipts))
        at = {n: start + step * n for n in numbers}
        rows = [Receipt(warehouse=wid, number=n + 1, currency="usd", total=1000 + n % 500, status="paid",
                        opened_by=users[n % 5], opened_at=at[n], closed_at=at[n]) for n in numbers]  # fmt: skip
        ids = [int(r["id"]) for r in await Receipt.insert(*rows).returning(Receipt.id)]
        cash = [CashTender(receipt=rid, amount=1000 + n % 500, given=2000, change=1000 - n % 500,
                           taken_by=users[n % 5], created_at=at[n])
                for rid, n in zip(ids, numbers, strict=True) if n % 2 == 0]  # fmt: skip
        if cash:
            await CashTender.insert(*cash).run()
        cards = [Payment(receipt=rid, amount=1000 + n % 500, currency="usd", state="succeeded",
                         payment_intent_id=f"pi_bench_{n}", key=uuid.uuid4(), card_brand=BRANDS[n % 4],
                         card_last4="4242", created_by=users[n % 5], created_at=at[n], settled_at=at[n],
                         updated_at=at[n])
                 for rid, n in zip(ids, numbers, strict=True) if n % 2 == 1]  # fmt: skip
        if not cards:
            continue
        paid = await Payment.insert(*cards).returning(Payment.id, Payment.payment_intent_id)
        by_n = {int(str(p["payment_intent_id"]).rsplit("_", 1)[1]): int(p["id"]) for p in paid}
        logs = [PaymentLog(payment=pid, at=at[n], step="reader_result", detail="→ declined.", code="insufficient_funds")
                for n, pid in by_n.items() if n % 20 == 1]  # fmt: skip
        refunds = [Refund(payment=pid, amount=500, currency="usd", state="succeeded", created_at=at[n],
                          stripe_refund_id=f"re_bench_{n}") for n, pid in by_n.items() if n % 40 == 3]  # fmt: skip
        canceled = [Payment(receipt=ids[0], amount=700, currency="usd", state="canceled", key=uuid.uuid4(),
                            created_at=at[n], updated_at=at[n]) for n in numbers if n % 100 == 7]  # fmt: skip
        for batch, table in ((logs, PaymentLog), (refunds, Refund), (canceled, Payment)):
            if batch:
                await table.insert(*batch).run()
    return wid, start


async def _measure(receipts: int) -> dict[str, Any]:
    from kiosk.reports.day_report import make_report, place
    from kiosk.reports.days import local_day
    from kiosk.reports.history import last_days

    seeded = time.perf_counter()
    wid, start = await _seed(receipts)
    seed_seconds = time.perf_counter() - seeded
    where = await place(wid)
    day = local_day(start.date(), where.timezone)
    timings = []
    for _ in range(RUNS):
        began = time.perf_counter()
        report = await make_report(where, day, None)
        timings.append((time.perf_counter() - began) * 1000)
    began = time.perf_counter()
    await last_days(where)
    history_ms = (time.perf_counter() - began) * 1000
    tenders = report.block("tenders")
    return {
        "receipts": receipts,
        "paid_receipts": report.receipts.paid,
        "card_and_cash": tenders.count if tenders else 0,
        "report_ms_median": round(statistics.median(timings), 1),
        "report_ms_max": round(max(timings), 1),
        "history_30_days_ms": round(history_ms, 1),
        "seed_seconds": round(seed_seconds, 1),
        "runs": RUNS,
    }


def main() -> int:
    from kiosk.config import PROJECT_ROOT

    # piccolo_conf.py sits at the project root, outside the package.
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    print(json.dumps(asyncio.run(_measure(int(sys.argv[1])))))
    return 0


def run_report_bench(receipts: int, json_path: Path | None) -> int:
    """The parent side: a fresh database, migrated, measured in a child; prints the row."""
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-report-") as workdir:
        env = {**os.environ, "KIOSK_SQLITE_PATH": str(Path(workdir) / "kiosk.sqlite"), "KIOSK_DEMO": "1"}
        for cmd in ([sys.executable, "-m", "kiosk.cli", "migrate"], [sys.executable, "-m", __name__, str(receipts)]):
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)  # noqa: S603 - our own interpreter and module
            if done.returncode != 0:
                raise SystemExit(f"kiosk bench --report: {' '.join(cmd[2:])} failed:\n{done.stderr[-2000:]}")
    row = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"day's report, {row['receipts']} receipts: {row['report_ms_median']} ms median "
        f"({row['report_ms_max']} ms max of {row['runs']}); 30-day history {row['history_30_days_ms']} ms"
    )
    if json_path:
        json_path.write_text(json.dumps({"day_report": row}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
