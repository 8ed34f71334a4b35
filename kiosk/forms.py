"""What a refused admin form carries back: one message per field, shown next to that field."""

from __future__ import annotations

from typing import Any


class FormErrors(ValueError):
    """The form was refused and nothing was saved. `errors` maps a field name to its message;
    "_form" holds a message about the form as a whole."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


def field_error(name: str, message: str) -> FormErrors:
    return FormErrors({name: message})


def text(form: Any, name: str) -> str:
    """One text field of a submitted form ("" when absent; an upload is not text)."""
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def texts(form: Any, name: str) -> list[str]:
    """Every value of a repeated field (ticked checkboxes)."""
    return [value for value in form.getall(name, []) if isinstance(value, str)]
