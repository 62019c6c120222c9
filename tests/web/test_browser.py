"""The widget and the console in a real browser (Debian chromium via Playwright), on the real servers."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shop.settings import REPO_ROOT
from web.security import CUSTOMER_COOKIE, CustomerIds

pytestmark = [pytest.mark.slow, pytest.mark.browser]
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
CHROMIUM = Path("/usr/bin/chromium")
# The README's pictures are refreshed only on request (SHOP_REFRESH_SCREENSHOTS=1), so that a test
# run leaves the working tree as it found it; otherwise the shots land in var/ for inspection.
SHOTS = REPO_ROOT / ("docs" if os.environ.get("SHOP_REFRESH_SCREENSHOTS") == "1" else "var") / "screenshots"
SHOTS.mkdir(parents=True, exist_ok=True)
WebApp = Any  # the web_app fixture (tests/web/conftest.py)
HOSTILE = '<img src=x onerror=alert(1)><script>alert("x")</script>'
TURN_MS = 30_000


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail("Debian chromium is missing: apt-get install -y chromium chromium-driver fonts-dejavu-core")
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        )
        yield launched
        launched.close()


class Dialogs:
    """Records every alert/confirm a page opens: none may fire when hostile text is shown."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def watch(self, page) -> None:  # type: ignore[no-untyped-def]
        def on_dialog(dialog) -> None:  # type: ignore[no-untyped-def]
            self.seen.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)


def new_page(browser, web_app: WebApp, *, width: int = 1280, height: int = 860, dialogs: Dialogs | None = None):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=web_app.url)
    page = context.new_page()
    page.set_default_timeout(TURN_MS)
    if dialogs:
        dialogs.watch(page)
    return page


