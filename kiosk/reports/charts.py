"""Charts drawn on the server as SVG, for the admins' last 30 days: no script, no inline style
(the CSP allows neither), only SVG presentation attributes and the classes kiosk.css colours.

Each chart is a small dataclass of shapes the template writes out as <svg> elements, so the
template holds the markup and this module the arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kiosk.money.amounts import format_money
from kiosk.reports.history import DayTotals

WIDTH, HEIGHT = 520, 220
LEFT, RIGHT, TOP, BOTTOM = 70, 24, 12, 28


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str  # bar-cash | bar-card | bar-over | bar-short
    title: str  # what a hover (and a screen reader) says


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Label:
    x: float
    text: str


@dataclass(frozen=True)
class Chart:
    title: str
    width: int
    height: int
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    labels: tuple[Label, ...]
    baseline: float
    empty: bool
    left: int = LEFT  # the plot's margins, for the template's grid lines and tick labels
    right: int = RIGHT


def _nice(top: int) -> int:
    """A round scale top at or above `top` (1, 2 or 5 times a power of ten)."""
    if top <= 0:
        return 1
    power = 1
    while power * 10 <= top:
        power *= 10
    for step in (1, 2, 5, 10):
        if step * power >= top:
            return step * power
    return 10 * power


def _slots(days: Sequence[DayTotals]) -> tuple[float, float]:
    slot = (WIDTH - LEFT - RIGHT) / max(len(days), 1)
    return slot, max(slot * 0.7, 1.0)


def _day_labels(days: Sequence[DayTotals], slot: float) -> tuple[Label, ...]:
    every = max(len(days) // 6, 1)
    return tuple(
        Label(LEFT + i * slot + slot / 2, d.day.strftime("%d %b"))
        for i, d in enumerate(days)
        if (len(days) - 1 - i) % every == 0
    )


def sales_chart(days: Sequence[DayTotals], currency: str) -> Chart:
    """Stacked bars per day: cash below, card above."""
    top = _nice(max((d.sales for d in days), default=0))
    plot = HEIGHT - TOP - BOTTOM
    slot, width = _slots(days)
    bars: list[Bar] = []
    for i, d in enumerate(days):
        x = LEFT + i * slot + (slot - width) / 2
        cash_h, card_h = plot * d.cash / top, plot * d.card / top
        base = TOP + plot
        day = d.day.isoformat()
        if d.cash:
            bars.append(
                Bar(x, base - cash_h, width, cash_h, "bar-cash", f"{day} cash {format_money(d.cash, currency)}")
            )
        if d.card:
            bars.append(
                Bar(
                    x, base - cash_h - card_h, width, card_h, "bar-card", f"{day} card {format_money(d.card, currency)}"
                )
            )
    ticks = tuple(Tick(TOP + plot - plot * k / 4, format_money(top * k // 4, currency)) for k in range(5))
    empty = not any(d.sales for d in days)
    return Chart("Sales per day", WIDTH, HEIGHT, tuple(bars), ticks, _day_labels(days, slot), TOP + plot, empty)


def cash_difference_chart(days: Sequence[DayTotals], currency: str) -> Chart:
    """Per closed day, cash over (up) or short (down) of what was expected."""
    closed = [d for d in days if d.cash_difference is not None]
    top = _nice(max((abs(d.cash_difference or 0) for d in closed), default=0))
    plot = HEIGHT - TOP - BOTTOM
    middle = TOP + plot / 2
    slot, width = _slots(days)
    bars: list[Bar] = []
    for i, d in enumerate(days):
        if d.cash_difference is None or d.cash_difference == 0:
            continue
        x = LEFT + i * slot + (slot - width) / 2
        h = (plot / 2) * abs(d.cash_difference) / top
        over = d.cash_difference > 0
        word = "over" if over else "short"
        title = f"{d.day.isoformat()} Z #{d.z_number}: cash {word} {format_money(abs(d.cash_difference), currency)}"
        bars.append(Bar(x, middle - h if over else middle, width, h, "bar-over" if over else "bar-short", title))
    ticks = tuple(Tick(middle - (plot / 2) * k / 2, format_money(top * k // 2, currency)) for k in (-2, -1, 0, 1, 2))
    return Chart(
        "Cash over and short at the Z report",
        WIDTH,
        HEIGHT,
        tuple(bars),
        ticks,
        _day_labels(days, slot),
        middle,
        not closed,
    )
