"""People: users and their roles, who may work where, sessions, the login limit, the users admin.

Owns the `user_warehouse`, `kiosk_session`, `login_failure` and `user_permission` tables (people themselves are
Piccolo's `BaseUser`). Others may use:
- `auth`: `Login` and `Till` (who is signed in, at which warehouse), sessions, `now_utc`;
- `guards`: the request side of it for every room's controllers: `admin_area`, the `login`,
  `admin` and `till` dependencies, CSRF config, `is_htmx`, `client_address`, session cookies;
- `accounts`: creating people (`create_user`, for the `kiosk` command) and the users admin's domain;
- `passwords`: which new passwords are accepted (`password_problem`);
- `permissions`: what a person may do beyond their role (`may_take_returns`, set on the users admin);
- `tables`: `UserWarehouse`, `Session`, `UserPermission`.
`controllers` (login, logout, choosing a warehouse; the users admin) are mounted by kiosk/app.py
and kiosk/web. Imports `shop`, `audit`, `db`, `forms`, `config`.
"""
