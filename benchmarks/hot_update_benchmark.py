"""Catalog updates while the assistant serves: how many turns fail, and how soon new products are findable.

A fifth of the demo catalog (about 1,600 products, as the integration tests use) is ingested into a
scratch store and served by the real action server (``python -m actions.server``, the catalog
watcher on at ``--refresh`` seconds). A simulated customer then chats without pause through the
action server's webhook, as Rasa calls it: searches, pages, selections, "more like this", add to
cart, and every other turn a search for a brand the catalog does not carry yet. Meanwhile the
catalog file is changed (three products of that new brand added, one product on the customer's
screen re-priced and renamed, another on screen removed) and re-ingested with
``retrieval.ingest`` (incremental: SQL first, the index and its manifest last), in this process.

Figures (``hot_update`` in ``benchmarks/results/catalogs.json``, merged: the per-catalog figures of
that file are left as they are):

- ``failed_turns``: turns answered with an HTTP error, the outage message or the bug message, out
  of ``turns`` (every turn of the run, before, during and after the update).
- ``seconds_to_visible``: from the end of the ingestion (the manifest written) to the first answer
  that shows a product of the new brand. Its resolution is one customer turn (``turn_ms_p50``): the
  search for the new brand is every other turn. Bounded above by the refresh interval plus the
  reload (``reload_seconds`` in the action server's log line).
- ``removed_answers``: the removed product referred to by position, by its card's buttons and as
  the focused product; each must answer "no longer available".

Noise: one run, on a shared two-core machine; the ingestion competes with the server for CPU, so
turn latencies during the update are higher than at rest.

Usage: python benchmarks/hot_update_benchmark.py [--every 5] [--refresh 2] [--after 10] [--var-dir DIR]
"""

from __future__ import annotations

import argparse
import csv
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from shop.messages import BUG_MESSAGE, TROUBLE_MESSAGE  # noqa: E402
from shop.settings import REPO_ROOT, Settings  # noqa: E402

NEW_BRAND = "Zorblax"
NO_LONGER_AVAILABLE = "no longer available"
DEMO_CATALOG = REPO_ROOT / "data" / "demo_catalog.csv"
DEMO_MAPPING = REPO_ROOT / "retrieval" / "mappings" / "demo.yml"
Turn = tuple[str, str, str, list[dict[str, Any]]]
"""(action, customer text, intent, entities): one action request as Rasa sends it."""


def entity(name: str, value: str) -> dict[str, Any]:
    return {"entity": name, "value": value}


SCREEN_SEARCH: Turn = ("action_search_products", "tshirts for men", "search_product",
                       [entity("product_type", "tshirts"), entity("gender", "men")])
PROBE: Turn = ("action_search_products", f"{NEW_BRAND.lower()} backpacks", "search_product",
              [entity("brand", NEW_BRAND.lower()), entity("product_type", "backpacks")])
CHAT: tuple[Turn, ...] = (
    SCREEN_SEARCH,
    ("action_show_more", "show more", "show_more", []),
    ("action_select_product", "the second one", "select_item", [entity("ordinal", "2")]),
    ("action_more_like_this", "more like the first", "more_like_this", [entity("ordinal", "1")]),
    ("action_add_to_cart", "add the first to my cart", "add_to_cart", [entity("ordinal", "1")]),
    ("action_search_products", "watches under 100", "search_product", [entity("product_type", "watches"), entity("price_max", "100")]),
    ("action_refine_search", "in black", "add_constraint", [entity("color", "black")]),
    ("action_compare_products", "compare the first and the second", "compare", [entity("ordinal", "1"), entity("ordinal", "2")]),
)
"""A customer's cycle; the probe for the new brand is sent between every two of these turns."""


# --- a customer of the action server ------------------------------------------------------------

