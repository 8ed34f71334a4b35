"""Card payments on Terminal readers: the state machine and everything that moves it.

Owns the `payment`, `payment_log`, `payment_lease`, `reader_lease`, `webhook_event`, `refund` and
`reader_display` tables. Inside: `states` (pure), `store` (conditional moves, reader leases), `driver` and
`actions` (create the PaymentIntent, send it to the reader; start, retry, cancel, check),
`events` (webhooks), `reconciler` and `recovery` (asking Stripe when webhooks are late, resuming
after a crash), `leases` (one server acts on a payment at a time), `captures` and `refunds`,
`picker` (the readers a till may choose, with the leases), `card_reader` (the reader a till last
started a payment on, offered first: a cookie of the device), `views` (what the cashier sees), the poll
fast path, `settlement` (what a receipt's tenders add up to; the receipt closes in the same
transaction as the move that settles its last payment), `runtime` (the engine kept in step with
the stored Stripe keys, the reconciler beside the requests), `cart_display` (a cart on a reader's
screen between payments, never over one), `reader_tasks` (a customer's card saved without paying
or their email asked on the reader: `reader_task` rows, the reader held by a `reader_hold` row that
payments respect, followed by the till's poll and swept by the reconciler), `saved_cards`
(off-session charges of a customer's saved card).

Others may use: `actions`, `views`/`refund_views` and `card_reader` (the till's pages and
templates), `settlement` (`balance`, `has_tenders`), `cart_display` and `picker` (the till's
customer screen), `tables`, `states`, `engine`, `recovery`, `log` (the `kiosk` command), `runtime`
and `poll_fast_path` (kiosk/app.py).
`controllers` (progress fragments, the webhook, the admin's Payments page) are mounted by
kiosk/app.py. Imports `readers`, `money`, `customers`, `stripe_account`, `people`, `shop`, `audit`, `db`,
`forms`, `config`.
"""
