/* The agent desk: htmx fragments, kept live by the desk socket (/ws/v1/desk/, agents/consumers.py).
 *
 * The socket (htmx's ws extension, which reconnects with jitter) carries JSON events of committed
 * changes. Nothing is rendered from an event: the page asks the server for the fragment again.
 * The open conversation appends "everything after the last seq shown" through one serialised path
 * (newer()), used for socket events, the agent's own sends and resyncs alike, so nothing is shown
 * twice and a missed event costs nothing but the next fetch. After every (re)connect the list, the
 * header and the thread are fetched again: a desk is never stale after a reconnect.
 *
 * htmx keeps one request per element and drops the others: every htmx.ajax here names its own
 * `source`, so a read marker never cancels the fetch of new messages.
 */
(function () {
  "use strict";

  var $ = function (id) { return document.getElementById(id); };
  var me = Number(document.body.dataset.agentId);
  var socket = null, heartbeat = null, active = true, listTimer = null, viewingTimer = null;
  var typingSentAt = 0, fetching = false, again = false;
  var typists = new Map(); // conversation id -> {name, until}
  var viewers = new Map(); // agent id -> {name, conversation, until}
  var customersOnline = new Map(); // contact id -> true/false, as the last contact.presence said

  function thread() { return $("thread"); }
  function openId() { return thread() ? Number(thread().dataset.conversationId) : null; }
  function lastSeq() {
    var seqs = Array.from(document.querySelectorAll("#messages [data-seq]"), function (el) { return Number(el.dataset.seq); });
    return seqs.length ? Math.max.apply(null, seqs) : 0;
  }
  function send(frame) { if (socket) socket.send(JSON.stringify(frame)); }

  // --- fragments ---
  function refreshList() { // debounced: a burst of events is one fetch
    clearTimeout(listTimer);
    listTimer = setTimeout(function () { htmx.trigger("#filters", "refresh"); }, 250);
  }

  // Each fetch below names its own `source`: htmx.ajax without one issues from <body>, and htmx
  // lets one element have one request in flight, queueing the next ("last": a later one replaces
  // it) and resolving its promise at once, so a header refresh or a read marker silently dropped
  // newer()'s fetch and the message never showed.
  function newer() { // append what the open conversation has after its last shown seq
    var id = openId();
    if (!id) return;
    if (fetching) { again = true; return; }
    fetching = true;
    var list = $("messages"), stick = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    htmx.ajax("GET", "/desk/c/" + id + "/after/?seq=" + lastSeq(), { source: "#messages", target: "#messages", swap: "beforeend" }).then(function () {
      fetching = false;
      if (openId() !== id) return;
      dropDuplicates();
      if (stick) list.scrollTop = list.scrollHeight;
      markRead();
      if (again) { again = false; newer(); }
    }, function () { fetching = false; });
  }

  function dropDuplicates() {
    var seen = new Set();
    document.querySelectorAll("#messages .entry").forEach(function (el) {
      if (seen.has(el.id)) el.remove(); else seen.add(el.id);
    });
  }

  function refreshHeader() {
    var id = openId();
    if (id) htmx.ajax("GET", "/desk/c/" + id + "/header/", { source: "#conv-header", target: "#conv-header", swap: "innerHTML" });
  }

  function refreshMe() { htmx.ajax("GET", "/desk/me/", { source: ".topbar", target: "#me", swap: "outerHTML" }); }

  function markRead() {
    var id = openId();
    if (id && !document.hidden) htmx.ajax("POST", "/desk/c/" + id + "/read/", { source: "#thread", values: { seq: lastSeq() }, swap: "none" });
  }

  function highlightRow() {
    document.querySelectorAll("#list .row").forEach(function (row) {
      var on = Number(row.dataset.conversationId) === openId();
      row.classList.toggle("selected", on);
      if (on) row.setAttribute("aria-current", "true"); else row.removeAttribute("aria-current");
    });
  }

  // --- presence of others: typing and viewing ---
  function renderPresence() {
    var line = $("presence-line"), id = openId(), now = Date.now(), parts = [];
    if (!line) return;
    typists.forEach(function (who, conversation) { if (who.until > now && conversation === id) parts.push(who.name + " is typing…"); });
    viewers.forEach(function (who) {
      if (who.until > now && who.conversation === id && !parts.some(function (p) { return p.indexOf(who.name) === 0; })) parts.push(who.name + " is viewing");
    });
    var contact = thread() ? Number(thread().dataset.contactId) : null;
    if (customersOnline.get(contact) === true) parts.unshift("Customer is online");
    else if (customersOnline.get(contact) === false) parts.unshift("Customer left the chat");
    line.textContent = parts.join(" · ");
  }
  setInterval(renderPresence, 2000);

  function announceViewing() {
    clearInterval(viewingTimer);
    var id = openId();
    if (!id) return;
    send({ type: "viewing", conversation_id: id, viewing: true });
    viewingTimer = setInterval(function () { if (openId() === id) send({ type: "viewing", conversation_id: id, viewing: true }); }, 20000);
  }

  // --- notifications: title count, sound ---
  function updateTitle() {
    var total = 0;
    document.querySelectorAll("#list .unread-count").forEach(function (el) { total += Number(el.textContent) || 0; });
    document.title = (total ? "(" + total + ") " : "") + "Parley desk";
  }

  // --- getting the agent's attention: a chime and a browser notification, as they chose ---
  var audio = null;
  function chime() {
    try {
      audio = audio || new AudioContext();
      var tone = audio.createOscillator(), gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.08, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.35);
      tone.connect(gain).connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.35);
    } catch (error) { /* no audio: the title still counts */ }
  }
  function notify(title, body, conversationId) {
    var prefs = $("me") ? $("me").dataset : {};
    if (conversationId === openId() && !document.hidden) return; // already in front of them
    if (prefs.notifySound === "on") chime();
    if (prefs.notifyBrowser === "on" && window.Notification && Notification.permission === "granted") {
      var shown = new Notification(title, { body: body, tag: "parley-" + conversationId });
      shown.onclick = function () { window.focus(); openConversation("/desk/c/" + conversationId + "/", "/desk/?c=" + conversationId); };
    }
  }
  document.addEventListener("change", function (e) {
    if (e.target.id === "notify-browser" && e.target.checked && window.Notification && Notification.permission === "default") {
      Notification.requestPermission();
    }
  });

  // --- events from the socket ---
  function onEvent(event) {
    var id = openId();
    switch (event.type) {
      case "hello":
        setConnection("online", "Online");
        refreshList();
        refreshMe();
        if (id) { refreshHeader(); newer(); announceViewing(); }
        return;
      case "pong":
        return;
      case "message.created":
        refreshList();
        if (event.sender_kind === "contact" && event.assignee_id === me) {
          notify("New message", (event.message && event.message.body || "").slice(0, 140), event.conversation_id);
        }
        if (event.conversation_id === id && event.seq > lastSeq()) newer();
        typists.delete(event.conversation_id);
        renderPresence();
        return;
      case "message.updated":
        if (event.conversation_id === id) replaceEntry(event.message_id);
        return;
      case "contact.typing":
        if (event.typing) typists.set(event.conversation_id, { name: "Customer", until: Date.now() + 6000 });
        else typists.delete(event.conversation_id);
        return renderPresence();
      case "contact.presence":
        customersOnline.set(event.contact_id, event.online);
        return renderPresence();
      case "agent.typing":
        if (event.agent_id === me) return;
        if (event.typing) typists.set(event.conversation_id, { name: event.name, until: Date.now() + 6000 });
        else typists.delete(event.conversation_id);
        return renderPresence();
      case "agent.viewing":
        if (event.agent_id !== me) viewers.set(event.agent_id, { name: event.name, conversation: event.conversation_id, until: Date.now() + 45000 });
        return renderPresence();
      case "error":
        if (event.code === "logged_out") location.href = "/desk/login/?next=/desk/";
        return;
      case "conversation.created":
        refreshList();
        if (event.assignee_id === null) notify("New conversation", "A customer is waiting in an unassigned conversation.", event.conversation_id);
        return;
      case "agent.mentioned":
        notify(event.by + " mentioned you", event.excerpt, event.conversation_id);
        return;
      case "agent.presence":
        if (event.agent_id === me) refreshMe();
        return;
      default: // status, assignment, priority, labels, sessions: the list and the open header
        if (event.assignee_id === me || event.type === "session.ended") refreshMe();
        if (event.conversation_id !== undefined) {
          refreshList();
          if (event.conversation_id === id) { refreshHeader(); if (event.seq > lastSeq()) newer(); }
        }
    }
  }

  // A message's delivery changed: fetch it again. With fetch, not htmx.ajax: htmx keeps one request
  // per element and drops queued ones (see newer()), and a provider's sent and delivered reports
  // come a few milliseconds apart. Answers can cross, so only the latest one asked is shown.
  var entryAsks = {}; // message id -> number of the latest refresh asked
  function replaceEntry(messageId) {
    var entry = $("m-" + messageId);
    if (!entry) return;
    var ask = entryAsks[messageId] = (entryAsks[messageId] || 0) + 1;
    fetch("/desk/c/" + openId() + "/after/?seq=" + (Number(entry.dataset.seq) - 1), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        var parsed = document.createElement("template"), current = $("m-" + messageId);
        parsed.innerHTML = html;
        var fresh = parsed.content.getElementById("m-" + messageId);
        if (ask !== entryAsks[messageId] || !fresh || !current) return;
        current.replaceWith(fresh);
        htmx.process(fresh); // its Retry button
      });
  }

  function setConnection(state, text) {
    var el = $("connection");
    el.dataset.state = state;
    el.textContent = text;
  }

  document.body.addEventListener("htmx:wsOpen", function (e) {
    socket = e.detail.socketWrapper;
    clearInterval(heartbeat);
    heartbeat = setInterval(function () { send({ type: "ping", active: active }); active = false; }, 25000);
  });
  document.body.addEventListener("htmx:wsClose", function (e) {
    socket = null;
    clearInterval(heartbeat);
    var code = e.detail.event && e.detail.event.code;
    if (code === 4001 || code === 4012) { location.href = "/desk/login/?next=/desk/"; return; }
    setConnection("offline", "Reconnecting…");
  });
  document.body.addEventListener("htmx:wsBeforeMessage", function (e) {
    e.preventDefault(); // JSON events, not HTML to swap
    var event;
    try { event = JSON.parse(e.detail.message); } catch (error) { return; }
    onEvent(event);
  });

  // --- opening a conversation: the last one asked for wins, and a link never reloads the page ---
  var opening = 0;
  function openConversation(url, address) {
    var ask = ++opening;
    fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        if (ask !== opening) return; // a later click won
        htmx.swap("#conversation", html, { swapStyle: "innerHTML" });
        if (address && location.pathname + location.search !== address) history.pushState({}, "", address);
        conversationShown();
      })
      .catch(function () { $("desk-error").textContent = "That conversation could not be opened."; });
  }
  function conversationShown() {
    var list = $("messages");
    if (list) list.scrollTop = list.scrollHeight;
    highlightRow();
    markRead();
    announceViewing();
    renderPresence();
    newClientId();
    updateLimits();
  }
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a[data-open]");
    if (!link || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return; // new tab: a real link
    e.preventDefault();
    openConversation(link.dataset.open, link.getAttribute("href"));
  });
  window.addEventListener("popstate", function () {
    var id = new URLSearchParams(location.search).get("c");
    if (id) openConversation("/desk/c/" + id + "/");
  });
  if ($("conversation").dataset.open) openConversation($("conversation").dataset.open);

  // --- the page's own swaps ---
  document.body.addEventListener("htmx:afterSwap", function (e) {
    var target = e.detail && e.detail.target;
    if (target && (target.id === "list" || target.classList.contains("more"))) { highlightRow(); updateTitle(); updateBulk(); }
  });
  document.body.addEventListener("htmx:afterRequest", function (e) {
    if (e.detail.successful && e.detail.elt.id !== "desk-error" && e.detail.requestConfig && e.detail.requestConfig.verb !== "get") {
      $("desk-error").textContent = "";
    }
  });
  document.body.addEventListener("parley:sent", function () {
    var body = $("reply-body");
    if (body) { body.value = ""; body.focus(); }
    var file = $("reply-file");
    if (file) { file.value = ""; $("file-name").textContent = "Attach"; }
    newClientId();
    newer();
  });

  function newClientId() {
    var field = $("client-message-id");
    if (field) field.value = "desk-" + Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
  }

  // --- saved replies: "/code" in an empty composer offers them; Enter or Tab inserts one ---
  function cannedMenu() { var menu = $("canned-menu"); return menu && !menu.hidden ? menu : null; }
  function offerCanned(text) {
    var menu = $("canned-menu");
    if (!menu) return;
    if (!/^\/[\w-]*$/.test(text)) { menu.hidden = true; return; }
    htmx.ajax("GET", "/desk/canned/?q=" + encodeURIComponent(text), { source: "#canned-menu", target: "#canned-menu", swap: "innerHTML" }).then(function () {
      menu.hidden = !menu.querySelector("[data-content]");
    });
  }
  function moveCanned(step) {
    var items = Array.from(cannedMenu().querySelectorAll("[data-content]"));
    var at = items.findIndex(function (item) { return item.getAttribute("aria-selected") === "true"; });
    items.forEach(function (item) { item.removeAttribute("aria-selected"); });
    var next = items[(at + step + items.length) % items.length];
    if (next) next.setAttribute("aria-selected", "true");
  }
  function insertCanned(item) {
    $("reply-body").value = item.dataset.content;
    cannedMenu().hidden = true;
    $("reply-body").focus();
  }
  document.addEventListener("click", function (e) {
    var item = e.target.closest("#canned-menu [data-content]");
    if (item) insertCanned(item);
  });

  // --- composer: Enter sends, Shift+Enter breaks the line, typing is announced ---
  document.addEventListener("keydown", function (e) {
    var composer = e.target.id === "reply-body";
    var menu = composer && cannedMenu();
    if (menu && (e.key === "ArrowDown" || e.key === "ArrowUp")) { e.preventDefault(); moveCanned(e.key === "ArrowDown" ? 1 : -1); return; }
    if (menu && (e.key === "Enter" || e.key === "Tab")) {
      var chosen = menu.querySelector("[aria-selected=true]");
      if (chosen) { e.preventDefault(); insertCanned(chosen); return; }
    }
    if (menu && e.key === "Escape") { menu.hidden = true; return; }
    if (composer && e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      if (!$("send").disabled && (e.target.value.trim() || $("reply-file").files.length)) $("composer").requestSubmit();
      return;
    }
    if (composer && e.key === "Escape") { e.target.blur(); return; }
    if (e.target.closest("input, textarea, select") || e.metaKey || e.ctrlKey || e.altKey) return;
    shortcut(e);
  });
  document.addEventListener("input", function (e) {
    active = true;
    if (e.target.id === "reply-body") offerCanned(e.target.value);
    if (e.target.id !== "reply-body" || Date.now() - typingSentAt < 3000) return;
    typingSentAt = Date.now();
    send({ type: "typing", conversation_id: openId(), typing: true, private: $("private").checked });
  });
  // --- attachments by drop or paste, and emoji ---
  function attach(files) {
    var input = $("reply-file");
    if (!input || !files || !files.length) return;
    var all = new DataTransfer();
    Array.from(input.files).concat(Array.from(files)).forEach(function (file) { all.items.add(file); });
    input.files = all.files;
    $("file-name").textContent = all.files.length === 1 ? all.files[0].name : all.files.length + " files";
  }
  document.addEventListener("dragover", function (e) { if (e.target.closest && e.target.closest("#thread")) e.preventDefault(); });
  document.addEventListener("drop", function (e) {
    if (!e.target.closest || !e.target.closest("#thread")) return; // dropped anywhere on the thread: attached, never opened
    e.preventDefault();
    attach(e.dataTransfer.files);
  });
  document.addEventListener("paste", function (e) {
    if (e.target.id === "reply-body" && e.clipboardData && e.clipboardData.files.length) {
      e.preventDefault();
      attach(e.clipboardData.files);
    }
  });
  var EMOJI = "😀 😄 😁 😂 🙂 😉 😊 😍 🤔 😅 😢 🙏 👍 👎 👌 👏 🙌 👋 ✌️ 🤝 ❤️ 🔥 ✨ 🎉 ✅ ❌ ⚠️ ❓ 💡 📦 🚚 💳 📎 ⏰".split(" ");
  document.addEventListener("click", function (e) {
    var palette = $("emoji-palette");
    if (!palette) return;
    if (e.target.id === "emoji-open") {
      if (!palette.firstChild) EMOJI.forEach(function (emoji) {
        var button = document.createElement("button");
        button.type = "button"; button.textContent = emoji; button.setAttribute("role", "menuitem");
        palette.appendChild(button);
      });
      palette.hidden = !palette.hidden;
      e.target.setAttribute("aria-expanded", String(!palette.hidden));
    } else if (e.target.parentNode === palette) {
      var body = $("reply-body"), at = body.selectionStart;
      body.setRangeText(e.target.textContent, at, body.selectionEnd, "end");
      palette.hidden = true;
      $("emoji-open").setAttribute("aria-expanded", "false");
      body.focus();
      updateLimits();
    }
  });

  // --- what the channel allows, shown before the agent types: length, SMS segments, the window ---
  var GSM7 = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-.\/0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà^{}\\\[~\]|€]*$/;
  function smsSegments(text) {
    var gsm = GSM7.test(text);
    var length = text.length + (gsm ? (text.match(/[\^{}\\\[~\]|€]/g) || []).length : 0); // UCS-2 counts UTF-16 units
    var single = gsm ? 160 : 70, multi = gsm ? 153 : 67;
    return { length: length, segments: length <= single ? 1 : Math.ceil(length / multi), unicode: !gsm };
  }
  function updateLimits() {
    var form = $("composer"), body = $("reply-body"), hint = $("length-hint");
    if (!form || !body || !hint) return;
    var note = $("private").checked, text = body.value, max = Number(form.dataset.maxLength);
    var closed = form.dataset.window === "closed" && !note;
    $("send").disabled = closed;
    body.placeholder = closed ? "Only a private note can be written now" : "Reply… (Enter sends, Shift+Enter for a new line, / for saved replies)";
    if (note || !text) { hint.textContent = ""; return; }
    if (form.dataset.sms === "on") {
      var sms = smsSegments(text);
      hint.textContent = sms.length + " characters · " + sms.segments + " SMS" + (sms.unicode ? " (Unicode: 70 a segment)" : "");
    } else {
      hint.textContent = text.length > max * 0.8 ? text.length + " / " + max : "";
    }
    hint.classList.toggle("over", text.length > max);
  }
  document.addEventListener("input", function (e) { if (e.target.id === "reply-body") updateLimits(); });

  document.addEventListener("change", function (e) {
    if (e.target.id === "private") { $("composer").classList.toggle("note", e.target.checked); updateLimits(); }
    if (e.target.id === "reply-file") {
      var count = e.target.files.length;
      $("file-name").textContent = count === 0 ? "Attach" : count === 1 ? e.target.files[0].name : count + " files";
    }
  });
  document.addEventListener("pointerdown", function () { active = true; });
  document.body.addEventListener("htmx:configRequest", function (e) { // datetime-local is wall-clock time
    if (e.detail.parameters.until !== undefined && e.detail.elt.closest(".snooze")) {
      e.detail.parameters.offset = new Date(e.detail.parameters.until || Date.now()).getTimezoneOffset();
    }
  });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) markRead(); });

  function shortcut(e) {
    var rows = Array.from(document.querySelectorAll("#list .row a"));
    var index = rows.findIndex(function (a) { return a.closest(".row").classList.contains("selected"); });
    // htmx wires swapped-in buttons when the swap settles (20 ms later): a key pressed just after
    // an event refreshed the header would click a button that does nothing yet.
    var press = function (id) { var el = $(id); if (el) { htmx.process(el); el.click(); } };
    switch (e.key) {
      case "j": case "k":
        var next = rows[Math.min(Math.max(index + (e.key === "j" ? 1 : -1), 0), rows.length - 1)];
        if (next) next.click();
        break;
      case "r": case "n":
        if (!$("reply-body")) break;
        $("private").checked = e.key === "n";
        $("composer").classList.toggle("note", e.key === "n");
        updateLimits();
        $("reply-body").focus();
        break;
      case "a": press("assign-me"); break;
      case "e": press("resolve"); break;
      case "/": $("search").focus(); break;
      case "?": $("shortcuts").showModal(); break;
      default: return;
    }
    e.preventDefault();
  }
  $("shortcuts-open").addEventListener("click", function () { $("shortcuts").showModal(); });
  document.addEventListener("click", function (e) { // narrow screens: the customer panel slides in
    if (e.target.id === "customer-toggle") {
      var shown = document.body.classList.toggle("show-customer");
      e.target.setAttribute("aria-expanded", String(shown));
    }
  });

  // --- bulk actions on ticked rows ---
  function updateBulk() {
    var ticked = document.querySelectorAll("#list .pick:checked").length;
    $("bulk").hidden = ticked === 0;
    $("bulk-count").textContent = ticked + " selected";
  }
  document.addEventListener("change", function (e) { if (e.target.classList.contains("pick")) updateBulk(); });
  document.body.addEventListener("parley:bulk", function () { htmx.trigger("#filters", "refresh"); });

  // --- saved views: a named query string of the filters form ---
  function applyQuery(query) {
    var params = new URLSearchParams(query), form = $("filters");
    Array.from(form.elements).forEach(function (field) {
      if (!field.name) return;
      var value = params.get(field.name);
      if (field.type === "radio") field.checked = field.value === (value || "mine");
      else field.value = value || (field.tagName === "SELECT" ? field.options[0].value : "");
    });
    htmx.trigger(form, "refresh");
  }
  document.addEventListener("change", function (e) {
    if (e.target.id !== "saved-view") return;
    $("delete-view").hidden = !e.target.value;
    if (e.target.value) applyQuery(e.target.value);
  });
  document.addEventListener("click", function (e) {
    if (e.target.id === "save-view") {
      var name = prompt("Name this view");
      if (!name) return;
      var values = Object.fromEntries(new FormData($("filters")));
      values.name = name;
      htmx.ajax("POST", "/desk/filters/", { source: "#saved", values: values, target: "#saved", swap: "outerHTML" });
    } else if (e.target.id === "delete-view") {
      var chosen = $("saved-view").selectedOptions[0];
      if (chosen && chosen.dataset.id) htmx.ajax("POST", "/desk/filters/" + chosen.dataset.id + "/delete/", { source: "#saved", target: "#saved", swap: "outerHTML" });
    }
  });

  updateTitle();
})();
