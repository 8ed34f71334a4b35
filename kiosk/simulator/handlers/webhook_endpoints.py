"""Webhook endpoints: https://docs.stripe.com/api/webhook_endpoints.

The ``whsec_`` signing secret is shown once, in the create response; it is kept in a table of its
own (``webhooks.SECRETS_KIND``) so every other rendering of the endpoint leaves it out.
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlsplit

from kiosk.simulator import versions
from kiosk.simulator.api import Call, endpoint
from kiosk.simulator.core import new_id
from kiosk.simulator.errors import invalid, resource_missing
from kiosk.simulator.listing import paginate
from kiosk.simulator.webhooks import SECRETS_KIND

JSON = dict[str, Any]
KIND = "webhook_endpoint"


def _checked_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid(f"Invalid URL: {url}", code="url_invalid", param="url")
    return url


def _metadata(current: JSON, update: Any) -> JSON:
    """Stripe's metadata update: keys merge, an empty value removes a key, an empty string clears all."""
    if update in ("", None):
        return {} if update == "" else current
    merged = dict(current)
    for key, value in update.items():
        if value in ("", None):
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    return merged


def _find(call: Call) -> JSON:
    endpoint_id = call.path["webhook_endpoint"]
    found = call.sim.table(KIND).get(endpoint_id)
    if found is None:
        raise resource_missing("webhook endpoint", endpoint_id, param="webhook_endpoint")
    return found


@endpoint("post", "/v1/webhook_endpoints")
def create(call: Call) -> JSON:
    params = call.params
    for required in ("url", "enabled_events"):
        if not params.get(required):
            raise invalid(f"Missing required param: {required}.", code="parameter_missing", param=required)
    if params.get("api_version") is not None:
        # Its events are rendered in this version (``versions``); without one, in the account's default.
        versions.check(params["api_version"], param="api_version")
    obj: JSON = {
        "id": new_id("we"),
        "object": KIND,
        "api_version": params.get("api_version"),
        "application": None,
        "created": call.sim.now(),
        "description": params.get("description") or None,
        "enabled_events": list(params["enabled_events"]),
        "livemode": False,
        "metadata": _metadata({}, params.get("metadata")),
        "status": "enabled",
        "url": _checked_url(params["url"]),
    }
    secret = new_id("whsec", 32)
    call.sim.table(KIND)[obj["id"]] = obj
    call.sim.table(SECRETS_KIND)[obj["id"]] = {"id": obj["id"], "secret": secret}
    return {**copy.deepcopy(obj), "secret": secret}


@endpoint("get", "/v1/webhook_endpoints/{webhook_endpoint}")
def retrieve(call: Call) -> JSON:
    return copy.deepcopy(_find(call))


@endpoint("post", "/v1/webhook_endpoints/{webhook_endpoint}")
def update(call: Call) -> JSON:
    obj, params = _find(call), call.params
    if "url" in params:
        obj["url"] = _checked_url(params["url"])
    if params.get("enabled_events"):
        obj["enabled_events"] = list(params["enabled_events"])
    if "description" in params:
        obj["description"] = params["description"] or None
    if "disabled" in params:
        obj["status"] = "disabled" if params["disabled"] else "enabled"
    if "metadata" in params:
        obj["metadata"] = _metadata(obj["metadata"], params["metadata"])
    return copy.deepcopy(obj)


@endpoint("delete", "/v1/webhook_endpoints/{webhook_endpoint}")
def delete(call: Call) -> JSON:
    obj = _find(call)
    del call.sim.table(KIND)[obj["id"]]
    call.sim.table(SECRETS_KIND).pop(obj["id"], None)
    return {"id": obj["id"], "object": KIND, "deleted": True}


@endpoint("get", "/v1/webhook_endpoints")
def list_endpoints(call: Call) -> JSON:
    page = paginate(call.sim.table(KIND).values(), call.params, "/v1/webhook_endpoints", kind="webhook endpoint")
    page["data"] = copy.deepcopy(page["data"])
    return page
