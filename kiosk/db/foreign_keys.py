"""Piccolo's `ForeignKey.__getattribute__` without its `dir()` on every attribute read.

Piccolo (1.38) runs `name not in dir(self)` on every read of a public attribute of a foreign-key
column: `fk.value_type`, `fk.get_select_string(...)`, `fk.is_in(...)`, `Payment.receipt.id`... A
foreign key has about 85 attributes, so each read builds and sorts that list (~10 µs), and building
one query reads a dozen of them: 7 % of a sale's server CPU went there. The `dir()` only serves to
set up the proxy columns of a foreign key declared by a `LazyTableReference` (`Payment.refund`) the
first time one of them is read, and only matters while that key has none yet; the same conditions
are tested here cheapest first, so `dir()` runs only in that rare case. Everything else is Piccolo's
own code, unchanged: a column read through a foreign key is still a copy with its join chain.

Installed once, when kiosk.db.engine is imported (piccolo_conf.py imports it before any table), and
only on the Piccolo version this was written against: another version keeps its own method.
"""

from __future__ import annotations

import contextlib
from typing import Any

import piccolo
from piccolo.columns.base import Column
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.reference import LazyTableReference

PICCOLO_VERSION = "1.38.0"
_PICCOLO_GETATTRIBUTE = ForeignKey.__getattribute__


def _getattribute(self: ForeignKey[Any], name: str) -> Any:
    if name.startswith("_"):
        return object.__getattribute__(self, name)
    try:
        fk_meta = object.__getattribute__(self, "_foreign_key_meta")
    except AttributeError:
        pass
    else:
        if fk_meta.proxy_columns == [] and isinstance(fk_meta.references, LazyTableReference) and name not in dir(self):
            object.__getattribute__(self, "set_proxy_columns")()

    value = object.__getattribute__(self, name)
    foreignkey_class: type[ForeignKey[Any]] = object.__getattribute__(self, "__class__")

    if isinstance(value, foreignkey_class):  # a foreign key of the referenced table: a deeper join
        new_column = value.copy()
        new_column._meta.call_chain.append(self)
        if len(new_column._meta.call_chain) >= 10:
            raise Exception("Call chain too long!")
        foreign_key_meta = object.__getattribute__(new_column, "_foreign_key_meta")
        for proxy_column in foreign_key_meta.proxy_columns:
            with contextlib.suppress(Exception):
                delattr(new_column, proxy_column._meta.name)
        foreign_key_meta.proxy_columns = []
        for column in value._foreign_key_meta.resolved_references._meta.columns:
            _column: Column = column.copy()
            _column._meta.call_chain = list(new_column._meta.call_chain)
            setattr(new_column, _column._meta.name, _column)
            foreign_key_meta.proxy_columns.append(_column)
        return new_column
    if issubclass(type(value), Column):  # a column of the referenced table, joined through this key
        new_column = value.copy()
        column_meta = object.__getattribute__(self, "_meta")
        new_column._meta.call_chain = column_meta.call_chain.copy()
        new_column._meta.call_chain.append(self)
        return new_column
    return value


def install() -> bool:
    """Put the cheaper method in place (once); False, leaving Piccolo's, on another version."""
    if piccolo.__VERSION__ != PICCOLO_VERSION:
        return False
    ForeignKey.__getattribute__ = _getattribute  # type: ignore[method-assign]
    return True


def piccolo_getattribute() -> Any:
    """Piccolo's own method (the tests compare both)."""
    return _PICCOLO_GETATTRIBUTE
