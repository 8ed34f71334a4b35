"""Jinja helpers every page and fragment may use: money as people read it, local times."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kiosk.money.amounts import format_decimal, format_money
from kiosk.web.admin import admin_sections


def _local_time(value: datetime | None, pattern: str = "%H:%M") -> str:
    return value.astimezone().strftime(pattern) if value else ""


def register_template_helpers(engine: Any) -> None:
    """`{{ 1250|money("usd") }}` -> $12.50; `{{ 1250|plain_amount("usd") }}` -> 12.50 (form fields);
    `{{ when|local_time }}` -> 14:05 in the server's time zone."""
    filters = engine.engine.filters
    filters["money"] = format_money
    filters["plain_amount"] = format_decimal
    filters["local_time"] = _local_time
    # The admin layout's section nav (templates/admin/base.html).
    engine.register_template_callable("admin_sections", admin_sections)
