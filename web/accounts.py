"""Staff accounts from the command line: ``python -m web.accounts create USERNAME [--password-stdin]``.

Why a CLI and no sign-up page: only people with access to the server may create console accounts.
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from shop.settings import Settings, get_settings
from web.db import open_engine, session_scope
from web.models import StaffAccount
from web.roles import DEFAULT_ROLES, ROLES, format_roles
from web.security import hash_password

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")
MIN_PASSWORD = 8


class AccountError(ValueError):
    """The account cannot be created as asked; the message says why."""


def create_account(settings: Settings, *, username: str, password: str, roles: tuple[str, ...] | None = None) -> None:
    """Create a staff account, or replace the password (and, when given, the roles) of an existing one."""
    if not USERNAME.match(username):
        raise AccountError("usernames are 2-64 letters, digits, '.', '_' or '-'")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"passwords need at least {MIN_PASSWORD} characters")
    try:
        stored_roles = format_roles(roles) if roles is not None else None
    except ValueError as error:
        raise AccountError(str(error)) from error
    engine = open_engine(settings.resolved_database_url)
    try:
        with session_scope(sessionmaker(engine)) as session:
            account = session.scalar(select(StaffAccount).where(StaffAccount.username == username))
            if account is None:
                session.add(StaffAccount(username=username, password_hash=hash_password(password),
                                         roles=stored_roles or format_roles(DEFAULT_ROLES)))
            else:
                account.password_hash = hash_password(password)
                if stored_roles:
                    account.roles = stored_roles
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m web.accounts", description="Manage staff console accounts.")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create an account (or set a new password)")
    create.add_argument("username")
    create.add_argument("--role", action="append", choices=sorted(ROLES), dest="roles",
                        help="repeat for several: " + "; ".join(f"{k}: {v}" for k, v in ROLES.items()) + " (default: agent)")
    create.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    args = parser.parse_args(argv)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Repeat password: "):
            print("error: the passwords differ", file=sys.stderr)
            return 2
    try:
        create_account(get_settings(), username=args.username, password=password, roles=tuple(args.roles) if args.roles else None)
    except AccountError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"account {args.username!r} is ready; log in at /console")
    return 0


if __name__ == "__main__":
    sys.exit(main())
