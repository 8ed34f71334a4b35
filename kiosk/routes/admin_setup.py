"""The admin sections that set up card payments: Stripe keys, locations, readers, currencies."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from kiosk.routes.admin_currencies import CurrenciesController
from kiosk.routes.admin_locations import LocationsController
from kiosk.routes.admin_readers import ReadersController
from kiosk.routes.admin_stripe import StripeSettingsController

SETUP_ROUTES: list[ControllerRouterHandler] = [
    StripeSettingsController,
    LocationsController,
    ReadersController,
    CurrenciesController,
]
