/* The composer's article picker: help articles of the conversation's help center (published only;
 * desk/views/article_picker.py), inserted as "Title: URL" at the cursor. The Article button opens it
 * with a search box of its own; typing "/kb words" in the composer searches those words, and the
 * chosen link replaces them (as a saved reply replaces "/code"). */
import { updateLimits } from "./composer.js";
import { $ } from "./page.js";

const KB = /^\/kb\s+([\s\S]*)$/;
let mode = null, range = null, timer = null; // mode: "button" or "kb", while the picker is open

function picker() { const shown = $("article-picker"); return shown && !shown.hidden ? shown : null; }

function search(query) { // debounced; htmx keeps the last request of #article-results
  clearTimeout(timer);
  timer = setTimeout(() => {
    const url = $("article-open").dataset.url + "?q=" + encodeURIComponent(query.trim());
    htmx.ajax("GET", url, { source: "#article-results", target: "#article-results", swap: "innerHTML" });
  }, 200);
}

function open(how) {
  const body = $("reply-body");
  mode = how;
  range = { start: body.selectionStart, end: body.selectionEnd };
  $("article-picker").hidden = false;
  $("article-picker").classList.toggle("from-composer", how === "kb");
  $("article-open").setAttribute("aria-expanded", "true");
  if ($("canned-menu")) $("canned-menu").hidden = true;
  if (how === "button") {
    $("article-search").value = "";
    $("article-search").focus();
    search("");
  }
}

function close(refocus) {
  const shown = picker();
  if (!shown) return;
  shown.hidden = true;
  mode = null;
  $("article-open").setAttribute("aria-expanded", "false");
  if (refocus) $("reply-body").focus();
}

function move(step) {
  const items = Array.from(picker().querySelectorAll("[data-insert]"));
  if (!items.length) return;
  const at = items.findIndex((item) => item.getAttribute("aria-selected") === "true");
  items.forEach((item) => { item.removeAttribute("aria-selected"); });
  const next = items[(at + step + items.length) % items.length];
  next.setAttribute("aria-selected", "true");
  next.scrollIntoView({ block: "nearest" });
  $("article-search").setAttribute("aria-activedescendant", next.id);
}

function choose(item) {
  const body = $("reply-body"), text = item.dataset.insert;
  if (mode === "kb") {
    body.value = text;
  } else {
    const before = body.value.slice(0, range.start);
    body.setRangeText((before && !/\s$/.test(before) ? " " : "") + text, range.start, range.end, "end");
  }
  close(true);
  updateLimits();
}

// A key pressed in the picker's box, or in the composer while "/kb" searches: whether it was ours.
export function articleKeydown(e) {
  const shown = picker();
  if (!shown) return false;
  const inBox = e.target.id === "article-search", inComposer = e.target.id === "reply-body" && mode === "kb";
  if (!inBox && !inComposer) return false;
  if (e.key === "ArrowDown" || e.key === "ArrowUp") { e.preventDefault(); move(e.key === "ArrowDown" ? 1 : -1); return true; }
  if (e.key === "Enter" || (e.key === "Tab" && inComposer)) {
    const chosen = shown.querySelector("[data-insert][aria-selected=true]");
    e.preventDefault(); // never sends "/kb words", never submits the reply from the box
    if (chosen) choose(chosen);
    return true;
  }
  if (e.key === "Escape") { e.preventDefault(); close(true); return true; }
  return false;
}

export function wireArticlePicker() {
  document.addEventListener("click", (e) => {
    if (!e.target.closest) return;
    if (e.target.closest("#article-open")) { if (picker()) close(true); else open("button"); return; }
    const item = e.target.closest("#article-results [data-insert]");
    if (item) { choose(item); return; }
    if (picker() && !e.target.closest("#article-picker")) close(false);
  });
  document.addEventListener("input", (e) => {
    if (e.target.id === "article-search") search(e.target.value);
    if (e.target.id !== "reply-body") return;
    const typed = KB.exec(e.target.value);
    if (typed) {
      if (!picker()) open("kb");
      $("article-search").value = typed[1];
      search(typed[1]);
    } else if (mode === "kb") {
      close(false);
    }
  });
}
