"""The admin sections that set up card payments: Stripe keys, locations, readers, currencies."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from kiosk.money.controllers import CurrenciesController
from kiosk.readers.controllers.locations import LocationsController
from kiosk.readers.controllers.readers import ReadersController
from kiosk.stripe_account.controllers import StripeSettingsController

SETUP_ROUTES: list[ControllerRouterHandler] = [
    StripeSettingsController,
    LocationsController,
    ReadersController,
    CurrenciesController,
]
