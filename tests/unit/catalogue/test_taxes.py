"""A receipt's sums: whatever the lines, discounts, rates and rules, the parts add up to what is
charged — per line, per rate and for the receipt — in minor units of any currency."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.catalogue.taxes import (
    EXCLUSIVE,
    INCLUSIVE,
    PER_LINE,
    PER_RECEIPT,
    LineIn,
    compute,
    format_rate,
    parse_rate,
    spread,
)

RATES = st.sampled_from([0, 5000, 7000, 7700, 8875, 19000, 20000, 25000, 10000])


@st.composite
def receipts(draw: st.DrawFn) -> tuple[list[LineIn], int, str, str]:
    lines = []
    for _ in range(draw(st.integers(1, 8))):
        quantity = draw(st.integers(1, 50))
        unit = draw(st.integers(0, 200_000))
        discount = draw(st.integers(0, quantity * unit))
        lines.append(LineIn(quantity, unit, draw(RATES), discount))
    left = sum(line.quantity * line.unit_amount - line.discount for line in lines)
    receipt_discount = draw(st.integers(0, left))
    return (
        lines,
        receipt_discount,
        draw(st.sampled_from([INCLUSIVE, EXCLUSIVE])),
        draw(st.sampled_from([PER_LINE, PER_RECEIPT])),
    )


@settings(max_examples=400, deadline=None)
@given(receipts())
def test_the_parts_always_add_up_to_the_total_charged(case: tuple[list[LineIn], int, str, str]) -> None:
    lines, receipt_discount, prices, rounding = case
    totals = compute(lines, receipt_discount=receipt_discount, prices=prices, rounding=rounding)
    for out in totals.lines:
        assert out.net + out.tax == out.gross and out.net >= 0 and out.tax >= 0
    assert sum(out.gross for out in totals.lines) == totals.gross
    assert totals.net + totals.tax == totals.gross
    assert sum(r.gross for r in totals.rates) == totals.gross and sum(r.tax for r in totals.rates) == totals.tax
    for rate in totals.rates:
        assert rate.net + rate.tax == rate.gross
    # The discounts are exactly what was given: the receipt's one spread in full over the lines.
    assert sum(out.receipt_discount for out in totals.lines) == receipt_discount
    entered = sum(line.quantity * line.unit_amount for line in lines) - sum(line.discount for line in lines)
    if prices == INCLUSIVE:
        assert totals.gross == entered - receipt_discount  # the shelf price is what is paid
    else:
        assert totals.net == entered - receipt_discount  # tax comes on top


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**9), st.lists(st.integers(0, 10**7), min_size=1, max_size=10))
def test_a_spread_amount_adds_up_and_no_share_exceeds_its_weight(total: int, weights: list[int]) -> None:
    total = min(total, sum(weights))
    shares = spread(total, weights)
    assert sum(shares) == (total if sum(weights) else 0)
    assert all(0 <= s <= w for s, w in zip(shares, weights, strict=True))


def test_tax_included_in_a_shelf_price_per_line() -> None:
    # Two items at 5.95 with 19 % inside: 11.90 gross, of which 1.90 tax (11.90 x 19/119).
    totals = compute([LineIn(2, 595, 19000)])
    assert (totals.net, totals.tax, totals.gross) == (1000, 190, 1190)


def test_tax_added_on_top_of_a_net_price() -> None:
    totals = compute([LineIn(3, 333, 19000)], prices=EXCLUSIVE)
    assert (totals.net, totals.tax, totals.gross) == (999, 190, 1189)


def test_per_receipt_rounding_differs_from_per_line_where_it_should() -> None:
    # Three lines of 0.05 net at 10 %: each line's tax of 0.005 rounds up to a cent (3 cents in all);
    # once on the receipt, 0.15 at 10 % is 0.015, rounded to 2 cents.
    lines = [LineIn(1, 5, 10000)] * 3
    assert compute(lines, prices=EXCLUSIVE, rounding=PER_LINE).tax == 3
    assert compute(lines, prices=EXCLUSIVE, rounding=PER_RECEIPT).tax == 2


def test_a_receipt_discount_is_shared_by_the_rates_in_proportion() -> None:
    totals = compute([LineIn(1, 1000, 19000), LineIn(1, 1000, 7000)], receipt_discount=200)
    assert [r.gross for r in totals.rates] == [900, 900]  # 7 % and 19 % each carry half
    assert totals.gross == 1800


def test_zero_decimal_amounts_stay_whole() -> None:
    totals = compute([LineIn(1, 1000, 10000)], prices=EXCLUSIVE)  # ¥1000 + 10 %
    assert (totals.tax, totals.gross) == (100, 1100)


@pytest.mark.parametrize(
    ("typed", "points"), [("19", 19000), ("7.7", 7700), ("5,5 %", 5500), ("8.875", 8875), ("0", 0), ("100", 100000)]
)
def test_rates_typed_as_percentages(typed: str, points: int) -> None:
    assert parse_rate(typed) == points


@pytest.mark.parametrize("typed", ["", "abc", "-5", "101", "7.7777", "19%%"])
def test_rates_that_are_not_percentages_are_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_rate(typed)


def test_rates_print_as_receipts_print_them() -> None:
    assert [format_rate(r) for r in (19000, 7700, 8875, 0)] == ["19 %", "7.7 %", "8.875 %", "0 %"]
