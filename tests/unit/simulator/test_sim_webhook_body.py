"""A webhook's body is laid out as Stripe lays it out (JSON indented by two spaces, non-ASCII
escaped): the bytes a receiver verifies the signature of."""

from __future__ import annotations

import json

from kiosk.simulator.webhook_post import pretty_json, sign


def test_the_body_is_json_indented_by_two_spaces_byte_for_byte() -> None:
    event = {
        "id": "evt_1",
        "object": "event",
        "data": {"object": {"metadata": {}, "lines": [], "name": 'Zoë\u2019s "café" </b>', "amount": 1250}},
        "request": {"id": None, "idempotency_key": None},
        "nested": [[], [{}], [1.5, True, False]],
    }
    body = pretty_json(event)
    assert body == json.dumps(event, indent=2).encode()
    assert body.startswith(b'{\n  "id": "evt_1",\n  "object": "event",') and b"Zo\\u00eb" in body
    assert json.loads(body) == event
    assert sign(body, "whsec_x", 1).startswith("t=1,v1=")
