"""Requests refused before their route runs, because what they carry could never be valid: an id in
the path beyond 64 bits (no table has one: 404, as for any id that does not exist), and a CSRF
token with characters no token has (403, as for a wrong token; Litestar's own check would fail on
them with a 500). Each refusal is one line in the log, never a traceback.

Mounted as app-level middleware: it runs after routing (the path parameters are known) and outside
Litestar's CSRF check, inside its exception handling (the refusals get the kiosk's own pages).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import Request
from litestar.config.csrf import CSRFConfig
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.types import ASGIApp, HTTPScope, Receive, Scope, Send

logger = logging.getLogger(__name__)

# The largest id a BIGINT (and SQLite's INTEGER) holds.
MAX_ID = 2**63 - 1
CSRF_FIELD = "_csrf_token"


def _outsized_id(path_params: dict[str, Any]) -> str | None:
    return next((name for name, value in path_params.items() if isinstance(value, int) and abs(value) > MAX_ID), None)


def _unreadable(token: object) -> bool:
    return isinstance(token, str) and not token.isascii()


class RefuseMalformed:
    """`csrf` is the app's CSRF config: which cookie, header and methods its check reads."""

    def __init__(self, app: ASGIApp, csrf: CSRFConfig) -> None:
        self.app = app
        self.csrf = csrf
        self.exempt = re.compile("|".join(csrf.exclude if isinstance(csrf.exclude, list) else [csrf.exclude or "(?!)"]))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            name = _outsized_id(scope.get("path_params") or {})
            if name:
                logger.info("refused %s %s: %s beyond 64 bits", scope["method"], scope["path"], name)
                raise NotFoundException()
            if self._csrf_checked(scope) and await self._unreadable_csrf(scope, receive):
                logger.info("refused %s %s: a CSRF token with non-ASCII characters", scope["method"], scope["path"])
                raise PermissionDeniedException("CSRF token verification failed")
        await self.app(scope, receive, send)

    def _csrf_checked(self, scope: HTTPScope) -> bool:
        return scope["method"] not in self.csrf.safe_methods and not self.exempt.search(scope["path"])

    async def _unreadable_csrf(self, scope: Scope, receive: Receive) -> bool:
        request: Request[Any, Any, Any] = Request(scope, receive)
        header = request.headers.get(self.csrf.header_name)
        if _unreadable(request.cookies.get(self.csrf.cookie_name)) or _unreadable(header):
            return True
        content_type, _ = request.content_type
        if header or content_type not in (
            RequestEncodingType.URL_ENCODED,
            RequestEncodingType.MULTI_PART,
        ):
            return False
        form = await request.form()  # kept in the scope: the CSRF check and the route read it again
        return _unreadable(form.get(CSRF_FIELD))
