"""create_app(settings) -> Litestar: plugins, static assets, routers, lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, get
from litestar.config.compression import CompressionConfig
from litestar.datastructures import CacheControlHeader
from litestar.middleware import DefineMiddleware
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from kiosk.config import HTMX_DIST_DIR, STATIC_DIR, TEMPLATES_DIR, Settings
from kiosk.customers.controllers.till import ReceiptCustomerController
from kiosk.db.engine import start_pool, stop_pool
from kiosk.db.secret_box import check_secret_key
from kiosk.payments.controllers.admin import PaymentsAdminController
from kiosk.payments.controllers.progress import RECEIPT_PAGE, PaymentsController
from kiosk.payments.controllers.reader_tasks import ReaderTasksController
from kiosk.payments.controllers.saved_card import SavedCardController
from kiosk.payments.controllers.webhook import stripe_webhook
from kiosk.payments.poll_fast_path import PollFastPath
from kiosk.payments.runtime import stripe_lifespan
from kiosk.payments.webhook_fast_path import WebhookFastPath
from kiosk.people.controllers.login import AuthController
from kiosk.people.guards import DEPENDENCIES, csrf_config
from kiosk.reports.controllers.till import TillReportsController
from kiosk.till.controllers.customers import TillCustomersController
from kiosk.till.controllers.returns import ReturnsController
from kiosk.till.controllers.ringing import RingingController
from kiosk.till.controllers.till import PosController, draw_receipt_page
from kiosk.web.admin import ADMIN_EXCEPTION_HANDLERS, ADMIN_ROUTES, SETUP_ROUTES
from kiosk.web.bad_input import RefuseMalformed
from kiosk.web.compression import GzipMiddleware
from kiosk.web.csrf import CSRFCheck
from kiosk.web.errors import EXCEPTION_HANDLERS
from kiosk.web.metrics import MetricsController
from kiosk.web.outage import OUTAGE_HANDLERS, outage_over
from kiosk.web.reading_locale import before_each_request
from kiosk.web.security_headers import security_headers
from kiosk.web.templating import KioskTemplateEngine, register_template_helpers


@get("/healthz", sync_to_thread=False, include_in_schema=False)
def healthz() -> dict[str, str]:
    """Liveness probe; also the framework's floor that the benchmark compares polls against."""
    return {"status": "ok"}


# Pages, fragments and static files go out gzipped (htmx alone is 51 KB raw, 16 KB gzipped). From
# about 250 bytes of HTML gzip saves more than its container and headers cost (~60 bytes): the
# progress fragment's final answer is 461 bytes raw, 244 gzipped plus 41 bytes of headers. The level by
# kind of answer (pages and fragments 1, static files 9 once, streams 6): kiosk/web/compression.py.
COMPRESSION = CompressionConfig(
    backend="gzip",
    gzip_compress_level=6,
    minimum_size=256,
    middleware_class=GzipMiddleware,  # type: ignore[arg-type]
)


def _engine() -> Any:
    from piccolo_conf import DB

    return DB


@asynccontextmanager
async def _database_pool(app: Litestar) -> AsyncIterator[None]:
    """PostgreSQL gets a connection pool for the server's lifetime; SQLite keeps its write connections."""
    settings: Settings = app.state.settings
    engine = _engine()
    if settings.uses_postgres:
        await start_pool(engine)
    else:  # SQLite: write connections kept open while serving (kiosk/db/sqlite_writes.py)
        engine.keep_writers = True
    try:
        yield
    finally:
        if settings.uses_postgres:
            await stop_pool(engine)
        else:
            await engine.close_writers()


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    check_secret_key(settings)  # stored Stripe keys are encrypted with it: no key, no start (outside the demo)
    static = create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        cache_control=CacheControlHeader(max_age=3600),
        name="static",
    )
    vendor = create_static_files_router(
        path="/static/vendor/htmx",
        directories=[HTMX_DIST_DIR],
        cache_control=CacheControlHeader(max_age=86400),
        name="vendor",
    )
    app = Litestar(
        route_handlers=[
            healthz,
            static,
            vendor,
            AuthController,
            PosController,
            ReturnsController,
            TillReportsController,
            RingingController,
            PaymentsController,
            ReceiptCustomerController,
            SavedCardController,
            ReaderTasksController,
            TillCustomersController,
            stripe_webhook,
            *ADMIN_ROUTES,
            PaymentsAdminController,
            *SETUP_ROUTES,
            outage_over,
            MetricsController,  # /metrics for Prometheus: loopback or KIOSK_METRICS_TOKEN
        ],
        template_config=TemplateConfig(
            directory=TEMPLATES_DIR, engine=KioskTemplateEngine, engine_callback=register_template_helpers
        ),
        plugins=[HTMXPlugin()],
        # stripe_lifespan runs the payments engine with the stored Stripe keys (and restarts it on change).
        lifespan=[_database_pool, stripe_lifespan],
        dependencies=DEPENDENCIES,
        # /admin/** is admins-only, whatever the handler declares; amounts in the warehouse's locale
        # (one hook, not guards: kiosk/web/reading_locale.py)
        before_request=before_each_request,
        before_send=[security_headers(settings)],
        openapi_config=None,  # no public API schema pages: the kiosk has no API for others to read
        # Litestar's CSRF check, its GETs without a Request (kiosk/web/csrf.py), inside RefuseMalformed.
        middleware=[
            DefineMiddleware(RefuseMalformed, csrf=csrf_config(settings)),
            DefineMiddleware(CSRFCheck, config=csrf_config(settings)),
        ],
        compression_config=COMPRESSION,
        # The database briefly away: webhooks 503 (Stripe retries), the till a plain notice (kiosk/web/outage.py).
        exception_handlers={**EXCEPTION_HANDLERS, **ADMIN_EXCEPTION_HANDLERS, **OUTAGE_HANDLERS},
    )
    app.state.settings = settings
    # The card's start and the poll that closes a receipt answer with the receipt's page, which the
    # till room draws (kiosk/payments/controllers/progress.py `receipt_page_answer`).
    app.state[RECEIPT_PAGE] = draw_receipt_page
    # The progress poll's unchanged answer, before routing and middleware (kiosk/payments/poll_fast_path.py).
    app.asgi_handler = PollFastPath(app.asgi_handler, csrf_cookie=csrf_config(settings).cookie_name)
    # Stripe's events, recorded before routing and middleware (kiosk/payments/webhook_fast_path.py).
    app.asgi_handler = WebhookFastPath(app.asgi_handler)
    return app
