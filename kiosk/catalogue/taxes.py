"""A receipt's sums: line discounts, the receipt's discount, tax per rate, net and gross.

Pure arithmetic on int minor units; no database. Prices are entered tax-inclusive (the shelf price
is what the customer pays) or tax-exclusive (tax is added on top), as the warehouse says, and tax is
rounded on each line or once per rate on the whole receipt. Whatever the settings:

- each line's net + tax = its gross, and the lines' gross add up to the receipt's total;
- per rate, the lines' net, tax and gross add up to the rate's figures on the receipt;
- the receipt's discount is spread over the lines in proportion to what is left of each (largest
  remainder), so the tax of every rate is charged on what the customer really pays.

Rates are thousandths of a percent (19000 = 19 %, 8875 = 8.875 %: US sales taxes have three
decimals). Rounding is half up, as tax authorities and receipts do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

INCLUSIVE, EXCLUSIVE = "inclusive", "exclusive"
PER_LINE, PER_RECEIPT = "line", "receipt"
BASIS = 100_000  # thousandths of a percent in 100 %
MAX_RATE = BASIS  # 100 %


@dataclass(frozen=True)
class LineIn:
    quantity: int
    unit_amount: int
    tax_rate: int  # thousandths of a percent
    discount: int = 0  # minor units off this line (already resolved from a percentage)


@dataclass(frozen=True)
class LineOut:
    subtotal: int  # quantity x unit price, as entered
    discount: int  # the line's own discount
    receipt_discount: int  # its share of the receipt's discount
    net: int
    tax: int
    gross: int  # what the customer pays for the line


@dataclass(frozen=True)
class RateSum:
    rate: int
    net: int
    tax: int
    gross: int


@dataclass(frozen=True)
class Totals:
    lines: tuple[LineOut, ...]
    rates: tuple[RateSum, ...]  # by rate, ascending
    net: int
    tax: int
    gross: int  # the receipt's total: what is charged

    @property
    def discounts(self) -> int:
        return sum(line.discount + line.receipt_discount for line in self.lines)

    @property
    def subtotal(self) -> int:
        return sum(line.subtotal for line in self.lines)


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator to the nearest integer, halves away from zero (both ≥ 0 here)."""
    return (2 * numerator + denominator) // (2 * denominator)


def percent_of(amount: int, rate: int) -> int:
    """A percentage (thousandths of a percent) of an amount, rounded half up (10 % of 1.05 is 0.11)."""
    return round_half_up(amount * rate, BASIS)


def spread(total: int, weights: Sequence[int]) -> list[int]:
    """`total` split in proportion to `weights` (largest remainder): the parts add up to `total`
    exactly, and none exceeds its weight when total ≤ sum(weights)."""
    whole = sum(weights)
    if whole <= 0 or total == 0:
        return [0] * len(weights)
    shares = [total * w // whole for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in remainders[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _tax_in(amount: int, rate: int, inclusive: bool) -> int:
    """The tax in (inclusive) or on (exclusive) an amount at a rate, rounded half up."""
    if inclusive:
        return round_half_up(amount * rate, BASIS + rate)
    return round_half_up(amount * rate, BASIS)


def compute(lines: Sequence[LineIn], *, receipt_discount: int = 0, prices: str = INCLUSIVE,
            rounding: str = PER_LINE) -> Totals:  # fmt: skip
    """The receipt's sums. A line's discount must not exceed its subtotal, nor the receipt's
    discount what the lines leave (the till refuses those before calling this)."""
    inclusive = prices == INCLUSIVE
    subtotals = [line.quantity * line.unit_amount for line in lines]
    after_line = [max(sub - line.discount, 0) for sub, line in zip(subtotals, lines, strict=True)]
    shares = spread(min(receipt_discount, sum(after_line)), after_line)
    amounts = [a - s for a, s in zip(after_line, shares, strict=True)]  # in the entered price's terms
    taxes = [_tax_in(a, line.tax_rate, inclusive) for a, line in zip(amounts, lines, strict=True)]
    if rounding == PER_RECEIPT:
        for rate in {line.tax_rate for line in lines}:
            members = [i for i, line in enumerate(lines) if line.tax_rate == rate]
            rate_tax = _tax_in(sum(amounts[i] for i in members), rate, inclusive)
            # The rate's tax, rounded once, shared out over its lines by their amounts.
            for i, part in zip(members, spread(rate_tax, [amounts[i] for i in members]), strict=True):
                taxes[i] = part
    out = []
    for i, line in enumerate(lines):
        net = amounts[i] - taxes[i] if inclusive else amounts[i]
        out.append(LineOut(subtotals[i], line.discount, shares[i], net, taxes[i], net + taxes[i]))
    rates = []
    for rate in sorted({line.tax_rate for line in lines}):
        parts = [o for o, line in zip(out, lines, strict=True) if line.tax_rate == rate]
        rates.append(RateSum(rate, sum(p.net for p in parts), sum(p.tax for p in parts), sum(p.gross for p in parts)))
    return Totals(tuple(out), tuple(rates), sum(o.net for o in out), sum(o.tax for o in out),
                  sum(o.gross for o in out))  # fmt: skip


def plain_rate(rate: int) -> str:
    """19, 7.7, 8.875, 0 — a rate as a form field shows it (parse_rate reads it back)."""
    whole, part = divmod(rate, 1000)
    return str(whole) if part == 0 else f"{whole}.{part:03d}".rstrip("0")


def format_rate(rate: int) -> str:
    """19 %, 7.7 %, 0 % — as receipts print a rate."""
    return f"{plain_rate(rate)} %"


def parse_rate(text: str) -> int:
    """A rate typed as a percentage ("19", "7.7", "8.875 %") in thousandths of a percent;
    ValueError if not one."""
    cleaned = text.strip().removesuffix("%").strip().replace(",", ".")
    if not cleaned:
        raise ValueError("Type a tax rate in percent, e.g. 19 or 7.7 (0 for none).")
    whole, _, decimals = cleaned.partition(".")
    if not whole.isdigit() or (decimals and not decimals.isdigit()) or len(decimals) > 3:
        raise ValueError("A tax rate is a percentage with at most three decimals, e.g. 19, 7.7 or 8.875.")
    rate = int(whole) * 1000 + int((decimals + "000")[:3])
    if rate > MAX_RATE:
        raise ValueError("A tax rate cannot be above 100 %.")
    return rate
