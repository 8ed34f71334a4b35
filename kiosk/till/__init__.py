"""The till: receipts as the cashier builds them, cash, the till's pages, and the warehouses admin.

The receipts' rows are kiosk/shop's; this room gives them their rules: open a receipt, add lines
or a quick amount, take cash (never more than card payments leave), void one nothing was paid on;
`customer_display` (the receipt's cart on the till's reader) and `tipping` (a warehouse's tips on
the reader, kept in a Stripe Terminal configuration).
Others may use `warehouses` (`create_warehouse`, for the `kiosk` command). `controllers` (the till:
receipts, tenders, the printable receipt; the Warehouses admin page) are mounted by kiosk/app.py
and kiosk/web. Imports `payments` (card tenders and what they add up to) and everything below it.
"""
