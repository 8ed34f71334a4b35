"""What the Stripe form refuses before asking Stripe: keys in the wrong field, mixed modes, things
that are not keys; and what a key looks like masked."""

from __future__ import annotations

import pytest

from kiosk.stripe_account.keys import KeyEntry, KeyInfo, StripeConfig, check, classify, masked

SECRET = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"
PUBLISHABLE = "pk_test_TYooMQauvdEDq54NiTphI7jx"
WEBHOOK = "whsec_8c1b0e7d5a3f9e2b4c6d8f0a"


@pytest.mark.parametrize(
    ("key", "info"),
    [
        (SECRET, KeyInfo("secret", "test")),
        ("sk_live_51Habcdefghijkl", KeyInfo("secret", "live")),
        ("rk_test_51Habcdefghijkl", KeyInfo("restricted", "test")),
        (PUBLISHABLE, KeyInfo("publishable", "test")),
        ("pk_live_51Habcdefghijkl", KeyInfo("publishable", "live")),
        (WEBHOOK, KeyInfo("webhook", None)),
        # Keys Stripe issues may carry underscores after the mode (the demo's key does).
        ("sk_test_kiosk_demo", KeyInfo("secret", "test")),
        ("rk_live_51H_abc_DEF", KeyInfo("restricted", "live")),
        ("pk_test_kiosk_demo", KeyInfo("publishable", "test")),
        ("sk_test_", None),
        ("sk_test___", None),
        ("sk_test_kiosk-demo", None),
        ("sk_test_a b", None),
        ("hello", None),
        ("sk_prod_51Habcdefghijkl", None),
    ],
)
def test_classify(key: str, info: KeyInfo | None) -> None:
    assert classify(key) == info


def test_masked_keeps_the_kind_and_the_last_four_only() -> None:
    assert masked(SECRET) == "sk_test_••••p7dc"
    assert masked(WEBHOOK) == "whsec_••••8f0a"
    assert masked(None) == ""


def errors_for(current: StripeConfig | None = None, **typed: str) -> dict[str, str]:
    return check(KeyEntry(**typed), current or StripeConfig())[1]


def test_good_keys_pass() -> None:
    assert errors_for(publishable_key=PUBLISHABLE, secret_key=SECRET, webhook_secret=WEBHOOK) == {}
    assert errors_for(secret_key=f"  {SECRET}\n") == {}  # pasted with whitespace


def test_a_publishable_key_in_the_secret_field() -> None:
    assert "This is a publishable key" in errors_for(secret_key=PUBLISHABLE)["secret_key"]


def test_a_secret_key_in_the_publishable_field() -> None:
    assert "Put it in the secret key field" in errors_for(publishable_key=SECRET, secret_key=SECRET)["publishable_key"]


def test_a_webhook_secret_in_the_secret_field_and_garbage_in_the_webhook_field() -> None:
    errors = errors_for(secret_key=WEBHOOK, webhook_secret="hunter2")
    assert "webhook signing secret field" in errors["secret_key"]
    assert "not a webhook signing secret" in errors["webhook_secret"]


def test_live_and_test_keys_together_are_refused() -> None:
    errors = errors_for(publishable_key="pk_live_51Habcdefghijkl", secret_key=SECRET)
    assert errors == {
        "publishable_key": "This is a live mode key but the secret key is a test mode key: both must come from the "
        "same mode."
    }


def test_a_blank_secret_keeps_the_saved_one_and_none_at_all_is_refused() -> None:
    saved = StripeConfig(secret_key=SECRET, webhook_secret=WEBHOOK)
    config, errors = check(KeyEntry(publishable_key=PUBLISHABLE), saved)
    assert errors == {} and config.secret_key == SECRET and config.webhook_secret == WEBHOOK
    assert "Enter the secret key" in errors_for()["secret_key"]


def test_mode_comes_from_the_secret_key() -> None:
    assert StripeConfig(secret_key=SECRET).mode == "test"
    assert StripeConfig(secret_key="rk_live_51Habcdefghijkl").mode == "live"
    assert StripeConfig().mode is None


def test_the_demo_key_is_a_test_secret_key_the_form_accepts() -> None:
    """`kiosk demo` runs with sk_test_kiosk_demo: its mode is known (the TEST MODE banner shows)
    and Verify with the field left blank checks it instead of calling it "not a Stripe API key"."""
    demo = StripeConfig(secret_key="sk_test_kiosk_demo", from_environment=frozenset({"stripe.secret_key"}))
    assert demo.mode == "test"
    assert check(KeyEntry(), demo) == (demo, {})
    assert masked("sk_test_kiosk_demo") == "sk_test_••••demo"
