"""What a refused admin form carries back (one message per field, shown next to that field), and
the redirect a form that was done answers with (or, to htmx, the page in place)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from litestar.response import Redirect


class FormErrors(ValueError):
    """The form was refused and nothing was saved. `errors` maps a field name to its message;
    "_form" holds a message about the form as a whole."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


def see_other(path: str) -> Redirect:
    """After a form is done: the browser GETs `path`, so reloading it does not submit again."""
    return Redirect(path, status_code=303)


# An htmx press whose answer is the whole page it leads to (drawn at the page's own address): htmx
# puts it in place of the page's body, where a reload would have cost the browser a second request.
PAGE_IN_PLACE = {"HX-Retarget": "body", "HX-Reswap": "innerHTML"}


def field_error(name: str, message: str) -> FormErrors:
    return FormErrors({name: message})


@contextmanager
def collected(errors: dict[str, str]) -> Iterator[None]:
    """A refused part of a form adds its messages to `errors` and the checks go on, so one answer
    names every problem at once."""
    try:
        yield
    except FormErrors as exc:
        errors.update(exc.errors)


def text(form: Any, name: str) -> str:
    """One text field of a submitted form ("" when absent; an upload is not text)."""
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def texts(form: Any, name: str) -> list[str]:
    """Every value of a repeated field (ticked checkboxes)."""
    return [value for value in form.getall(name, []) if isinstance(value, str)]
