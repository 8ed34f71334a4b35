"""The reconciler's Stripe budget: a steady pace of calls, and a pause after Stripe says 429.

Cashiers' own actions go straight to Stripe; the background reconciler, which may find hundreds of
payments to check after an outage, shares one budget per server so it never spends the account's
rate limit that the tills need. The gateway it uses is the app's gateway behind `BudgetedGateway`.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any, cast

from kiosk.stripe_account.errors import RateLimited
from kiosk.stripe_account.gateway import StripeGateway


class StripeBudget:
    """A token bucket (`per_second`, bursts of one second's worth) with a pause after a 429."""

    def __init__(self, per_second: float, pause: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_second = max(per_second, 0.1)
        self.pause = pause
        self._clock = clock
        self._tokens = self.per_second
        self._stamp = clock()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self.spent = 0  # calls let through, for tests and logs

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.per_second, self._tokens + (now - self._stamp) * self.per_second)
        self._stamp = now

    async def take(self) -> None:
        """Wait until one call may go to Stripe."""
        async with self._lock:  # callers queue in order
            while True:
                self._refill()
                wait = max(self._paused_until - self._clock(), 0.0)
                if wait == 0.0 and self._tokens >= 1.0:
                    self._tokens -= 1.0
                    self.spent += 1
                    return
                await asyncio.sleep(max(wait, (1.0 - self._tokens) / self.per_second))

    def rate_limited(self) -> None:
        """Stripe answered 429: nobody on this budget calls it for `pause` seconds."""
        self._paused_until = self._clock() + self.pause
        self._tokens = 0.0


class BudgetedGateway:
    """The gateway's calls, each taken from the budget first (everything else passes through)."""

    def __init__(self, gateway: StripeGateway, budget: StripeBudget) -> None:
        self._gateway = gateway
        self.budget = budget

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._gateway, name)
        if not inspect.iscoroutinefunction(attr):
            return attr

        async def call(*args: Any, **kwargs: Any) -> Any:
            await self.budget.take()
            try:
                return await attr(*args, **kwargs)
            except RateLimited:
                self.budget.rate_limited()
                raise

        return call


def budgeted(gateway: StripeGateway, budget: StripeBudget) -> StripeGateway:
    """The gateway as the engine sees it: same methods, paced by `budget`."""
    return cast(StripeGateway, BudgetedGateway(gateway, budget))
