"""The Stripe account: the only code that calls Stripe (named so it is never confused with the SDK).

No other room imports the `stripe` SDK (an import-linter contract). Others may use:
- `gateway`: `StripeGateway`, the payments' door to Stripe (PaymentIntents, reader actions,
  refunds, webhook signatures), every call mapped to `errors`; it reports what it learns about
  readers to a `ReaderNews` the caller passes in (the reader snapshot);
- `admin_gateway`: `StripeAdmin`, the admin pages' door (keys, locations, readers, webhook
  endpoints); `admin_objects` and `objects`: Stripe's answers parsed into plain dataclasses;
- `errors`: the vocabulary of what can go wrong with a card action (reader busy or offline,
  declined, Stripe unavailable, rate limited, ...), raised here and answered by the payments;
- `budget`: the per-second budget of Stripe calls shared by a process's background work;
- `keys`: the Stripe keys (classified test/live, masked, encrypted at rest through kiosk/db),
  `KeysInForce` (the keys a running process uses, kept by kiosk/payments/runtime.py).
Inside, `sdk_logging` has the SDK format its log lines only when a logger or `STRIPE_LOG` wants
them (installed by `gateway`).
`controllers` is the Stripe admin page, mounted by kiosk/web. Imports `people` (guards), `audit`,
`db`, `forms`, `config`.
"""
