"""create_app(settings) -> Litestar: plugins, static assets, routers, lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, get
from litestar.datastructures import CacheControlHeader
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from kiosk.config import HTMX_DIST_DIR, STATIC_DIR, TEMPLATES_DIR, Settings
from kiosk.guards import DEPENDENCIES, csrf_config
from kiosk.payment_app import PAYMENT_ROUTES, payments_lifespan
from kiosk.routes.auth import AuthController
from kiosk.routes.errors import EXCEPTION_HANDLERS
from kiosk.routes.pos import PosController
from kiosk.templating import register_template_helpers


@get("/healthz", sync_to_thread=False, include_in_schema=False)
def healthz() -> dict[str, str]:
    """Liveness probe; also the framework's floor that the benchmark compares polls against."""
    return {"status": "ok"}


def _engine() -> Any:
    from piccolo_conf import DB

    return DB


@asynccontextmanager
async def _database_pool(app: Litestar) -> AsyncIterator[None]:
    """PostgreSQL gets a connection pool for the server's lifetime; SQLite opens per query."""
    settings: Settings = app.state.settings
    engine = _engine()
    if settings.uses_postgres:
        await engine.start_connection_pool()
    try:
        yield
    finally:
        if settings.uses_postgres:
            await engine.close_connection_pool()


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
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
        route_handlers=[healthz, static, vendor, AuthController, PosController, *PAYMENT_ROUTES],
        template_config=TemplateConfig(
            directory=TEMPLATES_DIR, engine=JinjaTemplateEngine, engine_callback=register_template_helpers
        ),
        plugins=[HTMXPlugin()],
        lifespan=[_database_pool, payments_lifespan],
        dependencies=DEPENDENCIES,
        csrf_config=csrf_config(settings),
        exception_handlers=EXCEPTION_HANDLERS,
    )
    app.state.settings = settings
    return app
