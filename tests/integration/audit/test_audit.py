"""The audit log: entries written with the change (or not at all), secrets masked, and the
/admin/audit page newest first, by area or person, a page at a time."""

from __future__ import annotations

import pytest

from kiosk.audit import trail as audit
from kiosk.audit.tables import AuditEntry
from kiosk.db.engine import write_transaction
from tests.admin_support import Client
from tests.kiosk_support import make_user


async def test_an_entry_names_the_person_and_keeps_the_detail(admin_user: int) -> None:
    await audit.record(admin_user, "warehouse.rename", "warehouse Main", {"from": "Main", "to": "Shop"})
    [entry] = await audit.entries()
    assert (entry.actor_name, entry.action, entry.subject) == ("boss", "warehouse.rename", "warehouse Main")
    assert entry.detail == {"from": "Main", "to": "Shop"} and entry.area == "warehouse"


async def test_an_entry_is_written_with_its_change_or_not_at_all(admin_user: int) -> None:
    with pytest.raises(RuntimeError):
        async with write_transaction(AuditEntry._meta.db):
            await audit.record(admin_user, "user.create", "user dana")
            raise RuntimeError("the change failed after the entry was written")
    assert await AuditEntry.count() == 0


async def test_secrets_never_reach_the_log(admin_user: int) -> None:
    detail = {
        "secret_key": {"from": "sk_test_51AbCdEfGhIjKlMnOp1234", "to": "rk_live_ZyXwVuTsRqPo9876"},
        "webhook": "whsec_0123456789abcdefWXYZ",
        "publishable": "pk_test_51AbCdEf",
        "new_password": "hunter2hunter2",
        "notes": ["set to sk_live_AAAABBBBCCCCDDDD"],
    }
    await audit.record(admin_user, "stripe.keys", "Stripe keys sk_test_51AbCdEfGhIjKlMnOp1234", detail)
    row = await AuditEntry.select().first()
    stored = repr(row)
    for secret in ("51AbCdEfGhIjKlMnOp", "ZyXwVuTsRqPo", "0123456789abcdef", "hunter2", "AAAABBBBCCCC"):
        assert secret not in stored
    [entry] = await audit.entries()
    assert entry.detail["secret_key"] == {"from": "sk_test_…1234", "to": "rk_live_…9876"}
    assert entry.detail["webhook"] == "whsec_…WXYZ"
    assert entry.detail["publishable"] == "pk_test_51AbCdEf"  # publishable keys are public
    assert entry.detail["new_password"] == "(hidden)"
    assert entry.subject == "Stripe keys sk_test_…1234"


async def test_an_unknown_actor_is_still_recorded(db: str) -> None:
    await audit.record(404, "payment.refund", "payment 7")
    [entry] = await audit.entries()
    assert entry.actor_name == "user #404"


async def test_the_log_page_lists_newest_first_and_filters(admin_client: Client, admin_user: int) -> None:
    other = await make_user("erin", admin=True, warehouses=())
    await audit.record(admin_user, "warehouse.create", "warehouse Annex", {"currency": "eur"})
    await audit.record(other, "user.deactivate", "user cashier")
    await audit.record(admin_user, "currency.minimum", "currency EUR", {"from": "€0.50", "to": "€1.00"})
    page = await admin_client.get("/admin/audit")
    assert page.status_code == 200
    order = [page.text.index(s) for s in ("currency EUR", "user cashier", "warehouse Annex")]
    assert order == sorted(order)
    assert "€0.50 → €1.00" in page.text
    by_area = await admin_client.get("/admin/audit", params={"area": "user", "actor": ""})
    assert "user cashier" in by_area.text and "warehouse Annex" not in by_area.text
    by_person = await admin_client.get("/admin/audit", params={"area": "", "actor": str(other)})
    assert "user cashier" in by_person.text and "currency EUR" not in by_person.text
    unknown = await admin_client.get("/admin/audit", params={"area": "nonsense", "actor": "x"})
    assert unknown.status_code == 200 and "warehouse Annex" in unknown.text


async def test_the_log_is_read_a_page_at_a_time(admin_client: Client, admin_user: int) -> None:
    for n in range(audit.PAGE_SIZE + 3):
        await audit.record(admin_user, "user.access", f"user number{n:03d}")
    first = await admin_client.get("/admin/audit")
    assert "user number052" in first.text and "user number002" not in first.text
    older_link = first.text.split('data-testid="audit-older"')[1].split('href="')[1].split('"')[0]
    older = await admin_client.get(older_link.replace("&amp;", "&"))
    assert "user number002" in older.text and "user number000" in older.text and "user number052" not in older.text
    assert 'data-testid="audit-older"' not in older.text


async def test_what_people_typed_is_shown_as_text(admin_client: Client, admin_user: int) -> None:
    await audit.record(admin_user, "warehouse.create", "warehouse <script>alert(1)</script>", {"n": "<b>x</b>"})
    page = await admin_client.get("/admin/audit")
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text
    assert "<b>x</b>" not in page.text
