/* A client of Parley's customer protocol (docs/protocol.md, v1), with no DOM code: the widget's
 * frame is built on it, and a business's own web app can import it ("Embedding the protocol
 * client" in docs/protocol.md).
 *
 * State is per conversation: `last` (highest seq applied with nothing missing below it), the
 * messages by id, and whether older history exists. Sends are idempotent: every message gets a
 * client_message_id, stays queued (and in `storage`) until its ack, and is sent again with the
 * same id after any reconnect. Gaps in seq, a hello or a pong that mention a higher seq, all lead
 * to a resync by history.after; nothing is held twice because messages are keyed by id. The
 * socket itself (session call, websocket, backoff, heartbeat, replies by ref) is
 * protocol-connection.js, the calls over HTTP (files, attributes, transcripts) protocol-http.js.
 *
 * What happened is told to listeners (client.on(type, listener)), in this order where several
 * apply:
 *   "connection"   {state: "connecting" | "online" | "offline", attempt, refused}
 *   "session"      the session call's answer
 *   "hello"        the hello event, once applied
 *   "message"      (message, live): a message not held before; live when it came as it was written
 *   "applied"      (conversation): a message, new or not, was applied to it
 *   "sent"         (queued item or undefined, conversation id): a send was acknowledged
 *   "refused"      (queued item or null, {code, detail, retry_after_ms}): a send was refused; the
 *                  item is marked failed (invalid, too_big, unsupported_type, not_found), or is held
 *                  and goes again by itself (busy, rate_limited: null, the error named no send)
 *   "agent.typing", "session.ended": those events, as the server sent them
 *   "change"       anything shown may have changed
 */

import { ProtocolConnection } from "./protocol-connection.js";
import { AttributeCalls, fetchContactExport, fetchTranscript, postFile } from "./protocol-http.js";

const browser = globalThis.navigator || {}; // none outside a browser (Node before 21)

function memoryStorage() { // kept for this visit only
  const values = new Map();
  return {
    get: (name, fallback) => (values.has(name) ? values.get(name) : fallback),
    set: (name, value) => { values.set(name, value); },
  };
}

export class ProtocolClient {
  #listeners = new Map();
  #connection;
  #presence = "away";
  #typingSentAt = 0;
  #attributes;
  #resendTimer = null; // rate_limited: the sends still waiting go again one at a time

