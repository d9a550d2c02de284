/* The desk's offer of desktop notifications, shown until the agent answers it once (the answer is
 * kept in their preferences): "Turn on" asks the browser's permission from the click itself, as
 * browsers require, and turns on notifications for mentions and assignments; "Not now" declines.
 * Either answer replaces the top bar's settings (#me), which attention.js reads. */
import { $ } from "./page.js";

export function wireNotificationOffer() {
  const offer = $("notify-offer");
  if (!offer) return;
  offer.addEventListener("click", (e) => {
    const button = e.target.closest("button[data-answer]");
    if (!button) return;
    if (button.dataset.answer === "on" && window.Notification && Notification.permission === "default") {
      Notification.requestPermission();
    }
    offer.querySelectorAll("button").forEach((each) => { each.disabled = true; });
    htmx.ajax("POST", "/desk/me/notifications/offer/", {
      source: "#notify-offer", values: { answer: button.dataset.answer }, target: "#me", swap: "outerHTML",
    }).then(() => { offer.remove(); });
  });
}
