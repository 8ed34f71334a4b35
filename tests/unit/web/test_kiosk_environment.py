"""The kiosk's Jinja environment (kiosk/web/templating.py `KioskEnvironment`) draws what Jinja's own
draws: a dict row's keys as attributes, its methods where a template names them, a missing key
as Jinja's undefined (empty, or the error of a strict undefined), objects' attributes, and the
globals every template sees, imports and includes too."""

from __future__ import annotations

import jinja2
import pytest

from kiosk.web.templating import KioskEnvironment

TEMPLATES = {
    "page.html": (
        "{% from 'macros.html' import price %}"
        "<h1>{{ receipt.number }}: {{ price(receipt.total) }}</h1>"
        "[{{ receipt.missing }}]{% for key, value in receipt.items() %}{{ key }}={{ value }};{% endfor %}"
        "{{ receipt.get('number') }} {{ row.items is callable }} {{ row['items'] }} {{ person.name }} {{ shop() }}"
        "{% include 'part.html' %}"
    ),
    "macros.html": "{% macro price(cents) %}${{ '%.2f' % (cents / 100) }} at {{ shop() }}{% endmacro %}",
    "part.html": "<p>{{ shop() }} {{ receipt['total'] }} {{ receipt.total.real }}</p>",
    "strict.html": "{{ receipt.missing }}",
}


class Person:
    name = "Ada <3"


def _render(env_class: type[jinja2.Environment], name: str = "page.html", **options: object) -> str:
    env = env_class(loader=jinja2.DictLoader(TEMPLATES), autoescape=True, **options)  # type: ignore[arg-type]
    env.globals["shop"] = lambda: "Downtown"
    return env.get_template(name).render(
        receipt={"number": 7, "total": 1250}, row={"items": "three items"}, person=Person()
    )


def test_pages_are_drawn_as_jinja_draws_them() -> None:
    ours = _render(KioskEnvironment)
    assert ours == _render(jinja2.Environment)
    assert ours.startswith("<h1>7: $12.50 at Downtown</h1>[]number=7;total=1250;7 True three items Ada &lt;3 Downtown")
    assert ours.endswith("<p>Downtown 1250 1250</p>")


def test_a_missing_key_is_jinjas_undefined() -> None:
    with pytest.raises(jinja2.UndefinedError, match="has no attribute 'missing'"):
        _render(KioskEnvironment, "strict.html", undefined=jinja2.StrictUndefined)
