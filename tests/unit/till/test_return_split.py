"""How a return's money is split between a receipt's tenders: its cards first, each up to what is
left of it (oldest payment first), then cash; a tender nothing can go back to is passed over."""

from __future__ import annotations

from kiosk.till.returns import Part, Source, split
from kiosk.till.tables import CARD, CASH

VISA = Source(CARD, 1, "Visa •••• 4242", 1500, 1500)
AMEX = Source(CARD, 2, "Amex •••• 0005", 500, 200)
DRAWER = Source(CASH, None, "Cash", 1000, 1000)


def test_the_card_takes_first_up_to_what_is_left_of_it_then_cash() -> None:
    assert split(2000, [DRAWER, VISA]) == [Part(CARD, 1, VISA.label, 1500), Part(CASH, None, "Cash", 500)]


def test_a_small_return_goes_to_the_card_alone() -> None:
    assert split(300, [VISA, DRAWER]) == [Part(CARD, 1, VISA.label, 300)]


def test_several_cards_in_payment_order_each_up_to_its_rest() -> None:
    parts = split(1800, [VISA, AMEX, DRAWER])
    assert parts == [Part(CARD, 1, VISA.label, 1500), Part(CARD, 2, AMEX.label, 200), Part(CASH, None, "Cash", 100)]


def test_a_card_nothing_can_go_back_to_is_passed_over() -> None:
    held = Source(CARD, 3, "Visa •••• 0000", 900, 0, "Authorized, not captured yet.")
    assert split(400, [held, DRAWER]) == [Part(CASH, None, "Cash", 400)]


def test_an_interac_part_goes_back_on_a_reader() -> None:
    interac = Source(CARD, 4, "Interac •••• 1933", 900, 900, on_reader=True)
    assert split(1000, [interac, DRAWER]) == [
        Part(CARD, 4, "Interac •••• 1933", 900, on_reader=True),
        Part(CASH, None, "Cash", 100),
    ]
