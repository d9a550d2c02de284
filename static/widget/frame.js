/* The Parley widget frame: a client of docs/protocol.md (v1) with its own small UI.
 *
 * State is per conversation: `last` (highest seq applied with nothing missing below it), the
 * messages by id, and whether older history exists. Sends are idempotent: every message gets a
 * client_message_id, stays queued (and in localStorage) until its ack, and is sent again with the
 * same id after any reconnect. Gaps in seq, a hello or a pong that mention a higher seq, all lead
 * to a resync by history.after; nothing is shown twice because messages are keyed by id.
 */
(function () {
  "use strict";

  var page = JSON.parse(document.getElementById("parley-page").textContent);
  var STRINGS = {
    en: {
      open: "Open chat", close: "Close chat", back: "Back to conversations", send: "Send",
      compose: "Write a message…", newConversation: "Send us a message", connecting: "Connecting…",
      offline: "You are offline. Messages will be sent when you are back.",
      unreachable: "Cannot reach the chat. Retrying…", pending: "Sending…", failed: "Not sent", read: "Seen",
      typing: "{name} is typing…", someone: "An agent", replies: "We usually reply in a few minutes",
      empty: "No messages yet",
      ended: "This conversation is resolved. Write to reopen it.", loading: "Loading…",
      attach: "Attach an image or a PDF", tooBig: "Files are limited to 10 MB", closeImage: "Close the image",
      notify: "Get replies by email or SMS when you are away:", save: "Save", online: "Online now", emoji: "Insert an emoji",
      prechat: "Before we start, tell us who you are.", name: "Your name", email: "Your email",
      joined: "{name} joined the conversation",
      repliesHours: "We usually reply in a few hours", repliesDay: "We usually reply within a day",
      away: "We're away right now", backAt: "We're away. Back {when}",
      queued: "You are number {n} in the queue", wait: "about {m} min", endChat: "End chat",
      endedLive: "Chat ended. Write to start a new one.", leftEnd: "The chat ended when you left.",
      idleEnd: "The chat ended after a quiet while.", agentEnd: "The agent ended the chat.",
      transcript: "Email me the transcript:", transcriptSent: "The transcript is on its way to {email}.",
      reach: "Email or phone, like +44 20 7946 0958",
    },
    fr: {
      open: "Ouvrir la discussion", close: "Fermer la discussion", back: "Retour aux conversations",
      send: "Envoyer", compose: "Écrivez un message…", newConversation: "Envoyez-nous un message",
      connecting: "Connexion…", offline: "Vous êtes hors ligne. Les messages partiront à votre retour.",
      unreachable: "Impossible de joindre la discussion. Nouvel essai…", pending: "Envoi…",
      failed: "Non envoyé", read: "Lu", typing: "{name} écrit…",
      someone: "Un agent", replies: "Nous répondons en général en quelques minutes",
      empty: "Aucun message", ended: "Cette conversation est résolue. Écrivez pour la rouvrir.",
      loading: "Chargement…", attach: "Joindre une image ou un PDF", tooBig: "Les fichiers sont limités à 10 Mo",
      closeImage: "Fermer l'image", notify: "Recevez nos réponses par e-mail ou SMS en votre absence :",
      save: "Enregistrer", online: "En ligne", emoji: "Insérer un emoji",
      prechat: "Avant de commencer, dites-nous qui vous êtes.", name: "Votre nom", email: "Votre e-mail",
      joined: "{name} a rejoint la conversation",
      repliesHours: "Nous répondons en général en quelques heures",
      repliesDay: "Nous répondons en général sous 24 heures",
      away: "Nous sommes absents pour le moment", backAt: "Nous sommes absents. De retour {when}",
      queued: "Vous êtes numéro {n} dans la file", wait: "environ {m} min", endChat: "Terminer",
      endedLive: "Discussion terminée. Écrivez pour en commencer une autre.",
      leftEnd: "La discussion s'est terminée à votre départ.", idleEnd: "La discussion s'est terminée après un silence.",
      agentEnd: "L'agent a terminé la discussion.", transcript: "Recevoir la transcription par e-mail :",
      transcriptSent: "La transcription part vers {email}.",
      reach: "E-mail ou téléphone, ex. +33 6 12 34 56 78",
    },
  };
  var MAX_FILE_BYTES = 10 * 1024 * 1024;
  var EMOJI = "😀 😃 😄 😁 😅 😂 🙂 😉 😊 😍 😘 😎 🤔 😐 😕 😢 😭 😡 😮 😴 🙄 🤗 🙏 👍 👎 👌 👏 🙌 💪 👋 ✌️ 🤝 ❤️ 💔 🔥 ✨ 🎉 🎁 ✅ ❌ ⚠️ ❓ 💡 📦 🚚 💳 📎 ⏰".split(" ");
  var sound = new URLSearchParams(location.search).get("sound") === "1";
  var lang = (navigator.language || "en").slice(0, 2).toLowerCase();
  var t = STRINGS[lang] || STRINGS.en;
  document.documentElement.lang = STRINGS[lang] ? lang : "en";
  document.documentElement.style.setProperty("--brand", page.color);

  var $ = function (id) { return document.getElementById(id); };
  // The frame is a third-party document on the business's site, where browsers may deny it storage
  // (Safari, Brave, Chrome without third-party cookies). Embedded, it keeps its state in the
  // page's own storage through the loader; opened directly, in its own.
  var embedded = window.parent !== window;
  var saved = {};
  var store = {
    get: function (name, fallback) { return Object.prototype.hasOwnProperty.call(saved, name) ? saved[name] : fallback; },
    set: function (name, value) {
      saved[name] = value;
      if (embedded) return parent.postMessage({ parley: "store", name: name, value: value }, "*");
      try { localStorage.setItem("parley:" + page.publicKey + ":" + name, JSON.stringify(value)); } catch (error) { /* none */ }
    },
    loadOwn: function () {
      ["resume", "unacked"].forEach(function (name) {
        try {
          var raw = localStorage.getItem("parley:" + page.publicKey + ":" + name);
          if (raw !== null) saved[name] = JSON.parse(raw);
        } catch (error) { /* storage denied: this visit only */ }
      });
    },
  };

  // --- state ---
  var conversations = new Map(); // id -> {id, status, last_seq, read_seq, last, messages: Map, hasOlder, loaded}
  var unacked = new Map();
  var view = null; // null: home; a conversation id; or "new"
  var navigated = false; // the visitor chose a view: hello no longer picks one for them
  var isOpen = false;
  var user = {}; // identify() fields: user_id, user_hash, name, email
  var contact = null; // {name, email} as the last session answer had them
  var ws = null, attempt = 0, refs = 0, waiting = new Map(), heartbeat = null, lastHeard = 0, retryTimer = null;
  var typingTimer = null, typingSentAt = 0, agentTyping = null, unreadReported = -1;
  var transcriptSentTo = null;

  function conversation(id) {
    if (!conversations.has(id)) {
      conversations.set(id, { id: id, status: "open", last_seq: 0, read_seq: 0, last: 0, messages: new Map(),
        notices: [], hasOlder: true, loaded: false, syncing: false });
    }
    return conversations.get(id);
  }

  // --- the socket ---
  function setConnection(state, text) {
    $("connection").dataset.state = state;
    $("connection").textContent = text || "";
  }

  function showTrying() {
    if (navigator.onLine === false) setConnection("offline", t.offline);
    else setConnection("connecting", attempt > 2 ? t.unreachable : t.connecting);
  }

  function openSession() {
    var body = Object.assign({ public_key: page.publicKey, resume_token: store.get("resume", ""),
      language: navigator.language || "" }, user);
    return fetch(page.sessionUrl, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), credentials: "omit",
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (!response.ok) {
          throw Object.assign(new Error(answer.error || "session"), { fatal: response.status < 500, detail: answer.detail });
        }
        store.set("resume", answer.resume_token);
        contact = answer.contact || contact;
        page.online = !!answer.team_online;
        page.availability = answer.availability || page.availability;
        return answer;
      });
    });
  }

  function connect() {
    clearTimeout(retryTimer);
    showTrying();
    openSession().then(function (session) {
      sendAttributes();
      var url = location.origin.replace(/^http/, "ws") + session.websocket_path + "?token=" +
        encodeURIComponent(session.connect_token);
      var socket = new WebSocket(url);
      ws = socket;
      socket.onmessage = function (frame) {
        if (socket !== ws) return;
        lastHeard = Date.now();
        handle(JSON.parse(frame.data));
      };
      socket.onclose = function (event) {
        if (socket !== ws) return;
        ws = null;
        clearInterval(heartbeat);
        waiting.forEach(function (entry) { entry.reject(new Error("closed")); });
        waiting.clear();
        if (event.code === 4003) return setConnection("offline", t.unreachable);
        retry();
      };
    }).catch(function (error) {
      if (error.fatal && error.message === "identity_invalid") user = {};
      retry();
    });
  }

  function retry() { // full jitter: random(0, min(30 s, 0.5 s x 2^attempt))
    attempt += 1;
    showTrying();
    retryTimer = setTimeout(connect, Math.random() * Math.min(30000, 500 * Math.pow(2, attempt)));
  }

  function reconnectNow() {
    if (ws) { var old = ws; ws = null; old.close(1000); }
    attempt = 0;
    connect();
  }

  function send(frame) {
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  function request(frame) { // a reply with our ref, or an error; lost frames time out
    return new Promise(function (resolve, reject) {
      var ref = "r" + (++refs);
      if (!send(Object.assign({ ref: ref }, frame))) return reject(new Error("offline"));
      var timer = setTimeout(function () { waiting.delete(ref); reject(new Error("timeout")); }, 15000);
      waiting.set(ref, {
        resolve: function (value) { clearTimeout(timer); resolve(value); },
        reject: function (error) { clearTimeout(timer); reject(error); },
      });
    });
  }

  function handle(event) {
    if (event.ref && waiting.has(event.ref) && event.type !== "message.ack") {
      var entry = waiting.get(event.ref);
      waiting.delete(event.ref);
      if (event.type === "error") entry.reject(Object.assign(new Error(event.detail), { code: event.code }));
      else entry.resolve(event);
      return;
    }
    switch (event.type) {
      case "hello": return onHello(event);
      case "message.ack": return onAck(event);
      case "message.created": return applyMessage(event.message, true);
      case "message.updated": return onStatus(event);
      case "conversation.status_changed":
        conversation(event.conversation_id).status = event.status;
        return heard(event.conversation_id, event.seq);
      case "conversation.read":
        if (event.reader === "agent") markSeen(event.conversation_id, event.read_seq);
        else conversation(event.conversation_id).read_seq = Math.max(conversation(event.conversation_id).read_seq, event.read_seq);
        return heard(event.conversation_id, event.seq);
      case "agent.typing": return onAgentTyping(event);
      case "conversation.assigned":
        if (event.assignee_name) { // shown where it happened: after the entries it followed
          conversation(event.conversation_id).notices.push({ seq: event.seq, text: t.joined.replace("{name}", event.assignee_name) });
          var taken = conversation(event.conversation_id).session;
          if (taken && taken.state === "queued") taken.state = "active";
        }
        return heard(event.conversation_id, event.seq);
      case "session.queued":
        conversation(event.conversation_id).session = { id: event.session_id, state: "queued",
          queue_position: event.queue_position, estimated_wait_seconds: event.estimated_wait_seconds };
        return heard(event.conversation_id, event.seq);
      case "session.ended":
        conversation(event.conversation_id).session = { id: event.session_id, state: "ended", close_reason: event.close_reason };
        transcriptSentTo = null;
        return heard(event.conversation_id, event.seq);
      case "pong":
        Object.keys(event.seqs || {}).forEach(function (id) { heard(Number(id), event.seqs[id]); });
        return;
      case "error":
        if (event.ref && unacked.has(event.ref)) return onSendRefused(event);
        return;
      default:
        if (event.conversation_id !== undefined) heard(event.conversation_id, event.seq);
    }
  }

  function onHello(hello) {
    attempt = 0;
    setConnection("online");
    clearInterval(heartbeat);
    heartbeat = setInterval(function () {
      if (Date.now() - lastHeard > 60000 && ws) return ws.close();
      send({ type: "ping", ref: "ping" });
    }, 25000);
    hello.conversations.forEach(function (item) {
      var c = conversation(item.id);
      c.status = item.status; c.last_seq = item.last_seq; c.read_seq = item.read_seq; c.activity = item.last_activity_at;
      c.session = item.live_session || null;
    });
    sayWhereIAm();
    unacked.forEach(function (item) { sendQueued(item); }); // the same ids again: never a duplicate
    var recent = sortedConversations().slice(0, 8);
    loadInTurn(recent.map(function (c) { return c.id; }));
    if (isOpen && view === null && !navigated) showDefault();
    render();
  }

  // --- messages ---
  function applyMessage(message, live) {
    var c = conversation(message.conversation_id);
    var queued = message.client_message_id && unacked.get(message.client_message_id);
    if (queued) {
      unacked.delete(message.client_message_id);
      saveUnacked();
      if (queued.file) keepFile(queued, false);
    }
    if (!c.messages.has(message.id)) {
      c.messages.set(message.id, message);
      if (live && message.sender.kind !== "contact") {
        if (agentTyping && agentTyping.conversation === c.id) stopAgentTyping();
        if (sound && (!isOpen || document.hidden || view !== c.id)) chime();
      }
    }
    if (message.seq === c.last + 1) c.last = message.seq;
    c.last_seq = Math.max(c.last_seq, message.seq);
    c.activity = message.created_at;
    if (message.seq > c.last && c.loaded) resync(c.id); // a gap; a conversation not shown yet loads its newest page
    if (view === c.id) markRead(c);
    render();
  }

  function heard(id, seq) {
    var c = conversation(id);
    c.last_seq = Math.max(c.last_seq, seq || 0);
    if (c.loaded && c.last_seq > c.last) resync(id);
    else render();
  }

  function resync(id) { // history.after from `last`, one request at a time per conversation
    var c = conversation(id);
    if (c.syncing || !ws) return;
    c.syncing = true;
    request({ type: "history.after", conversation_id: id, after_seq: c.last, limit: 100 }).then(function (page) {
      page.messages.forEach(function (m) { applyMessage(m, false); });
      var top = page.messages.length ? page.messages[page.messages.length - 1].seq : c.last;
      c.last = Math.max(c.last, page.has_more ? top : Math.max(top, page.last_seq));
      c.syncing = false;
      if (c.last_seq > c.last) resync(id);
      render();
    }, function (error) {
      c.syncing = false;
      if (error.code === "not_found") conversations.delete(id);
    });
  }

  function loadNewest(id) { // the newest page of a conversation we have not shown yet
    var c = conversation(id);
    return request({ type: "history.before", conversation_id: id, before_seq: c.last_seq + 1, limit: 30 })
      .then(function (page) {
        c.hasOlder = page.has_more;
        c.last = Math.max(c.last, page.last_seq); // everything up to last_seq is stored: older pages on scroll
        c.last_seq = Math.max(c.last_seq, page.last_seq);
        page.messages.forEach(function (m) { applyMessage(m, false); });
        c.loaded = true;
        if (c.last_seq > c.last) resync(id);
        render();
      });
  }

  function loadInTurn(ids) { // a few requests at a time keeps well inside the rate limit
    var next = ids.shift();
    if (next === undefined) return;
    var c = conversation(next);
    var done = function () { loadInTurn(ids); };
    if (c.loaded) { resync(next); done(); } else loadNewest(next).then(done, done);
  }

  function loadOlder(c) {
    if (c.loadingOlder || !c.hasOlder || !c.loaded) return;
    var oldest = Math.min.apply(null, Array.from(c.messages.values()).map(function (m) { return m.seq; }).concat([c.last_seq + 1]));
    c.loadingOlder = true;
    var list = $("messages"), fromBottom = list.scrollHeight - list.scrollTop;
    request({ type: "history.before", conversation_id: c.id, before_seq: oldest, limit: 30 }).then(function (page) {
      c.hasOlder = page.has_more;
      page.messages.forEach(function (m) { c.messages.set(m.id, m); });
      c.loadingOlder = false;
      render();
      list.scrollTop = list.scrollHeight - fromBottom;
    }, function () { c.loadingOlder = false; });
  }

  function onAck(ack) {
    var item = unacked.get(ack.message.client_message_id);
    var c = conversation(ack.conversation_id);
    if (!c.loaded && ack.message.seq === 1) { c.loaded = true; c.hasOlder = false; } // we just started it
    applyMessage(ack.message, false);
    if (item && item.conversation_id === null && view === "new") view = ack.conversation_id;
    render();
  }

  function onSendRefused(error) {
    var item = unacked.get(error.ref);
    if (error.code === "invalid" || error.code === "not_found" || error.code === "too_big") {
      item.failed = error.detail;
      saveUnacked();
      render();
    } // rate_limited or internal: it stays queued and goes again on the next connect or send
  }

  function onStatus(event) {
    var c = conversation(event.conversation_id);
    c.messages.forEach(function (m) { if (m.id === event.message_id) m.delivery_status = event.delivery_status; });
    heard(event.conversation_id, event.seq);
  }

  function markSeen(id, seq) {
    conversation(id).messages.forEach(function (m) {
      if (m.sender.kind === "contact" && m.seq <= seq) m.delivery_status = "read";
    });
    render();
  }

  function markRead(c) {
    if (!isOpen || document.hidden || c.last <= c.read_seq) return;
    c.read_seq = c.last;
    send({ type: "read", conversation_id: c.id, seq: c.last });
  }

  function keepFile(item, keep) { // a queued file outlives a reload in the page's IndexedDB, through the loader
    if (!embedded) return; // opened directly: kept for this visit only
    parent.postMessage(keep ? { parley: "file", item: { client_message_id: item.client_message_id,
      conversation_id: item.conversation_id, body: item.body, created_at: item.created_at, file: item.file } }
      : { parley: "file", id: item.client_message_id }, "*");
  }

  function saveUnacked() { // text in the page's localStorage; files go to keepFile
    store.set("unacked", Array.from(unacked.values()).filter(function (item) { return !item.file; }).map(function (item) {
      return { client_message_id: item.client_message_id, conversation_id: item.conversation_id, body: item.body,
        created_at: item.created_at, failed: item.failed };
    }));
  }

  function sendQueued(item) {
    if (item.failed) return;
    if (item.file) return upload(item);
    send({ type: "message.send", ref: item.client_message_id, conversation_id: item.conversation_id,
      client_message_id: item.client_message_id, body: item.body });
  }

  function upload(item) { // over HTTP (multipart), idempotent by client_message_id like a send
    if (item.uploading || !store.get("resume", "")) return; // no session yet: hello sends it
    item.uploading = true;
    var form = new FormData();
    form.append("public_key", page.publicKey);
    form.append("resume_token", store.get("resume", ""));
    form.append("client_message_id", item.client_message_id);
    form.append("conversation_id", item.conversation_id === null ? "" : String(item.conversation_id));
    form.append("body", item.body);
    form.append("file", item.file, item.file.name || "file");
    fetch(page.uploadUrl, { method: "POST", body: form, credentials: "omit" }).then(function (response) {
      return response.json().then(function (answer) {
        item.uploading = false;
        if (response.ok) return onAck({ conversation_id: answer.message.conversation_id, message: answer.message });
        if (response.status < 500) { item.failed = answer.detail || answer.error; keepFile(item, false); render(); }
      });
    }).catch(function () { item.uploading = false; }); // offline: it goes again after the next hello
  }

  function newItem(fields) {
    var id = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()).replace(/-/g, "");
    var item = Object.assign({ client_message_id: id, conversation_id: view === "new" ? null : view, body: "",
      created_at: new Date().toISOString() }, fields);
    unacked.set(id, item);
    saveUnacked();
    if (item.file && !item.failed) keepFile(item, true);
    sendQueued(item);
    render();
  }

  function compose(body) {
    body = body.trim();
    if (!body) return false;
    if (prechatAsked()) return askPrechat(body);
    newItem({ body: body });
    sendTyping(false);
    return true;
  }

  function prechatAsked() { // live inboxes may ask who the visitor is before their first message
    return view === "new" && conversations.size === 0 && page.prechat.some(function (field) {
      return !(contact && contact[field]);
    });
  }

  function askPrechat(body) {
    var fields = {};
    page.prechat.forEach(function (field) { fields[field] = $("prechat-" + field).value.trim(); });
    var missing = page.prechat.filter(function (field) { return !fields[field]; });
    if (missing.length) {
      $("prechat-" + missing[0]).focus();
      return false;
    }
    Object.assign(user, fields);
    openSession().then(function () {
      $("prechat-error").textContent = "";
      newItem({ body: body });
    }, function (error) {
      $("prechat-error").textContent = error.detail || error.message;
      if (!$("composer").value) $("composer").value = body; // nothing typed is lost
    });
    $("composer").value = "";
    return false;
  }

  function attachFiles(files) {
    Array.prototype.forEach.call(files || [], function (file) {
      newItem(file.size > MAX_FILE_BYTES ? { file: file, failed: t.tooBig } : { file: file });
    });
  }

  // --- typing ---
  function sendTyping(on) {
    if (typeof view !== "number") return;
    if (on && Date.now() - typingSentAt < 3000) return;
    typingSentAt = on ? Date.now() : 0;
    send({ type: "typing", conversation_id: view, typing: on });
  }

  function onAgentTyping(event) {
    if (!event.typing) return stopAgentTyping();
    clearTimeout(typingTimer);
    agentTyping = { conversation: event.conversation_id, name: event.name || t.someone };
    typingTimer = setTimeout(stopAgentTyping, 6000);
    render();
  }

  function stopAgentTyping() { clearTimeout(typingTimer); agentTyping = null; render(); }

  // --- rendering (DOM built with textContent only: nothing a message says is parsed as HTML) ---
  var URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function linkified(text) {
    var fragment = document.createDocumentFragment(), at = 0, match;
    URL_PATTERN.lastIndex = 0;
    while ((match = URL_PATTERN.exec(text))) {
      fragment.appendChild(document.createTextNode(text.slice(at, match.index)));
      var link = el("a", "", match[0]);
      link.href = match[0];
      link.target = "_blank";
      link.rel = "noopener noreferrer nofollow";
      fragment.appendChild(link);
      at = match.index + match[0].length;
    }
    fragment.appendChild(document.createTextNode(text.slice(at)));
    return fragment;
  }

  function time(iso) {
    var date = new Date(iso);
    return isNaN(date) ? "" : date.toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" });
  }

  function messageItem(m, pending) {
    var mine = m.sender ? m.sender.kind === "contact" : true;
    var item = el("li", "message " + (mine ? "mine" : "theirs"));
    item.dataset.seq = pending ? "" : String(m.seq);
    item.dataset.status = pending ? (m.failed ? "failed" : "pending") : mine ? statusOf(m) : m.delivery_status;
    if (!mine) {
      var who = el("span", "sender");
      if (m.sender.avatar_url && /^https:\/\//.test(m.sender.avatar_url)) {
        var avatar = el("img", "avatar");
        avatar.src = m.sender.avatar_url;
        avatar.alt = "";
        who.appendChild(avatar);
      }
      who.appendChild(document.createTextNode(m.sender.name || t.someone));
      item.appendChild(who);
    }
    if (m.body) {
      var body = el("div", "body");
      body.appendChild(linkified(m.body));
      item.appendChild(body);
    }
    var files = pending && m.file
      ? [{ url: m.preview || (m.preview = URL.createObjectURL(m.file)), mime_type: m.file.type, name: m.file.name }]
      : m.attachments || [];
    files.forEach(function (file) {
      if (!/^(\/|https?:|blob:)/.test(file.url)) return; // a path of ours, a provider's URL, a local preview
      var link = el("a", "attachment");
      link.href = file.url; link.target = "_blank"; link.rel = "noopener noreferrer";
      if (/^image\//.test(file.mime_type)) {
        var img = el("img"); img.src = file.url; img.alt = file.name || ""; link.appendChild(img);
        link.addEventListener("click", function (event) { event.preventDefault(); showImage(file.url, file.name); });
      } else link.textContent = "📄 " + (file.name || "file") + (file.size ? " (" + Math.ceil(file.size / 1024) + " KB)" : "");
      item.appendChild(link);
    });
    var meta = pending ? (m.failed ? t.failed + ": " + m.failed : t.pending)
      : time(m.created_at) + (mine && statusOf(m) === "read" ? " · " + t.read : "");
    item.appendChild(el("span", "meta", meta));
    return item;
  }

  function statusOf(m) { return m.delivery_status === "read" ? "read" : m.delivery_status || "sent"; }

  function sortedConversations() {
    return Array.from(conversations.values()).sort(function (a, b) {
      return String(b.activity || "").localeCompare(String(a.activity || "")) || b.id - a.id;
    });
  }

  function sortedMessages(c) {
    return Array.from(c.messages.values()).sort(function (a, b) { return a.seq - b.seq; });
  }

  function unreadOf(c) {
    var count = 0;
    c.messages.forEach(function (m) { if (m.sender.kind !== "contact" && m.seq > c.read_seq) count += 1; });
    return count || (!c.loaded && c.last_seq > c.read_seq ? 1 : 0);
  }

  // Outside business hours, until the opening the server announced (docs/protocol.md, availability).
  function away() {
    var hours = page.availability || {};
    return hours.open_now === false && !(Date.parse(hours.next_open_at) <= Date.now());
  }

  function subtitle() {
    var hours = page.availability || {};
    if (page.online) return t.online;
    if (!away()) return { hours: t.repliesHours, day: t.repliesDay }[hours.reply_time] || t.replies;
    if (!hours.next_open_at) return t.away;
    var at = new Date(hours.next_open_at), options = { weekday: "long", hour: "numeric", minute: "2-digit" };
    if (at - Date.now() > 6 * 86400000) { options.day = "numeric"; options.month = "long"; }
    // The visitor's own language and time zone: the business's zone means nothing to them.
    var when = new Intl.DateTimeFormat(STRINGS[lang] ? navigator.language : "en", options).format(at);
    return t.backAt.replace("{when}", when);
  }

  function render() {
    document.body.classList.toggle("open", isOpen);
    $("panel").hidden = !isOpen;
    var inThread = view !== null;
    $("home").hidden = inThread;
    $("thread").hidden = !inThread;
    $("back").hidden = !inThread;
    $("subtitle").textContent = subtitle();
    if (inThread) renderThread(); else renderHome();
    var total = 0;
    conversations.forEach(function (c) { if (!(isOpen && view === c.id)) total += unreadOf(c); });
    $("badge").hidden = total === 0;
    $("badge").textContent = total > 99 ? "99+" : String(total);
    if (total !== unreadReported) {
      unreadReported = total;
      parent.postMessage({ parley: "unread", count: total }, "*");
    }
  }

  function renderHome() {
    var list = $("conversations");
    list.replaceChildren();
    sortedConversations().forEach(function (c) {
      var last = sortedMessages(c).pop();
      var item = el("li", "conversation");
      var button = el("button");
      button.type = "button";
      button.appendChild(el("span", "preview", last ? last.body || "📎" : t.loading));
      button.appendChild(el("span", "when", c.activity ? time(c.activity) : ""));
      var unread = unreadOf(c);
      if (unread) button.appendChild(el("span", "unread", String(unread)));
      button.addEventListener("click", function () { navigated = true; show(c.id); });
      item.appendChild(button);
      list.appendChild(item);
    });
  }

  function renderThread() {
    var list = $("messages");
    var atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
    var c = typeof view === "number" ? conversation(view) : null;
    var items = [];
    if (c) {
      var notices = c.notices.slice();
      sortedMessages(c).forEach(function (m) {
        while (notices.length && notices[0].seq < m.seq) items.push(el("li", "day", notices.shift().text));
        items.push(messageItem(m, false));
      });
      notices.forEach(function (notice) { items.push(el("li", "day", notice.text)); });
    }
    unacked.forEach(function (item) {
      if (item.conversation_id === (c ? c.id : null)) items.push(messageItem(item, true));
    });
    if (!items.length) items.push(el("li", "day", c && !c.loaded ? t.loading : t.empty));
    if (c && c.status === "resolved") items.push(el("li", "day", page.mode === "live" ? t.endedLive : t.ended));
    list.replaceChildren.apply(list, items);
    renderSession(c);
    $("prechat").hidden = !prechatAsked();
    var wrote = c && sortedMessages(c).some(function (m) { return m.sender.kind === "contact"; });
    var reachLater = page.mode === "messaging" || (away() && !page.online); // live, outside hours
    $("notify").hidden = !(reachLater && wrote && contact && !contact.email && !contact.phone && !user.phone);
    var typing = agentTyping && c && agentTyping.conversation === c.id;
    $("typing").hidden = !typing;
    $("typing").textContent = typing ? t.typing.replace("{name}", agentTyping.name) : "";
    if (atBottom || list.dataset.conversation !== String(view)) list.scrollTop = list.scrollHeight;
    list.dataset.conversation = String(view);
  }

  // Live inboxes: the session's queue place, its end and why, and the transcript offer.
  function renderSession(c) {
    var session = page.mode === "live" && c && c.session, status = "";
    if (session && session.state === "queued" && session.queue_position) {
      status = t.queued.replace("{n}", session.queue_position);
      if (session.estimated_wait_seconds != null) {
        status += " · " + t.wait.replace("{m}", Math.max(1, Math.round(session.estimated_wait_seconds / 60)));
      }
    } else if (session && session.state === "ended") {
      status = { customer_left: t.leftEnd, inactivity: t.idleEnd, agent_ended: t.agentEnd }[session.close_reason] || "";
    }
    $("live-status").textContent = status;
    $("live").hidden = !status && !(session && session.state === "active");
    $("end-chat").hidden = !session || session.state === "ended";
    var offer = !!session && session.state === "ended";
    $("transcript").hidden = !offer;
    if (offer && !$("transcript-email").value && contact && contact.email) $("transcript-email").value = contact.email;
    $("transcript-done").textContent = offer && transcriptSentTo ? t.transcriptSent.replace("{email}", transcriptSentTo) : "";
  }

  function sayWhereIAm() { // a live chat ends, and a messaging stretch closes, when the customer closed the widget
    send({ type: "presence", state: isOpen ? "here" : "away" });
  }

  function toggleEmoji(open) {
    var picker = $("emoji-picker");
    if (open && !picker.firstChild) {
      EMOJI.forEach(function (emoji) {
        var button = el("button", "", emoji);
        button.type = "button";
        button.setAttribute("role", "menuitem");
        button.addEventListener("click", function () { insertText(emoji); toggleEmoji(false); });
        picker.appendChild(button);
      });
    }
    picker.hidden = !open;
    $("emoji").setAttribute("aria-expanded", String(open));
    if (open) picker.firstChild.focus();
  }

  function insertText(text) {
    var box = $("composer"), at = box.selectionStart || box.value.length;
    box.value = box.value.slice(0, at) + text + box.value.slice(box.selectionEnd || at);
    box.focus();
    box.selectionStart = box.selectionEnd = at + text.length;
  }

  function chime() { // optional (data-parley-sound="on"): a short tone when an agent writes unseen
    try {
      var audio = new (window.AudioContext || window.webkitAudioContext)();
      var tone = audio.createOscillator(), gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.08, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.35);
      tone.connect(gain).connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.35);
    } catch (error) { /* no audio: nothing to do */ }
  }

  function showImage(url, name) {
    $("lightbox-image").src = url;
    $("lightbox-image").alt = name || "";
    $("lightbox").hidden = false;
    $("lightbox-close").focus();
  }

  function hideImage() {
    if ($("lightbox").hidden) return false;
    $("lightbox").hidden = true;
    $("lightbox-image").removeAttribute("src");
    $("composer").focus();
    return true;
  }

  // --- navigation ---
  function show(id) {
    view = id;
    if (typeof id === "number") {
      var c = conversation(id);
      if (!c.loaded) loadNewest(id).catch(function () {});
      markRead(c);
    }
    render();
    $("composer").focus();
  }

  function showDefault() {
    var latest = sortedConversations()[0];
    if (latest && latest.status !== "resolved") show(latest.id);
    else { view = null; render(); }
  }

  function setOpen(open) {
    if (open === isOpen) return;
    isOpen = open;
    $("launcher").setAttribute("aria-expanded", String(open));
    parent.postMessage({ parley: "state", open: open }, "*");
    sayWhereIAm();
    if (open) {
      if (view === null) showDefault();
      if (typeof view === "number") markRead(conversation(view));
      render();
      (view === null ? $("new-conversation") : $("composer")).focus();
    } else {
      render();
      $("launcher").focus();
    }
  }

  // --- wiring ---
  $("launcher").setAttribute("aria-label", t.open);
  $("close").setAttribute("aria-label", t.close);
  $("back").setAttribute("aria-label", t.back);
  $("send").textContent = t.send;
  $("composer").placeholder = t.compose;
  document.querySelector("label[for=composer]").textContent = t.compose;
  $("new-conversation").textContent = t.newConversation;
  $("notify-label").textContent = t.notify;
  $("notify-email").placeholder = t.reach;
  $("prechat-intro").textContent = t.prechat;
  ["name", "email"].forEach(function (field) {
    $("prechat-" + field + "-field").hidden = page.prechat.indexOf(field) < 0;
    $("prechat-" + field + "-field").querySelector("span").textContent = t[field];
    $("prechat-" + field).required = page.prechat.indexOf(field) >= 0;
  });
  $("notify-save").textContent = t.save;
  $("end-chat").textContent = t.endChat;
  $("transcript-label").textContent = t.transcript;
  $("transcript-send").textContent = t.send;
  $("end-chat").addEventListener("click", function () {
    if (typeof view === "number") request({ type: "session.end", conversation_id: view }).catch(function () { /* offline: try again */ });
  });
  $("transcript").addEventListener("submit", function (event) {
    event.preventDefault();
    $("transcript-error").textContent = "";
    request({ type: "transcript.request", conversation_id: view, email: $("transcript-email").value.trim() }).then(
      function (answer) { transcriptSentTo = answer.email; render(); },
      function (error) { $("transcript-error").textContent = error.code ? error.message : t.offline; });
  });
  $("notify").addEventListener("submit", function (event) { // "notify me": the session call records it
    event.preventDefault();
    var reach = $("notify-email").value.trim(), field = reach.indexOf("@") >= 0 ? "email" : "phone";
    delete user.email; delete user.phone;
    user[field] = reach; // an email or a phone number: the server checks either
    openSession().then(function () { $("notify-error").textContent = ""; render(); }, function (error) {
      delete user[field];
      $("notify-error").textContent = error.detail || error.message;
    });
  });
  $("launcher").addEventListener("click", function () { setOpen(true); });
  $("close").addEventListener("click", function () { setOpen(false); });
  $("back").addEventListener("click", function () {
    navigated = true;
    view = null;
    render();
    $("new-conversation").focus();
  });
  $("new-conversation").addEventListener("click", function () { navigated = true; show("new"); });
  $("compose").addEventListener("submit", function (event) {
    event.preventDefault();
    if (compose($("composer").value)) $("composer").value = "";
  });
  $("composer").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("compose").requestSubmit();
    }
  });
  $("composer").addEventListener("input", function () { sendTyping($("composer").value.trim() !== ""); });
  $("messages").addEventListener("scroll", function () {
    if ($("messages").scrollTop < 40 && typeof view === "number") loadOlder(conversation(view));
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && isOpen && !hideImage()) setOpen(false);
  });
  $("emoji").setAttribute("aria-label", t.emoji);
  $("emoji").title = t.emoji;
  $("emoji").addEventListener("click", function () { toggleEmoji($("emoji-picker").hidden); });
  $("emoji-picker").addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.stopPropagation(); toggleEmoji(false); $("emoji").focus(); }
  });
  $("attach").setAttribute("aria-label", t.attach);
  $("attach").title = t.attach;
  $("lightbox-close").setAttribute("aria-label", t.closeImage);
  $("lightbox-close").addEventListener("click", hideImage);
  $("lightbox").addEventListener("click", function (event) { if (event.target === $("lightbox")) hideImage(); });
  $("attach").addEventListener("click", function () { $("file").click(); });
  $("file").addEventListener("change", function () { attachFiles($("file").files); $("file").value = ""; });
  $("composer").addEventListener("paste", function (event) {
    var files = event.clipboardData && event.clipboardData.files;
    if (files && files.length) { event.preventDefault(); attachFiles(files); }
  });
  $("thread").addEventListener("dragover", function (event) { event.preventDefault(); $("thread").classList.add("dropping"); });
  $("thread").addEventListener("dragleave", function () { $("thread").classList.remove("dropping"); });
  $("thread").addEventListener("drop", function (event) {
    event.preventDefault();
    $("thread").classList.remove("dropping");
    attachFiles(event.dataTransfer && event.dataTransfer.files);
  });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && typeof view === "number") markRead(conversation(view));
  });
  window.addEventListener("online", reconnectNow);
  window.addEventListener("offline", function () { setConnection("offline", t.offline); if (ws) ws.close(); });
  window.addEventListener("message", function (event) {
    if (event.source !== parent) return;
    var data = event.data || {};
    if (data.parley === "init") start(data.saved, data.user);
    else if (data.parley === "open") setOpen(true);
    else if (data.parley === "close") setOpen(false);
    else if (data.parley === "toggle") setOpen(!isOpen);
    else if (data.parley === "identify") {
      conversations.clear();
      view = null;
      identify(data.user || {});
      reconnectNow();
    } else if (data.parley === "attributes") {
      if (attributeCalls.length < 50) attributeCalls.push(data.attributes);
      sendAttributes();
    }
  });

  function identify(fields) { // the page's logged-in user: the next session call proves it
    user = { user_id: String(fields.userId || ""), user_hash: String(fields.userHash || "") };
    describe(fields);
  }

  function describe(fields) { // what the visitor or page says about them: name, email
    if (fields.name) user.name = String(fields.name);
    if (fields.email) user.email = String(fields.email);
  }

  // setAttributes(): each call stored by the server in turn, once a session exists (a page's bad
  // call is refused alone); a call that did not arrive goes again after the next session.
  var attributeCalls = [], attributesSending = false;
  function sendAttributes() {
    if (attributesSending || !store.get("resume", "") || !attributeCalls.length) return;
    attributesSending = true;
    fetch(page.attributesUrl, { method: "POST", headers: { "Content-Type": "application/json" }, credentials: "omit",
      body: JSON.stringify({ public_key: page.publicKey, resume_token: store.get("resume", ""), attributes: attributeCalls[0] }),
    }).then(function (response) {
      return response.json().then(function (answer) {
        attributesSending = false;
        if (response.status >= 500 || response.status === 401) return;
        attributeCalls.shift();
        if (response.ok) { contact = answer.contact; render(); }
        else if (window.console) console.warn("Parley.setAttributes:", answer.detail); // the page's mistake
        sendAttributes();
      });
    }).catch(function () { attributesSending = false; });
  }

  var started = false;
  function start(values, identified) { // once, with what was kept and who the page says this is
    if (started) return;
    started = true;
    if (identified) identify(identified); // before the first session: never an anonymous detour
    Object.keys(values || {}).forEach(function (name) { if (values[name] != null) saved[name] = values[name]; });
    store.get("unacked", []).concat(store.get("files", [])).sort(function (a, b) {
      return a.created_at < b.created_at ? -1 : 1;
    }).forEach(function (item) {
      unacked.set(item.client_message_id, item);
      if (item.conversation_id !== null) conversation(item.conversation_id); // shown pending, even offline
    });
    render();
    connect();
  }

  render();
  if (embedded) {
    parent.postMessage({ parley: "ready" }, "*");
    setTimeout(start, 3000); // a page whose loader never answers still gets a (forgetful) widget
  } else {
    store.loadOwn();
    start();
  }
})();
