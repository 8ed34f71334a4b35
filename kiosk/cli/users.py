"""`kiosk create-user` and `kiosk create-warehouse`: set up people and places from the shell."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from typing import Any

from kiosk.people.auth import AuthError


def _read_password(args: argparse.Namespace) -> str:
    """--password, else one line of stdin (--password-stdin), else asked twice without echo."""
    if args.password is not None:
        return str(args.password)
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"Password for {args.username}: ")
    if getpass.getpass("Again: ") != first:
        raise AuthError("The two passwords differ.")
    return first


def create_user(args: argparse.Namespace) -> int:
    from kiosk.people.accounts import create_user as create

    try:
        password = _read_password(args)
        user_id = asyncio.run(
            create(args.username, password, admin=args.admin, warehouses=args.warehouse, email=args.email)
        )
    except AuthError as exc:
        print(f"kiosk create-user: {exc}", file=sys.stderr)
        return 1
    role = "admin" if args.admin else "cashier"
    where = f" at {', '.join(args.warehouse)}" if args.warehouse else ""
    print(f"Created {role} {args.username} (id {user_id}){where}.")
    return 0


def create_warehouse(args: argparse.Namespace) -> int:
    from kiosk.till.warehouses import create_warehouse as create

    try:
        warehouse_id = asyncio.run(create(args.name, args.currency))
    except AuthError as exc:
        print(f"kiosk create-warehouse: {exc}", file=sys.stderr)
        return 1
    print(f"Created warehouse {args.name} (id {warehouse_id}, {args.currency.upper()}).")
    return 0


def add_user_commands(sub: Any) -> None:
    """Register the commands on the `kiosk` parser's subparsers."""
    p = sub.add_parser("create-user", help="create a cashier or an admin")
    p.add_argument("username")
    secret = p.add_mutually_exclusive_group()
    secret.add_argument(
        "--password",
        help="at least 8 characters, not easy to guess (visible in the process list: prefer the other ways)",
    )
    secret.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    p.add_argument("--admin", action="store_true", help="an admin (may use every warehouse)")
    p.add_argument("--warehouse", action="append", default=[], metavar="NAME", help="may work here (repeatable)")
    p.add_argument("--email", help="optional; a placeholder address is stored otherwise")
    p.set_defaults(func=create_user)

    p = sub.add_parser("create-warehouse", help="create a warehouse (receipts are numbered per warehouse)")
    p.add_argument("name")
    p.add_argument("--currency", default="usd", help="ISO code of its prices, e.g. usd, eur, jpy (default usd)")
    p.set_defaults(func=create_warehouse)
