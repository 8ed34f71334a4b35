from pathlib import Path

from kiosk.config import Settings


def test_sqlite_is_the_default_database() -> None:
    settings = Settings.from_env({"KIOSK_SQLITE_PATH": "/tmp/x/kiosk.sqlite"})
    assert not settings.uses_postgres
    assert settings.sqlite_path == Path("/tmp/x/kiosk.sqlite")


def test_postgres_url_selects_postgres() -> None:
    settings = Settings.from_env({"KIOSK_DATABASE_URL": "postgres://kiosk@127.0.0.1:5433/kiosk"})
    assert settings.uses_postgres
