"""Piccolo app config: Kiosk's tables and their checked-in migrations."""

import os

from piccolo.conf.apps import AppConfig, table_finder

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="kiosk",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=table_finder(
        modules=[
            "kiosk.tables",
            "kiosk.payment_tables",
            "kiosk.lease_tables",
            "kiosk.refund_tables",
            "kiosk.settings_tables",
            "kiosk.audit_tables",
            "kiosk.security_tables",
            "kiosk.reader_tables",
        ],
        exclude_imported=True,
    ),
    # Users are Piccolo's own BaseUser: its table must exist before ours reference it.
    migration_dependencies=["piccolo.apps.user.piccolo_app"],
    commands=[],
)
