"""`kiosk demo`: the embedded Stripe and the kiosk on 127.0.0.1, with a fresh seeded SQLite database.

The simulator runs in a thread of its own (its own event loop, like a separate Stripe); the kiosk
talks to it over real HTTP with the real SDK, exactly as it would talk to api.stripe.com.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from kiosk.config import PROJECT_ROOT

DEMO_STRIPE_KEY = "sk_test_kiosk_demo"


@dataclass(frozen=True)
class DemoShop:
    """A warehouse of the demo, paired with a simulated Terminal location and its readers."""

    warehouse: str
    currency: str
    city: str
    country: str
    readers: tuple[tuple[str, str], ...]  # (registration code, label)
    address: str = ""  # as the printed receipt heads it, a line per printed line
    phone: str = ""

    @property
    def street(self) -> str:
        return self.address.split("\n", 1)[0]


SHOPS = (
    DemoShop(
        "Downtown", "usd", "San Francisco", "US", (("simulated-wpe", "Till 1"), ("simulated-s700", "Till 2")),
        address="1 Demo St\nSan Francisco, CA 94103", phone="+1 415 555 0134",
    ),
    DemoShop(
        "Harbour", "eur", "Dublin", "IE", (("simulated-wpe", "Front desk"), ("simulated-s700", "Terrace")),
        address="2 Quay St\nDublin 2, D02 X285", phone="+353 1 555 0172",
    ),
)  # fmt: skip
LOGINS = (("admin", "admin-demo-pass", True), ("cashier", "cashier-demo-pass", False))
# The demo's catalogue (as an admin would import it): barcodes are valid EAN-13s, so the labels can
# be scanned or typed at the till; the favourites are the till's touch grid.
DEMO_CATALOGUE = """sku,name,barcode,category,tax_rate,favourite,price_usd,price_eur
ESP,Espresso,,Coffee,,yes,3.00,2.60
CAP,Cappuccino,,Coffee,,yes,4.50,3.80
CRO,Croissant,8712345000011,Bakery,,yes,3.25,2.40
MUF,Blueberry muffin,8712345000028,Bakery,,yes,3.75,2.90
WAT,Still water 0.5 l,8712345000035,Drinks,,yes,2.00,1.80
COL,Cola 0.33 l,4006381333931,Drinks,,yes,2.50,2.20
SAN,Ham and cheese sandwich,8712345000042,Food,,no,7.95,6.50
TSH,Kiosk T-shirt,5901234123457,Merchandise,,no,24.00,22.00
BAG,Tote bag,8712345000059,Merchandise,,no,12.00,10.00
PCD,Postcard,8712345000066,Merchandise,,no,1.50,1.20
"""
# (warehouse, prices, rounding, default rate): San Francisco adds 8.625 % sales tax at the till;
# Dublin's shelf prices include 23 % VAT.
DEMO_TAX_RULES = (("Downtown", "exclusive", "receipt", "8.625"), ("Harbour", "inclusive", "line", "23"))


def _serve_in_thread(app: object, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))  # type: ignore[arg-type]
    threading.Thread(target=server.run, name=f"server:{port}", daemon=True).start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise SystemExit(f"kiosk demo: nothing could listen on 127.0.0.1:{port} (port taken?)")
        time.sleep(0.02)
    return server


async def _seed_stripe(api_base: str, kiosk_url: str) -> tuple[str, dict[str, str], dict[str, list[str]]]:
    """Locations, readers and the webhook endpoint, made through the API exactly as an admin would."""

    from kiosk.stripe_account.admin_gateway import LocationAddress, StripeAdmin

    locations: dict[str, str] = {}
    readers: dict[str, list[str]] = {}
    async with StripeAdmin(DEMO_STRIPE_KEY, api_base) as admin:
        _, secret = await admin.create_webhook_endpoint(f"{kiosk_url}/webhooks/stripe")
        for shop in SHOPS:
            address: LocationAddress = {"line1": shop.street, "city": shop.city, "country": shop.country}
            location = await admin.create_location(f"{shop.warehouse} shop", address)
            locations[shop.warehouse] = location.id
            readers[shop.warehouse] = [
                (await admin.register_reader(code, label, location.id)).id for code, label in shop.readers
            ]
    return secret, locations, readers


async def _seed_database(locations: dict[str, str]) -> None:
    from kiosk.people.accounts import create_user
    from kiosk.readers.tables import LocationPairing
    from kiosk.till.warehouses import create_warehouse

    for shop in SHOPS:
        warehouse_id = await create_warehouse(shop.warehouse, shop.currency, address=shop.address, phone=shop.phone)
        await LocationPairing.insert(
            LocationPairing(stripe_location_id=locations[shop.warehouse], warehouse=warehouse_id)
        )
    for username, password, admin in LOGINS:
        await create_user(username, password, admin=admin, warehouses=[shop.warehouse for shop in SHOPS])
    await _seed_catalogue()
    await _allow_returns()
    await _local_ways()


async def _local_ways() -> None:
    """Each demo shop's day runs in its own time zone, and its amounts are written its own way."""
    from kiosk.shop.tables import Warehouse

    for name, zone, locale in (("Downtown", "America/Los_Angeles", "en_US"), ("Harbour", "Europe/Dublin", "en_IE")):
        await Warehouse.update({Warehouse.timezone: zone, Warehouse.locale: locale}).where(Warehouse.name == name)


