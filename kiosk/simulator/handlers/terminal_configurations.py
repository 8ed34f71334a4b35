"""Terminal configurations: https://docs.stripe.com/api/terminal/configuration (tipping is what
the simulated readers use; the other device settings are kept as sent)."""

from __future__ import annotations

from typing import Any

from kiosk.simulator.api import Call, endpoint
from kiosk.simulator.core import new_id
from kiosk.simulator.errors import invalid
from kiosk.simulator.listing import paginate
from kiosk.simulator.objects import deleted, get, snapshot
from kiosk.simulator.tipping import CONFIGURATION, check_tipping

JSON = dict[str, Any]
_SETTINGS = (
    "bbpos_wisepad3",
    "bbpos_wisepos_e",
    "cellular",
    "offline",
    "reader_security",
    "reboot_window",
    "stripe_s700",
    "stripe_s710",
    "stripe_t600",
    "verifone_m425",
    "verifone_m450",
    "verifone_p400",
    "verifone_p630",
    "verifone_ux700",
    "verifone_v660p",
    "wifi",
)


def _apply(configuration: JSON, params: JSON) -> None:
    if "name" in params:
        configuration["name"] = params["name"] or None
    if "tipping" in params:
        configuration["tipping"] = check_tipping(params["tipping"])
    for name in _SETTINGS:
        if name in params:
            configuration[name] = params[name] or None


@endpoint("post", "/v1/terminal/configurations")
def create_configuration(call: Call) -> JSON:
    configuration: JSON = {
        "id": new_id("tmc"),
        "object": CONFIGURATION,
        "is_account_default": False,
        "livemode": False,
        "name": None,
        "tipping": None,
        **dict.fromkeys(_SETTINGS),
    }
    _apply(configuration, call.params)
    call.sim.table(CONFIGURATION)[configuration["id"]] = configuration
    return snapshot(configuration)


@endpoint("get", "/v1/terminal/configurations/{configuration}")
def retrieve_configuration(call: Call) -> JSON:
    return snapshot(get(call.sim, CONFIGURATION, call.path["configuration"], param="configuration"))


@endpoint("post", "/v1/terminal/configurations/{configuration}")
def update_configuration(call: Call) -> JSON:
    configuration = get(call.sim, CONFIGURATION, call.path["configuration"], param="configuration")
    _apply(configuration, call.params)
    return snapshot(configuration)


@endpoint("get", "/v1/terminal/configurations")
def list_configurations(call: Call) -> JSON:
    found = list(call.sim.table(CONFIGURATION).values())
    if "is_account_default" in call.params:
        found = [c for c in found if bool(c.get("is_account_default")) == call.params["is_account_default"]]
    return paginate(found, call.params, "/v1/terminal/configurations", kind=CONFIGURATION)


@endpoint("delete", "/v1/terminal/configurations/{configuration}")
def delete_configuration(call: Call) -> JSON:
    configuration = get(call.sim, CONFIGURATION, call.path["configuration"], param="configuration")
    if configuration.get("is_account_default"):
        raise invalid("The account's default configuration cannot be deleted.", param="configuration")
    for location in call.sim.table("terminal.location").values():
        if location.get("configuration_overrides") == configuration["id"]:
            location.pop("configuration_overrides", None)
    return deleted(call.sim.table(CONFIGURATION).pop(configuration["id"]))
