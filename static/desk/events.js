/* The desk socket's events: what each one changes on the page. A message is appended to the open
 * thread and patched into its row from the event itself (entry.js, rows.js); any other change of
 * a conversation fetches its one row and, when it is open, its header. After every (re)connect
 * (hello) or resync the list, the header and the thread are fetched again: a desk is never stale
 * after a reconnect. */
import { notify } from "./attention.js";
import { onHandedOff } from "./bot.js";
import { refreshList, refreshMe } from "./list.js";
import { onMentionEvent, refreshMentions } from "./mentions.js";
import { $, lastSeq, openId } from "./page.js";
import { announceViewing, messageArrived, onPresenceEvent } from "./presence.js";
import { showRefusal } from "./refusals.js";
import { setConnection } from "./socket.js";
import { labelsInRow, messageInRow, readByMe, rowChanged } from "./rows.js";
import { messageCreated, newer, refreshHeader, replaceEntry } from "./thread.js";

const me = Number(document.body.dataset.agentId);

export function onEvent(event) {
  const id = openId();
  switch (event.type) {
    case "hello": case "resync": // connected again, or fell behind and missed events: fetch afresh
      setConnection("online", gettext("Online"));
      refreshList();
      refreshMe();
      refreshMentions();
      if (id) { refreshHeader(); newer(); announceViewing(); }
      return;
    case "pong":
      return;
    case "message.created":
      messageInRow(event);
      if (event.sender_kind === "contact" && event.assignee_id === me) {
        notify(gettext("New message"), (event.message && event.message.body || "").slice(0, 140), event.conversation_id);
      }
      messageCreated(event);
      messageArrived(event.conversation_id);
      return;
    case "message.updated":
      if (event.conversation_id === id) replaceEntry(event.message_id);
      return;
    case "contact.typing": case "contact.presence": case "agent.typing": case "agent.viewing":
      return onPresenceEvent(event, me);
    case "error": // a socket action refused (typing in a conversation no longer ours): said at the composer
      if (event.code === "logged_out") location.href = "/desk/login/?next=/desk/";
      else if (event.code === "not_found") showRefusal($("reply-body") || $("desk-error"), event.detail);
      return;
    case "conversation.created":
      rowChanged(event);
      if (event.assignee_id === null) notify(gettext("New conversation"), gettext("A customer is waiting in an unassigned conversation."), event.conversation_id);
      return;
    case "conversation.merged": // its messages moved on to the survivor: both rows, and the open thread
      rowChanged(event);
      rowChanged({ ...event, conversation_id: event.into_conversation_id, seq: event.into_seq });
      if (event.conversation_id === id) refreshHeader();
      if (event.into_conversation_id === id) { refreshHeader(); newer(); }
      return;
    case "conversation.handed_off": // the row and header from the event; its messages come as message.created
      return onHandedOff(event, me);
    case "sla.breached":
      rowChanged(event);
      if (event.conversation_id === id) refreshHeader();
      if (event.assignee_id === me || document.body.dataset.seesAll === "1") {
        notify(gettext("Service level missed"), interpolate(gettext("Missed: %s"), [event.targets.join(", ").replace(/_/g, " ")]), event.conversation_id);
      }
      return;
    case "sla.warning": // a deadline is near: its assignee hears it (the row's clock already counts down)
      if (event.assignee_id === me) {
        notify(gettext("Service level due soon"), interpolate(gettext("Due soon: %s"), [event.targets.join(", ").replace(/_/g, " ")]), event.conversation_id);
      }
      return;
    case "agent.mentioned":
      onMentionEvent(event);
      notify(interpolate(gettext("%s mentioned you"), [event.by]), event.excerpt, event.conversation_id, "mention");
      return;
    case "agent.mentions_read": // in this tab or another of the agent's
      onMentionEvent(event);
      return;
    case "conversation.read": // an agent's reading changes only their own counts, and the customer's ticks
      if (event.reader === "agent") {
        if (event.conversation_id === id) seenByTheTeam(event.read_seq);
        if (event.agent_id === me) readByMe(event);
        return;
      }
      if (event.conversation_id === id) refreshHeader();
      return;
    case "agent.presence":
      if (event.agent_id === me) refreshMe();
      return;
    case "conversation.updated": // its labels drawn into the row from the event; the open header fetched
      if (event.label_ids === undefined) rowChanged(event); else labelsInRow(event);
      if (event.conversation_id === id) { refreshHeader(); if (event.seq > lastSeq()) newer(); }
      return;
    case "conversation.assigned": // given to me by someone else or by routing: tell me, then as below
      if (event.assignee_id === me && event.actor_id !== me) {
        const how = event.actor_id ? gettext("Conversation #%s was assigned to you.") : gettext("Conversation #%s was routed to you.");
        notify(gettext("Assigned to you"), interpolate(how, [event.conversation_id]), event.conversation_id, "assignment");
      }
      // falls through
    default: // status, assignment, priority, labels, sessions: its row and the open header
      if (event.assignee_id === me || event.type === "session.ended") refreshMe();
      if (event.conversation_id !== undefined) {
        rowChanged(event);
        if (event.conversation_id === id) { refreshHeader(); if (event.seq > lastSeq()) newer(); }
      }
  }
}

// The customer's messages up to `seq` have been read by an agent (the server marked them read and
// the customer's widget says "Seen"): the open thread's entries say so too, with no fetch.
function seenByTheTeam(seq) {
  document.querySelectorAll("#messages .entry.contact").forEach((entry) => {
    const waiting = entry.dataset.status === "sent" || entry.dataset.status === "delivered";
    if (waiting && Number(entry.dataset.seq) <= seq) entry.dataset.status = "read";
  });
}
