"""The till's card reader: the reader a till last started a card payment on, offered first next time.

A till (the tablet or browser the cashier works on) stands beside one reader, so after its first
card payment its receipts offer "Card $12.50 on Counter 1": one press starts the payment there,
where "+ Card" (then "Other reader…") opens the picker to choose. Each payment started on a reader,
from the picker or from that button, makes it the till's card reader, remembered in a cookie of the
device (`kiosk_card_reader`, "<warehouse id>:<reader id>:<label, %-encoded>"), kept per warehouse
like the customer screen's reader (kiosk/till/customer_display.py). The label is the one the reader
had when last used (a reader renamed since shows its new name after its next payment).

The button is a shortcut, never a promise: the start checks the reader as the picker's choice is
checked (one of this warehouse's location, online as far as Stripe last said, not held), and a
reader busy or gone is refused with its reason in the card section, beside "Other reader…".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

COOKIE = "kiosk_card_reader"
MAX_READER_ID = 64
MAX_LABEL = 100


@dataclass(frozen=True)
class CardReader:
    id: str
    label: str


def is_reader_id(value: str) -> bool:
    """Whether a value a device sent back (a cookie, a form) can be a Terminal reader's id."""
    return value.startswith("tmr_") and len(value) <= MAX_READER_ID


def card_reader_of(cookies: Mapping[str, str], warehouse_id: int) -> CardReader | None:
    """The till's card reader in this warehouse, if this device has started a payment here.
    `cookies`: as the request has them, their values decoded (Litestar unquotes them)."""
    warehouse, _, rest = cookies.get(COOKIE, "").partition(":")
    reader_id, _, label = rest.partition(":")
    if warehouse != str(warehouse_id) or not is_reader_id(reader_id):
        return None
    return shown_as(reader_id, label)


def shown_as(reader_id: str, label: str) -> CardReader:
    """The till's card reader as `card_reader_of` reads it back from `cookie_value`."""
    return CardReader(reader_id, label.strip()[:MAX_LABEL] or reader_id)


def cookie_value(warehouse_id: int, reader_id: str, label: str) -> str:
    """The cookie's value: %-encoded, so that no label breaks it (`;`, `,`, spaces, quotes)."""
    return f"{warehouse_id}:{reader_id}:{quote(label.strip()[:MAX_LABEL], safe='')}"
