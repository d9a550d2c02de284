/* Service-level countdowns on the list's rows (templates/desk/_list.html renders the first text):
 * the time left to the nearest deadline, amber within 30 minutes, red once it passed. The server's
 * sweep records the miss and tells the desk (sla.breached); this only keeps the text current. */
const SOON_MS = 30 * 60 * 1000;

function left(ms) {
  const minutes = Math.max(1, Math.floor(ms / 60000));
  if (minutes < 60) return interpolate(gettext("%sm"), [minutes]);
  if (minutes < 48 * 60) return interpolate(gettext("%sh"), [Math.floor(minutes / 60)]);
  return interpolate(gettext("%sd"), [Math.floor(minutes / (24 * 60))]);
}

export function tickSla() {
  const now = Date.now();
  document.querySelectorAll(".sla[data-due]").forEach((badge) => {
    const ms = Date.parse(badge.dataset.due) - now;
    badge.classList.toggle("breached", ms <= 0);
    badge.classList.toggle("soon", ms > 0 && ms <= SOON_MS);
    badge.textContent = ms <= 0 ? gettext("SLA missed") : interpolate(gettext("SLA %s"), [left(ms)]);
  });
}
