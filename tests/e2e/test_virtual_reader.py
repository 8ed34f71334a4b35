"""The virtual reader page in Chromium: a person plays the customer on a simulated reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import stripe
from playwright.sync_api import Page, expect

from tests.e2e.pages import WAIT_MS
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.e2e

VISA = "4242424242424242"


def new_reader(client: stripe.StripeClient, label: str) -> str:
    location = client.v1.terminal.locations.create(
        params={
            "display_name": "Shop",
            "address": {"line1": "1 Main St", "city": "Springfield", "country": "US", "postal_code": "12345"},
        }
    )
    reader = client.v1.terminal.readers.create(
        params={"registration_code": "simulated-wpe", "location": location.id, "label": label}
    )
    return reader.id


def start_payment(client: stripe.StripeClient, reader_id: str, amount: int, cancellable: bool = False) -> str:
    intent = client.v1.payment_intents.create(
        params={"amount": amount, "currency": "usd", "allowed_payment_method_types": ["card_present"]}
    )
    client.v1.terminal.readers.process_payment_intent(
        reader_id,
        params={"payment_intent": intent.id, "process_config": {"enable_customer_cancellation": cancellable}},
    )
    return intent.id


def test_tapping_visa_approves_the_payment_and_the_webhook_arrives(
    simulator: Any, page: Page, receiver: Receiver, artifacts: Path
) -> None:
    """A payment sent through the SDK shows on the device; tapping Visa approves it; Stripe tells the kiosk."""
    client = simulator.client()
    secret = client.v1.webhook_endpoints.create(params={"url": receiver.url, "enabled_events": ["*"]}).secret
    reader_id = new_reader(client, "Till 1")

    page.goto(f"{simulator.url}/_sim/readers")
    page.get_by_test_id(f"reader-link-{reader_id}").click()
    expect(page.get_by_test_id("reader-label")).to_have_text("Till 1")
    expect(page.get_by_test_id("reader-screen")).to_have_attribute("data-state", "idle")

    intent_id = start_payment(client, reader_id, 4200)
    expect(page.get_by_test_id("screen-amount")).to_have_text("$42.00")
    expect(page.get_by_test_id("screen-headline")).to_have_text("Tap, insert or swipe")

    page.get_by_test_id(f"card-{VISA}").click()
    expect(page.get_by_test_id("screen-headline")).to_have_text("Approved")
    expect(page.get_by_test_id("reader-screen")).to_contain_text("4242")
    page.screenshot(path=str(artifacts / "virtual-reader-approved.png"), full_page=True)

    event = receiver.wait_for_type(secret, "terminal.reader.action_succeeded")
    assert event.data.object["id"] == reader_id
    assert event.data.object["action"]["status"] == "succeeded"
    assert event.data.object["action"]["process_payment_intent"]["payment_intent"] == intent_id
    assert client.v1.payment_intents.retrieve(intent_id).status == "succeeded"


def test_refusals_cancel_and_unplug_on_a_phone(simulator: Any, page: Page, artifacts: Path) -> None:
    """Tapping with nothing to pay says why; the customer can cancel; unplugged, the reader is dark but
    Stripe shows it online; Go offline now shows Offline everywhere."""
    client = simulator.client()
    reader_id = new_reader(client, "Till 2")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(f"{simulator.url}/_sim/readers/{reader_id}")

    page.get_by_test_id(f"card-{VISA}").click()
    expect(page.get_by_test_id("notice-error")).to_contain_text("no in-progress action")
    expect(page.get_by_test_id("reader-screen")).to_have_attribute("data-state", "idle")

    start_payment(client, reader_id, 1999, cancellable=True)
    expect(page.get_by_test_id("screen-amount")).to_have_text("$19.99")
    page.get_by_test_id("customer-cancel").click()
    expect(page.get_by_test_id("screen-headline")).to_have_text("Canceled")
    assert client.v1.terminal.readers.retrieve(reader_id).action.failure_code == "customer_canceled"

    page.get_by_test_id("unplug").click()
    expect(page.get_by_test_id("screen-headline")).to_have_text("Unplugged")
    expect(page.get_by_test_id("notice-ok")).to_contain_text("Stripe still shows it online for 2 minutes")
    assert client.v1.terminal.readers.retrieve(reader_id).status == "online"  # no signal for 2 minutes first
    page.screenshot(path=str(artifacts / "virtual-reader-unplugged-phone.png"), full_page=True)
    page.get_by_test_id("replug").click()
    expect(page.get_by_test_id("reader-screen")).not_to_have_attribute("data-state", "unplugged")
    page.get_by_test_id("go-offline").click()
    expect(page.get_by_test_id("screen-headline")).to_have_text("Offline")
    assert client.v1.terminal.readers.retrieve(reader_id).status == "offline"
    page.screenshot(path=str(artifacts / "virtual-reader-offline-phone.png"), full_page=True)

    page.get_by_test_id("replug").click()
    expect(page.get_by_test_id("reader-screen")).not_to_have_attribute("data-state", "offline")
    assert client.v1.terminal.readers.retrieve(reader_id).status == "online"


def test_auto_tap_approves_without_a_click(simulator: Any, page: Page) -> None:
    """With auto-tap on, a payment sent to the reader is approved by itself (unattended demos)."""
    client = simulator.client()
    reader_id = new_reader(client, "Till 3")
    page.goto(f"{simulator.url}/_sim/readers/{reader_id}")
    page.get_by_test_id("auto-tap").select_option("1")
    expect(page.get_by_test_id("notice-ok")).to_contain_text("1 s")

    intent_id = start_payment(client, reader_id, 700)
    expect(page.get_by_test_id("screen-headline")).to_have_text("Approved", timeout=WAIT_MS)
    assert client.v1.payment_intents.retrieve(intent_id).status == "succeeded"
    page.reload()
    expect(page.get_by_test_id("auto-tap")).to_have_value("1")


def test_unknown_reader_page_is_not_found(simulator: Any, page: Page) -> None:
    """A mistyped reader id gets a 404, not an empty device."""
    response = page.goto(f"{simulator.url}/_sim/readers/tmr_missing")
    assert response is not None and response.status == 404
