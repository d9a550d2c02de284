/* The desk socket (/ws/v1/desk/, desk/consumers.py) through htmx's ws extension, which
 * reconnects with jitter: JSON events in, pings and the agent's typing and viewing out. */
import { $ } from "./page.js";

let socket = null, heartbeat = null, active = true;

export function send(frame) { if (socket) socket.send(JSON.stringify(frame)); }

export function markActive() { active = true; } // the next ping says the agent is at the desk

export function setConnection(state, text) {
  const el = $("connection");
  el.dataset.state = state;
  el.textContent = text;
}

export function listen(onEvent) {
  document.body.addEventListener("htmx:wsOpen", (e) => {
    socket = e.detail.socketWrapper;
    clearInterval(heartbeat);
    heartbeat = setInterval(() => { send({ type: "ping", active: active }); active = false; }, 25000);
  });
  document.body.addEventListener("htmx:wsClose", (e) => {
    socket = null;
    clearInterval(heartbeat);
    const code = e.detail.event && e.detail.event.code;
    if (code === 4001 || code === 4012) { location.href = "/desk/login/?next=/desk/"; return; }
    setConnection("offline", gettext("Reconnecting…"));
  });
  document.body.addEventListener("htmx:wsBeforeMessage", (e) => {
    e.preventDefault(); // JSON events, not HTML to swap
    let event;
    try { event = JSON.parse(e.detail.message); } catch (error) { return; }
    onEvent(event);
  });
}
