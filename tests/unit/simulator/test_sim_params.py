"""The simulator's form decoding and params checking, against the pinned SDK's own encoder."""

from __future__ import annotations

import types
import typing
from decimal import Decimal
from typing import Any, Union
from urllib.parse import urlencode

import pytest
import typing_extensions
from hypothesis import given
from hypothesis import strategies as st
from stripe._encode import _api_encode

from kiosk.simulator import forms, params
from kiosk.simulator.errors import StripeError
from kiosk.simulator.routes import ROUTES, Route

TERMINAL_AND_INTENT_ROUTES = [
    r
    for r in ROUTES.routes
    if r.template.startswith(("/v1/terminal/", "/v1/test_helpers/terminal/", "/v1/payment_intents"))
    and r.params_class is not None
]


def route(method: str, path: str) -> Route:
    matched = ROUTES.match(method, path)
    assert matched is not None, f"{method} {path} unknown"
    return matched[0]


def sdk_encode(data: dict[str, Any]) -> str:
    """Exactly what the SDK puts on the wire (see _APIRequestor: brackets are left unescaped)."""
    return urlencode(list(_api_encode(data))).replace("%5B", "[").replace("%5D", "]")


def round_trip(r: Route, data: dict[str, Any]) -> dict[str, Any]:
    return params.validate(r, forms.decode(sdk_encode(data)))


def error_of(r: Route, data: dict[str, Any] | str) -> StripeError:
    raw = forms.decode(data if isinstance(data, str) else sdk_encode(data))
    with pytest.raises(StripeError) as caught:
        params.validate(r, raw)
    return caught.value


# -- a sample value for every field of a params TypedDict, from its type hints ------------------------


def sample(hint: Any, depth: int = 0) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.NotRequired, typing.Required, typing_extensions.NotRequired, typing_extensions.Required):
        return sample(args[0], depth)
    if origin in (typing.Literal, typing_extensions.Literal):
        return next((a for a in args if a != ""), args[0])
    if origin in (Union, types.UnionType):
        real = [a for a in args if a is not type(None) and typing.get_args(a) != ("",)]
        return sample(real[0], depth)
    if origin is list:
        return [sample(args[0], depth), sample(args[0], depth)]
    if origin is dict:
        return {"first key": sample(args[1], depth), "second": sample(args[1], depth)}
    if typing_extensions.is_typeddict(hint):
        return sample_of(hint, depth + 1)
    return {str: "a value & more=[x]", int: 4242, bool: True, float: 1.5, Decimal: "12.5"}.get(hint, "anything")


def sample_of(cls: type, depth: int = 0) -> dict[str, Any]:
    hints = typing.get_type_hints(cls, localns=params._OPTION_NAMES, include_extras=True)
    fields = {k: v for k, v in hints.items() if k not in params._OPTION_KEYS}
    if depth > 3:  # deep option trees: the required fields are enough down there
        fields = {k: v for k, v in fields.items() if k in cls.__required_keys__}  # type: ignore[attr-defined]
    return {name: sample(hint, depth) for name, hint in fields.items()}


