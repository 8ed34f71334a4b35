"""Jinja helpers every page and fragment may use: money as people read it, local times."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, FileSystemLoader, nodes
from jinja2.compiler import CodeGenerator, Frame
from litestar.plugins.jinja import JinjaTemplateEngine

from kiosk.catalogue.taxes import format_rate, plain_rate
from kiosk.money.amounts import format_decimal, format_money
from kiosk.payments.card_reader import CardReader, card_reader_of
from kiosk.web.admin import admin_sections


def _local_time(value: datetime | None, pattern: str = "%H:%M") -> str:
    return value.astimezone().strftime(pattern) if value else ""


def human_time(value: datetime | None, now: datetime | None = None, relative: bool = True) -> str:
    """A moment as people say it, in the server's time zone: "just now", "5 min ago", "in 5 min"
    within the hour; else "today 14:05", "yesterday 14:05", "tomorrow 14:05", "6 Dec 14:05", and
    "6 Dec 2025 14:05" in another year. Never a raw timestamp. `relative=False` keeps to the clock
    forms, for a polled fragment an unchanged answer keeps (a 204 would keep "in 5 min" as the minutes pass)."""
    if value is None:
        return ""
    now = now or datetime.now(UTC).astimezone()  # the server's time zone, unless `now` names one
    local = value.astimezone(now.tzinfo)
    seconds = (now - local).total_seconds()
    if relative and abs(seconds) < 3600:
        minutes = int(abs(seconds) // 60)
        if not minutes:
            return "just now"
        return f"{minutes} min ago" if seconds > 0 else f"in {minutes} min"
    clock = local.strftime("%H:%M")
    days = (local.date() - now.date()).days
    if days in _DAY_NAMES:
        return f"{_DAY_NAMES[days]} {clock}"
    day = f"{local.day} {local.strftime('%b')}"
    return f"{day} {clock}" if local.year == now.year else f"{day} {local.year} {clock}"


_DAY_NAMES = {0: "today", -1: "yesterday", 1: "tomorrow"}


def till_card_reader(context: Mapping[str, Any]) -> CardReader | None:
    """`{{ till_card_reader() }}`: the till's card reader (kiosk/payments/card_reader.py), from the
    request's cookie, in the warehouse of the page's `till`; None without either."""
    request, till = context.get("request"), context.get("till")
    if request is None or till is None:
        return None
    return card_reader_of(request.cookies, till.warehouse.id)


class WholeIncludes(CodeGenerator):
    """Jinja's code generator, with each `{% include "name" %}` drawn whole before it is handed on.

    Jinja hands every piece of an included template's output (each run of text, each expression:
    a page makes hundreds) up through a Python loop at the include, then through every block and
    `extends` above it, one generator step per level, before they are joined at the end. Joined at
    the include instead (`environment.concat`, the join Jinja itself ends with), they go up as one
    string: the same text, a receipt page's pieces no longer climbing four levels each. Includes of
    a name computed at runtime, `ignore missing` and `without context` are left to Jinja."""

    def visit_Include(self, node: nodes.Include, frame: Frame) -> None:
        name = node.template
        if node.ignore_missing or not node.with_context or self.environment.is_async:
            super().visit_Include(node, frame)
            return
        if not (isinstance(name, nodes.Const) and isinstance(name.value, str)):
            super().visit_Include(node, frame)
            return
        self.writeline(f"template = environment.get_template({name.value!r}, {self.name!r})", node)
        context = f"template.new_context(context.get_all(), True, {self.dump_local_context(frame)})"
        self.simple_write(f"environment.concat(template.root_render_func({context}))", frame)


# What a dict answers as an attribute (its methods): `row.items` in a template is the method, as in Jinja.
_DICT_ATTRIBUTES = frozenset(dir(dict))


class KioskEnvironment(Environment):
    """Jinja's environment, with two of its steps made cheaper for the kiosk's pages, which read
    hundreds of dict rows' keys (`receipt.total`) and include a dozen partials each.

    - `getattr`: Jinja tries `getattr(row, "total")` first, which for a dict raises (and builds) an
      AttributeError before `row["total"]` is tried. A dict's key that is no dict attribute is looked
      up directly: the same value, or the same undefined when the key is missing.
    - `make_globals`: a template's globals as one dict, where Jinja makes a ChainMap over the
      environment's globals that each include and render walks again in Python (`set(globals)`).
      The kiosk sets every global before its first template loads (`register_template_helpers`), as
      Jinja asks of everyone ("avoid modifying any globals after a template is loaded")."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        # Anything else as Jinja reads it (here, not through `super()`: objects' attributes are read
        # as often as rows' keys, and the extra call doubled their cost).
        try:
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)

    def make_globals(self, d: Any) -> Any:
        return {**self.globals, **d} if d else dict(self.globals)


class KioskTemplateEngine(JinjaTemplateEngine):
    """Litestar's Jinja engine on a `KioskEnvironment` (autoescaped, templates from `directory`)."""

    def __init__(self, directory: Any = None, engine_instance: Environment | None = None) -> None:
        if engine_instance is None:
            engine_instance = KioskEnvironment(loader=FileSystemLoader(searchpath=directory), autoescape=True)
        super().__init__(directory=None, engine_instance=engine_instance)


def register_template_helpers(engine: Any) -> None:
    """`{{ 1250|money("usd") }}` -> $12.50; `{{ 1250|plain_amount("usd") }}` -> 12.50 (form fields),
    both in the request's locale (the warehouse's: kiosk/web/reading_locale.py; "12,50 $" in de_DE);
    `{{ when|local_time }}` -> 14:05 in the server's time zone; `{{ when|human_time }}` -> "5 min ago",
    "today 14:05", "yesterday 14:05", "6 Dec 14:05" (where people read when something happened)."""
    # Templates ship with the code and change with it (a restart): no stat of every template a page
    # extends or includes on each render to see whether its file changed.
    engine.engine.auto_reload = False
    # Includes joined where they are drawn (the same text, fewer steps: `WholeIncludes`).
    engine.engine.code_generator_class = WholeIncludes
    filters = engine.engine.filters
    filters["money"] = format_money
    filters["plain_amount"] = format_decimal
    filters["local_time"] = _local_time
    filters["human_time"] = human_time
    # Tax rates and percentage discounts, kept in thousandths of a percent: 19000 -> "19 %" / "19" (form fields).
    filters["tax_rate"] = format_rate
    filters["tax_rate_plain"] = plain_rate
    # The admin layout's section nav (templates/admin/base.html).
    engine.register_template_callable("admin_sections", admin_sections)
    # The card buttons of a receipt (templates/partials/card_buttons.html).
    engine.register_template_callable("till_card_reader", till_card_reader)
