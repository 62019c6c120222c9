"""The review queue on the real servers: what lands in it, roles, corrections, marks, stories, export, forget-me."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import yaml

from shop.ops.privacy import forget_customer
from web.security import CUSTOMER_COOKIE, CustomerIds

pytestmark = pytest.mark.slow
WebApp = Any  # the web_app fixture (tests/web/conftest.py)


def ask_for_a_person(client: httpx.Client, text: str) -> None:
    """``text``, then a click on "talk to a person": the bot failed that message, whatever the model made of it."""
    say(client, text)
    say(client, "/request_human")


def customer_id(web_app: WebApp, client: httpx.Client) -> str:
    value = CustomerIds(web_app.settings.resolved_web_secret).read(client.cookies.get(CUSTOMER_COOKIE))
    assert value is not None
    return value


def say(client: httpx.Client, text: str) -> dict[str, Any]:
    response = client.post("/api/chat/messages", json={"message": text})
    assert response.status_code == 200, response.text
    return response.json()


def queued(reviewer: httpx.Client, text: str, status: str = "open") -> dict[str, Any]:
    """The queue row of ``text`` (the queue scans the conversation store first)."""
    response = reviewer.get("/api/review/queue", params={"status": status})
    assert response.status_code == 200, response.text
    for group in response.json()["groups"]:
        for item in group["items"]:
            if item["text"] == text:
                return item
    raise AssertionError(f"{text!r} is not in the {status} queue")


def in_queue(reviewer: httpx.Client, text: str, status: str = "open") -> bool:
    try:
        queued(reviewer, text, status)
    except AssertionError:
        return False
    return True


def test_agents_may_not_read_or_correct_the_queue(staff: httpx.Client) -> None:
    assert staff.get("/api/review/queue").status_code == 403
    assert staff.post("/api/review/export").status_code == 403
    assert staff.get("/console/review").status_code == 403


def test_reviewers_may_not_answer_customers(reviewer: httpx.Client) -> None:
    assert reviewer.post("/api/console/conversations/web-x/claim").status_code == 403


def test_a_fallback_message_is_queued_corrected_and_leaves_the_open_queue(web_app: WebApp, customer: httpx.Client,
                                                                           reviewer: httpx.Client) -> None:
    text = "the thing from before but different, red sneakers"
    ask_for_a_person(customer, text)
    item = queued(reviewer, text)
    assert "handoff" in [r["code"] for r in item["reasons"]], item
    assert "conversation_id" not in item  # customers' ids never reach the browser
    detail = reviewer.get(f"/api/review/items/{item['id']}").json()
    words = {w["text"]: w for w in detail["words"]}
    red, sneakers = words["red"], words["sneakers"]
    # Refused: a span that cuts a word, an unknown intent, a role the entity lacks, no CSRF header.
    half = {"start": red["start"], "end": red["end"] - 1, "entity": "color"}
    assert reviewer.post(f"/api/review/items/{item['id']}/correction", json={"intent": "search_product", "entities": [half]}).status_code == 422
    assert reviewer.post(f"/api/review/items/{item['id']}/correction", json={"intent": "buy_a_boat", "entities": []}).status_code == 422
    gender_role = {"start": red["start"], "end": red["end"], "entity": "gender", "role": "exclude"}
    assert reviewer.post(f"/api/review/items/{item['id']}/correction", json={"intent": "search_product", "entities": [gender_role]}).status_code == 422
    no_csrf = httpx.post(f"{web_app.url}/api/review/items/{item['id']}/correction", cookies=reviewer.cookies,
                         json={"intent": "search_product", "entities": []})
    assert no_csrf.status_code == 403
    spans = [{"start": red["start"], "end": red["end"], "entity": "color"},
             {"start": sneakers["start"], "end": sneakers["end"], "entity": "product_type"}]
    saved = reviewer.post(f"/api/review/items/{item['id']}/correction", json={"intent": "search_product", "entities": spans})
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["status"] == "corrected" and body["correction"]["reviewer"] == "rita"
    assert [(e["entity"], e["value"]) for e in body["correction"]["entities"]] == [("color", "red"), ("product_type", "sneakers")]
    assert not in_queue(reviewer, text) and in_queue(reviewer, text, "corrected")


def test_thumbs_down_streak_products_are_marked_and_exported_without_ids(web_app: WebApp, customer: httpx.Client,
                                                                          reviewer: httpx.Client) -> None:
    text = "show me some tshirts for men"
    reply = say(customer, text)
    cards = [m["custom"] for m in reply["messages"] if isinstance(m.get("custom"), dict) and m["custom"].get("type") == "product_cards"]
    assert cards and cards[0]["products"], reply
    first, second = (str(p["id"]) for p in cards[0]["products"][:2])
    for product in (first, second):
        say(customer, "/feedback_negative" + json.dumps({"product_id": product}))
    item = queued(reviewer, text)
    assert "thumbs_down_streak" in [r["code"] for r in item["reasons"]], item
    detail = reviewer.get(f"/api/review/items/{item['id']}").json()
    assert [p["id"] for p in detail["products"]][:2] == [first, second]
    assert detail["products"][0]["title"] != f"product {first}"  # the card's own title, from the conversation
    wrong = reviewer.post(f"/api/review/items/{item['id']}/relevance", json={"grades": {"no-such-product": 2}})
    assert wrong.status_code == 422
    marked = reviewer.post(f"/api/review/items/{item['id']}/relevance", json={"grades": {first: 0, second: 2}})
    assert marked.status_code == 200, marked.text
    assert {p["id"]: p["grade"] for p in marked.json()["products"]}[second] == 2
    story = reviewer.post(f"/api/review/items/{item['id']}/story")
    assert story.status_code == 201, story.text
    steps = story.json()["steps"]
    assert steps[0] == {"user": text, "intent": "search_product", "entities": steps[0]["entities"]}
    assert {"action": "action_search_products"} in steps
    exported = reviewer.post("/api/review/export")
    assert exported.status_code == 200, exported.text
    root = web_app.settings.review_export_dir
    labels = [json.loads(line) for line in (root / "benchmarks/data/reviewed_relevance.jsonl").read_text().splitlines()]
    assert {"query": text, "product_id": second, "grade": 2, "catalog": "demo"} in labels
    stories = yaml.safe_load((root / "tests/conversations/test_reviewed.yml").read_text())
    assert f"reviewed conversation {story.json()['id']}" in [s["story"] for s in stories["stories"]]
    everything = "\n".join(p.read_text() for p in root.rglob("*") if p.is_file())
    assert customer_id(web_app, customer) not in everything


def test_forget_me_removes_the_customer_from_the_queue_and_the_next_export(web_app: WebApp, customer: httpx.Client,
                                                                            reviewer: httpx.Client) -> None:
    text = "never mind all that, forget about me"
    ask_for_a_person(customer, text)
    item = queued(reviewer, text)
    assert reviewer.post(f"/api/review/items/{item['id']}/correction", json={"intent": "out_of_scope", "entities": []}).status_code == 200
    assert reviewer.post("/api/review/export").status_code == 200
    nlu = web_app.settings.review_export_dir / "training_data/nlu/reviewed.yml"
    assert "forget about me" in nlu.read_text()
    report = forget_customer(customer_id(web_app, customer), web_app.settings)
    assert report.review_rows >= 2  # the message and its correction
    assert reviewer.get(f"/api/review/items/{item['id']}").status_code == 404
    assert not in_queue(reviewer, text, "corrected")
    assert reviewer.post("/api/review/export").status_code == 200
    assert not nlu.is_file() or "forget about me" not in nlu.read_text()


def test_the_console_names_the_running_model(web_app: WebApp, staff: httpx.Client, trained_model: Any) -> None:
    info = staff.get("/api/console/model")
    assert info.status_code == 200, info.text
    body = info.json()
    assert body["version"] == trained_model.name.removesuffix(".tar.gz")
    assert body["trained_at"]  # from the model file's own metadata
