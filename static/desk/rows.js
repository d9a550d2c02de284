/* The list's rows kept current from events without fetching the list again. A message patches its
 * row (preview, time, this agent's unread count) and moves it up; a change the event does not say
 * all of (a status, an assignment, a turn to reply that starts or stops a wait and its deadline)
 * fetches that one row under the list's filters (/desk/list/<id>/), which also says where it goes,
 * or that it left the list. Reading changes only the reader's own counts. The whole list is
 * fetched again only on a (re)connect or a resync, and when the agent changes the filters. */
import { highlightRow, refreshList, updateBulk, updateTitle } from "./list.js";
import { $ } from "./page.js";
import { drawRowLabels } from "./row_labels.js";
import { tickSla } from "./sla.js";

const me = Number(document.body.dataset.agentId);
const PREVIEW_LENGTH = 90; // desk/views/rows.py
const PREVIEW_LINES = { agent: gettext("You: %(preview)s"), bot: gettext("Bot: %(preview)s"), system: "· %(preview)s" };
const ROW_DELAY_MS = 150; // a burst of events about one conversation is one fetch

function rowOf(id) { return document.querySelector("#list .row[data-conversation-id='" + id + "']"); }

function filters() { return new URLSearchParams(new FormData($("filters"))); }

// Could this conversation be in the list? The view and inbox filters, read off the event, keep
// agents from asking about conversations that are none of theirs; the server decides the rest.
function mayList(event) {
  const chosen = filters(), view = chosen.get("view"), inbox = chosen.get("inbox");
  if (view === "mine" && event.assignee_id !== me) return false;
  if (view === "unassigned" && event.assignee_id !== null) return false;
  return !inbox || Number(inbox) === event.inbox_id;
}

function waiting(row) { return row.querySelector(".when .waiting") !== null; }

function preview(message) { // desk/views/rows.py _preview_line
  const line = PREVIEW_LINES[message.sender.kind] || "%(preview)s"; // a whole line: "You: " is "Vous : " in French
  if (message.body) {
    const chars = Array.from(message.body);
    const text = chars.length > PREVIEW_LENGTH ? chars.slice(0, PREVIEW_LENGTH - 1).join("") + "…" : message.body;
    return interpolate(line, { preview: text }, true);
  }
  return interpolate(line, { preview: message.attachments.length ? "📎 " + gettext("Attachment") : "" }, true);
}

function setUnread(row, count) {
  const bot = row.dataset.bot === "on";
  let badge = row.querySelector(".unread-count, .held-count");
  row.classList.toggle("unread", count > 0 && !bot);
  if (count <= 0) { if (badge) badge.remove(); return; }
  if (!badge) {
    badge = document.createElement("span");
    badge.className = bot ? "held-count" : "unread-count";
    row.querySelector(".meta").append(badge);
  }
  badge.textContent = count;
  badge.setAttribute("aria-label", interpolate(ngettext("%s unread", "%s unread", count), [count]));
}

function settled() { highlightRow(); updateTitle(); updateBulk(); tickSla(); }

// message.created: patch the row, or ask for it where the message changes more than the event says.
// A list fetch answers with the rows as they were when the server rendered them; an event that
// arrives while it is on its way patches a row the answer then replaces with an older one. Such
// rows are fetched again once the list has landed.
let listOnItsWay = false;
const touchedMeanwhile = new Set();
export function listAsked() { listOnItsWay = true; touchedMeanwhile.clear(); }
export function listLanded() {
  listOnItsWay = false;
  touchedMeanwhile.forEach((id) => fetchRow(id));
  touchedMeanwhile.clear();
}
function touched(id) { if (listOnItsWay) touchedMeanwhile.add(id); }

export function messageInRow(event) {
  touched(event.conversation_id);
  const row = rowOf(event.conversation_id), message = event.message;
  if (!row) { if (mayList(event)) rowChanged(event); return; }
  const person = message.sender.kind === "contact" || message.sender.kind === "agent";
  const turns = person && row.dataset.bot !== "on" && (message.sender.kind === "contact") !== waiting(row);
  if (message.is_private || turns) { rowChanged(event); return; }
  row.querySelector(".preview").textContent = preview(message);
  if (!waiting(row)) row.querySelector(".when").textContent = gettext("now");
  if (message.sender.kind === "contact") {
    const badge = row.querySelector(".unread-count, .held-count");
    setUnread(row, (badge ? Number(badge.textContent) : 0) + 1);
  }
  if (filters().get("sort") === "activity" && row.previousElementSibling) $("list").prepend(row);
  settled();
}

// conversation.read by this agent: their unread count of the row.
export function readByMe(event) {
  touched(event.conversation_id);
  const row = rowOf(event.conversation_id);
  if (!row) return;
  if (event.read_seq >= event.seq) { setUnread(row, 0); settled(); } else rowChanged(event);
}

// conversation.updated with the labels (and priority) as they now are: the row's chips from the
// event. A change that may move the row or take it off the list (under a label filter, or a new
// priority) fetches the row instead, as does a label the page does not know yet.
export function labelsInRow(event) {
  touched(event.conversation_id);
  const row = rowOf(event.conversation_id);
  if (!row || filters().get("label") || shownPriority(row) !== event.priority || !drawRowLabels(row, event.label_ids)) {
    rowChanged(event);
    return;
  }
  settled();
}

function shownPriority(row) {
  const chip = row.querySelector(".meta .priority"), level = chip && chip.className.match(/\bp(\d)\b/);
  return level ? Number(level[1]) : 0;
}

// Any other change of a conversation: fetch its row under the list's filters.
const timers = {}, asks = {};
export function rowChanged(event) {
  const id = event.conversation_id;
  touched(id);
  if (!rowOf(id) && !mayList(event)) return;
  clearTimeout(timers[id]);
  timers[id] = setTimeout(() => { delete timers[id]; fetchRow(id); }, ROW_DELAY_MS);
}

function fetchRow(id) {
  const ask = asks[id] = (asks[id] || 0) + 1;
  fetch("/desk/list/" + id + "/?" + filters(), { credentials: "same-origin" })
    .then((response) => (response.ok ? response.text().then((html) => [html, response.headers.get("X-Row-After")]) : Promise.reject(response.status)))
    .then(([html, after]) => {
      if (ask !== asks[id]) return; // a later ask is on its way
      const parsed = document.createElement("template");
      parsed.innerHTML = html;
      place(id, parsed.content.querySelector(".row"), after);
    })
    .catch(() => { refreshList(); }); // the whole list, rather than a row left wrong
}

// The row where the list's order puts it: below the row `after` names (first when it names none);
// nowhere when it left the list, or belongs below the rows loaded so far.
function place(id, row, after) {
  const current = rowOf(id), list = $("list");
  const anchor = row && after ? rowOf(after) : null;
  if (!row || (after && !anchor)) {
    if (current) current.remove();
  } else {
    if (current) {
      row.querySelector(".pick").checked = current.querySelector(".pick").checked;
      current.remove();
    }
    if (anchor) anchor.after(row); else list.prepend(row);
    list.querySelectorAll(".empty").forEach((empty) => { empty.remove(); });
  }
  if (!list.querySelector(".row")) refreshList(); // says "Nothing here", or brings the next page
  settled();
}
