"""On-reader tipping: Terminal Configurations' ``tipping`` and the tip screen a payment shows.

A reader offers a tip before it asks for the card when the configuration in force at its location
(the location's ``configuration_overrides``, else the account's default configuration) has
``tipping[<the intent's currency>]``, the action's ``process_config.skip_tipping`` is not true, and
the device can show a tip screen (Stripe: BBPOS WisePOS E, Stripe Reader S700, BBPOS WisePad 3).
The screen offers three suggestions: ``percentages`` of the amount eligible
(``process_config.tipping.amount_eligible``, else the intent's amount), ``fixed_amounts``, or, with
``smart_tip_threshold``, fixed amounts below the threshold and percentages above it; and "No tip".
https://docs.stripe.com/terminal/features/collecting-tips/on-reader
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, get_type_hints

from stripe.params.terminal import ConfigurationCreateParamsTipping

from kiosk.simulator.core import new_id
from kiosk.simulator.errors import invalid

if TYPE_CHECKING:
    from kiosk.simulator.core import Simulator

JSON = dict[str, Any]
CONFIGURATION = "terminal.configuration"
# The currencies a Terminal Configuration can carry tipping for: the pinned SDK's own list.
TIPPING_CURRENCIES = frozenset(get_type_hints(ConfigurationCreateParamsTipping))
# Device types with an on-reader tip screen (real and simulated).
TIPPING_DEVICES = frozenset(
    {
        "bbpos_wisepos_e",
        "simulated_wisepos_e",
        "stripe_s700",
        "simulated_stripe_s700",
        "stripe_s710",
        "bbpos_wisepad3",
    }
)
MAX_SUGGESTIONS = 3
TIP_KEYS = ("fixed_amounts", "percentages", "smart_tip_threshold")


def check_tipping(tipping: JSON | str | None) -> JSON | None:
    """A configuration's ``tipping`` as Stripe keeps it (``""`` unsets it), or Stripe's 400."""
    if not tipping:
        return None
    assert isinstance(tipping, dict)
    shapes = set()
    for currency, config in tipping.items():
        for key in ("fixed_amounts", "percentages"):
            values = config.get(key)
            if values is None:
                continue
            if not 1 <= len(values) <= MAX_SUGGESTIONS:
                raise invalid(
                    f"tipping[{currency}][{key}] takes one to {MAX_SUGGESTIONS} values.",
                    param=f"tipping[{currency}][{key}]",
                )
            if any(v <= 0 for v in values) or (key == "percentages" and any(v > 100 for v in values)):
                bound = "between 1 and 100" if key == "percentages" else "positive"
                raise invalid(
                    f"tipping[{currency}][{key}] values must be {bound}.", param=f"tipping[{currency}][{key}]"
                )
        if config.get("smart_tip_threshold") is not None and not (
            config.get("fixed_amounts") and config.get("percentages")
        ):
            raise invalid(
                "smart_tip_threshold needs both fixed_amounts and percentages.",
                param=f"tipping[{currency}][smart_tip_threshold]",
            )
        shapes.add(tuple(sorted(k for k in TIP_KEYS if config.get(k) is not None)))
    if len(shapes) > 1:
        raise invalid(
            "If specifying more than one currency in your Configuration, you must provide the same configuration "
            "keys for each currency.",
            param="tipping",
        )
    return {currency: {key: config.get(key) for key in TIP_KEYS} for currency, config in tipping.items()}


def configuration_of(sim: Simulator, reader: JSON) -> JSON | None:
    """The configuration in force for the reader: its location's override, else the account default."""
    location = sim.table("terminal.location").get(reader.get("location") or "")
    override = (location or {}).get("configuration_overrides")
    configurations = sim.table(CONFIGURATION)
    if override and override in configurations:
        return configurations[override]
    return next((c for c in configurations.values() if c.get("is_account_default")), None)


def suggestions(sim: Simulator, reader: JSON, intent: JSON, process_config: JSON | None) -> list[JSON] | None:
    """The tip screen's choices (``{"label", "amount"}``), or None when the reader shows none."""
    config = process_config or {}
    if config.get("skip_tipping") or reader.get("device_type") not in TIPPING_DEVICES:
        return None
    configuration = configuration_of(sim, reader)
    tipping = ((configuration or {}).get("tipping") or {}).get(intent["currency"])
    if not tipping:
        return None
    eligible = int((config.get("tipping") or {}).get("amount_eligible") or intent["amount"])
    fixed, percentages = tipping.get("fixed_amounts"), tipping.get("percentages")
    threshold = tipping.get("smart_tip_threshold")
    if fixed and percentages and threshold is not None:
        use_fixed = eligible < threshold
    else:
        use_fixed = bool(fixed) and not percentages
    if use_fixed and fixed:
        return [{"kind": "amount", "percent": None, "amount": int(v)} for v in fixed]
    if percentages:
        return [{"kind": "percent", "percent": int(p), "amount": (eligible * int(p) + 50) // 100} for p in percentages]
    return None


def set_account_default(sim: Simulator, tipping: Any) -> JSON:
    """The account's default configuration (made in Stripe's Dashboard), with this tipping."""
    configurations = sim.table(CONFIGURATION)
    default = next((c for c in configurations.values() if c.get("is_account_default")), None)
    if default is None:
        default = {"id": new_id("tmc"), "object": CONFIGURATION, "is_account_default": True, "livemode": False}
        default.update(name=None, tipping=None)
        configurations[default["id"]] = default
    default["tipping"] = check_tipping(tipping)
    return dict(default)
