"""The payment policy without a database: stored values over the environment, the admin's form."""

from __future__ import annotations

import pytest

from kiosk.config import Settings
from kiosk.forms import FormErrors
from kiosk.payments import policy
from kiosk.payments.states import counts_as_paid, is_unresolved

ENV = policy.from_environment(Settings(capture_mode="manual", customer_cancellation=False))


def test_the_environment_is_the_default_and_stored_values_win() -> None:
    assert (ENV.capture_mode, ENV.manual_capture, ENV.customer_cancellation) == ("manual", "now", False)
    stored = policy.with_stored(ENV, {policy.MANUAL_CAPTURE: "keep", policy.CUSTOMER_CANCELLATION: "on"})
    assert (stored.capture_mode, stored.keep_for_capture, stored.customer_cancellation) == ("manual", True, True)
    assert stored.stored == {policy.MANUAL_CAPTURE, policy.CUSTOMER_CANCELLATION}


def test_a_stored_value_the_kiosk_does_not_know_is_ignored() -> None:
    assert policy.with_stored(ENV, {policy.CAPTURE_MODE: "sometimes"}).capture_mode == "manual"


def test_keeping_for_capture_only_applies_in_manual_mode() -> None:
    automatic = policy.PaymentPolicy("automatic", policy.KEEP)
    assert not automatic.keep_for_capture


def test_the_form_reads_an_unticked_box_as_off_and_refuses_unknown_choices() -> None:
    parsed = policy.parse({"capture_mode": "automatic", "manual_capture": "keep"}, ENV)
    assert (parsed.capture_mode, parsed.manual_capture, parsed.customer_cancellation) == ("automatic", "keep", False)
    with pytest.raises(FormErrors) as refused:
        policy.parse({"capture_mode": "", "manual_capture": "later", "customer_cancellation": "yes"}, ENV)
    assert set(refused.value.errors) == {"capture_mode", "manual_capture", "customer_cancellation"}


def test_changes_name_only_what_differs() -> None:
    after = policy.PaymentPolicy("manual", "now", True)
    assert policy.changes(ENV, after) == {"customer_cancellation": {"from": "off", "to": "on"}}


@pytest.mark.parametrize(
    ("state", "kept", "paid", "open_at_till"),
    [
        ("requires_capture", True, True, False),
        ("requires_capture", False, False, True),
        ("captured", False, True, False),
        ("succeeded", False, True, False),
        ("canceled", True, False, False),
        ("on_reader", False, False, True),
    ],
)
def test_an_authorization_kept_for_capture_is_paid_one_being_captured_is_not_yet(
    state: str, kept: bool, paid: bool, open_at_till: bool
) -> None:
    assert counts_as_paid(state, kept) is paid
    assert is_unresolved(state, kept) is open_at_till
