"""The cheaper `ForeignKey.__getattribute__` builds exactly the queries Piccolo's own builds: every
join through every foreign key of the kiosk's tables, one and two levels deep, and the proxy columns
of a key declared by a lazy reference, set up on first use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from piccolo.columns import ForeignKey, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.conf.apps import Finder
from piccolo.table import Table

import piccolo_conf  # noqa: F401  # installs the cheaper method (kiosk/db/engine.py)
from kiosk.db import foreign_keys


@contextmanager
def piccolos_own() -> Iterator[None]:
    ours = ForeignKey.__getattribute__
    ForeignKey.__getattribute__ = foreign_keys.piccolo_getattribute()  # type: ignore[method-assign]
    try:
        yield
    finally:
        ForeignKey.__getattribute__ = ours  # type: ignore[method-assign]


def _joined_selects() -> list[str]:
    """A SELECT of every column reached through each foreign key, and through the keys behind it."""
    selects = []
    for table in Finder().get_table_classes():
        for fk in table._meta.foreign_key_columns:
            via = getattr(table, fk._meta.name)
            columns: list[Any] = [
                getattr(via, c._meta.name) for c in via._foreign_key_meta.resolved_references._meta.columns
            ]
            for deeper in via._foreign_key_meta.resolved_references._meta.foreign_key_columns:
                far = getattr(via, deeper._meta.name)
                columns += [getattr(far, c._meta.name) for c in far._foreign_key_meta.resolved_references._meta.columns]
            query = table.select(*columns).where(via.id.is_in([1, 2])).where(via.is_not_null())
            selects.append(str(query))
    return selects


def test_the_kiosks_joins_come_out_as_piccolo_builds_them() -> None:
    assert ForeignKey.__getattribute__ is not foreign_keys.piccolo_getattribute()
    ours = _joined_selects()
    with piccolos_own():
        theirs = _joined_selects()
    assert len(ours) > 20
    assert ours == theirs
    assert any("JOIN" in select for select in ours)


class Band(Table):
    name = Varchar()
    manager = ForeignKey(references=LazyTableReference("Manager", module_path=__name__))


class Manager(Table):
    name = Varchar()


def test_a_lazy_reference_gets_its_columns_on_first_use() -> None:
    assert Band.manager._foreign_key_meta.proxy_columns == []
    query = str(Band.select(Band.name, Band.manager.name))
    assert 'LEFT JOIN "manager" "band$manager"' in query
    assert '"band$manager"."name" AS "manager.name"' in query
    assert [c._meta.name for c in Band.manager._foreign_key_meta.proxy_columns] == ["id", "name"]
