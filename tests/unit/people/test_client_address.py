"""Which address a request comes from: the peer's, or, when the peer is a trusted proxy (load
balancer), the one it writes in X-Forwarded-For; the trusted proxies are a setting."""

from __future__ import annotations

import pytest

from kiosk.config import DEFAULT_TRUSTED_PROXIES, Settings
from kiosk.people.guards import forwarded_client

BALANCER = ("10.0.0.0/8",)


def test_by_default_only_the_machine_itself_is_trusted() -> None:
    assert Settings.from_env({}).trusted_proxies == DEFAULT_TRUSTED_PROXIES == ("127.0.0.1", "::1")
    assert forwarded_client("127.0.0.1", "198.51.100.7", DEFAULT_TRUSTED_PROXIES) == "198.51.100.7"
    assert forwarded_client("10.0.0.2", "198.51.100.7", DEFAULT_TRUSTED_PROXIES) == "10.0.0.2"


def test_the_setting_takes_addresses_and_networks() -> None:
    settings = Settings.from_env({"KIOSK_TRUSTED_PROXIES": " 10.0.0.0/8, 192.168.1.7 ,2001:db8::/32,"})
    assert settings.trusted_proxies == ("10.0.0.0/8", "192.168.1.7", "2001:db8::/32")


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("*", "cannot be *"),
        ("10.0.0.0/33", "'10.0.0.0/33' is neither"),
        ("balancer.local", "'balancer.local' is neither"),
    ],
)
def test_what_is_not_an_address_is_refused(value: str, said: str) -> None:
    with pytest.raises(ValueError, match="KIOSK_TRUSTED_PROXIES") as refused:
        Settings.from_env({"KIOSK_TRUSTED_PROXIES": value})
    assert said in str(refused.value)


def test_each_till_behind_a_trusted_balancer_is_known_by_its_own_address() -> None:
    assert forwarded_client("10.0.0.2", "198.51.100.7", BALANCER) == "198.51.100.7"
    assert forwarded_client("10.0.0.2", "198.51.100.8", BALANCER) == "198.51.100.8"


def test_a_browser_cannot_choose_its_address() -> None:
    # Not through a trusted proxy: the header is the browser's own words.
    assert forwarded_client("203.0.113.5", "1.2.3.4", BALANCER) == "203.0.113.5"
    # Through the balancer: a forged entry on the left is skipped; the balancer appended the real one.
    assert forwarded_client("10.0.0.2", "1.2.3.4, 198.51.100.7", BALANCER) == "198.51.100.7"


def test_chains_of_proxies_ports_and_ipv6() -> None:
    assert forwarded_client("10.0.0.2", "198.51.100.7, 10.1.1.1", BALANCER) == "198.51.100.7"
    assert forwarded_client("10.0.0.2", "198.51.100.7:5123", BALANCER) == "198.51.100.7"
    assert forwarded_client("10.0.0.2", "[2001:db8::5]:443", BALANCER) == "2001:db8::5"
    assert forwarded_client("10.0.0.2", "2001:db8::5", BALANCER) == "2001:db8::5"
    assert forwarded_client("10.0.0.2", "", BALANCER) == "10.0.0.2"
    assert forwarded_client("10.0.0.2", "10.9.9.9", BALANCER) == "10.9.9.9"  # all trusted: the first one
