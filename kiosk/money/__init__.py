"""Money: amounts in integer minor units, Stripe's currency rules, and the currencies the shop takes.

Owns the `kiosk_currency` table (enabled currencies and raised card minimums). Others may use:
- `catalog`: every currency Stripe charges in, decimals, special cases, published minimums and
  Terminal's currency per country (data; also used by the embedded Stripe: one copy of the rules);
- `amounts`: parsing what a person types into minor units and formatting for people, with Babel in
  a locale (the request's reading locale, `use_locale`, set per request by kiosk/web from the
  warehouse's `locale`), card minimums;
- `currencies`: the enabled currencies and their minimums (`enabled_codes`,
  `load_raised_minimums`); `tables.CurrencySetting`.
`controllers` is the Currencies admin page, mounted by kiosk/web. Imports `people` (guards),
`stripe_account` (the account's country), `shop`, `audit`, `db`, `forms`.
"""
