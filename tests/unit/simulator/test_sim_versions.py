"""The table of API version changes and the logic that applies it (``kiosk/simulator/versions.py``)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kiosk.simulator import versions
from kiosk.simulator.app import run
from kiosk.simulator.core import Simulator
from kiosk.simulator.errors import StripeError
from kiosk.simulator.routes import ROUTES

CREATE = ROUTES.match("post", "/v1/payment_intents")


def _create_route() -> Any:
    assert CREATE is not None
    return CREATE[0]


def test_the_known_versions_are_the_sdks_from_2011_to_the_pinned_one() -> None:
    assert {"2011-01-01", "2020-08-27", "2024-09-30.acacia", versions.CURRENT} <= versions.KNOWN_VERSIONS
    assert "2022-08-02" not in versions.KNOWN_VERSIONS


def test_every_row_is_a_known_served_version_with_a_source_and_an_effect() -> None:
    for change in versions.CHANGES:
        assert change.version in versions.KNOWN_VERSIONS
        assert versions.OLDEST_SERVED < change.version[:10] <= versions.CURRENT[:10]
        assert "https://docs.stripe.com/changelog" in change.changelog
        assert change.adds or change.removes or change.renames
        removal = any(r.version == change.version for r in versions.REMOVED_PARAMETERS)
        assert change.older_object or change.older_request or removal


def test_a_client_gets_the_rows_made_after_its_version_newest_first() -> None:
    assert versions.changes_for(versions.CURRENT) == []
    assert [c.version for c in versions.changes_for("2024-04-10")] == ["2026-09-30.endive", "2025-03-31.basil"]
    old = [c.version for c in versions.changes_for("2020-08-27")]
    assert old == sorted(old, reverse=True) and len(old) == len(versions.CHANGES)
    assert not versions.reshapes(versions.CURRENT) and versions.reshapes("2020-08-27")


def test_the_served_version_is_the_header_or_the_accounts_default() -> None:
    sim = Simulator()
    assert versions.served(sim, None) == versions.CURRENT
    sim.default_api_version = "2022-08-01"
    assert versions.served(sim, "") == "2022-08-01"
    assert versions.served(sim, "2024-06-20") == "2024-06-20"
    assert versions.served(sim, "2020-08-27; terminal_server_driven_beta=v1") == "2020-08-27"
    with pytest.raises(StripeError) as unknown:
        versions.served(sim, "2024-06-21")
    assert unknown.value.message == "Invalid Stripe API version: 2024-06-21" and unknown.value.status == 400
    with pytest.raises(StripeError) as unmodelled:
        versions.served(sim, "2019-12-03")
    assert "does not model" in unmodelled.value.message


def test_older_requests_keep_their_removed_parameter_typed_and_their_defaults() -> None:
    raw: dict[str, Any] = {"amount": "500", "payment_method_types": {"0": "card_present"}}
    older = versions.adapt_request(_create_route(), raw, "2020-08-27")
    assert older == {"payment_method_types": ["card_present"]} and "payment_method_types" not in raw
    with pytest.raises(StripeError) as removed:
        versions.adapt_request(_create_route(), {"payment_method_types": ["card"]}, versions.CURRENT)
    assert removed.value.code == "payment_method_types_no_longer_supported"

    typed: dict[str, Any] = {"amount": 500}
    versions.older_defaults(_create_route(), typed, "2020-08-27")
    assert typed == {"amount": 500, "capture_method": "automatic", "payment_method_types": ["card"]}
    newest: dict[str, Any] = {"amount": 500}
    versions.older_defaults(_create_route(), newest, versions.CURRENT)
    assert newest == {"amount": 500}


def _account_with_a_refunded_charge() -> Simulator:
    sim = Simulator()
    sim.table("payment_intent")["pi_1"] = {"id": "pi_1", "object": "payment_intent", "latest_charge": "ch_2"}
    sim.table("charge")["ch_1"] = {"id": "ch_1", "object": "charge", "payment_intent": "pi_1", "created": 10}
    sim.table("charge")["ch_2"] = {"id": "ch_2", "object": "charge", "payment_intent": "pi_1", "created": 10}
    sim.table("refund")["re_1"] = {"id": "re_1", "object": "refund", "charge": "ch_2"}
    sim.table("refund")["re_2"] = {"id": "re_2", "object": "refund", "charge": "ch_2"}
    return sim


def test_an_old_intent_lists_its_charges_newest_first_each_with_its_refunds() -> None:
    sim = _account_with_a_refunded_charge()
    shown = versions.present(sim, {"id": "pi_1", "object": "payment_intent"}, "2020-08-27")
    charges = shown["charges"]
    assert [c["id"] for c in charges["data"]] == ["ch_2", "ch_1"] and charges["total_count"] == 2
    assert [r["id"] for r in charges["data"][0]["refunds"]["data"]] == ["re_2", "re_1"]
    assert charges["data"][0]["invoice"] is None and shown["invoice"] is None


def test_objects_inside_lists_are_reshaped_and_the_newest_shape_is_left_alone() -> None:
    sim = _account_with_a_refunded_charge()
    page = {"object": "list", "data": [{"id": "ch_1", "object": "charge"}]}
    assert versions.present(sim, page, "2025-02-24.acacia")["data"][0] == {
        "id": "ch_1",
        "object": "charge",
        "invoice": None,
    }
    intent = {"id": "pi_1", "object": "payment_intent"}
    assert versions.present(sim, dict(intent), versions.CURRENT) == intent


def test_an_event_is_shown_in_its_own_version_not_the_readers() -> None:
    sim = _account_with_a_refunded_charge()
    event = {
        "id": "evt_1",
        "object": "event",
        "api_version": "2020-08-27",
        "data": {"object": {"id": "pi_1", "object": "payment_intent"}},
    }
    versions.keep_renderings(sim, event, ["2020-08-27", versions.CURRENT])
    sim.table("charge")["ch_3"] = {"id": "ch_3", "object": "charge", "payment_intent": "pi_1", "created": 11}
    shown = versions.present(sim, {"object": "list", "data": [copy.deepcopy(event)]}, versions.CURRENT)["data"][0]
    # As rendered when it happened: the later charge is not in it.
    assert [c["id"] for c in shown["data"]["object"]["charges"]["data"]] == ["ch_2", "ch_1"]
    webhook = versions.event_in(sim, event, versions.CURRENT)
    assert webhook["api_version"] == versions.CURRENT and "charges" not in webhook["data"]["object"]


def test_the_simulator_command_refuses_an_unknown_default_version_before_serving() -> None:
    with pytest.raises(SystemExit, match="Invalid Stripe API version: 2020-02-30"):
        run("127.0.0.1", 0, api_keys=["sk_test_x"], api_version="2020-02-30")
