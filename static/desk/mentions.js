/* The agent's mentions: the top bar's unread badge, kept by the desk socket (agent.mentioned,
 * agent.mentions_read: every tab of the agent hears both) and announced politely to screen
 * readers, and its panel, newest first. Opening a mention opens its conversation at the note and
 * marks it read; "Mark all read" marks them all. */
import { $ } from "./page.js";
import { openConversation } from "./thread.js";

export function setUnread(count, announce) {
  const badge = $("mentions-count");
  if (!badge || !Number.isFinite(count)) return;
  const before = Number(badge.dataset.unread) || 0, name = interpolate(ngettext("Mentions, %s unread", "Mentions, %s unread", count), [count]);
  badge.dataset.unread = String(count);
  badge.textContent = String(count);
  badge.hidden = count === 0;
  $("mentions-open").setAttribute("aria-label", name);
  if (announce && count !== before) $("mentions-live").textContent = name;
}

export function onMentionEvent(event) { // agent.mentioned, agent.mentions_read: the count, and the open panel
  setUnread(event.unread, true);
  if (panelOpen()) loadPanel();
}

export function refreshMentions() { // after a (re)connect, which may have missed events
  fetch("/desk/mentions/unread/", { credentials: "same-origin" })
    .then((response) => (response.ok ? response.json() : null))
    .then((body) => { if (body) setUnread(body.unread, false); });
  if (panelOpen()) loadPanel();
}

function panelOpen() { return Boolean($("mentions-panel")) && !$("mentions-panel").hidden; }

function loadPanel() {
  return htmx.ajax("GET", "/desk/mentions/", { source: "#mentions-panel", target: "#mentions-panel", swap: "innerHTML" });
}

function showPanel(open) {
  $("mentions-panel").hidden = !open;
  $("mentions-open").setAttribute("aria-expanded", String(open));
  if (open) loadPanel();
}

function openMention(link) {
  const conversationId = link.dataset.conversationId, messageId = link.dataset.messageId;
  htmx.ajax("POST", "/desk/mentions/" + link.dataset.mention + "/read/", { source: link, swap: "none" });
  showPanel(false);
  openConversation("/desk/c/" + conversationId + "/", "/desk/?c=" + conversationId).then(() => showNote(messageId, 20));
}

// The note may be older than the page of history the conversation opened with: scroll back (the
// "older" marker loads the page before when it comes into view) until it is there.
function showNote(messageId, tries) {
  const note = $("m-" + messageId);
  if (note) {
    note.classList.add("mentioned");
    note.setAttribute("tabindex", "-1");
    note.scrollIntoView({ block: "center" });
    note.focus({ preventScroll: true });
    return;
  }
  const older = document.querySelector("#messages .older");
  if (!older || tries === 0) return;
  older.scrollIntoView();
  setTimeout(() => showNote(messageId, tries - 1), 300);
}

export function wireMentions() {
  if (!$("mentions")) return;
  document.addEventListener("click", (e) => {
    if (e.target.closest("#mentions-open")) { showPanel(!panelOpen()); return; }
    const link = e.target.closest("a[data-mention]");
    if (link && e.button === 0 && !(e.metaKey || e.ctrlKey || e.shiftKey || e.altKey)) {
      e.preventDefault();
      openMention(link);
    } else if (panelOpen() && !e.target.closest("#mentions")) {
      showPanel(false);
    }
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && panelOpen() && e.target.closest && e.target.closest("#mentions")) {
      showPanel(false);
      $("mentions-open").focus();
    }
  });
  document.body.addEventListener("parley:mentions", (e) => { setUnread(e.detail.unread, true); });
}