class ActionClient:
    """Calls the action server's webhook the way Rasa does, carrying the slots between turns."""

    def __init__(self, url: str, sender: str | None = None, slots: dict[str, Any] | None = None) -> None:
        self.url, self.sender = url, sender or uuid.uuid4().hex
        self.slots: dict[str, Any] = dict(slots or {})
        self.http = httpx.Client(timeout=60)

    def run(self, action: str, text: str, intent: str, entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        body = {
            "next_action": action, "sender_id": self.sender, "version": "3.6.21",
            "domain": {"slots": {"search_state": {"type": "any"}, "focused_product": {"type": "text"}}},
            "tracker": {
                "sender_id": self.sender, "slots": dict(self.slots), "paused": False, "events": [],
                "latest_message": {"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": entities or [],
                                   "intent_ranking": []},
                "latest_action_name": "action_listen", "active_loop": {}, "followup_action": None,
            },
        }
        response = self.http.post(self.url, json=body)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        for event in result["events"]:
            if event["event"] == "slot":
                self.slots[event["name"]] = event["value"]
        return result

    def turn(self, turn: Turn) -> dict[str, Any]:
        return self.run(*turn)

    def fork(self) -> ActionClient:
        """Another conversation starting from this one's slots (the same screen, the same focus)."""
        return ActionClient(self.url, slots=self.slots)

    def close(self) -> None:
        self.http.close()


def answer_text(result: dict[str, Any]) -> str:
    """Every text of an answer, product cards' titles included."""
    parts = []
    for response in result.get("responses", []):
        parts.append(response.get("text") or "")
    parts += [str(card.get("title") or "") for card in cards(result)]
    return " ".join(parts)


def cards(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The product cards of an answer, in screen order."""
    for response in result.get("responses", []):
        custom = response.get("custom") or {}
        if custom.get("type") == "product_cards":
            return list(custom["products"])
    return []


def is_failure(result: dict[str, Any]) -> bool:
    """An answer that tells the customer something broke (an outage or a bug on our side)."""
    text = answer_text(result)
    return TROUBLE_MESSAGE in text or BUG_MESSAGE in text


@dataclass
class ChatLog:
    """What the chatting customer saw; ``first_seen`` is when an answer first showed the new brand (monotonic)."""

    turns: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    first_seen: float | None = None


def chat(url: str, stop: threading.Event, log: ChatLog, on_turn: Callable[[], None] = lambda: None) -> None:
    """Chat without pause until ``stop``: the customer's cycle, with the probe for the new brand in between."""
    client = ActionClient(url)
    try:
        step = 0
        while not stop.is_set():
            turn = PROBE if step % 2 else CHAT[(step // 2) % len(CHAT)]
            step += 1
            started = time.monotonic()
            try:
                result = client.turn(turn)
            except (httpx.HTTPError, ValueError, KeyError) as error:  # no answer, or not one Rasa could read
                log.failures.append(f"{turn[1]!r}: {type(error).__name__} {error}")
                result = {}
            else:
                if is_failure(result):
                    log.failures.append(f"{turn[1]!r}: {answer_text(result)[:200]}")
            finished = time.monotonic()
            log.turns += 1
            log.seconds.append(finished - started)
            if turn is PROBE and log.first_seen is None and any(NEW_BRAND in c.get("title", "") for c in cards(result)):
                log.first_seen = finished
            on_turn()
    finally:
        client.close()


# --- the catalog change -------------------------------------------------------------------------

@dataclass(frozen=True)
class CatalogChange:
    """What the new catalog file changed: ids removed and changed, the changed product's new title and price, ids added."""

    removed: str
    changed: str
    new_title: str
    new_price: float
    added: tuple[str, ...]


def write_catalog_subset(target: Path, every: int) -> Path:
    """Every ``every``-th product of the demo catalog, same columns (what the integration tests serve)."""
    with DEMO_CATALOG.open(encoding="utf-8", newline="") as source, target.open("w", encoding="utf-8", newline="") as out:
        reader = csv.DictReader(source)
        writer = csv.DictWriter(out, fieldnames=list(reader.fieldnames or []))
        writer.writeheader()
        writer.writerows(row for number, row in enumerate(reader) if number % every == 0)
    return target


def write_changed_catalog(source: Path, target: Path, *, remove: str, change: str, added: int = 3) -> CatalogChange:
    """``source`` without ``remove``, with ``change`` renamed and 10 dearer, plus ``added`` backpacks of the new brand."""
    with source.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = [row for row in reader if row["id"] != remove]
    changed = next(row for row in rows if row["id"] == change)
    changed["title"] = f"{changed['title']} Reissue"
    changed["price"] = f"{float(changed['price']) + 10:.2f}"
    template = {name: "" for name in fields} | {
        "gender": "Unisex", "master_category": "Accessories", "sub_category": "Bags", "product_type": "Backpacks",
        "colour": "Green", "season": "Fall", "year": "2024", "usage": "Casual", "brand": NEW_BRAND, "price": "49.99",
        "currency": "USD",
    }
    new_ids = tuple(f"99{n:04d}" for n in range(1, added + 1))
    styles = ("Summit", "Trail", "Metro", "Canyon", "Harbor")
    rows += [template | {"id": pid, "title": f"{NEW_BRAND} {styles[n % len(styles)]} Backpack"} for n, pid in enumerate(new_ids)]
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return CatalogChange(removed=remove, changed=change, new_title=changed["title"], new_price=float(changed["price"]), added=new_ids)


@dataclass
class HotUpdate:
    """One update under load: the chat log, when the ingestion ended, and the screen before it."""

    log: ChatLog
    change: CatalogChange
    screen: ActionClient
    """A conversation with the search results (and a focused product) that were on screen during the update."""
    ingest_started: float = 0.0
    ingest_ended: float = 0.0
    ingest_summary: str = ""

    @property
    def seconds_to_visible(self) -> float | None:
        return None if self.log.first_seen is None else max(0.0, self.log.first_seen - self.ingest_ended)


def run_hot_update(settings: Settings, action_url: str, *, encoder: Any = None, warm_turns: int = 6, after: float = 10.0,
                   on_turn: Callable[[], None] = lambda: None) -> HotUpdate:
    """Chat, re-ingest a changed catalog mid-chat, keep chatting until the new brand is seen (and ``after`` s more)."""
    from retrieval.ingest import ingest

    screen = ActionClient(action_url)
    shown = cards(screen.turn(SCREEN_SEARCH))
    if len(shown) < 3:
        raise RuntimeError(f"the search {SCREEN_SEARCH[1]!r} shows {len(shown)} products; the update needs three on screen")
    screen.turn(("action_select_product", "the second one", "select_item", [entity("ordinal", "2")]))  # focus: the removed one
    source = Path(settings.catalog_path)
    change = write_changed_catalog(source, source.with_name("catalog-updated.csv"), remove=shown[1]["id"], change=shown[2]["id"])
    log, stop = ChatLog(), threading.Event()
    customer = threading.Thread(target=chat, args=(action_url, stop, log, on_turn), name="customer", daemon=True)
    customer.start()
    update = HotUpdate(log=log, change=change, screen=screen)
    try:
        while log.turns < warm_turns and customer.is_alive():
            time.sleep(0.1)
        update.ingest_started = time.monotonic()
        report = ingest(settings, catalog_path=source.with_name("catalog-updated.csv"), encoder=encoder)
        update.ingest_ended, update.ingest_summary = time.monotonic(), report.summary()
        deadline = update.ingest_ended + 120
        while log.first_seen is None and time.monotonic() < deadline and customer.is_alive():
            time.sleep(0.1)
        time.sleep(after)
    finally:
        stop.set()
        customer.join(timeout=90)
    return update


def removed_answers(screen: ActionClient, change: CatalogChange) -> dict[str, str]:
    """What each way of referring to the removed product answers (from the screen as it was before the update)."""
    probes: dict[str, Turn] = {
        "by_position": ("action_select_product", "the second one", "select_item", [entity("ordinal", "2")]),
        "details": ("action_product_details", "what sizes does the second one come in", "ask_details", [entity("ordinal", "2")]),
        "more_like_that": ("action_more_like_this", "more like the second one", "more_like_this", [entity("ordinal", "2")]),
        "compare": ("action_compare_products", "compare the first and the second", "compare", [entity("ordinal", "1"), entity("ordinal", "2")]),
        "card_add_to_cart": ("action_add_to_cart", f'/add_to_cart{{"product_id": "{change.removed}"}}', "add_to_cart",
                             [entity("product_id", change.removed)]),
        "card_thumbs_down": ("action_record_feedback", f'/feedback_negative{{"product_id": "{change.removed}"}}', "feedback_negative",
                             [entity("product_id", change.removed)]),
        "card_thumbs_up": ("action_record_feedback", f'/feedback_positive{{"product_id": "{change.removed}"}}', "feedback_positive",
                           [entity("product_id", change.removed)]),
        "focused_add_to_cart": ("action_add_to_cart", "add it to my cart", "add_to_cart", []),
        "focused_details": ("action_product_details", "how much is it", "ask_details", []),
    }
    answers = {}
    for name, turn in probes.items():
        conversation = screen.fork()
        try:
            answers[name] = answer_text(conversation.turn(turn))
        finally:
            conversation.close()
    return answers


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def reload_seconds(log_path: Path) -> list[float]:
    """Seconds of each reload, from the action server's "catalog ... reloaded: ... in X s" lines."""
    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    return [float(m) for m in re.findall(r"catalog \S+ reloaded: .*? in ([0-9.]+) s", text)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--every", type=int, default=5, help="serve every n-th product of the demo catalog (default 5: ~1,600)")
    parser.add_argument("--refresh", type=float, default=2.0, help="catalog_refresh_seconds of the action server")
    parser.add_argument("--after", type=float, default=10.0, help="seconds of chat after the new products are seen")
    parser.add_argument("--var-dir", type=Path, default=None, help="scratch folder (default: a new temporary one)")
    args = parser.parse_args(argv)

    from tqdm import tqdm

    from benchmarks.measure import machine, merge_results
    from retrieval.ingest import ingest
    from shop.ops.stack import base_env, free_port, start_action_server

    var_dir = args.var_dir or Path(tempfile.mkdtemp(prefix="shop-hot-update-"))
    var_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(var_dir=var_dir, catalog_path=write_catalog_subset(var_dir / "catalog.csv", args.every),
                        catalog_mapping=DEMO_MAPPING, action_port=free_port(), catalog_refresh_seconds=args.refresh)
    first = ingest(settings)
    print(first.summary(), flush=True)
    env = base_env(settings, {"SHOP_CATALOG_REFRESH_SECONDS": str(args.refresh)})
    server = start_action_server(settings, env)
    try:
        server.wait_ready(300)
        url = f"http://127.0.0.1:{settings.action_port}/webhook"
        with tqdm(desc="hot update", unit="turn") as progress:
            update = run_hot_update(settings, url, after=args.after, on_turn=lambda: progress.update(1))
        answers = removed_answers(update.screen, update.change)
    finally:
        server.stop()
    log = update.log
    reloads = reload_seconds(server.log_path)
    if args.var_dir is None:
        shutil.rmtree(var_dir, ignore_errors=True)
    figures = {
        "failed_turns": len(log.failures),
        "seconds_to_visible": None if update.seconds_to_visible is None else round(update.seconds_to_visible, 2),
        "turns": log.turns,
        "turn_ms_p50": round(1000 * statistics.median(log.seconds), 1),
        "turn_ms_p95": round(1000 * percentile(log.seconds, 0.95), 1),
        "ingest_seconds": round(update.ingest_ended - update.ingest_started, 2),
        "reload_seconds": reloads,
        "removed_answers": {name: NO_LONGER_AVAILABLE in text for name, text in answers.items()},
        "products": first.ingested,
        "refresh_seconds": args.refresh,
        "change": "3 products added, 1 on screen changed (title, price), 1 on screen removed; incremental ingest beside the server",
        "machine": machine(),
    }
    path = merge_results("catalogs", {"hot_update": figures})
    for failure in log.failures[:10]:
        print(f"failed: {failure}", file=sys.stderr)
    wrong = [name for name, ok in figures["removed_answers"].items() if not ok]
    print(f"hot update: {log.turns} turns, {len(log.failures)} failed, new products visible "
          f"{figures['seconds_to_visible']} s after the ingest, reload {reloads} s, removed product answered "
          f"'no longer available' in {len(answers) - len(wrong)}/{len(answers)} ways -> {path.relative_to(REPO_ROOT)}")
    return 0 if not log.failures and not wrong and update.seconds_to_visible is not None else 1


if __name__ == "__main__":
    sys.exit(main())
