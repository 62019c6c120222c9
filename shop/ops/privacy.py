"""Privacy operations: "forget me" and the retention period.

Usage:
  python -m shop.ops.privacy forget CUSTOMER_ID   delete the customer's reactions, handoffs, conversation events,
                                                  review-queue messages, stored answers and API token
  python -m shop.ops.privacy purge                delete reactions older than SHOP_FEEDBACK_RETENTION_DAYS

Why here and not in retrieval: a customer's data lives in several stores, the feedback and handoff
tables (ours) and Rasa's tracker store (its ``events`` table, keyed by sender id); forgetting must
cover all of them.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from sqlalchemy import MetaData, Table, create_engine, delete, inspect
from sqlalchemy.orm import Session

from handoff.db import migrate as migrate_handoffs
from handoff.queue import forget_conversation
from retrieval.feedback import FeedbackStore
from retrieval.store import make_engine, migrate
from review.corrections import forget_conversation as forget_review
from review.db import migrate as migrate_review
from shop.settings import Settings, get_settings


@dataclass
class ForgetReport:
    """How many rows were deleted from each store."""

    feedback_rows: int
    tracker_events: int
    handoff_rows: int
    # Messages, corrections, relevance marks and test stories of the review queue.
    review_rows: int = 0
    # The web app's stored answers (exactly-once turns) and, for an API customer, their token's row.
    web_rows: int = 0


def forget_customer(customer_id: str, settings: Settings | None = None) -> ForgetReport:
    """Delete everything stored about ``customer_id``."""
    settings = settings or get_settings()
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    feedback = FeedbackStore(engine).forget_customer(customer_id=customer_id)
    migrate_handoffs(engine)
    with Session(engine) as session, session.begin():  # a customer's conversation id is their customer id
        handoffs = forget_conversation(session, conversation_id=customer_id)
    migrate_review(engine)
    with Session(engine) as session, session.begin():
        review_rows = forget_review(session, conversation_id=customer_id)
    web_rows = 0
    for name in ("chat_turns", "api_customers"):
        if inspect(engine).has_table(name):
            table = Table(name, MetaData(), autoload_with=engine)
            with engine.begin() as connection:
                web_rows += int(connection.execute(delete(table).where(table.c.customer_id == customer_id)).rowcount or 0)
    events = 0
    tracker = create_engine(settings.resolved_tracker_url)
    if inspect(tracker).has_table("events"):
        table = Table("events", MetaData(), autoload_with=tracker)
        with tracker.begin() as connection:
            events = int(connection.execute(delete(table).where(table.c.sender_id == customer_id)).rowcount or 0)
    tracker.dispose()
    engine.dispose()
    return ForgetReport(feedback_rows=feedback, tracker_events=events, handoff_rows=handoffs, web_rows=web_rows,
                         review_rows=review_rows)


def purge_expired(settings: Settings | None = None) -> int:
    settings = settings or get_settings()
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    return FeedbackStore(engine, retention_days=settings.feedback_retention_days).purge_expired()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Privacy operations of the shopping assistant")
    commands = parser.add_subparsers(dest="command", required=True)
    forget = commands.add_parser("forget", help="delete everything stored about one customer")
    forget.add_argument("customer_id")
    commands.add_parser("purge", help="delete reactions older than the retention period")
    args = parser.parse_args(argv)
    if args.command == "forget":
        report = forget_customer(args.customer_id)
        print(f"forgot the customer: {report.feedback_rows} reactions, {report.tracker_events} conversation events "
              f", {report.handoff_rows} handoffs, {report.review_rows} review-queue rows and {report.web_rows} stored answers "
              "or tokens deleted")
    else:
        print(f"purged {purge_expired()} reactions older than {get_settings().feedback_retention_days} days")
    return 0


if __name__ == "__main__":
    sys.exit(main())
