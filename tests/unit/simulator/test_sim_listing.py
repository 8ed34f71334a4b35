"""Stripe's list pagination as every simulator list endpoint serves it."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.simulator.errors import StripeError
from kiosk.simulator.listing import paginate

# Oldest first, as a table holds them; two share a second, so insertion order must break the tie.
OBJECTS = [{"id": f"obj_{i}", "created": 1000 + min(i, 3)} for i in range(6)]
NEWEST_FIRST = ["obj_5", "obj_4", "obj_3", "obj_2", "obj_1", "obj_0"]


def ids(page: dict[str, Any]) -> list[str]:
    return [o["id"] for o in page["data"]]


def test_default_page_is_newest_first_and_knows_the_list_url() -> None:
    page = paginate(OBJECTS, {}, "/v1/things")
    assert ids(page) == NEWEST_FIRST
    assert page["object"] == "list" and page["url"] == "/v1/things" and page["has_more"] is False


def test_default_limit_is_ten() -> None:
    many = [{"id": f"o{i}", "created": i} for i in range(25)]
    page = paginate(many, {}, "/v1/things")
    assert len(page["data"]) == 10 and page["has_more"] is True


def test_cursors_walk_both_ways() -> None:
    first = paginate(OBJECTS, {"limit": 2}, "/v1/things")
    assert ids(first) == NEWEST_FIRST[:2] and first["has_more"]
    second = paginate(OBJECTS, {"limit": 2, "starting_after": "obj_4"}, "/v1/things")
    assert ids(second) == NEWEST_FIRST[2:4] and second["has_more"]
    last = paginate(OBJECTS, {"limit": 2, "starting_after": "obj_2"}, "/v1/things")
    assert ids(last) == NEWEST_FIRST[4:] and not last["has_more"]
    back = paginate(OBJECTS, {"limit": 2, "ending_before": "obj_1"}, "/v1/things")
    assert ids(back) == NEWEST_FIRST[2:4] and back["has_more"]
    top = paginate(OBJECTS, {"limit": 2, "ending_before": "obj_3"}, "/v1/things")
    assert ids(top) == NEWEST_FIRST[:2] and not top["has_more"]


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"starting_after": "obj_x"}, "starting_after"),
        ({"ending_before": "obj_x"}, "ending_before"),
    ],
)
def test_bad_limits_and_unknown_cursors_are_a_400(params: dict[str, Any], param: str) -> None:
    with pytest.raises(StripeError) as caught:
        paginate(OBJECTS, params, "/v1/things", kind="thing")
    assert (caught.value.status, caught.value.param) == (400, param)


def test_both_cursors_at_once_are_refused() -> None:
    with pytest.raises(StripeError):
        paginate(OBJECTS, {"starting_after": "obj_1", "ending_before": "obj_3"}, "/v1/things")
