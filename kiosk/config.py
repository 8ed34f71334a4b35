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


@dataclass(frozen=True)
class Settings:
    """Everything the kiosk reads from its environment, read in one place."""

    database_url: str | None = None
    sqlite_path: Path = PROJECT_ROOT / "data" / "kiosk.sqlite"
    stripe_api_base: str | None = None
    secret_key: str | None = None
    demo: bool = False

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
        )
