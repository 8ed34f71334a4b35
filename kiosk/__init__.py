"""Kiosk: a cloud point-of-sale kiosk for Stripe Terminal smart readers (server-driven).

The top binds the rooms together (`app`, `server`, `config`, `piccolo_app`, `forms`); each room is a
package that owns its tables, its domain code and its controllers. ARCHITECTURE.md is the map.
"""
