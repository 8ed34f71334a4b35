"""Piccolo's entry point: which database, and which apps hold tables and migrations."""

from piccolo.conf.apps import AppRegistry

from kiosk.config import Settings
from kiosk.db.engine import make_engine

DB = make_engine(Settings.from_env())

APP_REGISTRY = AppRegistry(apps=["piccolo.apps.user.piccolo_app", "kiosk.piccolo_app"])
