"""Seed the bench's database: warehouses paired with their Stripe locations, one cashier per tablet.

Run as `python -m kiosk.bench.seed` with the kiosk's database environment; reads the plan (JSON) on
stdin: {"password": "...", "shops": [{"warehouse": "...", "location": "tml_...", "cashiers": [...]}]}.
A separate process so the bench itself never opens the database the server is measured on.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from kiosk.bench.server import cheap_password_hashing


async def seed(plan: dict[str, Any]) -> None:
    from kiosk.people.accounts import create_user
    from kiosk.readers.tables import LocationPairing
    from kiosk.till.warehouses import create_warehouse

    for shop in plan["shops"]:
        warehouse_id = await create_warehouse(shop["warehouse"], shop.get("currency", "usd"))
        await LocationPairing.insert(LocationPairing(stripe_location_id=shop["location"], warehouse=warehouse_id))
        for username in shop["cashiers"]:
            await create_user(username, plan["password"], warehouses=[shop["warehouse"]])


def main() -> int:
    from kiosk.config import PROJECT_ROOT

    # piccolo_conf.py sits at the project root, outside the package.
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    cheap_password_hashing()
    asyncio.run(seed(json.load(sys.stdin)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
