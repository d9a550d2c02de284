/* The open conversation: opening one (the last asked for wins, a link never reloads the page),
 * and keeping its thread and header current. The next message is drawn from its event
 * (entry.js); anything else new comes through one serialised path, newer(): "everything after
 * the last seq shown", used for a gap, a message the event cannot draw, the agent's own sends and
 * resyncs alike, so nothing is shown twice and a missed event costs nothing but the next fetch.
 *
 * htmx keeps one request per element and drops the others: every htmx.ajax here names its own
 * `source`, so a read marker never cancels the fetch of new messages. */
import { newClientId, updateLimits } from "./composer.js";
import { drawable, drawEntry } from "./entry.js";
import { highlightRow } from "./list.js";
import { $, lastSeq, openId } from "./page.js";
import { listShown, showPane } from "./phone.js";
import { announceViewing, renderPresence } from "./presence.js";

let fetching = false, again = false;

// htmx.ajax without a `source` issues from <body>, and htmx lets one element have one request in
// flight, queueing the next ("last": a later one replaces it) and resolving its promise at once,
// so a header refresh or a read marker silently dropped newer()'s fetch and the message never showed.
export function newer() { // append what the open conversation has after its last shown seq
  const id = openId();
  if (!id) return;
  if (fetching) { again = true; return; }
  fetching = true;
  const list = $("messages"), stick = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  htmx.ajax("GET", "/desk/c/" + id + "/after/?seq=" + lastSeq(), { source: "#messages", target: "#messages", swap: "beforeend" }).then(() => {
    fetching = false;
    if (openId() !== id) return;
    dropDuplicates();
    if (stick) list.scrollTop = list.scrollHeight;
    markRead();
    if (again) { again = false; newer(); }
  }, () => { fetching = false; });
}

// message.created: the next message of the open conversation is appended from the event; a gap
// (a missed event), a fetch under way or a message the event cannot draw go through newer().
export function messageCreated(event) {
  if (event.conversation_id !== openId() || event.message_seq <= lastSeq()) return;
  if (fetching || event.message_seq !== lastSeq() + 1 || !drawable(event.message)) { newer(); return; }
  const list = $("messages"), stick = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  list.append(drawEntry(event.message));
  if (stick) list.scrollTop = list.scrollHeight;
  markRead();
}

function dropDuplicates() {
  const seen = new Set();
  document.querySelectorAll("#messages .entry").forEach((el) => {
    if (seen.has(el.id)) el.remove(); else seen.add(el.id);
  });
}

export function refreshHeader() {
  const id = openId();
  if (id) htmx.ajax("GET", "/desk/c/" + id + "/header/", { source: "#conv-header", target: "#conv-header", swap: "innerHTML" });
}

export function markRead() {
  const id = openId();
  if (id && !document.hidden && !listShown()) htmx.ajax("POST", "/desk/c/" + id + "/read/", { source: "#thread", values: { seq: lastSeq() }, swap: "none" });
}

// A message's delivery changed: fetch it again. With fetch, not htmx.ajax: htmx keeps one request
// per element and drops queued ones (see newer()), and a provider's sent and delivered reports
// come a few milliseconds apart. Answers can cross, so only the latest one asked is shown.
const entryAsks = {}; // message id -> number of the latest refresh asked
export function replaceEntry(messageId) {
  const entry = $("m-" + messageId);
  if (!entry) return;
  const ask = entryAsks[messageId] = (entryAsks[messageId] || 0) + 1;
  fetch("/desk/c/" + openId() + "/after/?seq=" + (Number(entry.dataset.seq) - 1), { credentials: "same-origin" })
    .then((response) => (response.ok ? response.text() : ""))
    .then((html) => {
      const parsed = document.createElement("template"), current = $("m-" + messageId);
      parsed.innerHTML = html;
      const fresh = parsed.content.getElementById("m-" + messageId);
      if (ask !== entryAsks[messageId] || !fresh || !current) return;
      current.replaceWith(fresh);
      htmx.process(fresh); // its Retry button
    });
}

// --- opening a conversation: the last one asked for wins, and a link never reloads the page ---
let opening = 0;
export function openConversation(url, address) {
  const ask = ++opening;
  return fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
    .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
    .then((html) => {
      if (ask !== opening) return; // a later click won
      htmx.swap("#conversation", html, { swapStyle: "innerHTML" });
      if (address && location.pathname + location.search !== address) {
        // opened from the list (no conversation in the address yet): a phone's Back goes back to it
        history.pushState(new URLSearchParams(location.search).has("c") ? {} : { back: "list" }, "", address);
      }
      conversationShown();
    })
    .catch(() => { $("desk-error").textContent = gettext("That conversation could not be opened."); });
}

function conversationShown() {
  showPane("conversation");
  const list = $("messages");
  if (list) list.scrollTop = list.scrollHeight;
  highlightRow();
  markRead();
  announceViewing();
  renderPresence();
  newClientId();
  updateLimits();
}

export function wireThread() {
  document.addEventListener("click", (e) => {
    const link = e.target.closest && e.target.closest("a[data-open]");
    if (!link || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return; // new tab: a real link
    e.preventDefault();
    openConversation(link.dataset.open, link.getAttribute("href"));
  });
  window.addEventListener("popstate", () => {
    const id = new URLSearchParams(location.search).get("c");
    if (id && Number(id) !== openId()) openConversation("/desk/c/" + id + "/"); // a phone's customer pane: same one
  });
  if ($("conversation").dataset.open) openConversation($("conversation").dataset.open);
}
