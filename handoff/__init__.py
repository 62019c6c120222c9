"""The staff queue: conversations the bot handed to a person (waiting -> active -> closed).

Why a package of its own, below ``actions`` and ``web``: the action server must put every
customer who asks for a person in the queue, whichever channel they came through (the web widget
or Rasa's REST channel directly), and the web app's console must list, claim and close the same
rows. The action server enqueues the moment it hands off (``record_waiting`` is idempotent: one open
handoff per conversation), so no customer depends on the web app noticing the handoff in a reply
it relays; the web app's timer (``web/handoff_timer.py``) tells a customer nobody claimed in time
that nobody is free. Neither side imports the other: both import this package, which owns the
table's schema (its own Alembic version table, ``handoff.db.migrate``) so the action server can
create it on a database the web app has not touched yet.
"""