  /* `server` is Parley's origin (this page's by default); `storage` keeps the resume token and
   * unsent messages ({get(name, fallback), set(name, value)}, and optionally keepFile(item, keep)
   * for queued files); the default keeps them for this visit only. */
  constructor({ publicKey, server = location.origin, sessionUrl, attributesUrl, uploadUrl, storage, language } = {}) {
    this.publicKey = publicKey;
    this.server = server;
    this.sessionUrl = sessionUrl || server + "/widget/api/v1/session";
    this.attributesUrl = attributesUrl || server + "/widget/api/v1/attributes";
    this.uploadUrl = uploadUrl || server + "/widget/api/v1/messages";
    this.storage = storage || memoryStorage();
    this.language = language; // the browser's when not given
    this.conversations = new Map(); // id -> {id, status, last_seq, read_seq, last, messages: Map, notices, hasOlder, loaded, session}
    this.unacked = new Map(); // client_message_id -> queued message
    this.mergedAway = new Set(); // ids of conversations merged into others while we watched
    this.user = {}; // sent with every session call: user_id and user_hash, name, email, phone
    this.contact = null; // {name, email, phone} as the last answer had them
    this.#attributes = new AttributeCalls({ url: this.attributesUrl, credentials: () => this.#credentials(),
      onStored: (answer) => { this.contact = answer.contact; this.#emit("change"); } });
    this.#connection = new ProtocolConnection({
      server: server,
      session: () => this.openSession().then((session) => { this.#attributes.send(); return session; }, (error) => {
        if (error.fatal && error.message === "identity_invalid") this.user = {};
        throw error;
      }),
      onEvent: (event) => this.#handle(event),
      onState: (state) => this.#emit("connection", state),
    });
  }

  on(type, listener) {
    if (!this.#listeners.has(type)) this.#listeners.set(type, []);
    this.#listeners.get(type).push(listener);
    return this;
  }

  #emit(type, ...details) {
    (this.#listeners.get(type) || []).forEach((listener) => listener(...details));
  }

  conversation(id) {
    if (!this.conversations.has(id)) {
      this.conversations.set(id, { id: id, status: "open", last_seq: 0, read_seq: 0, last: 0, messages: new Map(),
        notices: [], hasOlder: true, loaded: false, syncing: false });
    }
    return this.conversations.get(id);
  }

  sortedConversations() { // newest activity first
    return Array.from(this.conversations.values()).sort((a, b) =>
      String(b.activity || "").localeCompare(String(a.activity || "")) || b.id - a.id);
  }

  // --- the session (HTTP) and the socket ---
  openSession() {
    const body = Object.assign({ public_key: this.publicKey, resume_token: this.storage.get("resume", ""),
      language: this.language || browser.language || "", context: this.context }, this.user); // context: visitor-context.js
    return fetch(this.sessionUrl, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), credentials: "omit",
    }).then((response) => response.json().then((answer) => {
      if (!response.ok) {
        throw Object.assign(new Error(answer.error || "session"), { fatal: response.status < 500, detail: answer.detail });
      }
      this.storage.set("resume", answer.resume_token);
      this.contact = answer.contact || this.contact;
      this.#emit("session", answer);
      return answer;
    }));
  }

  connect() { this.#connection.connect(); }
  reconnect() { this.#connection.reconnect(); } // at once, with a fresh session: the network is back, or the user changed
  networkLost() { this.#connection.networkLost(); } // the browser went offline: say so now, reconnect with backoff
  request(frame) { return this.#connection.request(frame); } // a promise of the reply with our ref
  #send(frame) { return this.#connection.send(frame); }

  #handle(event) {
    switch (event.type) {
      case "hello": return this.#onHello(event);
      case "message.ack": return this.#onAck(event);
      case "message.created": return this.#applyMessage(event.message, true);
      case "message.updated": return this.#onStatus(event);
      case "agent.typing": return this.#emit("agent.typing", event);
      case "pong":
        Object.keys(event.seqs || {}).forEach((id) => this.#heard(Number(id), event.seqs[id]));
        return;
      case "resync": // we fell behind and missed events: the pong's seqs show every gap
        this.#send({ type: "ping", ref: "ping" });
        return;
      case "error":
        if (event.ref && this.unacked.has(event.ref)) return this.#onSendRefused(event);
        if (event.code === "rate_limited") return this.#onRateLimited(event);
        return;
      default:
        if (this.mergedAway.has(event.conversation_id)) return; // what follows its merge is old news
        if (event.conversation_id !== undefined) this.#onConversationEvent(this.conversation(event.conversation_id), event);
    }
  }

  #onConversationEvent(c, event) { // what it says, then whether it mentions entries we lack
    switch (event.type) {
      case "conversation.merged": { // its messages now follow another's: drop it, load or catch up that one
        const into = event.into_conversation_id;
        this.conversations.delete(c.id);
        this.mergedAway.add(c.id);
        this.#emit("merged", c.id, into);
        this.#heard(into, event.into_seq);
        if (!this.conversation(into).loaded) this.loadNewest(into).catch(() => {});
        return;
      }
      case "conversation.status_changed":
        c.status = event.status;
        break;
      case "conversation.read":
        if (event.reader === "agent") this.#markSeen(c.id, event.read_seq);
        else c.read_seq = Math.max(c.read_seq, event.read_seq);
        break;
      case "conversation.assigned":
        if (event.assignee_name) { // shown where it happened: after the entries it followed
          c.notices.push({ seq: event.seq, name: event.assignee_name });
          if (c.session && c.session.state === "queued") c.session.state = "active";
        }
        break;
      case "session.queued":
        c.session = { id: event.session_id, state: "queued", queue_position: event.queue_position,
          estimated_wait_seconds: event.estimated_wait_seconds };
        break;
      case "session.ended": // it stands for the resolve too: no status_changed follows
        c.session = { id: event.session_id, state: "ended", close_reason: event.close_reason };
        if (event.status) c.status = event.status;
        this.#emit("session.ended", event);
        break;
    }
    this.#heard(c.id, event.seq);
  }

  #onHello(hello) { // the connection has reset its backoff and started the heartbeat
    hello.conversations.forEach((item) => {
      const c = this.conversation(item.id);
      c.status = item.status; c.last_seq = item.last_seq; c.read_seq = item.read_seq; c.activity = item.last_activity_at;
      c.session = item.live_session || null;
    });
    this.#send({ type: "presence", state: this.#presence });
    this.unacked.forEach((item) => this.#sendQueued(item)); // the same ids again: never a duplicate
    this.#loadInTurn(this.sortedConversations().slice(0, 8).map((c) => c.id));
    this.#emit("hello", hello);
    this.#emit("change");
  }

  // --- messages and resync ---
  #applyMessage(message, live) {
    const c = this.conversation(message.conversation_id);
    const queued = message.client_message_id && this.unacked.get(message.client_message_id);
    if (queued) {
      this.unacked.delete(message.client_message_id);
      this.#saveUnacked();
      if (queued.file) this.#keepFile(queued, false);
    }
    if (!c.messages.has(message.id)) {
      c.messages.set(message.id, message);
      this.#emit("message", message, live);
    }
    if (message.seq === c.last + 1) c.last = message.seq;
    c.last_seq = Math.max(c.last_seq, message.seq);
    c.activity = message.created_at;
    if (message.seq > c.last && c.loaded) this.#resync(c.id); // a gap; a conversation not loaded yet loads its newest page
    this.#emit("applied", c);
    this.#emit("change");
  }

  #heard(id, seq) {
    const c = this.conversation(id);
    c.last_seq = Math.max(c.last_seq, seq || 0);
    if (c.loaded && c.last_seq > c.last) this.#resync(id);
    else this.#emit("change");
  }

  #resync(id) { // history.after from `last`, one request at a time per conversation
    const c = this.conversation(id);
    if (c.syncing || !this.#connection.hasSocket) return;
    c.syncing = true;
    this.request({ type: "history.after", conversation_id: id, after_seq: c.last, limit: 100 }).then((page) => {
      page.messages.forEach((m) => this.#applyMessage(m, false));
      const top = page.messages.length ? page.messages[page.messages.length - 1].seq : c.last;
      c.last = Math.max(c.last, page.has_more ? top : Math.max(top, page.last_seq));
      c.syncing = false;
      if (c.last_seq > c.last) this.#resync(id);
      this.#emit("change");
    }, (error) => {
      c.syncing = false;
      if (error.code === "not_found") this.conversations.delete(id);
    });
  }

  loadNewest(id) { // the newest page of a conversation not loaded yet
    const c = this.conversation(id);
    return this.request({ type: "history.before", conversation_id: id, before_seq: c.last_seq + 1, limit: 30 })
      .then((page) => {
        c.hasOlder = page.has_more;
        c.last = Math.max(c.last, page.last_seq); // everything up to last_seq is held: older pages on demand
        c.last_seq = Math.max(c.last_seq, page.last_seq);
        page.messages.forEach((m) => this.#applyMessage(m, false));
        c.loaded = true;
        if (c.last_seq > c.last) this.#resync(id);
        this.#emit("change");
      });
  }

  #loadInTurn(ids) { // a few requests at a time keeps well inside the rate limit
    const next = ids.shift();
    if (next === undefined) return;
    const c = this.conversation(next);
    const done = () => this.#loadInTurn(ids);
    if (c.loaded) { this.#resync(next); done(); } else this.loadNewest(next).then(done, done);
  }

  loadOlder(id) { // the page before the oldest held: a promise of whether it came, or null if none to ask
    const c = this.conversation(id);
    if (c.loadingOlder || !c.hasOlder || !c.loaded) return null;
    const oldest = Math.min(...Array.from(c.messages.values(), (m) => m.seq), c.last_seq + 1);
    c.loadingOlder = true;
    return this.request({ type: "history.before", conversation_id: c.id, before_seq: oldest, limit: 30 }).then((page) => {
      c.hasOlder = page.has_more;
      page.messages.forEach((m) => c.messages.set(m.id, m));
      c.loadingOlder = false;
      return true;
    }, () => { c.loadingOlder = false; return false; });
  }

  #onAck(ack) {
    const item = this.unacked.get(ack.message.client_message_id);
    const c = this.conversation(ack.conversation_id);
    if (!c.loaded && ack.message.seq === 1) { c.loaded = true; c.hasOlder = false; } // we just started it
    this.#applyMessage(ack.message, false);
    this.#emit("sent", item, ack.conversation_id);
    this.#emit("change");
  }

  #onSendRefused(error) {
    const item = this.unacked.get(error.ref);
    if (error.code === "invalid" || error.code === "not_found" || error.code === "too_big") {
      item.failed = error.detail;
      this.#saveUnacked();
      this.#emit("refused", item, error);
      this.#emit("change");
    } else if (error.code === "busy") { // the server is storing as fast as it can: the same id again, soon
      this.#emit("refused", item, error);
      setTimeout(() => { if (this.unacked.has(item.client_message_id)) this.#sendQueued(item); },
        (error.retry_after_ms || 1000) * (1 + Math.random()));
    } // internal: it stays queued and goes again on the next connect or send
  }

  // rate_limited names no ref (the server did not read the frame): every send still waiting goes
  // again with its id, spaced so the allowance (one frame every 0.6 s) takes each. A refused ping
  // or typing frame with nothing waiting is no concern of the visitor's.
  #onRateLimited(error) {
    const waiting = Array.from(this.unacked.values()).filter((item) => !item.failed && !item.file);
    if (!waiting.length) return;
    this.#emit("refused", null, error);
    const gap = Math.max(error.retry_after_ms || 0, 700);
    const resend = () => {
      const next = waiting.shift();
      if (!next) return;
      if (!this.unacked.has(next.client_message_id)) { resend(); return; } // acked meanwhile
      this.#sendQueued(next);
      this.#resendTimer = setTimeout(resend, gap);
    };
    clearTimeout(this.#resendTimer);
    this.#resendTimer = setTimeout(resend, gap);
  }

  #onStatus(event) {
    const c = this.conversation(event.conversation_id);
    c.messages.forEach((m) => { if (m.id === event.message_id) m.delivery_status = event.delivery_status; });
    this.#heard(event.conversation_id, event.seq);
  }

  #markSeen(id, seq) {
    this.conversation(id).messages.forEach((m) => {
      if (m.sender.kind === "contact" && m.seq <= seq) m.delivery_status = "read";
    });
    this.#emit("change");
  }

  markRead(id) { // the visitor has seen everything up to `last`
    const c = this.conversation(id);
    if (c.last <= c.read_seq) return;
    c.read_seq = c.last;
    this.#send({ type: "read", conversation_id: c.id, seq: c.last });
  }

  // --- sending: queued until acked ---
  queue(fields) { // {conversation_id (null: the server picks or starts one), body, file?}: the queued item
    const id = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()).replace(/-/g, "");
    const item = Object.assign({ client_message_id: id, conversation_id: null, body: "",
      created_at: new Date().toISOString() }, fields);
    this.unacked.set(id, item);
    this.#saveUnacked();
    if (item.file && !item.failed) this.#keepFile(item, true);
    this.#sendQueued(item);
    return item;
  }

  restore() { // what `storage` kept unsent from an earlier visit: held pending, sent once connected
    this.storage.get("unacked", []).concat(this.storage.get("files", [])).sort((a, b) =>
      (a.created_at < b.created_at ? -1 : 1)).forEach((item) => {
      this.unacked.set(item.client_message_id, item);
      if (item.conversation_id !== null) this.conversation(item.conversation_id);
    });
  }

  #keepFile(item, keep) {
    if (this.storage.keepFile) this.storage.keepFile(item, keep);
  }

  #saveUnacked() { // text in `storage`; files go to keepFile
    this.storage.set("unacked", Array.from(this.unacked.values()).filter((item) => !item.file).map((item) => ({
      client_message_id: item.client_message_id, conversation_id: item.conversation_id, body: item.body,
      created_at: item.created_at, failed: item.failed })));
  }

  #sendQueued(item) {
    if (item.failed) return;
    if (item.file) return this.#upload(item);
    this.#send({ type: "message.send", ref: item.client_message_id, conversation_id: item.conversation_id,
      client_message_id: item.client_message_id, body: item.body });
  }

  #upload(item) { // over HTTP (multipart), idempotent by client_message_id like a send
    if (item.uploading || !this.storage.get("resume", "")) return; // no session yet: hello sends it
    item.uploading = true;
    postFile(this.uploadUrl, this.#credentials(), item).then(({ ok, status, answer }) => {
      item.uploading = false;
      if (ok) return this.#onAck({ conversation_id: answer.message.conversation_id, message: answer.message });
      if (status >= 500) return; // it goes again after the next hello
      item.failed = answer.detail || answer.error;
      this.#keepFile(item, false);
      this.#emit("refused", item, { code: answer.error, detail: item.failed });
      this.#emit("change");
    }).catch(() => { item.uploading = false; }); // offline: it goes again after the next hello
  }

  #credentials() { return { public_key: this.publicKey, resume_token: this.storage.get("resume", "") }; }

  // --- what the visitor is doing ---
  typing(conversationId, on) { // at most one "typing" every 3 s
    if (on && Date.now() - this.#typingSentAt < 3000) return;
    this.#typingSentAt = on ? Date.now() : 0;
    this.#send({ type: "typing", conversation_id: conversationId, typing: on });
  }

  setPresence(state) { // "here" or "away" (a live chat ends when the customer left); said again on every hello
    this.#presence = state;
    this.#send({ type: "presence", state: state });
  }

  endSession(conversationId) { return this.request({ type: "session.end", conversation_id: conversationId }); }

  requestTranscript(conversationId, email) { // emailed to the contact's address (docs/protocol.md)
    return this.request({ type: "transcript.request", conversation_id: conversationId, email: email });
  }

  transcript(conversationId) { // a promise of the conversation's transcript, an HTML Blob to save
    return fetchTranscript(this.server, this.#credentials(), conversationId);
  }

  get identified() { return !!this.user.user_id; } // the page proved who this is (identify())

  exportData() { // a promise of everything held about an identified visitor, a ZIP Blob to save
    return fetchContactExport(this.server, this.#credentials());
  }

  setAttributes(attributes) { this.#attributes.add(attributes); } // stored in turn: protocol-http.js
}
