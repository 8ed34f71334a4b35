"""App-wide error answers: friendly pages for people, never a stack trace; redirects to the login
page or the warehouse picker when a till route needs them."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_401_UNAUTHORIZED, HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap

from kiosk.people.guards import LoginRequired, WarehouseRequired, expired_session_cookie, is_htmx

logger = logging.getLogger("kiosk.errors")

MESSAGES = {
    400: ("That did not work", "The request could not be understood. Go back and try again."),
    403: (
        "Not allowed",
        "This form has expired or is not allowed for you. Go back, reload the page and try again.",
    ),
    404: ("Not found", "We could not find that page. It may belong to another warehouse, or never existed."),
    405: ("Not allowed", "That action is not available here."),
    500: ("Something went wrong", "The kiosk hit an unexpected problem. Nothing you did caused it; try again."),
}


def _error_page(request: Request[Any, Any, Any], status: int) -> Response[Any]:
    title, message = MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400])
    if request.url.path.startswith("/webhooks/"):
        # Stripe reads the status code; it gets no HTML.
        return Response({"error": title}, status_code=status)
    return Template("pages/error.html", context={"title": title, "message": message}, status_code=status)


def _go_to(request: Request[Any, Any, Any], path: str) -> Response[Any]:
    if is_htmx(request):
        # htmx follows HX-Redirect with a full page load; a 3xx would be followed inside the fragment.
        return Response("", status_code=HTTP_401_UNAUTHORIZED, headers={"HX-Redirect": path})
    return Redirect(path, status_code=303)


def login_required(request: Request[Any, Any, Any], _: LoginRequired) -> Response[Any]:
    response = _go_to(request, "/login")
    response.set_cookie(expired_session_cookie(request))
    return response


def warehouse_required(request: Request[Any, Any, Any], _: WarehouseRequired) -> Response[Any]:
    return _go_to(request, "/warehouses")


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    return _error_page(request, exc.status_code)


def unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _error_page(request, HTTP_500_INTERNAL_SERVER_ERROR)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    LoginRequired: login_required,
    WarehouseRequired: warehouse_required,
    HTTPException: http_error,
    Exception: unexpected_error,
}
