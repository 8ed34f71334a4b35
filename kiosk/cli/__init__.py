"""The `kiosk` command (`main`): demo, serve, migrate, simulator, users and warehouses, reconcile,
payment-log, bench. The only room that may import the embedded Stripe (kiosk/simulator) and the
bench (kiosk/bench). Run as `kiosk ...` or `python -m kiosk.cli ...`.
"""
