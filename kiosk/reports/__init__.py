"""The day's close: X reports (the day so far) and Z reports (a warehouse's local day closed once,
numbered, its figures and the cash counted frozen), printable and as CSV, checked against Stripe,
and the admins' last 30 days as charts drawn on the server.

Owns the `day_close` table. The figures are added up in SQL by the sources of `figures` (one
function per kind of figure: a new one, like returns at the till or tips, is one more function in
`figures.SOURCES`). Stripe is read once per report through the payments engine's gateway, paced by
the reports' own call budget (`stripe_account.budget`). `controllers` (the till's /reports, the
admins' /admin/reports) are mounted by kiosk/app.py and kiosk/web. Sits above `till`; imports
`payments` (card payments, refunds, the payment log, the engine's gateway), `shop` (receipts, cash,
warehouse time zones), `stripe_account`, `people`, `money`, `audit`, `db`, `forms`.
"""
