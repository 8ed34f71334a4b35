"""Piccolo tables: warehouses, location pairing, users and sessions, receipts, tenders, payments."""
