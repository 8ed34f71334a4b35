"""Includes joined where they are drawn (kiosk/web/templating.py `WholeIncludes`) give the very text
Jinja's own code generator gives: in a page that extends a layout, in loops with their own names,
inside `{% set %}` blocks and macros, with `ignore missing` and `without context`, and when an
included template fails the error is the same."""

from __future__ import annotations

import jinja2
import pytest

from kiosk.web.templating import WholeIncludes

TEMPLATES = {
    "base.html": (
        "<html>{% block banner %}{% include 'banner.html' %}{% endblock %}"
        "<main>{% block content %}{% endblock %}</main></html>"
    ),
    "banner.html": "{% if mode == 'test' %}<div>TEST &amp; {{ mode }}</div>{% endif %}",
    "line.html": (
        "<li>{{ line.name }} x {{ qty }}"
        "{% if errors.get('l' ~ line.id) %} <b>{{ errors['l' ~ line.id] }}</b>{% endif %}</li>"
    ),
    "page.html": (
        "{% extends 'base.html' %}{% block content %}<h1>{{ title }}</h1><ul>"
        "{% for line in lines %}{% set qty = loop.index * 2 %}{% include 'line.html' %}{% endfor %}</ul>"
        "{% set captured %}[{% include 'banner.html' %}]{% endset %}{{ captured }}"
        "{% macro boxed(line, qty, x) %}<box>{% include 'line.html' %}{{ x }}</box>{% endmacro %}"
        "{{ boxed(lines[0], 7, '<m>') }}"
        "{% include 'missing.html' ignore missing %}{% include 'banner.html' without context %}"
        "{% include ['nope.html', 'banner.html'] %}{% endblock %}"
    ),
    "broken.html": "<p>{% include 'fails.html' %}</p>",
    "fails.html": "before {{ 1 // zero }} after",
}


def _environment(whole: bool) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.DictLoader(TEMPLATES), autoescape=True)
    if whole:
        env.code_generator_class = WholeIncludes
    return env


CONTEXT = {
    "title": "Receipt <#12>",
    "mode": "test",
    "lines": [{"id": 1, "name": "Cola & chips"}, {"id": 2, "name": "<script>"}],
    "errors": {"l2": "Too <many>"},
}


def test_a_page_with_includes_reads_exactly_as_jinja_draws_it() -> None:
    ours = _environment(True).get_template("page.html").render(CONTEXT)
    assert ours == _environment(False).get_template("page.html").render(CONTEXT)
    assert "<li>Cola &amp; chips x 2</li>" in ours and "&lt;script&gt; x 4 <b>Too &lt;many&gt;</b>" in ours
    assert "[<div>TEST &amp; test</div>]" in ours and "<box><li>Cola &amp; chips x 7</li>&lt;m&gt;</box>" in ours


def test_an_include_that_fails_fails_the_page_the_same_way() -> None:
    for whole in (True, False):
        with pytest.raises(ZeroDivisionError):
            _environment(whole).get_template("broken.html").render(zero=0)
