"""How every SQLite database of the embedded default is opened: one definition for both Python environments.

Why here: the shop store (``retrieval/store.py``, SQLAlchemy 2), Rasa's tracker store
(``bot/stores.py``, SQLAlchemy 1.4) and the conversation locks (``bot/sqlite_lock_store.py``, plain
``sqlite3``) share no database library, but each hands this function the DB-API connection.

Write-ahead log: a commit appends to the log instead of syncing the file and a rollback journal
(most of the cost of saving a turn or a feedback row, ``benchmarks/turn_cost.py``), and readers in
other processes never block the writer. ``synchronous=NORMAL`` keeps every commit across a crash of
any process; only a power cut can lose the last ones. Writers wait up to 5 s for each other's locks.
"""

from __future__ import annotations

from typing import Any

BUSY_TIMEOUT_MS = 5000


def tune_sqlite_connection(connection: Any, _record: Any = None) -> None:
    """Apply the pragmas to a new DB-API connection (usable as SQLAlchemy's ``connect`` listener)."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()
