"""Terminal locations: https://docs.stripe.com/api/terminal/locations."""

from __future__ import annotations

from typing import Any

from kiosk.simulator.api import Call, endpoint
from kiosk.simulator.core import new_id
from kiosk.simulator.errors import invalid, parameter_missing
from kiosk.simulator.listing import paginate
from kiosk.simulator.objects import deleted, get, merge_metadata, refuse_unsupported, snapshot

JSON = dict[str, Any]
KIND = "terminal.location"
PARAMS = frozenset({"address", "display_name", "metadata", "phone", "configuration_overrides"})
_OPTIONAL = ("configuration_overrides", "phone")
_ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")


def _location(call: Call) -> JSON:
    return get(call.sim, KIND, call.path["location"], param="location")


def _check_override(call: Call) -> None:
    """``configuration_overrides`` names an existing Terminal Configuration (``""`` unsets it)."""
    override = call.params.get("configuration_overrides")
    if override:
        get(call.sim, "terminal.configuration", override, param="configuration_overrides")


def _apply(location: JSON, params: JSON) -> None:
    if "address" in params:
        location["address"] = {key: params["address"].get(key, location["address"].get(key)) for key in _ADDRESS_KEYS}
    if "display_name" in params:
        location["display_name"] = params["display_name"] or None
    for name in _OPTIONAL:
        # Stripe leaves these out of the location while they are unset, rather than showing null.
        if params.get(name):
            location[name] = params[name]
        elif name in params:
            location.pop(name, None)
    if "metadata" in params:
        location["metadata"] = merge_metadata(location["metadata"], params["metadata"])


@endpoint("post", "/v1/terminal/locations")
def create_location(call: Call) -> JSON:
    refuse_unsupported(call.params, PARAMS, "Terminal locations")
    for required in ("display_name", "address"):
        if not call.params.get(required):
            raise parameter_missing(required)
    _check_override(call)
    location: JSON = {
        "id": new_id("tml"),
        "object": KIND,
        "address": dict.fromkeys(_ADDRESS_KEYS),
        "display_name": None,
        "livemode": False,
        "metadata": {},
    }
    _apply(location, call.params)
    call.sim.table(KIND)[location["id"]] = location
    return snapshot(location)


@endpoint("get", "/v1/terminal/locations/{location}")
def retrieve_location(call: Call) -> JSON:
    return snapshot(_location(call))


@endpoint("post", "/v1/terminal/locations/{location}")
def update_location(call: Call) -> JSON:
    refuse_unsupported(call.params, PARAMS, "Terminal locations")
    location = _location(call)
    country = (call.params.get("address") or {}).get("country")
    if country and country != location["address"]["country"]:
        raise invalid(
            "You can't change the country of a location; create a new location instead.", param="address[country]"
        )
    if call.params.get("display_name") == "":
        raise invalid("A location needs a display_name.", param="display_name")
    _check_override(call)
    _apply(location, call.params)
    return snapshot(location)


@endpoint("get", "/v1/terminal/locations")
def list_locations(call: Call) -> JSON:
    locations = list(call.sim.table(KIND).values())
    return paginate(locations, call.params, "/v1/terminal/locations", kind="terminal.location")


@endpoint("delete", "/v1/terminal/locations/{location}")
def delete_location(call: Call) -> JSON:
    location = _location(call)
    if any(reader.get("location") == location["id"] for reader in call.sim.table("terminal.reader").values()):
        raise invalid(
            "This location still has readers registered to it: delete them or move them to another location first.",
            param="location",
        )
    return deleted(call.sim.table(KIND).pop(location["id"]))
