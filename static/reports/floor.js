// The live floor: the floor socket says "something changed" (at most twice a second) and the
// fragment is fetched again; waits tick every second in between, service-level countdowns as on
// the desk's rows (desk/sla.js). If the socket drops, it reconnects with a growing delay and the
// page says it is not live meanwhile.
import { tickSla } from "../desk/sla.js";

let fetching = false;
let again = false;
let delay = 1000;

function refresh() {
  if (fetching) { again = true; return; }
  fetching = true;
  fetch(document.body.dataset.liveUrl, { credentials: "same-origin" })
    .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
    .then((html) => { document.getElementById("floor-live").outerHTML = html; tick(); })
    .catch(() => {})
    .finally(() => { fetching = false; if (again) { again = false; refresh(); } });
}

function since(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const two = (n) => String(n).padStart(2, "0");
  if (s < 60) return interpolate(gettext("%(seconds)ss"), { seconds: s }, true);
  if (s < 3600) return interpolate(gettext("%(minutes)sm %(seconds)ss"), { minutes: Math.floor(s / 60), seconds: two(s % 60) }, true);
  return interpolate(gettext("%(hours)sh %(minutes)sm"), { hours: Math.floor(s / 3600), minutes: two(Math.floor((s % 3600) / 60)) }, true);
}

function tick() {
  const now = Date.now();
  document.querySelectorAll(".since[data-since]").forEach((el) => { el.textContent = since(now - Date.parse(el.dataset.since)); });
  tickSla();
}

function connect() {
  const status = document.getElementById("floor-status");
  const socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/v1/floor/");
  socket.onopen = () => { delay = 1000; status.textContent = gettext("live"); status.classList.remove("off"); };
  socket.onmessage = refresh;
  socket.onclose = () => {
    status.textContent = gettext("reconnecting…");
    status.classList.add("off");
    setTimeout(connect, delay);
    delay = Math.min(delay * 2, 30000);
  };
}

tick();
setInterval(tick, 1000);
connect();
