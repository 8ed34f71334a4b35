"""Litestar's CSRF check (double-submit cookie, kiosk/people/guards.py `csrf_config`), with its most
common case answered without building a Request: a safe method (GET, HEAD…) whose browser already
holds the CSRF cookie. Litestar's own middleware then only hands that cookie to the templates as the
page's token; so does this, from the cookies parsed once for the request (the route reads the same
parse). Everything else — a first visit (the cookie is set), every unsafe method (the token of the
header or form checked against the cookie's), the exempt paths — is Litestar's middleware itself.

Mounted as app middleware (inside RefuseMalformed, which refuses unreadable tokens first) in place
of `Litestar(csrf_config=...)`, which would mount Litestar's class.
"""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.middleware._utils import should_bypass_middleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import Receive, Scope, Send
from litestar.utils.scope.state import ScopeState


class CSRFCheck(CSRFMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        config = self.config
        if (
            scope["type"] == ScopeType.HTTP
            and scope["method"] in config.safe_methods
            and not should_bypass_middleware(
                scope=scope,
                scopes=self.scopes,
                exclude_opt_key=config.exclude_from_csrf_key,
                exclude_path_pattern=self.exclude,
            )
        ):
            cookie = ASGIConnection(scope).cookies.get(config.cookie_name)
            if cookie:
                ScopeState.from_scope(scope).csrf_token = cookie
                await self.app(scope, receive, send)
                return
        await super().__call__(scope, receive, send)
