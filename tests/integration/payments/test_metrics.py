"""/metrics for Prometheus: the operator's figures appear and move as tills take payments, and the
endpoint answers the server itself (loopback) or a bearer of KIOSK_METRICS_TOKEN, nobody else."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.payments_support import Kiosk, RunningSimulator, Shop, serve_kiosk, start_card, wait_state, wait_until

HTMX = {"HX-Request": "true"}
PUBLIC = {"X-Forwarded-For": "203.0.113.7"}  # through the trusted proxy on 127.0.0.1: a public client
TOKEN = "metrics-token-for-the-test"
_SAMPLE = re.compile(r"^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$", re.MULTILINE)


def figures(text: str) -> dict[str, float]:
    """`name{labels}` -> value, from Prometheus's text format."""
    return {name + (labels or ""): float(value) for name, labels, value in _SAMPLE.findall(text)}


async def scrape(kiosk: Kiosk, headers: dict[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=kiosk.url, trust_env=False, timeout=30) as client:
        return await client.get("/metrics", headers=headers or {})


async def test_figures_appear_and_move_with_a_card_payment(kiosk: Kiosk) -> None:
    before = await scrape(kiosk)
    assert before.status_code == 200 and before.headers["content-type"].startswith("text/plain")
    was = figures(before.text)
    for name in (
        "kiosk_reconciler_backlog",
        "kiosk_reconciler_oldest_due_seconds",
        'kiosk_payments{state="on_reader"}',
    ):
        assert name in was, name
    receipt = await kiosk.receipt("12.00")
    async with kiosk.cashier() as client:
        payment_id = await start_card(client, receipt, kiosk.readers[0])
        await kiosk.tap(kiosk.readers[0])
        await wait_state(payment_id, "succeeded")

        async def final() -> httpx.Response | None:
            answer = await client.get(f"/payments/{payment_id}/progress", headers=HTMX)
            return answer if answer.status_code == 286 else None

        await wait_until(final, what="the final progress fragment")
    now = figures((await scrape(kiosk)).text)

    def moved(name: str) -> float:
        return now.get(name, 0.0) - was.get(name, 0.0)

    assert moved('kiosk_payments{state="succeeded"}') == 1
    assert now['kiosk_payments{state="on_reader"}'] == 0
    # create + process_payment_intent at least, each answered 200
    assert moved('kiosk_stripe_calls_total{method="POST",status="200"}') >= 2
    assert moved('kiosk_webhooks_total{outcome="recorded"}') >= 1
    assert moved("kiosk_webhook_lag_seconds_count") == moved('kiosk_webhooks_total{outcome="recorded"}')
    assert moved('kiosk_progress_polls_total{answer="rendered"}') >= 1
    assert "kiosk_stripe_rate_limited_total" in now


async def test_only_the_server_itself_reads_metrics_without_a_token(kiosk: Kiosk) -> None:
    assert (await scrape(kiosk)).status_code == 200
    refused = await scrape(kiosk, PUBLIC)
    assert refused.status_code == 401 and "kiosk_payments" not in refused.text
    # No token is set: a bearer of anything is still refused.
    assert (await scrape(kiosk, {**PUBLIC, "Authorization": "Bearer anything"})).status_code == 401


@pytest.fixture
async def kiosk_with_token(shop: Shop, simulator: RunningSimulator) -> AsyncIterator[Kiosk]:
    async for running in serve_kiosk(simulator, shop, metrics_token=TOKEN):
        yield running


async def test_a_bearer_of_the_metrics_token_reads_them_from_elsewhere(kiosk_with_token: Kiosk) -> None:
    kiosk = kiosk_with_token
    allowed = await scrape(kiosk, {**PUBLIC, "Authorization": f"Bearer {TOKEN}"})
    assert allowed.status_code == 200 and "kiosk_payments" in allowed.text
    assert (await scrape(kiosk, {**PUBLIC, "Authorization": "Bearer wrong"})).status_code == 401
    assert (await scrape(kiosk, PUBLIC)).status_code == 401
