/* Shopping assistant chat widget.
 *
 * Embedded with one tag: <script src="/widget.js" defer></script>. It talks only to its own origin
 * (/api/chat/...), builds every node with textContent (never innerHTML), so any text from the bot,
 * staff or the customer is shown literally. Every message gets an id of its own (crypto.randomUUID):
 * when the network or the shop fails, the widget sends it again with the same id, and the web app
 * answers it once, however many of those sends arrived.
 */
(function () {
  "use strict";

  var API = "/api/chat";
  var REQUEST_TIMEOUT_MS = 30000;
  var TROUBLE = "__TROUBLE_MESSAGE__";  // filled in by the web app from shop/messages.py
  var OPEN_KEY = "shop-widget-open";
  var RETRIES = 2;  // automatic re-sends of an unanswered message (same id), 1 s then 2 s apart
  var PAYLOAD_LABELS = {
    feedback_positive: "👍 I like this",
    feedback_negative: "👎 Not for me",
    more_like_this: "More like this",
    add_to_cart: "Add to cart",
    select_item: "Tell me more about this one"
  };

  /* ---------- small DOM helpers (text only) ---------- */
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function button(className, text, label, onClick) {
    var b = el("button", className, text);
    b.type = "button";
    if (label) b.setAttribute("aria-label", label);
    b.addEventListener("click", onClick);
    return b;
  }
  function payload(intent, productId) {
    return "/" + intent + JSON.stringify({ product_id: String(productId) });
  }
  function newMessageId() {
    var crypto = window.crypto;
    if (crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    var bytes = new Uint8Array(16);  // pages served over plain HTTP have no randomUUID
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  /* ---------- styles: one script tag brings its own stylesheet ---------- */
  var css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = "/widget.css";
  document.head.appendChild(css);

  /* ---------- skeleton ---------- */
  var root = el("div", "sw-root");
  var launcher = button("sw-launcher", "💬 Chat with our assistant", "Open the shopping assistant chat", function () { setOpen(true); });
  launcher.setAttribute("aria-controls", "sw-panel");
  launcher.setAttribute("aria-expanded", "false");

  var panel = el("section", "sw-panel");
  panel.id = "sw-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", "Shopping assistant chat");
  panel.hidden = true;

  var header = el("header", "sw-header");
  var titleBox = el("div", "sw-title-box");
  titleBox.appendChild(el("h2", "sw-title", "Shopping assistant"));
  var status = el("p", "sw-status", "Ask me for anything in the shop");
  titleBox.appendChild(status);
  var close = button("sw-close", "×", "Close the chat", function () { setOpen(false); });
  header.appendChild(titleBox);
  header.appendChild(close);

  var log = el("div", "sw-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-label", "Conversation");
  log.tabIndex = 0;

  var typing = el("div", "sw-typing");
  typing.setAttribute("aria-label", "The assistant is typing");
  typing.setAttribute("role", "status");
  for (var i = 0; i < 3; i++) typing.appendChild(el("span", "sw-dot"));
  typing.hidden = true;

  var errorBox = el("p", "sw-error");
  errorBox.setAttribute("role", "alert");
  errorBox.hidden = true;

  var form = el("form", "sw-form");
  form.setAttribute("aria-label", "Send a message");
  var input = el("textarea", "sw-input");
  input.rows = 1;
  input.placeholder = "What are you looking for?";
  input.setAttribute("aria-label", "Your message");
  var send = el("button", "sw-send", "Send");
  send.type = "submit";
  send.setAttribute("aria-label", "Send message");
  form.appendChild(input);
  form.appendChild(send);

  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(typing);
  panel.appendChild(errorBox);
  panel.appendChild(form);
  root.appendChild(launcher);
  root.appendChild(panel);

  /* ---------- state ---------- */
  var busy = false;
  var loaded = false;
  var events = null;
  var unanswered = null;  // {text, id} of the last message that got no answer: sending it again reuses the id

  function setOpen(open) {
    panel.hidden = !open;
    launcher.hidden = open;
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    try { localStorage.setItem(OPEN_KEY, open ? "1" : "0"); } catch (e) { /* private mode */ }
    if (open) {
      if (!loaded) loadHistory();
      input.focus();
      scrollDown();
    } else {
      launcher.focus();
    }
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = !text;
  }

  function setBusy(value) {
    busy = value;
    typing.hidden = !value;
    send.disabled = value;
    log.setAttribute("aria-busy", value ? "true" : "false");
    if (value) scrollDown();
  }

  function setHandoff(state, staff) {
    if (state === "waiting") status.textContent = "Waiting for a member of our team…";
    else if (state === "queued") status.textContent = "Our team will join when someone is free";
    else if (state === "active") status.textContent = staff ? "Chatting with " + staff + " from our team" : "Chatting with our team";
    else status.textContent = "Ask me for anything in the shop";
  }

  /* ---------- rendering ---------- */
  function bubble(role, text, who) {
    var row = el("div", "sw-row sw-row-" + role);
    var b = el("div", "sw-bubble sw-" + role);
    if (role === "staff" && who) b.appendChild(el("span", "sw-who", who + " · staff"));
    b.appendChild(el("span", "sw-text", text));
    row.appendChild(b);
    log.appendChild(row);
    return row;
  }

  function notice(text) {
    log.appendChild(el("p", "sw-notice", text));
  }

  function quickReplies(buttons) {
    var row = el("div", "sw-quick");
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", "Suggested replies");
    buttons.forEach(function (b) {
      if (!b || typeof b.payload !== "string") return;
      var title = String(b.title || b.payload);
      row.appendChild(button("sw-chip", title, null, function () { sendMessage(b.payload, title); }));
    });
    log.appendChild(row);
  }

  function productCard(card) {
    var title = String(card.title || "Product");
    var item = el("li", "sw-card");
    item.setAttribute("aria-label", title);
    item.setAttribute("data-product-id", String(card.id));
    var open = button("sw-card-open", null, "Tell me more about " + title, function () {
      sendMessage(payload("select_item", card.id), "Tell me more about " + title);
    });
    var initial = String(card.product_type || title).trim().charAt(0).toUpperCase() || "?";
    var ph = el("span", "sw-card-ph", initial);
    ph.setAttribute("aria-hidden", "true");
    if (card.image_url) {
      // A catalog's image links break (moved, offline): the card then shows the placeholder instead.
      var img = el("img", "sw-card-img");
      img.alt = title;
      img.loading = "lazy";
      img.addEventListener("error", function () {
        if (img.parentNode) img.parentNode.replaceChild(ph, img);
      });
      img.src = String(card.image_url);
      open.appendChild(img);
    } else {
      open.appendChild(ph);
    }
    open.appendChild(el("span", "sw-card-title", title));
    item.appendChild(open);
    item.appendChild(el("p", "sw-card-price", card.price_text || ""));
    var attrs = (card.attributes || []).slice(0, 3);
    if (attrs.length) {
      var list = el("ul", "sw-card-attrs");
      attrs.forEach(function (a) { list.appendChild(el("li", null, a)); });
      item.appendChild(list);
    }
    var actions = el("div", "sw-card-actions");
    var up = button("sw-icon", "👍", "I like " + title, function () {
      up.setAttribute("aria-pressed", "true");
      sendMessage(payload("feedback_positive", card.id), PAYLOAD_LABELS.feedback_positive + ": " + title);
    });
    var down = button("sw-icon", "👎", "Not for me: " + title, function () {
      down.setAttribute("aria-pressed", "true");
      sendMessage(payload("feedback_negative", card.id), PAYLOAD_LABELS.feedback_negative + ": " + title);
    });
    up.setAttribute("aria-pressed", "false");
    down.setAttribute("aria-pressed", "false");
    actions.appendChild(up);
    actions.appendChild(down);
    actions.appendChild(button("sw-link", "More like this", "More like " + title, function () {
      sendMessage(payload("more_like_this", card.id), "More like " + title);
    }));
    actions.appendChild(button("sw-cart", "Add to cart", "Add " + title + " to cart", function () {
      sendMessage(payload("add_to_cart", card.id), "Add to cart: " + title);
    }));
    item.appendChild(actions);
    return item;
  }

  function productCards(custom) {
    var products = Array.isArray(custom.products) ? custom.products : [];
    var wrap = el("div", "sw-cards-wrap");
    if (custom.constraints) wrap.appendChild(el("p", "sw-constraints", custom.constraints));
    var list = el("ul", "sw-cards");
    list.setAttribute("aria-label", products.length + " products");
    products.forEach(function (card) { if (card && typeof card === "object") list.appendChild(productCard(card)); });
    wrap.appendChild(list);
    log.appendChild(wrap);
  }

  function comparison(custom) {
    var titles = Array.isArray(custom.titles) ? custom.titles : [];
    var table = el("table", "sw-compare");
    table.appendChild(el("caption", null, "Comparison"));
    var head = el("tr");
    head.appendChild(el("th", null, ""));
    titles.forEach(function (t) { var th = el("th", null, t); th.scope = "col"; head.appendChild(th); });
    var thead = el("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    var body = el("tbody");
    (Array.isArray(custom.rows) ? custom.rows : []).forEach(function (row) {
      if (!Array.isArray(row)) return;
      var tr = el("tr");
      row.forEach(function (cell, index) {
        var c = el(index === 0 ? "th" : "td", null, cell === null ? "—" : cell);
        if (index === 0) c.scope = "row";
        tr.appendChild(c);
      });
      body.appendChild(tr);
    });
    table.appendChild(body);
    var scroller = el("div", "sw-compare-wrap");
    scroller.appendChild(table);
    log.appendChild(scroller);
  }

  function custom(data) {
    if (!data || typeof data !== "object") return;
    if (data.type === "product_cards") productCards(data);
    else if (data.type === "comparison") comparison(data);
    else if (data.type === "cart_added") notice("🛒 Added to your cart: " + (data.title || "item"));
    else if (data.type === "handoff") setHandoff("waiting");
  }

  function render(message) {
    if (!message || typeof message !== "object") return;
    var role = message.role === "customer" || message.role === "staff" ? message.role : "bot";
    if (typeof message.text === "string" && message.text) bubble(role, message.text, message.staff);
    if (typeof message.image === "string") {
      var img = el("img", "sw-image");
      img.src = message.image;
      img.alt = "Image from the assistant";
      log.appendChild(img);
    }
    if (Array.isArray(message.buttons) && message.buttons.length) quickReplies(message.buttons);
    if (message.custom) custom(message.custom);
  }

  /* ---------- network ---------- */
  function request(method, path, body) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS);
    var options = { method: method, credentials: "same-origin", signal: controller.signal, headers: { "Accept": "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(API + path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var detail = typeof data.detail === "string" ? data.detail : (response.status >= 500 ? TROUBLE : "That didn't work, please try again.");
          var failed = new Error(detail);
          failed.retryable = response.status === 502 || response.status === 503 || response.status === 504;
          throw failed;
        }
        return data;
      });
    }, function () {
      var lost = new Error(TROUBLE);
      lost.retryable = true;  // no answer at all: the message may or may not have arrived
      throw lost;
    }).finally(function () { clearTimeout(timer); });
  }

  function loadHistory() {
    loaded = true;
    setBusy(true);
    request("GET", "/history").then(function (data) {
      log.textContent = "";
      var messages = Array.isArray(data.messages) ? data.messages : [];
      if (!messages.length) notice("Hi! Tell me what you're looking for — a colour, a size, a budget. You can also ask for a person.");
      messages.forEach(render);
      setHandoff(data.handoff);
      showError("");
      listen();
    }).catch(function (error) {
      loaded = false;
      showError(error.message);
    }).finally(function () { setBusy(false); scrollDown(); });
  }

  function sendMessage(text, label) {
    if (busy) return;
    var message = String(text);
    if (!message.trim()) { showError("Type a message first."); return; }
    showError("");
    var row = bubble("customer", label || message);
    var id = unanswered && unanswered.text === message ? unanswered.id : newMessageId();
    unanswered = { text: message, id: id };
    setBusy(true);
    function attempt(tries) {
      return request("POST", "/messages", { message: message, message_id: id }).catch(function (error) {
        if (!error.retryable || tries >= RETRIES) throw error;
        return new Promise(function (resolve) { setTimeout(resolve, 1000 * (tries + 1)); }).then(function () { return attempt(tries + 1); });
      });
    }
    attempt(0).then(function (data) {
      unanswered = null;
      (Array.isArray(data.messages) ? data.messages : []).forEach(render);
      if (data.handoff) setHandoff(data.handoff);
      if (!events) listen();
    }).catch(function (error) {
      // Not answered: take the bubble back and, for typed text, give it back to send again (same id).
      row.remove();
      if (!label && !input.value) input.value = message;
      showError(error.message);
    }).finally(function () { setBusy(false); scrollDown(); });
  }

  function listen() {
    if (events || typeof EventSource === "undefined") return;
    events = new EventSource(API + "/events");
    events.onmessage = function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (data.type === "message") {
        render(data.message);
      } else if (data.type === "handoff") {
        setHandoff(data.status, data.staff);
        if (data.status === "active") notice((data.staff || "A member of our team") + " joined the chat.");
        if (data.status === "closed") notice("You're back with the assistant.");
      }
      scrollDown();
    };
  }

  /* ---------- input ---------- */
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (busy) return;
    if (!text.trim()) { showError("Type a message first."); return; }
    input.value = "";
    sendMessage(text);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") setOpen(false);
  });

  function start() {
    document.body.appendChild(root);
    var wasOpen = false;
    try { wasOpen = localStorage.getItem(OPEN_KEY) === "1"; } catch (e) { /* private mode */ }
    if (wasOpen) setOpen(true);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
