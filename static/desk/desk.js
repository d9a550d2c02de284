/* The agent desk (the entry module of templates/desk/desk.html): htmx fragments, kept live by the
 * desk socket (/ws/v1/desk/, desk/consumers.py).
 *
 * The socket (htmx's ws extension, which reconnects with jitter) carries JSON events of committed
 * changes (socket.js); events.js says what each one fetches again, and thread.js appends the open
 * conversation's new entries through one serialised path. list.js is the list pane, composer.js
 * the reply form, presence.js who else is here, attention.js chimes and notifications,
 * shortcuts.js the keyboard, article_picker.js help-article links in replies, bot.js the answer
 * bot's hand-offs, sla.js the rows' service-level countdowns, mentions.js the mentions badge and
 * panel, notification_offer.js the one-time offer of desktop notifications, phone.js one pane at
 * a time on a phone. This module wires them to the page.
 */
import { wireArticlePicker } from "./article_picker.js";
import { wireAttention } from "./attention.js";
import { wireMentions } from "./mentions.js";
import { wireNotificationOffer } from "./notification_offer.js";
import { newClientId, updateLimits, wireComposer } from "./composer.js";
import { onEvent } from "./events.js";
import { highlightRow, updateBulk, updateTitle, wireList } from "./list.js";
import { $ } from "./page.js";
import { wirePhone } from "./phone.js";
import { renderPresence } from "./presence.js";
import { wireRefusals } from "./refusals.js";
import { listAsked, listLanded } from "./rows.js";
import { tickSla } from "./sla.js";
import { wireShortcuts } from "./shortcuts.js";
import { listen, markActive } from "./socket.js";
import { markRead, newer, wireThread } from "./thread.js";

setInterval(renderPresence, 2000);
setInterval(tickSla, 15000);
wireAttention();
wireMentions();
wireNotificationOffer();
listen(onEvent);
wireThread();

// --- the page's own swaps ---
// The filters queue their fetches (hx-sync "this:queue last"): one in flight, the latest waiting.
// "replace" aborted the fetch in flight, and htmx logs every abort as an error (htmx:sendAbort).
document.body.addEventListener("htmx:beforeRequest", (e) => { if (e.detail.elt.id === "filters") listAsked(); });
document.body.addEventListener("htmx:afterSwap", (e) => {
  const target = e.detail && e.detail.target;
  if (target && target.id === "list") listLanded();
  if (target && (target.id === "list" || target.classList.contains("more"))) { highlightRow(); updateTitle(); updateBulk(); tickSla(); }
});
document.body.addEventListener("htmx:afterRequest", (e) => {
  if (e.detail.elt.id === "filters" && !e.detail.successful) listLanded();
  if (e.detail.successful && e.detail.xhr.status !== 422 && e.detail.elt.id !== "desk-error" && e.detail.requestConfig && e.detail.requestConfig.verb !== "get") {
    $("desk-error").textContent = "";
  }
});
document.body.addEventListener("parley:sent", () => {
  const body = $("reply-body");
  if (body) { body.value = ""; body.focus(); }
  const file = $("reply-file");
  if (file) { file.value = ""; $("file-name").textContent = gettext("Attach"); }
  newClientId();
  updateLimits(); // the length and SMS counter, of the now empty composer
  newer();
});

wireComposer();
wireRefusals();
wireArticlePicker();
document.addEventListener("pointerdown", () => { markActive(); });
document.body.addEventListener("htmx:configRequest", (e) => { // datetime-local is wall-clock time
  if (e.detail.parameters.until !== undefined && e.detail.elt.closest(".snooze")) {
    e.detail.parameters.offset = new Date(e.detail.parameters.until || Date.now()).getTimezoneOffset();
  }
});
document.addEventListener("visibilitychange", () => { if (!document.hidden) markRead(); });
wireShortcuts();
wirePhone();
document.body.addEventListener("parley:pane", (e) => { if (e.detail === "conversation") markRead(); }); // back from the list
wireList();

updateTitle();
