"""The customer at the reader: taps a test card through Stripe's test helper, as the tests do.

The simulated reader approves or declines while answering the test helper (no authorization delay
is set), so the moment its answer arrives is when the simulator decided: tap-to-screen counts from it.
"""

from __future__ import annotations

import asyncio
import time

import httpx

from kiosk.bench.metrics import Recorder
from kiosk.bench.wire import Wire, WireError

VISA = "4242424242424242"
INSUFFICIENT_FUNDS = "4000000000009995"
TEST_HELPER = "/v1/test_helpers/terminal/readers/{reader}/present_payment_method"
ATTEMPTS = 3
CONNECTIONS = 64


class Customer:
    """Every tablet's customers share one client to the simulator (they are not what is measured)."""

    def __init__(self, sim_url: str, api_key: str, recorder: Recorder) -> None:
        self.recorder = recorder
        self.client = httpx.AsyncClient(
            base_url=sim_url,
            trust_env=False,
            timeout=30.0,
            headers={"Authorization": f"Bearer {api_key}"},
        )
        # httpx builds the request, the bench's own wire sends it (a fifth of httpx's CPU).
        self.wire = Wire(self.client, CONNECTIONS)

    async def aclose(self) -> None:
        await self.wire.aclose()
        await self.client.aclose()

    async def tap(self, reader_id: str, card: str, after: float) -> float | None:
        """Wait `after` seconds, tap `card`; the monotonic time the reader decided, None if it never could."""
        await asyncio.sleep(after)
        form = {"type": "card_present", "card_present[number]": card}
        for attempt in range(ATTEMPTS):
            try:
                answer = await self.wire.post(TEST_HELPER.format(reader=reader_id), form, {})
            except WireError as exc:
                problem = str(exc)
            else:
                if answer.status == 200:
                    return time.monotonic()
                problem = f"HTTP {answer.status}"
            if attempt + 1 < ATTEMPTS:
                await asyncio.sleep(0.3)
        self.recorder.error(f"the customer could not tap ({problem})")
        return None
