"""Money: amounts in integer minor units, Stripe's currency rules, and the currencies the shop takes.

Owns the `kiosk_currency` table (enabled currencies and raised card minimums). Others may use:
- `amounts`: parsing what a person types into minor units, formatting, zero- and three-decimal
  currencies, Stripe's card minimums (also used by the embedded Stripe: one copy of the rules);
- `currencies`: the enabled currencies and their minimums (`enabled_codes`,
  `load_raised_minimums`); `tables.CurrencySetting`.
`controllers` is the Currencies admin page, mounted by kiosk/web. Imports `people` (guards),
`shop`, `audit`, `db`, `forms`.
"""
