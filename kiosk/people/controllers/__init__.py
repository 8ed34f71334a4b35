"""The people's pages: login, logout and the warehouse picker (`login`), the users admin (`users`).

Mounted by kiosk/app.py (login) and kiosk/web/admin.py (users); no other code imports them."""
