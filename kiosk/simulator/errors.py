"""Stripe's error bodies and status codes, as the simulator raises them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DOC_BASE = "https://docs.stripe.com/error-codes"


@dataclass
class StripeError(Exception):
    """An error the simulator answers with Stripe's JSON body: {"error": {...}}."""

    status: int
    message: str
    type: str = "invalid_request_error"
    code: str | None = None
    param: str | None = None
    decline_code: str | None = None
    extra: dict[str, Any] | None = None

    def body(self, request_log_url: str | None = None) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"{DOC_BASE}#{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        if self.decline_code:
            error["decline_code"] = self.decline_code
        if request_log_url:
            error["request_log_url"] = request_log_url
        if self.extra:
            error.update(self.extra)
        return {"error": error}


def invalid(message: str, code: str | None = None, param: str | None = None, status: int = 400) -> StripeError:
    return StripeError(status=status, message=message, code=code, param=param)


def resource_missing(kind: str, object_id: str, param: str = "id") -> StripeError:
    return StripeError(
        status=404,
        message=f"No such {kind}: '{object_id}'",
        code="resource_missing",
        param=param,
    )


def parameter_unknown(param: str) -> StripeError:
    return invalid(f"Received unknown parameter: {param}", code="parameter_unknown", param=param)


def parameter_missing(param: str) -> StripeError:
    return invalid(f"Missing required param: {param}.", code="parameter_missing", param=param)


def authentication(message: str) -> StripeError:
    return StripeError(status=401, message=message, type="invalid_request_error")