async def _allow_returns() -> None:
    """The demo's cashier may take returns (an admin grants it on the Users page); two customers."""
    from piccolo.apps.user.tables import BaseUser

    from kiosk.customers.directory import CustomerForm, create
    from kiosk.people.permissions import set_take_returns

    ids = {r["username"]: r["id"] for r in await BaseUser.select(BaseUser.id, BaseUser.username)}
    await set_take_returns(ids[LOGINS[0][0]], ids[LOGINS[1][0]], True)
    # Two customers to find at the till: one with an email (receipts, saved cards), one without.
    await create(CustomerForm("Ada Lovelace", "ada@example.com", "+1 415 555 0199", "Oat milk"), ids[LOGINS[0][0]])
    await create(CustomerForm("Grace Hopper", "", "+353 1 555 0100", ""), ids[LOGINS[0][0]])


async def _seed_catalogue() -> None:
    from piccolo.apps.user.tables import BaseUser

    from kiosk.catalogue.csv_io import import_csv
    from kiosk.catalogue.pricing import set_rules
    from kiosk.shop.tables import Warehouse

    admin = await BaseUser.select(BaseUser.id).where(BaseUser.username == LOGINS[0][0]).first()
    assert admin is not None
    for warehouse, prices, rounding, rate in DEMO_TAX_RULES:
        row = await Warehouse.select(Warehouse.id).where(Warehouse.name == warehouse).first()
        assert row is not None
        await set_rules(row["id"], prices, rounding, rate, admin["id"])
    result = await import_csv(DEMO_CATALOGUE.encode(), admin["id"])
    assert result.saved, result.errors


def _prepare_data_dir(data_dir: str | None) -> Path:
    path = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="kiosk-demo-"))
    path.mkdir(parents=True, exist_ok=True)
    for leftover in path.glob("kiosk.sqlite*"):  # a fresh database every time
        leftover.unlink()
    return path


def run_demo(port: int, simulator_port: int, data_dir: str | None) -> int:
    from kiosk.simulator.app import create_simulator_app
    from kiosk.simulator.core import Simulator

    logging.getLogger("stripe").setLevel(logging.WARNING)  # the SDK logs every request at INFO
    path = _prepare_data_dir(data_dir)
    api_base, kiosk_url = f"http://127.0.0.1:{simulator_port}", f"http://127.0.0.1:{port}"
    simulator = _serve_in_thread(create_simulator_app(Simulator(api_keys=frozenset({DEMO_STRIPE_KEY}))), simulator_port)
    webhook_secret, locations, readers = asyncio.run(_seed_stripe(api_base, kiosk_url))
    os.environ.pop("KIOSK_DATABASE_URL", None)  # the demo is one store on SQLite, whatever the shell says
    os.environ.update(
        KIOSK_SQLITE_PATH=str(path / "kiosk.sqlite"),
        KIOSK_DEMO="1",
        KIOSK_STRIPE_API_BASE=api_base,
        KIOSK_STRIPE_SECRET_KEY=DEMO_STRIPE_KEY,
        KIOSK_STRIPE_WEBHOOK_SECRET=webhook_secret,
    )
    os.environ.setdefault("KIOSK_SECRET_KEY", secrets.token_urlsafe(32))
    migrate = [sys.executable, "-m", "kiosk.cli", "migrate"]
    if subprocess.call(migrate, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL) != 0:  # noqa: S603 - fixed argv
        raise SystemExit("kiosk demo: the database migrations failed")
    asyncio.run(_seed_database(locations))

    from kiosk.app import create_app

    servers = [simulator, _serve_in_thread(create_app(), port)]
    _print_welcome(kiosk_url, api_base, readers, path)
    try:
        while all(server.started and not server.should_exit for server in servers):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    for server in servers:
        server.should_exit = True
    return 0


def _print_welcome(kiosk_url: str, api_base: str, readers: dict[str, list[str]], path: Path) -> None:
    width = shutil.get_terminal_size((100, 20)).columns
    print("=" * min(width, 72))
    print(f"Kiosk demo           {kiosk_url}/")
    print(f"Stripe simulator     {api_base}  (test mode; key {DEMO_STRIPE_KEY})")
    print(f"Virtual readers      {api_base}/_sim/readers")
    for shop in SHOPS:
        for (_, label), reader_id in zip(shop.readers, readers[shop.warehouse], strict=True):
            print(f"  {shop.warehouse:<9} {label:<11} {api_base}/_sim/readers/{reader_id}")
    print("Logins")
    for username, password, admin in LOGINS:
        print(f"  {'admin  ' if admin else 'cashier'}  {username} / {password}")
    print(f"Data                 {path}")
    print("Open the kiosk and a virtual reader side by side; press Ctrl+C to stop.")
    print("=" * min(width, 72), flush=True)
