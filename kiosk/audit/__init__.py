"""The audit log: who changed what, when, in the admin's words. Owns the `audit_entry` table.

Others may use `trail` (`record` an entry inside the caller's transaction; `entries` to list
them, filtered, for the admin's Audit page in kiosk/web) and `tables.AuditEntry`. Imports nothing
of the kiosk.
"""
