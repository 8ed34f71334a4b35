"""Settings read once from the environment."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"
HTMX_DIST_DIR = PROJECT_ROOT / "node_modules" / "htmx.org" / "dist"


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


CAPTURE_MODES = ("automatic", "manual")


def _capture_mode(value: str | None) -> str:
    mode = (value or "automatic").strip().lower()
    if mode not in CAPTURE_MODES:
        raise ValueError(f"KIOSK_CAPTURE_MODE must be one of {', '.join(CAPTURE_MODES)}, not {value!r}")
    return mode


# Who may say, in X-Forwarded-For, which address a request came from: the machine itself by default.
DEFAULT_TRUSTED_PROXIES = ("127.0.0.1", "::1")


def _trusted_proxies(value: str | None) -> tuple[str, ...]:
    """KIOSK_TRUSTED_PROXIES: comma-separated IP addresses or networks (CIDR) of the proxies and load
    balancers in front of the kiosk, e.g. `10.0.0.0/8,127.0.0.1`. Unset: DEFAULT_TRUSTED_PROXIES.

    `*` is refused: X-Forwarded-For is written by whoever sends the request, so trusting everyone
    would let any browser choose its own address, and slip past the login limit by choosing a new one."""
    if value is None or not value.strip():
        return DEFAULT_TRUSTED_PROXIES
    found: list[str] = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        if item == "*":
            raise ValueError(
                "KIOSK_TRUSTED_PROXIES cannot be *: name your proxies' addresses (IPs or networks like 10.0.0.0/8)"
            )
        try:
            network = ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValueError(
                f"KIOSK_TRUSTED_PROXIES: {item!r} is neither an IP address nor a network like 10.0.0.0/8"
            ) from None
        found.append(str(network.network_address) if network.num_addresses == 1 else str(network))
    return tuple(found) or DEFAULT_TRUSTED_PROXIES


@dataclass(frozen=True)
class Settings:
    """Everything the kiosk reads from its environment, read in one place."""

    database_url: str | None = None
    sqlite_path: Path = PROJECT_ROOT / "data" / "kiosk.sqlite"
    stripe_api_base: str | None = None
    secret_key: str | None = None
    demo: bool = False
    # Stripe (issue 4 moves the keys into the admin pages, stored encrypted).
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    capture_mode: str = "automatic"  # automatic | manual
    customer_cancellation: bool = True
    # The proxies whose X-Forwarded-For is believed (IPs and CIDR networks); see _trusted_proxies.
    trusted_proxies: tuple[str, ...] = DEFAULT_TRUSTED_PROXIES
    # The bearer token Prometheus sends for /metrics from elsewhere than the server itself (loopback).
    metrics_token: str | None = None

    @property
    def uses_postgres(self) -> bool:
        return bool(self.database_url) and str(self.database_url).startswith(("postgres://", "postgresql://"))

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        sqlite_path = env.get("KIOSK_SQLITE_PATH")
        return cls(
            database_url=env.get("KIOSK_DATABASE_URL") or None,
            sqlite_path=Path(sqlite_path) if sqlite_path else cls.sqlite_path,
            stripe_api_base=env.get("KIOSK_STRIPE_API_BASE") or None,
            secret_key=env.get("KIOSK_SECRET_KEY") or None,
            demo=_flag(env.get("KIOSK_DEMO")),
            stripe_secret_key=env.get("KIOSK_STRIPE_SECRET_KEY") or None,
            stripe_webhook_secret=env.get("KIOSK_STRIPE_WEBHOOK_SECRET") or None,
            capture_mode=_capture_mode(env.get("KIOSK_CAPTURE_MODE")),
            customer_cancellation=_flag(env.get("KIOSK_CUSTOMER_CANCELLATION") or "on"),
            trusted_proxies=_trusted_proxies(env.get("KIOSK_TRUSTED_PROXIES")),
            metrics_token=env.get("KIOSK_METRICS_TOKEN") or None,
        )
