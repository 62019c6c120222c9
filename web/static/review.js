/* Review queue: groups of messages that went wrong, a span editor over the message's words, product
 * relevance marks, conversation -> test story, and the export. Every node is built with textContent,
 * so customer text is always shown literally.
 */
(function () {
  "use strict";

  var groupsBox = document.getElementById("groups");
  var groupsEmpty = document.getElementById("groups-empty");
  var main = document.getElementById("item");
  var exportButton = document.getElementById("export");
  var exportResult = document.getElementById("export-result");
  var status = "open";
  var labels = null;
  var selected = null;
  var draft = null;     // {intent, entities: [{start, end, entity, role}]} being edited
  var picked = null;    // [first word index, last word index] picked for a new span

  var el = window.ConsoleCommon.el;
  var api = window.ConsoleCommon.apiFor("/api/review");

  function option(select, value, text, chosen) {
    var o = el("option", null, text);
    o.value = value;
    if (value === chosen) o.selected = true;
    select.appendChild(o);
  }

  /* ---------- queue ---------- */
  function renderQueue(data) {
    groupsBox.textContent = "";
    groupsEmpty.hidden = data.groups.length > 0;
    data.groups.forEach(function (group) {
      var box = el("section", "r-group");
      var head = group.size > 1 ? group.size + " messages of this kind" : "1 message";
      box.appendChild(el("p", "r-group-head", head));
      group.items.forEach(function (item) {
        var b = el("button", "r-item" + (item.id === selected ? " is-selected" : ""));
        b.type = "button";
        b.dataset.itemId = String(item.id);
        b.appendChild(el("span", "r-item-text", item.text));
        var meta = el("span", "c-muted", " → " + item.intent + " (" + Math.round(item.confidence * 100) + " %)");
        b.appendChild(meta);
        var reasons = el("span", "r-reasons");
        item.reasons.forEach(function (r) { reasons.appendChild(el("span", "r-reason", r.label)); });
        b.appendChild(document.createElement("br"));
        b.appendChild(reasons);
        b.addEventListener("click", function () { select(item.id); });
        box.appendChild(b);
      });
      groupsBox.appendChild(box);
    });
  }

  function refreshQueue() {
    return api("GET", "/queue?status=" + encodeURIComponent(status)).then(renderQueue).catch(function (e) {
      groupsBox.textContent = "";
      groupsBox.appendChild(el("p", "c-error", e.message));
    });
  }

  document.querySelectorAll(".r-tabs [data-status]").forEach(function (tab) {
    tab.addEventListener("click", function () {
      status = tab.dataset.status;
      document.querySelectorAll(".r-tabs [data-status]").forEach(function (t) { t.setAttribute("aria-pressed", String(t === tab)); });
      refreshQueue();
    });
  });

  exportButton.addEventListener("click", function () {
    exportButton.disabled = true;
    api("POST", "/export").then(function (report) {
      exportResult.hidden = false;
      exportResult.className = "r-ok";
      exportResult.textContent = report.summary + (report.files.length ? " → " + report.files.join(", ") : "");
    }).catch(function (e) {
      exportResult.hidden = false;
      exportResult.className = "c-error";
      exportResult.textContent = e.message;
    }).finally(function () { exportButton.disabled = false; });
  });

  /* ---------- one message ---------- */
  function spanAt(index, words) {
    var word = words[index];
    return draft.entities.find(function (s) { return s.start <= word.start && word.end <= s.end; });
  }

  function renderWords(data) {
    var box = el("div", "r-words");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "Words of the message: pick the first and last word of an entity");
    data.words.forEach(function (word, index) {
      var b = el("button", "r-word", word.text);
      b.type = "button";
      b.dataset.index = String(index);
      var span = spanAt(index, data.words);
      if (span) {
        b.dataset.entity = span.entity + (span.role ? "." + span.role : "");
        b.dataset.spanStart = String(span.start === word.start);
      }
      var isPicked = picked && index >= picked[0] && index <= picked[1];
      if (isPicked) b.classList.add("is-picked");
      b.setAttribute("aria-pressed", String(Boolean(isPicked)));
      b.addEventListener("click", function () {
        if (!picked || picked[0] !== picked[1]) picked = [index, index];
        else picked = [Math.min(picked[0], index), Math.max(picked[0], index)];
        renderItem(data);
      });
      box.appendChild(b);
    });
    return box;
  }

  function renderEditor(data) {
    var section = el("section", "r-section");
    section.appendChild(el("h3", null, "Correction"));
    var intentRow = el("div", "r-row");
    var intentLabel = el("label", null, "Intent ");
    var intent = el("select");
    intent.id = "r-intent";
    labels.intents.forEach(function (name) { option(intent, name, name, draft.intent); });
    intent.addEventListener("change", function () { draft.intent = intent.value; });
    intentLabel.appendChild(intent);
    intentRow.appendChild(intentLabel);
    section.appendChild(intentRow);

    var spans = el("ul", "r-spans");
    spans.setAttribute("aria-label", "Entities");
    draft.entities.forEach(function (span, i) {
      var li = el("li");
      li.appendChild(el("strong", null, span.entity + (span.role ? " (" + span.role + ")" : "")));
      li.appendChild(el("span", null, "“" + data.text.slice(span.start, span.end) + "”"));
      var remove = el("button", "r-small", "Remove");
      remove.type = "button";
      remove.setAttribute("aria-label", "Remove " + span.entity + " " + data.text.slice(span.start, span.end));
      remove.addEventListener("click", function () { draft.entities.splice(i, 1); renderItem(data); });
      li.appendChild(remove);
      spans.appendChild(li);
    });
    if (!draft.entities.length) spans.appendChild(el("li", "c-muted", "No entities."));
    section.appendChild(spans);

    var addRow = el("div", "r-row");
    var entity = el("select");
    entity.id = "r-entity";
    entity.setAttribute("aria-label", "Entity of the picked words");
    Object.keys(labels.entities).forEach(function (name) { option(entity, name, name, null); });
    var role = el("select");
    role.id = "r-role";
    role.setAttribute("aria-label", "Role");
    option(role, "", "no role", "");
    option(role, "exclude", "exclude (\"not …\")", "");
    var add = el("button", "c-secondary", "Add span");
    add.type = "button";
    add.id = "r-add-span";
    add.disabled = !picked;
    add.addEventListener("click", function () {
      var start = data.words[picked[0]].start, end = data.words[picked[1]].end;
      var roles = labels.entities[entity.value] || [];
      if (role.value && roles.indexOf(role.value) < 0) { showError(entity.value + " has no role " + role.value + "."); return; }
      draft.entities = draft.entities.filter(function (s) { return s.end <= start || s.start >= end; });
      draft.entities.push({ start: start, end: end, entity: entity.value, role: role.value || null });
      draft.entities.sort(function (a, b) { return a.start - b.start; });
      picked = null;
      renderItem(data);
    });
    addRow.appendChild(el("span", "c-muted", picked ? "Picked: “" + data.text.slice(data.words[picked[0]].start, data.words[picked[1]].end) + "”" : "Pick words above, then"));
    addRow.appendChild(entity);
    addRow.appendChild(role);
    addRow.appendChild(add);
    section.appendChild(addRow);

    var actions = el("div", "r-row");
    actions.appendChild(action("Save correction", "c-primary", "r-save", function () {
      return api("POST", "/items/" + data.id + "/correction", { intent: draft.intent, entities: draft.entities });
    }, "Correction saved."));
    actions.appendChild(action("Nothing to fix", "c-secondary", "r-dismiss", function () {
      return api("POST", "/items/" + data.id + "/dismiss");
    }, "Dismissed."));
    actions.appendChild(action("Make a test story of this conversation", "c-secondary", "r-story", function () {
      return api("POST", "/items/" + data.id + "/story").then(function (story) {
        showStory(story);
        return null;
      });
    }, null));
    section.appendChild(actions);
    return section;
  }

  function renderProducts(data) {
    var section = el("section", "r-section");
    section.appendChild(el("h3", null, "Products shown for this message"));
    var list = el("ul", "r-products");
    var choices = {};
    data.products.forEach(function (product) {
      var li = el("li");
      li.appendChild(el("span", null, product.title + (product.price_text ? " · " + product.price_text : "")));
      var set = el("fieldset");
      set.appendChild(el("legend", "c-muted", ""));
      set.setAttribute("aria-label", "Relevance of " + product.title);
      Object.keys(labels.grades).forEach(function (grade) {
        var label = el("label");
        var radio = el("input");
        radio.type = "radio";
        radio.name = "grade-" + product.id;
        radio.value = grade;
        radio.checked = String(product.grade) === grade;
        radio.addEventListener("change", function () { choices[product.id] = Number(grade); });
        label.appendChild(radio);
        label.appendChild(document.createTextNode(" " + labels.grades[grade]));
        set.appendChild(label);
      });
      li.appendChild(set);
      list.appendChild(li);
    });
    section.appendChild(list);
    section.appendChild(action("Save marks", "c-secondary", "r-marks", function () {
      if (!Object.keys(choices).length) return Promise.reject(new Error("Mark at least one product first."));
      return api("POST", "/items/" + data.id + "/relevance", { grades: choices });
    }, "Marks saved."));
    return section;
  }

  function renderContext(data) {
    var section = el("section", "r-section");
    section.appendChild(el("h3", null, "The conversation"));
    var list = el("ol", "r-context");
    data.conversation.forEach(function (m) {
      if (!m.text) return;
      var li = el("li");
      li.appendChild(el("strong", null, (m.role === "customer" ? "Customer" : m.role === "staff" ? "Staff" : "Assistant") + ": "));
      li.appendChild(document.createTextNode(m.text));
      list.appendChild(li);
    });
    section.appendChild(list);
    return section;
  }

  function showStory(story) {
    var box = document.getElementById("r-story-preview");
    if (!box) return;
    box.hidden = false;
    box.textContent = "";
    box.appendChild(el("p", "r-ok", "Saved as “" + story.name + "” (" + story.steps.length + " steps); the export writes it to "
      + "tests/conversations/. Where the bot did the wrong thing, choose what it should have done."));
    var list = el("ol", "r-story");
    var changes = {};
    story.steps.forEach(function (step, index) {
      var li = el("li");
      if (step.action !== undefined) {
        var label = el("label", null, "bot: ");
        var select = el("select");
        select.dataset.step = String(index);
        labels.actions.forEach(function (name) { option(select, name, name, step.action); });
        select.addEventListener("change", function () { changes[index] = select.value; });
        label.appendChild(select);
        li.appendChild(label);
      } else if (step.user !== undefined) {
        li.textContent = "customer: " + step.user + "  → " + step.intent;
      } else if (step.intent !== undefined) {
        li.textContent = "customer clicked: " + step.intent;
      } else {
        li.textContent = "form: " + step.active_loop;
      }
      list.appendChild(li);
    });
    box.appendChild(list);
    box.appendChild(action("Save story", "c-secondary", "r-story-save", function () {
      if (!Object.keys(changes).length) return Promise.reject(new Error("Change an expected bot action first."));
      return api("POST", "/stories/" + story.id, { actions: changes }).then(function (saved) { showStory(saved); return null; });
    }, "Story saved."));
  }

  function showError(text, ok) {
    var box = document.getElementById("r-error");
    if (!box) return;
    box.className = ok ? "r-ok" : "c-error";
    box.textContent = text;
    box.hidden = !text;
  }

  function action(label, className, id, run, done) {
    var b = el("button", className, label);
    b.type = "button";
    b.id = id;
    b.addEventListener("click", function () {
      b.disabled = true;
      run().then(function (fresh) {
        if (fresh && fresh.id) { draft = null; renderItem(fresh); }
        if (done) showError(done, true);
        refreshQueue();
      }).catch(function (e) { showError(e.message); }).finally(function () { b.disabled = false; });
    });
    return b;
  }

  function renderItem(data) {
    if (!draft) {
      var source = data.correction || data.model;
      draft = { intent: source.intent, entities: source.entities.map(function (e) { return { start: e.start, end: e.end, entity: e.entity, role: e.role || null }; }) };
    }
    main.textContent = "";
    var head = el("div", "c-conv-head");
    head.appendChild(el("h2", null, "Message " + data.id));
    head.appendChild(el("span", "c-badge c-" + (data.status === "open" ? "waiting" : data.status === "corrected" ? "active" : "closed"), data.status));
    main.appendChild(head);
    var error = el("p", "c-error");
    error.id = "r-error";
    error.setAttribute("role", "alert");
    error.hidden = true;
    main.appendChild(error);
    main.appendChild(renderWords(data));
    var model = "The model read: " + data.model.intent + " (" + Math.round(data.model.confidence * 100) + " %)";
    if (data.model.entities.length) {
      model += "; " + data.model.entities.map(function (e) { return e.entity + (e.role ? "." + e.role : "") + " “" + data.text.slice(e.start, e.end) + "”"; }).join(", ");
    }
    main.appendChild(el("p", "c-muted", model));
    if (data.correction) {
      main.appendChild(el("p", "c-muted", "Corrected by " + data.correction.reviewer + " at " + data.correction.created_at.replace("T", " ").slice(0, 16) + " UTC"));
    }
    data.reasons.forEach(function (r) { main.appendChild(el("span", "r-reason", r.label)); });
    main.appendChild(renderEditor(data));
    var story = el("div");
    story.id = "r-story-preview";
    story.hidden = true;
    main.appendChild(story);
    if (data.products.length) main.appendChild(renderProducts(data));
    main.appendChild(renderContext(data));
  }

  function select(itemId) {
    selected = itemId;
    draft = null;
    picked = null;
    document.querySelectorAll(".r-item").forEach(function (b) { b.classList.toggle("is-selected", b.dataset.itemId === String(itemId)); });
    api("GET", "/items/" + itemId).then(renderItem).catch(function (e) {
      main.textContent = "";
      main.appendChild(el("p", "c-error", e.message));
    });
  }

  api("GET", "/labels").then(function (data) { labels = data; return refreshQueue(); }).catch(function (e) {
    groupsBox.appendChild(el("p", "c-error", e.message));
  });
})();
