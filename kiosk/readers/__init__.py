"""Readers: each Stripe location's warehouse, the chain-wide reader snapshot, reader and location admin.

Owns the `location_pairing`, `reader_status` and `reader_listing` tables. Others may use:
- `snapshot`: the readers of a location as Stripe last described them, listed per location and
  per time rather than per till (`readers_for_picker`, `reader_for_payment`), and
  `DatabaseReaderNews`, which the payments hand to the gateway and the webhook so every reader
  Stripe returns updates the snapshot. The snapshot does not read the payments: they pass in
  `KioskHolds`, telling which actions on readers are theirs;
- `tables.LocationPairing` (location <-> warehouse); `admin.device_name`;
- `locations` and `admin`: the Locations and Readers admin pages' domain.
`controllers` (Locations, Readers) are mounted by kiosk/web. Imports `stripe_account`, `people`
(guards), `shop`, `audit`, `db`, `forms`.
"""
