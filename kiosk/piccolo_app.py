"""Piccolo app config: Kiosk's tables and their checked-in migrations."""

import os

from piccolo.conf.apps import AppConfig, table_finder

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="kiosk",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=table_finder(
        modules=[
            "kiosk.shop.tables",
            "kiosk.people.tables",
            "kiosk.db.tables",
            "kiosk.money.tables",
            "kiosk.audit.tables",
            "kiosk.readers.tables",
            "kiosk.payments.tables",
            "kiosk.till.tables",
            "kiosk.reports.tables",
            "kiosk.catalogue.tables",
            "kiosk.customers.tables",
        ],
        exclude_imported=True,
    ),
    # Users are Piccolo's own BaseUser: its table must exist before ours reference it.
    migration_dependencies=["piccolo.apps.user.piccolo_app"],
    commands=[],
)