def on_the_wire(value: Any) -> Any:
    """``value`` without the empty hashes and arrays, which the form encoding cannot carry."""
    if isinstance(value, dict):
        kept = {k: on_the_wire(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in ({}, [])}
    if isinstance(value, list):
        return [on_the_wire(v) for v in value]
    return value


@pytest.mark.parametrize("r", TERMINAL_AND_INTENT_ROUTES, ids=lambda r: r.key)
def test_every_terminal_and_intent_params_class_round_trips_the_sdk_encoding(r: Route) -> None:
    cls = params.params_class(r)
    assert cls is not None
    data = on_the_wire(sample_of(cls))
    assert round_trip(r, data) == data


def test_the_route_table_knows_the_terminal_flow() -> None:
    assert len(TERMINAL_AND_INTENT_ROUTES) > 25
    matched = ROUTES.match("POST", "/v1/terminal/readers/tmr_123/process_payment_intent")
    assert matched is not None
    found, path = matched
    assert found.key == "POST /v1/terminal/readers/{reader}/process_payment_intent"
    assert found.params_class == "ReaderProcessPaymentIntentParams"
    assert path == {"reader": "tmr_123"}


def test_literal_routes_win_over_placeholders_and_unknown_urls_match_nothing() -> None:
    assert route("get", "/v1/payment_intents/search").template == "/v1/payment_intents/search"
    assert route("get", "/v1/payment_intents/pi_1").template == "/v1/payment_intents/{intent}"
    assert ROUTES.match("get", "/v1/payment_intents/pi_1/nothing") is None
    assert ROUTES.match("patch", "/v1/payment_intents") is None


# -- typed values ----------------------------------------------------------------------------------

CREATE_INTENT = "/v1/payment_intents"
PROCESS = "/v1/terminal/readers/tmr_1/process_payment_intent"


def test_ints_bools_lists_and_metadata_arrive_typed() -> None:
    typed = round_trip(
        route("post", CREATE_INTENT),
        {
            "amount": 1099,
            "currency": "usd",
            "capture_method": "manual",
            "allowed_payment_method_types": ["card_present"],
            "metadata": {"order": "42", "note": "a&b=c"},
            "off_session": False,
        },
    )
    assert typed["amount"] == 1099 and typed["off_session"] is False
    assert typed["allowed_payment_method_types"] == ["card_present"]
    assert typed["metadata"] == {"order": "42", "note": "a&b=c"}


def test_arrays_keep_their_index_order_past_nine() -> None:
    items = [f"field_{i}" for i in range(12)]
    assert round_trip(route("get", "/v1/payment_intents/pi_1"), {"expand": items})["expand"] == items


def test_expand_in_rails_style_is_accepted() -> None:
    raw = forms.decode("expand[]=latest_charge&expand[]=customer")
    assert params.validate(route("get", "/v1/payment_intents/pi_1"), raw) == {"expand": ["latest_charge", "customer"]}


def test_open_enums_take_any_string_and_closed_ones_refuse_others() -> None:
    typed = round_trip(route("post", PROCESS), {"payment_intent": "pi_1", "process_config": {"allow_redisplay": "new"}})
    assert typed["process_config"]["allow_redisplay"] == "new"
    display = route("post", "/v1/terminal/readers/tmr_1/set_reader_display")
    error = error_of(display, {"type": "video"})
    assert (error.status, error.param, error.message) == (400, "type", "Invalid type: must be one of cart")


def test_an_emptyable_param_may_be_sent_empty_to_unset_it() -> None:
    update = {"metadata": "", "receipt_email": "", "application_fee_amount": "", "shipping": ""}
    assert round_trip(route("post", "/v1/payment_intents/pi_1"), update) == update


def test_an_empty_value_for_a_param_that_cannot_be_unset_is_refused() -> None:
    error = error_of(route("post", CREATE_INTENT), "amount=100&currency=")
    assert (error.code, error.param) == ("parameter_invalid_empty", "currency")
    error = error_of(route("post", "/v1/payment_intents/pi_1"), "description=")
    assert (error.code, error.param) == ("parameter_invalid_empty", "description")


def test_metadata_must_be_a_hash() -> None:
    error = error_of(route("post", CREATE_INTENT), "amount=100&currency=usd&metadata=x")
    assert (error.status, error.param) == (400, "metadata")


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        ("payment_intent=pi_1&process_config[foo]=1", "parameter_unknown", "process_config[foo]"),
        ("payment_intent=pi_1&colour=red", "parameter_unknown", "colour"),
        ("process_config[skip_tipping]=true", "parameter_missing", "payment_intent"),
        (
            "payment_intent=pi_1&process_config[skip_tipping]=yes",
            "parameter_invalid_boolean",
            "process_config[skip_tipping]",
        ),
        (
            "payment_intent=pi_1&process_config[tipping][amount_eligible]=1.5",
            "parameter_invalid_integer",
            "process_config[tipping][amount_eligible]",
        ),
    ],
)
def test_bad_params_get_stripes_400_naming_the_bracketed_param(body: str, code: str, param: str) -> None:
    error = error_of(route("post", PROCESS), body)
    assert (error.status, error.code, error.param) == (400, code, param)


def test_nested_array_items_are_named_with_their_index() -> None:
    body = "line_items[0][description]=Tea&line_items[0][amount]=300&line_items[0][quantity]=x"
    error = error_of(
        route("post", "/v1/terminal/readers/tmr_1/set_reader_display"),
        f"type=cart&cart[currency]=usd&cart[total]=300&{body}".replace("line_items", "cart[line_items]"),
    )
    assert (error.code, error.param) == ("parameter_invalid_integer", "cart[line_items][0][quantity]")


def test_a_route_without_params_refuses_any() -> None:
    bare = Route("get", "/v1/nothing", None, None)
    assert params.validate(bare, {}) == {}
    with pytest.raises(StripeError) as caught:
        params.validate(bare, {"x": "1"})
    assert caught.value.code == "parameter_unknown"


# -- the form decoder ---------------------------------------------------------------------------


def test_decoding_nests_brackets() -> None:
    assert forms.decode("a[b][c]=1&a[b][d]=2&e=3") == {"a": {"b": {"c": "1", "d": "2"}}, "e": "3"}


@pytest.mark.parametrize("body", ["a=1&a[b]=2", "a[b]=2&a=1", "a[]=1&a=2", "[x]=1", "a[b=1", "a[][b]=1"])
def test_malformed_or_contradictory_keys_are_a_400(body: str) -> None:
    with pytest.raises(StripeError) as caught:
        forms.decode(body)
    assert caught.value.status == 400


@given(
    st.dictionaries(
        st.text(min_size=1).filter(lambda k: "[" not in k and "]" not in k), st.text(min_size=1), max_size=5
    )
)
def test_any_metadata_survives_the_sdk_encoding(metadata: dict[str, str]) -> None:
    data = {"amount": 500, "currency": "eur", "metadata": metadata} if metadata else {"amount": 500, "currency": "eur"}
    assert round_trip(route("post", CREATE_INTENT), data) == data
