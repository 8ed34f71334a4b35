"""The till's card reader cookie (kiosk/payments/card_reader.py): what is written is read back."""

from __future__ import annotations

from urllib.parse import unquote

from kiosk.payments.card_reader import COOKIE, CardReader, card_reader_of, cookie_value, shown_as


def _as_received(value: str) -> dict[str, str]:
    """The cookie as a request hands it on (Litestar decodes %-escapes)."""
    return {COOKIE: unquote(value)}


def test_a_label_with_any_characters_comes_back_as_it_was() -> None:
    label = 'Front; "counter", 2: 50% off'
    value = cookie_value(7, "tmr_abc", label)
    assert ";" not in value and " " not in value and '"' not in value and "," not in value
    assert card_reader_of(_as_received(value), 7) == CardReader("tmr_abc", label) == shown_as("tmr_abc", label)


def test_only_the_warehouse_it_was_chosen_in_and_only_a_reader_id() -> None:
    value = cookie_value(7, "tmr_abc", "Counter 1")
    assert card_reader_of(_as_received(value), 8) is None
    assert card_reader_of({COOKIE: "7:pi_123:Counter 1"}, 7) is None
    assert card_reader_of({COOKIE: "7:tmr_" + "x" * 80 + ":Counter 1"}, 7) is None
    assert card_reader_of({}, 7) is None


def test_a_missing_label_shows_the_readers_id() -> None:
    assert card_reader_of({COOKIE: "7:tmr_abc:"}, 7) == CardReader("tmr_abc", "tmr_abc")
