/* Keyboard shortcuts (the ? dialog lists them), and the narrow screen's customer panel toggle. */
import { articleKeydown } from "./article_picker.js";
import { composerKeydown, updateLimits } from "./composer.js";
import { $ } from "./page.js";

function shortcut(e) {
  const rows = Array.from(document.querySelectorAll("#list .row a"));
  const index = rows.findIndex((a) => a.closest(".row").classList.contains("selected"));
  // htmx wires swapped-in buttons when the swap settles (20 ms later): a key pressed just after
  // an event refreshed the header would click a button that does nothing yet.
  const press = (id) => { const el = $(id); if (el) { htmx.process(el); el.click(); } };
  switch (e.key) {
    case "j": case "k": {
      const next = rows[Math.min(Math.max(index + (e.key === "j" ? 1 : -1), 0), rows.length - 1)];
      if (next) next.click();
      break;
    }
    case "r": case "n":
      if (!$("reply-body")) break;
      $("private").checked = e.key === "n";
      $("composer").classList.toggle("note", e.key === "n");
      updateLimits();
      $("reply-body").focus();
      break;
    case "a": press("assign-me"); break;
    case "e": press("resolve"); break;
    case "m": { // the header's macros: open the menu (it loads each macro's steps) and focus it
      const menu = $("macro-menu");
      if (menu) { menu.open = true; menu.querySelector("summary").focus(); }
      break;
    }
    case "/": $("search").focus(); break;
    case "?": $("shortcuts").showModal(); break;
    default: return;
  }
  e.preventDefault();
}

export function wireShortcuts() {
  document.addEventListener("keydown", (e) => {
    if (articleKeydown(e) || composerKeydown(e)) return;
    if (e.target.closest("input, textarea, select") || e.metaKey || e.ctrlKey || e.altKey) return;
    shortcut(e);
  });
  $("shortcuts-open").addEventListener("click", () => { $("shortcuts").showModal(); });
  document.addEventListener("click", (e) => { // narrow screens: the customer panel slides in
    if (e.target.id === "customer-toggle") {
      const shown = document.body.classList.toggle("show-customer");
      e.target.setAttribute("aria-expanded", String(shown));
    }
  });
}
