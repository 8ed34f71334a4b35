"""Secrets at rest: sealed with a key derived from KIOSK_SECRET_KEY, bound to their setting name,
and the kiosk refuses to start outside the demo without a usable secret key."""

from __future__ import annotations

import pytest

from kiosk.config import Settings
from kiosk.db.secret_box import MissingSecretKey, SecretBox, UnreadableSecret, check_secret_key

KEY = "sk_test_51HkQfPLk3y0fTh3Kio5k"


def box(secret: str = "a-long-operator-secret-value") -> SecretBox:
    return SecretBox.from_settings(Settings(secret_key=secret))


def test_a_sealed_value_opens_again_and_does_not_contain_the_plaintext() -> None:
    sealed = box().seal("stripe.secret_key", KEY)
    assert KEY not in sealed and "Kio5k" not in sealed
    assert box().open("stripe.secret_key", sealed) == KEY


def test_the_same_value_seals_differently_each_time() -> None:
    assert box().seal("stripe.secret_key", KEY) != box().seal("stripe.secret_key", KEY)


def test_a_value_moved_to_another_setting_does_not_open() -> None:
    sealed = box().seal("stripe.secret_key", KEY)
    with pytest.raises(UnreadableSecret):
        box().open("stripe.webhook_secret", sealed)


def test_another_secret_key_cannot_open_it() -> None:
    sealed = box().seal("stripe.secret_key", KEY)
    with pytest.raises(UnreadableSecret, match="current KIOSK_SECRET_KEY"):
        box("another-operator-secret-value").open("stripe.secret_key", sealed)


@pytest.mark.parametrize("stored", ["", "plain text", "v1.", "v1.!!!", "v2.AAAA"])
def test_garbage_is_unreadable_not_a_crash(stored: str) -> None:
    with pytest.raises(UnreadableSecret):
        box().open("stripe.secret_key", stored)


def test_outside_the_demo_a_secret_key_is_required() -> None:
    with pytest.raises(MissingSecretKey, match="KIOSK_SECRET_KEY is not set"):
        check_secret_key(Settings(demo=False, secret_key=None))
    with pytest.raises(MissingSecretKey, match="too short"):
        check_secret_key(Settings(demo=False, secret_key="short"))
    check_secret_key(Settings(demo=False, secret_key="x" * 16))
    check_secret_key(Settings(demo=True, secret_key=None))


def test_the_app_refuses_to_start_without_it() -> None:
    from kiosk.app import create_app

    with pytest.raises(MissingSecretKey):
        create_app(Settings(demo=False, secret_key=None))


def test_the_demo_without_a_key_still_encrypts() -> None:
    demo = SecretBox.from_settings(Settings(demo=True, secret_key=None))
    sealed = demo.seal("stripe.secret_key", KEY)
    assert KEY not in sealed and demo.open("stripe.secret_key", sealed) == KEY
