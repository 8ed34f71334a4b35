"""The embedded Stripe takes the currencies Stripe takes, from the kiosk's one catalog: every one of
them, nothing else, and ISK in whole krónur only (Stripe's special case)."""

from __future__ import annotations

import pytest

from kiosk.money.catalog import STRIPE_CURRENCIES
from kiosk.simulator.currencies import check_amount, normalize_currency
from kiosk.simulator.errors import StripeError


@pytest.mark.parametrize("code", STRIPE_CURRENCIES)
def test_every_stripe_currency_is_taken(code: str) -> None:
    assert normalize_currency(code.upper()) == code


def test_an_unknown_currency_is_stripes_400() -> None:
    with pytest.raises(StripeError) as refused:
        normalize_currency("xyz")
    assert refused.value.status == 400 and refused.value.param == "currency"
    assert str(refused.value.message).startswith("Invalid currency: xyz. Stripe currently supports these currencies:")


def test_isk_is_whole_kronur() -> None:
    check_amount(12300, "isk")
    with pytest.raises(StripeError) as refused:
        check_amount(12350, "isk")
    assert refused.value.code == "invalid_charge_amount_no_decimal_compatible"
    assert "Currency ISK has become effectively zero-decimal" in str(refused.value.message)
