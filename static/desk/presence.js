/* Who else is here: other agents typing in or viewing the open conversation, and whether its
 * customer is online, as one line under the thread's header. */
import { openId, thread, $ } from "./page.js";
import { send } from "./socket.js";

const typists = new Map(); // conversation id -> {name, until}
const viewers = new Map(); // agent id -> {name, conversation, until}
const customersOnline = new Map(); // contact id -> true/false, as the last contact.presence said
let viewingTimer = null;

export function renderPresence() {
  const line = $("presence-line"), id = openId(), now = Date.now(), parts = [];
  if (!line) return;
  typists.forEach((who, conversation) => { if (who.until > now && conversation === id) parts.push(interpolate(gettext("%s is typing…"), [who.name])); });
  viewers.forEach((who) => {
    if (who.until > now && who.conversation === id && !parts.some((p) => p.indexOf(who.name) === 0)) parts.push(interpolate(gettext("%s is viewing"), [who.name]));
  });
  const contact = thread() ? Number(thread().dataset.contactId) : null;
  if (customersOnline.get(contact) === true) parts.unshift(gettext("Customer is online"));
  else if (customersOnline.get(contact) === false) parts.unshift(gettext("Customer left the chat"));
  line.textContent = parts.join(" · ");
}

export function announceViewing() {
  clearInterval(viewingTimer);
  const id = openId();
  if (!id) return;
  send({ type: "viewing", conversation_id: id, viewing: true });
  viewingTimer = setInterval(() => { if (openId() === id) send({ type: "viewing", conversation_id: id, viewing: true }); }, 20000);
}

export function messageArrived(conversationId) { // whoever was typing there has sent it
  typists.delete(conversationId);
  renderPresence();
}

// contact.typing, contact.presence, agent.typing and agent.viewing; `me` is this agent's id.
export function onPresenceEvent(event, me) {
  switch (event.type) {
    case "contact.typing":
      if (event.typing) typists.set(event.conversation_id, { name: gettext("Customer"), until: Date.now() + 6000 });
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
  }
}
