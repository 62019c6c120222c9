"""The review queue as the console sees it: scanning, grouping and one item's details.

Why here and not in ``review``: it joins the review tables with what only the web app holds, the
sentence encoder of the search (for grouping) and the app's shared state; ``review`` stays usable
without a web app (``make retrain``, forget-me).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from handoff.models import as_utc
from nlu.text import split_words
from retrieval.errors import RetrievalError
from review.collect import ScanPolicy, ScanReport, conversation_events, events_table, scan
from review.corrections import latest_correction
from review.grouping import group_items
from review.models import RelevanceMark, ReviewItem
from review.signals import REASONS
from web.db import session_scope
from web.state import AppState
from web.transcript import shown_products, transcript

logger = logging.getLogger(__name__)
MAX_CACHED_VECTORS = 20_000


def scan_policy(state: AppState) -> ScanPolicy:
    return ScanPolicy(low_confidence=state.settings.review_low_confidence,
                      abandon_after_seconds=state.settings.review_abandon_seconds)


def scan_now(state: AppState) -> ScanReport:
    """One incremental scan; a scan racing another replica's gives way (the other one read the same events)."""
    if state.tracker is None:
        return ScanReport()
    try:
        with session_scope(state.sessions) as db:
            return scan(state.tracker, db, scan_policy(state))
    except (IntegrityError, OperationalError) as error:
        logger.info("review scan gave way to a concurrent one (%s)", type(error).__name__)
        return ScanReport()


async def scan_periodically(state: AppState) -> None:
    """Keep the queue fresh while nobody looks at it, so abandoned searches are noticed too."""
    while True:
        await asyncio.sleep(state.settings.review_scan_seconds)
        try:
            await asyncio.to_thread(scan_now, state)
        except SQLAlchemyError as error:
            logger.warning("review scan failed (%s); trying again in %.0f s", error, state.settings.review_scan_seconds)


def _vector(state: AppState, text: str) -> np.ndarray:
    vector = state.review_vectors.get(text)
    if vector is None:
        if len(state.review_vectors) >= MAX_CACHED_VECTORS:
            state.review_vectors.clear()
        vector = state.review_vectors[text] = np.asarray(state.query_encoder.encode_query(text), dtype=np.float32)
    return vector


def _words_vector(text: str) -> np.ndarray:
    """Without the encoder (no index built yet): the same lower-cased words count as the same kind."""
    vector = np.zeros(512, dtype=np.float32)
    for word in split_words(text.lower()):
        vector[hash(word.text) % 512] = 1.0
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def summary(item: ReviewItem) -> dict[str, Any]:
    """What a queue row shows; never the customer id."""
    return {"id": item.id, "text": item.text, "intent": item.intent, "confidence": round(item.confidence, 3),
            "reasons": [{"code": r, "label": REASONS.get(r, r)} for r in item.reasons], "status": item.status,
            "occurred_at": as_utc(item.occurred_at).isoformat(), "products": len(item.products)}


def queue(state: AppState, db: Session, *, status: str) -> list[dict[str, Any]]:
    """Groups of the items with ``status``: the most frequent kind of message first."""
    items = list(db.scalars(select(ReviewItem).where(ReviewItem.status == status).order_by(ReviewItem.id.desc()).limit(2000)))
    try:
        groups = group_items(items, lambda text: _vector(state, text))
    except RetrievalError as error:  # the queue must still open; say why grouping is coarser
        logger.warning("review queue grouped by words, not meaning: %s", error)
        groups = group_items(items, _words_vector)
    return [{"size": g.size, "latest": as_utc(g.latest).isoformat(), "items": [summary(i) for i in g.items]} for g in groups]


def item_detail(state: AppState, db: Session, item: ReviewItem) -> dict[str, Any]:
    """The message with its words (for the span editor), the model's reading, the latest correction,
    the products it showed with their marks, and the conversation around it."""
    events: list[tuple[int, dict[str, Any]]] = []
    table = events_table(state.tracker) if state.tracker is not None else None
    if table is not None and state.tracker is not None:
        events = conversation_events(state.tracker, table, item.conversation_id)
    tracker = {"events": [event for _, event in events]}
    marks = {m.product_id: m.grade for m in db.scalars(select(RelevanceMark).where(RelevanceMark.item_id == item.id))}
    cards = {str(c.get("id")): c for c in shown_products(tracker, item.products)}
    correction = latest_correction(db, item.id)
    return {
        **summary(item),
        "words": [{"text": w.text, "start": w.start, "end": w.end} for w in split_words(item.text)],
        "model": {"intent": item.intent, "confidence": round(item.confidence, 3), "entities": item.entities},
        "correction": None if correction is None else {
            "intent": correction.intent, "entities": correction.entities, "reviewer": correction.reviewer,
            "created_at": as_utc(correction.created_at).isoformat()},
        "products": [{"id": pid, "title": (cards.get(pid) or {}).get("title") or f"product {pid}",
                      "price_text": (cards.get(pid) or {}).get("price_text") or "", "grade": marks.get(pid)} for pid in item.products],
        "conversation": [{"role": m.get("role"), "text": m.get("text") or ""} for m in transcript(tracker)],
    }
