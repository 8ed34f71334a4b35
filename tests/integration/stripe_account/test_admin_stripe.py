"""/admin/stripe against the simulator: keys verified and stored encrypted (never in the database
file in plain text, never rendered back, never logged), Verify's outcomes, and the TEST MODE banner."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from kiosk.audit.tables import AuditEntry
from kiosk.db.tables import Setting
from kiosk.simulator.handlers.restricted_keys import restrict_key
from tests.admin_support import Client, snapshot
from tests.kiosk_support import log_in
from tests.setup_support import KEY, PUBLISHABLE, save_keys, setup_app, stored_bytes, submit_keys
from tests.simulator_support import RunningSimulator

WEBHOOK_SECRET = "whsec_kioskTypedByHand0001"
BANNER = 'data-testid="test-mode-banner"'


@pytest.fixture
def app(db: str, simulator: RunningSimulator) -> Litestar:
    return setup_app(simulator)


async def test_saved_keys_are_encrypted_at_rest_and_only_shown_masked(
    admin_client: Client, db: str, simulator: RunningSimulator
) -> None:
    response = await submit_keys(
        admin_client, secret_key=KEY, publishable_key=PUBLISHABLE, webhook_secret=WEBHOOK_SECRET
    )
    assert response.status_code == 303
    page = (await admin_client.get(response.headers["location"])).text
    assert "Keys verified with Stripe and saved" in page
    assert 'data-testid="secret-masked">\n      sk_test_••••iosk' in page
    assert "whsec_••••0001" in page and simulator.sim.account_id in page
    assert KEY not in page and WEBHOOK_SECRET not in page
    stored = await stored_bytes(db)
    assert PUBLISHABLE.encode() in stored  # not a secret: proves the file was really read
    assert KEY.encode() not in stored and WEBHOOK_SECRET.encode() not in stored
    rows = await Setting.select(Setting.value, Setting.encrypted).where(Setting.name == "stripe.secret_key")
    assert rows[0]["encrypted"] and rows[0]["value"].startswith("v1.")


async def test_card_payments_start_with_the_saved_key(app: Litestar, admin_client: Client) -> None:
    assert app.state.payments is None  # no key anywhere yet
    await save_keys(admin_client)
    engine = app.state.payments
    assert engine is not None
    assert await engine.gateway.list_readers("tml_none") == []  # the key works against the simulator


async def test_verify_names_the_account_and_mode_and_saves_nothing(
    admin_client: Client, simulator: RunningSimulator
) -> None:
    before = await snapshot()
    response = await submit_keys(admin_client, "/admin/stripe/verify", secret_key=KEY)
    assert response.status_code == 200
    assert 'data-testid="verify-result" data-ok="true"' in response.text
    assert "Stripe accepted the secret key" in response.text
    assert f"Kiosk Simulator ({simulator.sim.account_id})" in response.text and "test mode" in response.text
    assert await snapshot() == before


async def test_a_publishable_key_in_the_secret_field_is_named_as_such(admin_client: Client) -> None:
    before = await snapshot()
    response = await submit_keys(admin_client, secret_key=PUBLISHABLE)
    assert response.status_code == 400
    assert 'data-testid="error-secret_key">This is a publishable key (pk_…)' in response.text
    assert await snapshot() == before


async def test_a_live_key_beside_a_test_key_is_refused(admin_client: Client) -> None:
    before = await snapshot()
    response = await submit_keys(admin_client, secret_key=KEY, publishable_key="pk_live_kioskPublishable01")
    assert response.status_code == 400
    assert "This is a live mode key but the secret key is a test mode key" in response.text
    assert 'value="pk_live_kioskPublishable01"' in response.text  # what was typed stays in the field
    assert await snapshot() == before


async def test_a_revoked_key_is_reported_and_not_saved(admin_client: Client, simulator: RunningSimulator) -> None:
    simulator.sim.api_keys = frozenset({KEY})  # every other key is revoked
    before = await snapshot()
    revoked = "sk_test_kioskRevokedKey0001"
    for url in ("/admin/stripe/verify", "/admin/stripe"):
        response = await submit_keys(admin_client, url, secret_key=revoked)
        assert response.status_code == 400
        assert 'data-testid="error-secret_key">Stripe refused the key (revoked, rolled or mistyped)' in response.text
        assert revoked not in response.text
    assert await snapshot() == before


async def test_a_restricted_key_missing_a_permission_says_which(
    admin_client: Client, simulator: RunningSimulator
) -> None:
    limited = "rk_test_kioskLimitedKey001"
    restrict_key(simulator.sim, limited, {"payment_intent": "write", "terminal_location": "read"})
    before = await snapshot()
    response = await submit_keys(admin_client, secret_key=limited)
    assert response.status_code == 400
    assert "This restricted key lacks permissions the kiosk needs: Terminal readers: Write" in response.text
    assert "PaymentIntents: Write" not in response.text
    assert await snapshot() == before


async def test_a_restricted_key_with_the_needed_permissions_is_accepted(
    admin_client: Client, simulator: RunningSimulator
) -> None:
    key = "rk_test_kioskGoodRestrict1"
    needed = {"payment_intent": "write", "terminal_reader": "write", "terminal_location": "read"}
    restrict_key(simulator.sim, key, needed)
    response = await submit_keys(admin_client, "/admin/stripe/verify", secret_key=key)
    assert response.status_code == 200
    assert "Stripe accepted the restricted key" in response.text
    assert "Account not readable with this key" in response.text
    assert "Webhook endpoints: Write (register the webhook endpoint on these pages)" in response.text
    await save_keys(admin_client, key)


async def test_an_unreachable_stripe_saves_nothing(app: Litestar, admin_client: Client) -> None:
    runtime = app.state.stripe_runtime
    runtime.base = replace(runtime.base, stripe_api_base="http://127.0.0.1:9")  # nothing listens there
    before = await snapshot()
    response = await submit_keys(admin_client, secret_key=KEY)
    assert response.status_code == 400
    assert "Stripe could not be reached" in response.text
    assert await snapshot() == before


async def test_keys_never_reach_the_logs_or_the_audit_log(
    admin_client: Client, simulator: RunningSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    simulator.sim.api_keys = frozenset({KEY})
    caplog.set_level(logging.DEBUG)
    await submit_keys(admin_client, secret_key=KEY, webhook_secret=WEBHOOK_SECRET)
    await submit_keys(admin_client, "/admin/stripe/verify", secret_key=KEY)
    await submit_keys(admin_client, secret_key="sk_test_kioskRevokedKey0001x")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert KEY not in logged and WEBHOOK_SECRET not in logged
    entries = await AuditEntry.select().where(AuditEntry.action == "stripe.keys.update").output(load_json=True)
    assert len(entries) == 1 and entries[0]["actor_name"] == "boss"
    detail = entries[0]["detail"]
    assert detail["secret_key"] == "sk_test_••••iosk" and detail["webhook_secret"] == "whsec_••••0001"
    assert KEY not in repr(entries) and WEBHOOK_SECRET not in repr(entries)


async def test_test_mode_banner_on_every_page_while_keys_are_test_keys(app: Litestar, admin_client: Client) -> None:
    async with AsyncTestClient(app=app) as visitor:
        visitor.follow_redirects = False
        assert BANNER not in (await visitor.get("/login")).text
        await save_keys(admin_client)
        assert BANNER in (await visitor.get("/login")).text
        assert BANNER in (await admin_client.get("/admin/stripe")).text
        assert BANNER in (await admin_client.get("/warehouses")).text
        assert (await log_in(visitor, "boss")).status_code == 303
        assert BANNER in (await visitor.get("/receipts", follow_redirects=True)).text


async def test_live_keys_show_no_banner(db: str, simulator: RunningSimulator) -> None:
    live = setup_app(simulator, stripe_secret_key="sk_live_kioskLiveKey00001")
    async with AsyncTestClient(app=live) as visitor:
        assert live.state.stripe_mode == "live"
        assert BANNER not in (await visitor.get("/login")).text


async def test_environment_keys_are_the_fallback_until_keys_are_saved(db: str, simulator: RunningSimulator) -> None:
    env_app = setup_app(simulator, stripe_secret_key="sk_test_kioskFromEnvironment")
    simulator.sim.api_keys = frozenset({KEY})  # the environment's key was revoked meanwhile
    async with AsyncTestClient(app=env_app) as browser:
        browser.follow_redirects = False
        from tests.kiosk_support import make_user

        await make_user("boss", admin=True, warehouses=())
        assert (await log_in(browser, "boss")).status_code == 303
        page = (await browser.get("/admin/stripe")).text
        assert "sk_test_••••ment" in page and "(from KIOSK_STRIPE_SECRET_KEY)" in page
        assert BANNER in page
        engine, old_gateway = env_app.state.payments, env_app.state.payments.gateway
        await save_keys(browser)
        # The same engine (its reconciler never interrupted) now calls Stripe with the saved key.
        assert env_app.state.payments is engine and engine.gateway is not old_gateway
        assert await engine.gateway.list_readers("tml_none") == []
        assert "(from KIOSK_STRIPE_SECRET_KEY)" not in (await browser.get("/admin/stripe")).text
