"""Kiosk: a cloud point-of-sale kiosk for Stripe Terminal smart readers (server-driven)."""
