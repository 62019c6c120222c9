/* Staff console: queue of handed-over conversations, transcript, claim / reply / hand back.
 * Every node is built with textContent, so customer text is always shown literally.
 */
(function () {
  "use strict";

  var ME = document.querySelector('meta[name="staff-user"]').content;
  var queue = document.getElementById("queue");
  var queueEmpty = document.getElementById("queue-empty");
  var main = document.getElementById("conversation");
  var constraintsBox = document.getElementById("constraints");
  var shownBox = document.getElementById("shown");
  var selected = null;
  var current = null;
  var stream = null;
  var transcriptList = null;

  var el = window.ConsoleCommon.el;
  var api = window.ConsoleCommon.apiFor("/api/console");

  function ago(iso) {
    var seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
    if (seconds < 60) return "just now";
    if (seconds < 3600) return Math.round(seconds / 60) + " min ago";
    return Math.round(seconds / 3600) + " h ago";
  }

  /* ---------- queue ---------- */
  // A waiting request nobody claimed in time: the customer was told and the bot helps them meanwhile.
  function statusLabel(h) {
    return h.status === "waiting" && h.timed_out_at ? "nobody free yet — customer told" : h.status;
  }

  function renderQueue(items) {
    queue.textContent = "";
    queueEmpty.hidden = items.length > 0;
    items.forEach(function (h) {
      var li = el("li");
      var b = el("button", "c-queue-item" + (h.conversation_id === selected ? " is-selected" : ""));
      b.type = "button";
      b.appendChild(el("span", "c-badge c-" + h.status, statusLabel(h)));
      b.appendChild(el("span", "c-queue-id", h.conversation_id));
      b.appendChild(el("span", "c-muted", (h.claimed_by ? h.claimed_by + " · " : "") + ago(h.created_at)));
      b.setAttribute("aria-label", "Conversation " + h.conversation_id + ", " + statusLabel(h) + (h.claimed_by ? ", claimed by " + h.claimed_by : ""));
      b.addEventListener("click", function () { select(h.conversation_id); });
      li.appendChild(b);
      queue.appendChild(li);
    });
  }
  function refreshQueue() {
    api("GET", "/handoffs").then(renderQueue).catch(function () { /* next poll retries */ });
  }

  /* ---------- transcript ---------- */
  function renderMessage(message) {
    if (!transcriptList || !message) return;
    var role = message.role === "customer" || message.role === "staff" ? message.role : "bot";
    var custom = message.custom && typeof message.custom === "object" ? message.custom : null;
    var text = typeof message.text === "string" ? message.text : "";
    if (!text && custom) {
      if (custom.type === "product_cards") text = "[showed " + (custom.products || []).length + " products]\n" + (custom.text || "");
      else if (custom.type === "comparison") text = "[comparison] " + (custom.titles || []).join(" vs ");
      else if (custom.type === "cart_added") text = "[added to cart] " + (custom.title || "");
      else if (custom.type === "handoff") return;  // the handoff text itself is shown just above
      else return;
    }
    if (!text) return;
    var li = el("li", "c-msg c-msg-" + role);
    var who = role === "customer" ? "Customer" : role === "staff" ? (message.staff || "Staff") + " (staff)" : "Assistant";
    li.appendChild(el("span", "c-who", who));
    li.appendChild(el("p", "c-text", text));
    if (Array.isArray(message.buttons) && message.buttons.length) {
      li.appendChild(el("p", "c-buttons", "Buttons: " + message.buttons.map(function (b) { return b && b.title; }).join(" · ")));
    }
    transcriptList.appendChild(li);
    transcriptList.scrollTop = transcriptList.scrollHeight;
  }

  function renderContext(data) {
    constraintsBox.textContent = "";
    var any = false;
    Object.keys(data.constraints || {}).forEach(function (key) {
      var value = data.constraints[key];
      if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) return;
      any = true;
      constraintsBox.appendChild(el("dt", null, key.replace(/_/g, " ")));
      constraintsBox.appendChild(el("dd", null, Array.isArray(value) ? value.join(", ") : value));
    });
    if (!any) constraintsBox.appendChild(el("dt", "c-muted", "none yet"));
    shownBox.textContent = "";
    (data.shown_products || []).forEach(function (card) {
      var li = el("li");
      li.appendChild(el("strong", null, card.title));
      li.appendChild(el("span", "c-muted", " " + (card.price_text || "") + " · id " + card.id));
      shownBox.appendChild(li);
    });
    if (!shownBox.children.length) shownBox.appendChild(el("li", "c-muted", "nothing yet"));
  }

  function renderConversation(data) {
    current = data;
    var h = data.handoff;
    main.textContent = "";
    var head = el("div", "c-conv-head");
    var title = el("h2", null, "Conversation " + h.conversation_id);
    head.appendChild(title);
    var status = el("span", "c-badge c-" + h.status, statusLabel(h) + (h.claimed_by ? " · " + h.claimed_by : ""));
    head.appendChild(status);
    var actions = el("div", "c-actions");
    var mine = h.status === "active" && h.claimed_by === ME;
    if (h.status === "waiting") {
      actions.appendChild(action("Claim", "c-primary", function () { return api("POST", path("/claim")); }));
    }
    if (mine) {
      actions.appendChild(action("Hand back to the bot", "c-secondary", function () { return api("POST", path("/handback")); }));
    }
    head.appendChild(actions);
    main.appendChild(head);
    var error = el("p", "c-error");
    error.setAttribute("role", "alert");
    error.hidden = true;
    error.id = "c-error";
    main.appendChild(error);
    transcriptList = el("ol", "c-transcript");
    transcriptList.setAttribute("aria-label", "Transcript");
    transcriptList.tabIndex = 0;
    main.appendChild(transcriptList);
    data.messages.forEach(renderMessage);
    if (mine) main.appendChild(composer());
    else if (h.status === "active") main.appendChild(el("p", "c-muted", h.claimed_by + " is handling this conversation."));
    else if (h.status === "waiting") main.appendChild(el("p", "c-muted", "Claim the conversation to reply."));
    renderContext(data);
  }

  function path(suffix) { return "/conversations/" + encodeURIComponent(selected) + suffix; }

  function showError(text) {
    var box = document.getElementById("c-error");
    if (!box) return;
    box.textContent = text;
    box.hidden = !text;
  }

  function action(label, className, run) {
    var b = el("button", className, label);
    b.type = "button";
    b.addEventListener("click", function () {
      b.disabled = true;
      run().then(function () { load(); refreshQueue(); }).catch(function (e) { showError(e.message); b.disabled = false; });
    });
    return b;
  }

  function composer() {
    var form = el("form", "c-composer");
    var input = el("textarea", "c-input");
    input.rows = 2;
    input.placeholder = "Reply to the customer…";
    input.setAttribute("aria-label", "Reply to the customer");
    var send = el("button", "c-primary", "Send");
    send.type = "submit";
    form.appendChild(input);
    form.appendChild(send);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value;
      if (!text.trim()) { showError("Type a message first."); return; }
      send.disabled = true;
      api("POST", path("/messages"), { text: text }).then(function () {
        input.value = "";
        showError("");
      }).catch(function (e) { showError(e.message); }).finally(function () { send.disabled = false; input.focus(); });
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    setTimeout(function () { input.focus(); }, 0);
    return form;
  }

  function listen() {
    if (stream) stream.close();
    stream = new EventSource("/api/console" + path("/events"));
    stream.onmessage = function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (data.type === "message") renderMessage(data.message);
    };
  }

  function load() {
    return api("GET", path("")).then(renderConversation).catch(function (e) {
      main.textContent = "";
      main.appendChild(el("p", "c-error", e.message));
    });
  }

  function select(conversationId) {
    selected = conversationId;
    load().then(listen);
    refreshQueue();
  }

  refreshQueue();
  setInterval(refreshQueue, 3000);
})();