def open_widget(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.get_by_role("button", name="Open the shopping assistant chat").click()
    expect(page.locator(".sw-panel")).to_be_visible()
    expect(page.locator(".sw-typing")).to_be_hidden()


def say(page, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type and press Enter, then wait for the answer (typing indicator gone)."""
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")
    expect(page.locator(".sw-typing")).to_be_hidden()


def test_search_feedback_refines_and_reload_keeps_the_conversation(browser, web_app: WebApp) -> None:  # type: ignore[no-untyped-def]
    dialogs = Dialogs()
    page = new_page(browser, web_app, dialogs=dialogs)
    open_widget(page)
    say(page, "show me tshirts for men")
    first_results = page.locator(".sw-cards").last
    expect(first_results.locator(".sw-card").first).to_be_visible()
    assert first_results.locator(".sw-card").count() >= 2
    rejected = first_results.locator(".sw-card").first
    rejected_id = rejected.get_attribute("data-product-id")
    rejected_title = rejected.locator(".sw-card-title").inner_text()
    expect(rejected.locator(".sw-card-price")).to_contain_text("$")
    expect(rejected.get_by_role("button", name=f"Add {rejected_title} to cart")).to_be_visible()
    page.screenshot(path=str(SHOTS / "widget.png"))

    rejected.get_by_role("button", name=f"Not for me: {rejected_title}").click()
    expect(page.locator(".sw-typing")).to_be_hidden()
    expect(page.locator(".sw-bot").last).to_contain_text("leave out")
    assert page.locator(".sw-cards").count() == 2
    refined = page.locator(".sw-cards").last.locator(".sw-card")
    assert refined.count() >= 1
    assert rejected_id not in [refined.nth(i).get_attribute("data-product-id") for i in range(refined.count())]

    # Too long: the server's 4xx message is shown in the widget, the text goes back to the input.
    rows = page.locator(".sw-row").count()
    say(page, "x" * 5001)
    expect(page.get_by_role("alert")).to_contain_text("limited to 5,000 characters")
    expect(page.locator(".sw-row")).to_have_count(rows)
    assert page.get_by_label("Your message").input_value() == "x" * 5001

    say(page, HOSTILE)
    expect(page.locator(".sw-customer").last).to_have_text(HOSTILE)
    rows, lists = page.locator(".sw-row").count(), page.locator(".sw-cards").count()
    page.reload()
    expect(page.locator(".sw-panel")).to_be_visible()  # stays open across reloads
    expect(page.locator(".sw-row")).to_have_count(rows)
    expect(page.locator(".sw-cards")).to_have_count(lists)
    expect(page.locator(".sw-customer").filter(has_text="show me tshirts for men")).to_have_count(1)
    expect(page.locator(".sw-customer").filter(has_text=f"Not for me: {rejected_title}")).to_have_count(1)
    expect(page.locator(".sw-customer").filter(has_text=HOSTILE)).to_have_count(1)
    assert page.locator("img[src='x']").count() == 0 and dialogs.seen == []
    page.context.close()


def test_phone_width(browser, web_app: WebApp) -> None:  # type: ignore[no-untyped-def]
    page = new_page(browser, web_app, width=390, height=844)
    open_widget(page)
    say(page, "black watches")
    expect(page.locator(".sw-card").first).to_be_visible()
    box = page.locator(".sw-panel").bounding_box()
    assert box is not None and box["width"] == 390
    page.screenshot(path=str(SHOTS / "widget-phone.png"))
    # Keyboard only: Escape closes, focus returns to the launcher, Enter opens again.
    page.keyboard.press("Escape")
    expect(page.locator(".sw-panel")).to_be_hidden()
    launcher = page.get_by_role("button", name="Open the shopping assistant chat")
    expect(launcher).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Your message")).to_be_focused()
    page.context.close()


def test_console_refuses_anonymous_visitors(browser, web_app: WebApp) -> None:  # type: ignore[no-untyped-def]
    page = new_page(browser, web_app)
    page.goto("/console")
    assert page.url.endswith("/console/login")
    expect(page.get_by_role("heading", name="Staff console")).to_be_visible()
    assert page.request.get("/api/console/handoffs").status == 401
    page.context.close()


def test_handoff_round_trip(browser, web_app: WebApp, staff_accounts: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    dialogs = Dialogs()
    customer = new_page(browser, web_app, dialogs=dialogs)
    open_widget(customer)
    say(customer, "show me handbags for women")
    expect(customer.locator(".sw-card").first).to_be_visible()
    customer.get_by_role("button", name="Talk to a person").last.click()
    expect(customer.locator(".sw-status")).to_contain_text("Waiting")
    cookie = next(c["value"] for c in customer.context.cookies() if c["name"] == CUSTOMER_COOKIE)
    conversation = CustomerIds(web_app.settings.resolved_web_secret).read(cookie)
    assert conversation

    staff = new_page(browser, web_app, dialogs=dialogs)
    staff.goto("/console")
    staff.get_by_label("Username").fill("alice")
    staff.get_by_label("Password").fill(staff_accounts["alice"])
    staff.get_by_role("button", name="Sign in").click()
    staff.get_by_role("button", name=f"Conversation {conversation}, waiting").click()
    expect(staff.locator(".c-transcript")).to_contain_text("handbags")
    expect(staff.locator("#constraints")).to_contain_text("Handbags")
    staff.get_by_role("button", name="Claim").click()
    expect(customer.locator(".sw-notice").last).to_contain_text("alice joined the chat")

    reply = staff.get_by_label("Reply to the customer")
    reply.fill("Hi, I'm Alice. " + HOSTILE)
    reply.press("Enter")
    expect(customer.locator(".sw-staff").last).to_contain_text("Hi, I'm Alice. " + HOSTILE)
    say(customer, "Do you have it in red? " + HOSTILE)
    expect(staff.locator(".c-msg-customer").last).to_contain_text("Do you have it in red? " + HOSTILE)
    staff.screenshot(path=str(SHOTS / "console.png"))

    staff.get_by_role("button", name="Hand back to the bot").click()
    expect(customer.locator(".sw-bot").last).to_have_text("Anything else I can help you find?")
    expect(customer.locator(".sw-notice").last).to_contain_text("back with the assistant")
    bot_messages = customer.locator(".sw-bot").count()
    say(customer, "hello")
    expect(customer.locator(".sw-bot")).not_to_have_count(bot_messages)
    for page in (customer, staff):
        assert page.locator("img[src='x']").count() == 0
        assert page.locator(".sw-text script, .c-text script").count() == 0
    assert dialogs.seen == []
    customer.context.close()
    staff.context.close()


def test_a_lost_answer_is_fetched_again_with_the_same_message_id(browser, web_app: WebApp) -> None:  # type: ignore[no-untyped-def]
    """The first answer reaches the server but not the browser: the widget re-sends the message with its id,
    and the customer sees the turn once."""
    import re

    page = new_page(browser, web_app)
    open_widget(page)
    sent: list[dict[str, Any]] = []

    def lose_the_first_answer(route) -> None:  # type: ignore[no-untyped-def]
        sent.append(route.request.post_data_json)
        if len(sent) == 1:
            route.fetch()  # the server runs the turn ...
            route.abort("connectionreset")  # ... and the answer is lost on the way back
        else:
            route.continue_()

    page.route("**/api/chat/messages", lose_the_first_answer)
    say(page, "/greet")
    expect(page.locator(".sw-error")).to_be_hidden()
    assert len(sent) == 2 and sent[0] == sent[1], sent
    assert re.fullmatch(r"[0-9a-f-]{36}", sent[0]["message_id"]), sent[0]
    page.unroute("**/api/chat/messages")
    page.reload()
    expect(page.locator(".sw-panel")).to_be_visible()  # stays open across reloads
    expect(page.locator(".sw-customer")).to_have_count(1)  # the history: one turn, not two
    say(page, "/thank")  # a new message gets a new id
    expect(page.locator(".sw-customer")).to_have_count(2)
    page.context.close()


def test_the_store_shows_this_catalog_and_a_broken_image_becomes_its_placeholder(browser, web_app: WebApp) -> None:  # type: ignore[no-untyped-def]
    page = new_page(browser, web_app)
    html = page.request.get(web_app.url + "/").text()
    broken = '<li class="item" id="broken"><img src="/no-such-image.jpg" alt="Broken" data-initial="Q"><h3>Broken</h3></li>'
    page.route(web_app.url + "/", lambda route: route.fulfill(status=200, content_type="text/html",
                                                              body=html.replace('<ul class="grid">', '<ul class="grid">' + broken, 1)))
    page.goto("/")
    expect(page.locator("#broken .ph")).to_have_text("Q")
    assert page.locator("#broken img").count() == 0
    expect(page.locator(".shelf h2").first).to_be_visible()
    assert "$" in page.locator(".item .price").first.inner_text()
    page.context.close()


def test_review_queue_correct_mark_story_and_export(browser, web_app: WebApp, staff_accounts: dict[str, str],  # type: ignore[no-untyped-def]
                                                    reviewer_account: tuple[str, str]) -> None:
    dialogs = Dialogs()
    customer = new_page(browser, web_app, dialogs=dialogs)
    open_widget(customer)
    say(customer, "any wellies in red for my nan")
    say(customer, "let me talk to a human")  # the customer gives up: the message above joins the review queue
    hostile = new_page(browser, web_app, dialogs=dialogs)
    open_widget(hostile)
    say(hostile, "wellies? " + HOSTILE)
    say(hostile, "let me talk to a human")

    agent = new_page(browser, web_app, dialogs=dialogs)
    agent.goto("/console/login")
    agent.get_by_label("Username").fill("alice")
    agent.get_by_label("Password").fill(staff_accounts["alice"])
    agent.get_by_role("button", name="Sign in").click()
    expect(agent.get_by_role("link", name="Review queue")).to_have_count(0)
    assert agent.goto("/console/review").status == 403
    expect(agent.get_by_role("heading", name="The review queue needs the reviewer role")).to_be_visible()

    reviewer = new_page(browser, web_app, dialogs=dialogs)
    reviewer.goto("/console/login")
    reviewer.get_by_label("Username").fill(reviewer_account[0])
    reviewer.get_by_label("Password").fill(reviewer_account[1])
    reviewer.get_by_role("button", name="Sign in").click()
    reviewer.get_by_role("link", name="Review queue").click()
    expect(reviewer.locator("#model-status")).to_contain_text("trained")
    reviewer.locator(".r-item", has_text="wellies? <img").first.click()
    expect(reviewer.locator(".r-words")).to_contain_text("onerror")  # shown as words, never as markup
    reviewer.locator(".r-item", has_text="any wellies in red for my nan").first.click()
    expect(reviewer.locator(".r-words")).not_to_contain_text("onerror")
    reviewer.locator("#r-intent").select_option("search_product")
    while reviewer.locator(".r-spans button").count():  # start from no spans: the model's may be wrong
        reviewer.locator(".r-spans button").first.click()
    for word, entity in (("wellies", "product_type"), ("red", "color")):
        button = reviewer.locator(".r-words .r-word").filter(has_text=re.compile(f"^{word}$"))
        button.click()
        expect(button).to_have_attribute("aria-pressed", "true")
        reviewer.locator("#r-entity").select_option(entity)
        reviewer.locator("#r-add-span").click()
        expect(button).to_have_attribute("data-entity", entity)
    reviewer.locator("#r-save").click()
    expect(reviewer.locator("#r-error")).to_have_text("Correction saved.")
    expect(reviewer.locator(".c-main .c-badge")).to_have_text("corrected")
    if reviewer.locator(".r-products li").count():
        reviewer.locator(".r-products li").first.get_by_label("right").check()
        reviewer.locator("#r-marks").click()
        expect(reviewer.locator("#r-error")).to_have_text("Marks saved.")
    reviewer.locator("#r-story").click()
    expected = reviewer.locator("#r-story-preview select").first  # say what the bot should have done there
    expected.select_option("action_search_products")
    reviewer.locator("#r-story-save").click()
    expect(reviewer.locator("#r-error")).to_have_text("Story saved.")
    expect(reviewer.locator("#r-story-preview select").first).to_have_value("action_search_products")
    reviewer.screenshot(path=str(SHOTS / "review.png"))
    reviewer.locator("#export").click()
    expect(reviewer.locator("#export-result")).to_contain_text("exported")
    exported = (web_app.settings.review_export_dir / "training_data/nlu/reviewed.yml").read_text()
    assert "any [wellies](product_type) in [red](color) for my nan" in exported
    story = (web_app.settings.review_export_dir / "tests/conversations/test_reviewed.yml").read_text()
    assert "any [wellies](product_type) in [red](color) for my nan\n        intent: search_product\n      - action: action_search_products" in story
    assert reviewer.locator("img[src='x']").count() == 0
    assert reviewer.locator("script:not([src])").count() == 0
    assert dialogs.seen == []
    for page in (customer, hostile, agent, reviewer):
        page.context.close()
