/* A message.created event's message (as agents see it) drawn as an entry of the open thread, the
 * way templates/desk/_messages.html draws it: the desk appends the next message from the event
 * instead of asking the server for it. Only what the event says exactly is drawn here: a message
 * with files, with a word that may be a link (the server's urlize decides those), or whose
 * delivery failed (its Retry), or that is a mail (its subject, quote and HTML) is fetched from
 * the server instead; drawable() says which. */
import { $ } from "./page.js";

// desk/templatetags/desk.py MAY_LINK: without a match, message_html only escapes the text.
const MAY_LINK = /[@:]|\.[.,!]*[^.,!\s<>"']/;
const STATUS_TEXT = { pending: gettext("Pending"), sent: gettext("Sent"), delivered: gettext("Delivered"), read: gettext("Read") };
const BOT_MARK = '<svg class="bot-mark" viewBox="0 0 16 16" aria-hidden="true"><path d="M8 1.5v2" stroke="currentColor" stroke-width="1.3" stroke-linecap="round"/><rect x="2.5" y="3.5" width="11" height="9" rx="3" fill="none" stroke="currentColor" stroke-width="1.3"/><circle cx="6" cy="8" r="1.1" fill="currentColor"/><circle cx="10" cy="8" r="1.1" fill="currentColor"/></svg>';

export function drawable(message) {
  return !message.attachments.length && !MAY_LINK.test(message.body) && message.delivery_status !== "failed"
    && $("thread").dataset.channel !== "email"; // a mail's subject, quote and HTML are the server's to draw
}

function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

// The entry's time as desk/views/entries.py writes it: "Dec 6, 14:05", or "14:05" for an activity line;
// the month's abbreviation in the desk's language ("Déc" in French), capitalised and without a dot.
function timeOf(message, activity) {
  const at = new Date(message.created_at), zone = document.body.dataset.timeZone || "UTC";
  const language = document.documentElement.lang || "en";
  const part = (options, locale) => new Intl.DateTimeFormat(locale || "en-US", { timeZone: zone, ...options }).format(at);
  const clock = part({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const month = part({ month: "short" }, language === "en" ? "en-US" : language).replace(/\.$/, "");
  const day = interpolate(pgettext("a message's date, short", "%(month)s %(day)s, %(time)s"), {
    month: month.charAt(0).toUpperCase() + month.slice(1), day: part({ day: "numeric" }), time: clock,
  }, true);
  const time = element("time", "", activity ? clock : day);
  time.setAttribute("datetime", message.created_at);
  return time;
}

function byline(message) { // desk/views/entries.py _byline
  const kind = message.sender.kind;
  if (kind === "contact") return $("thread").dataset.contactName;
  if (kind === "agent") return message.sender.name || gettext("Agent");
  if (kind === "bot") return gettext("Answer bot");
  return message.is_private ? gettext("Bot summary") : gettext("Automatic message");
}

export function drawEntry(message) {
  const entry = element("li");
  entry.id = "m-" + message.id;
  entry.dataset.seq = message.seq;
  if (message.content_type === "system") {
    entry.className = "entry activity";
    entry.append(element("span", "", message.body), " ", timeOf(message, true));
    return entry;
  }
  const kind = message.sender.kind;
  entry.className = "entry message " + kind + (message.is_private ? " note" : "");
  entry.dataset.status = message.delivery_status;
  const head = element("div", "byline"), parts = [head];
  if (kind === "bot" || kind === "system") head.insertAdjacentHTML("beforeend", BOT_MARK);
  head.append(element("strong", "", byline(message)), " ");
  if (message.is_private) head.append(element("span", "badge note-badge", gettext("Private note")), " ");
  head.append(timeOf(message, false));
  if (message.body) {
    const body = element("div", "body");
    message.body.replace(/\r\n?/g, "\n").split("\n").forEach((line, i) => {
      if (i) body.append(document.createElement("br"));
      body.append(line);
    });
    parts.push(body);
  }
  if (message.actions && message.actions.length) {
    const offered = element("ul", "offered");
    offered.setAttribute("aria-label", gettext("Replies offered to the customer"));
    message.actions.forEach((action) => { offered.append(element("li", "chip", action.title)); });
    parts.push(offered);
  }
  if (kind !== "contact" && !message.is_private) {
    parts.push(element("div", "delivery " + message.delivery_status, STATUS_TEXT[message.delivery_status] || message.delivery_status));
  }
  parts.forEach((part) => { entry.append(part, "\n"); }); // the template's line breaks between them
  return entry;
}
