"""The till: receipts as the cashier builds them, cash, returns, the till's pages, and the warehouses admin.

The receipts' rows are kiosk/shop's; this room gives them their rules: open a receipt, add lines
or a quick amount, take cash (never more than card payments leave), void one nothing was paid on;
`customer_display` (the receipt's cart on the till's reader) and `tipping` (a warehouse's tips on
the reader, kept in a Stripe Terminal configuration).
`returns` gives money back on a paid receipt (all, chosen lines, an amount): to its cards first
through kiosk/payments/refunds, then in cash; its rows are this room's `tables` (`ReceiptReturn`,
`ReturnLine`, `ReturnTender`; what counts for the day's figures is said there); a return's receipt
is found by number, card last 4 or customer. `customer_charge` charges a customer's saved card from
their page (a receipt opened for the amount, paid through payments.saved_cards; `CustomerCharge`
keeps the form's one-time key).
Others may use `warehouses` (`create_warehouse`, for the `kiosk` command) and `tables` (returns,
read-only, e.g. the day's close). `controllers` (the till: receipts, tenders, the printable
receipt, returns and their slips; the Warehouses admin page) are mounted by kiosk/app.py and
kiosk/web. Imports `payments` (card tenders, what they add up to, refunds), `people` (who may take
returns) and everything below it.
"""
