"""Customers: the people a shop knows by name, mirrored to Stripe Customers, and their saved cards.

Owns the `customer`, `saved_card` and `receipt_customer` tables. Others may use:
- `directory`: finding, creating and editing customers (the till's search, the admin page);
- `mirror`: the Stripe Customer behind a kiosk customer, created the first time it is needed;
- `attach`: the customer of a receipt (a link row here, so the shop's tables stay as they are),
  the cashier's consent to save the card, and what a card payment must carry (`payment_terms`);
- `cards`: saved cards (Stripe's PaymentMethod id, brand, last 4, expiry; never a card number),
  remembering the card a payment generated and removing one (detached at Stripe);
- `protection`: the admin's "Card data protection" setting (don't save, or Stripe token only).
`controllers` (the till's customer fragment, the Customers admin) are mounted by kiosk/app.py and
kiosk/web. Imports `stripe_account`, `people` (guards), `shop`, `audit`, `db`, `forms`.
"""
