"""The shop's records: warehouses, and receipts with their lines and cash tenders, as rows.

Every room refers to these rows (sessions choose a warehouse, payments belong to a receipt, a
location is paired with a warehouse), so they sit low, below the rooms that give them meaning:
the till opens and sells on receipts (kiosk/till), the payments settle them (kiosk/payments).
Others may use `tables` (Warehouse, Receipt, ReceiptLine, CashTender and the receipt statuses
OPEN, PAID, VOIDED) and `lookup` (`receipt_row`: one receipt of a warehouse, or ReceiptNotFound;
`lock_receipt`: one writer of a receipt at a time). Imports only `kiosk.db`.
"""
