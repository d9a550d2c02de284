/* Getting the agent's attention, as they chose in their settings: a chime and a browser
 * notification for what happens away from the conversation in front of them. */
import { $, openId } from "./page.js";
import { openConversation } from "./thread.js";

let audio = null;
function chime() {
  try {
    audio = audio || new AudioContext();
    const tone = audio.createOscillator(), gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.08, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.35);
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.35);
  } catch (error) { /* no audio: the title still counts */ }
}

// Which of the agent's switches (#me's data-notify-*) lets each kind of news show on the desktop:
// mentions and assignments have their own, everything else "Browser notifications".
const DESKTOP_SWITCH = { mention: "notifyMentions", assignment: "notifyAssignments" };

export function notify(title, body, conversationId, kind) {
  const prefs = $("me") ? $("me").dataset : {};
  if (conversationId === openId() && !document.hidden) return; // already in front of them
  if (prefs.notifySound === "on") chime();
  if (prefs[DESKTOP_SWITCH[kind] || "notifyBrowser"] === "on" && window.Notification && Notification.permission === "granted") {
    let shown = null;
    try {
      shown = new Notification(title, { body: body, tag: "parley-" + (kind || "news") + "-" + conversationId });
    } catch (error) { return; } // a browser that shows them only from a service worker (Android)
    shown.onclick = () => { window.focus(); openConversation("/desk/c/" + conversationId + "/", "/desk/?c=" + conversationId); };
  }
}

export function wireAttention() {
  document.addEventListener("change", (e) => {
    const desktop = ["notify-browser", "notify-mentions", "notify-assignments"].includes(e.target.id);
    if (desktop && e.target.checked && window.Notification && Notification.permission === "default") {
      Notification.requestPermission();
    }
  });
}
