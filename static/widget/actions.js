/* Replies a bot offers with its message (`actions`, docs/protocol.md): buttons under the latest
 * bot message. Picking one sends its title as an ordinary message, through the composer's path;
 * the server reads it, so the widget changes no bot state itself. Once anything follows that
 * message (the visitor's answer, sent or waiting, or anyone else's), its buttons stay, disabled. */
import { el } from "./dom.js";

// The latest bot message of `messages` (in seq order) if it offers replies, and whether they may
// still be picked: null when it offers none.
export function offeredReplies(messages, waiting) {
  let latest = null;
  for (let at = messages.length - 1; at >= 0 && !latest; at -= 1) {
    if (messages[at].sender.kind === "bot") latest = messages[at];
  }
  if (!latest || !Array.isArray(latest.actions) || !latest.actions.length) return null;
  return { message: latest, open: !waiting && messages[messages.length - 1] === latest };
}

export function replyButtons(offer, t, pick) {
  const group = el("div", "actions");
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", t.quickReplies);
  offer.message.actions.forEach((action) => {
    if (!action || typeof action.title !== "string" || !action.title.trim()) return;
    const button = el("button", "action", action.title);
    button.type = "button";
    button.disabled = !offer.open;
    button.dataset.action = String(action.id);
    button.addEventListener("click", () => {
      group.querySelectorAll("button").forEach((other) => { other.disabled = true; });
      pick(action.title);
    });
    group.appendChild(button);
  });
  return group;
}
