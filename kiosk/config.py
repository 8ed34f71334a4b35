"""Settings read once from the environment."""

from __future__ import annotations

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
        )
