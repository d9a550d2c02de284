/* The answer bot in the desk. While the bot holds a conversation its row and header say "With bot"
 * (and it counts as nobody's wait). When the bot hands it to people (conversation.handed_off) the
 * agent is told (a toast, and their chosen chime or notification), and the row and the open
 * header are updated from the event itself: no list or page fetch. The hand-off's own messages
 * (the bot's last words, the summary note) arrive as message.created like any other. */
import { notify } from "./attention.js";
import { updateTitle } from "./list.js";
import { $, lastSeq, openId } from "./page.js";
import { newer } from "./thread.js";

const REASONS = {
  asked_for_person: gettext("asked for a person"),
  no_answer: gettext("no article answered the question"),
  not_covered: gettext("the articles found do not cover it"),
  not_solved: gettext("the answer did not solve it"),
  bot_turned_off: gettext("the bot was turned off"),
  person_took_it: gettext("a person took it"),
};
const TOAST_MS = 12000;

export function reasonText(reason) { return REASONS[reason] || String(reason || gettext("no reason given")).replace(/_/g, " "); }

function rowHandedOff(conversationId) { // the customer now waits for a person: say so in the row
  const row = document.querySelector("#list .row[data-conversation-id='" + conversationId + "']");
  if (!row) return;
  row.removeAttribute("data-bot");
  row.querySelectorAll(".bot-badge").forEach((badge) => { badge.remove(); });
  const when = row.querySelector(".when"), wait = document.createElement("span");
  wait.className = "waiting";
  wait.title = gettext("Waiting for a reply");
  wait.textContent = interpolate(gettext("%sm"), [0]);
  if (when) when.replaceChildren(wait);
  const held = row.querySelector(".held-count");
  if (held) { held.className = "unread-count"; row.classList.add("unread"); updateTitle(); }
}

function toast(text, conversationId) {
  let shelf = $("toasts");
  if (!shelf) {
    shelf = document.createElement("div");
    shelf.id = "toasts";
    shelf.setAttribute("role", "status");
    document.body.appendChild(shelf);
  }
  const card = document.createElement("div"), words = document.createElement("span");
  const link = document.createElement("a"), dismiss = document.createElement("button");
  card.className = "toast";
  words.textContent = text;
  link.href = "/desk/?c=" + conversationId;
  link.dataset.open = "/desk/c/" + conversationId + "/";
  link.textContent = gettext("Open");
  dismiss.type = "button";
  dismiss.className = "ghost";
  dismiss.setAttribute("aria-label", gettext("Dismiss"));
  dismiss.textContent = "×";
  card.append(words, link, dismiss);
  const remove = () => { card.remove(); };
  link.addEventListener("click", remove);
  dismiss.addEventListener("click", remove);
  shelf.appendChild(card);
  setTimeout(remove, TOAST_MS);
}

// conversation.handed_off: {conversation_id, inbox_id, seq, assignee_id, reason}; `me` is this agent.
export function onHandedOff(event, me) {
  const id = event.conversation_id, why = reasonText(event.reason);
  rowHandedOff(id);
  if (id === openId()) {
    document.querySelectorAll("#conv-header .bot-badge").forEach((badge) => { badge.remove(); });
    if (event.seq > lastSeq()) newer();
  }
  if (event.reason === "person_took_it" && event.assignee_id === me) return; // they did it themselves
  toast(interpolate(gettext("Bot handed off #%(id)s: %(reason)s"), { id: id, reason: why }, true), id);
  if (event.assignee_id === null || event.assignee_id === me) {
    notify(interpolate(gettext("Bot handed off #%s"), [id]), interpolate(gettext("Reason: %s"), [why]), id);
  }
}
