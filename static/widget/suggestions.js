/* Articles that may answer what the visitor is writing, above the composer before they send: at
 * most three, after a pause in typing. Only while no person has answered in the conversation (by
 * then they are talking to someone). Dismissed, they stay away until this draft is sent or erased.
 * A failed search shows nothing: suggestions are a help, never an error. */
import { $ } from "./dom.js";
import { articleItem } from "./help.js";

const DEBOUNCE_MS = 400;
const SHOWN = 3;
const MIN_CHARACTERS = 6; // a word or two: fewer finds only noise

export function createSuggestions(ui, help) {
  const { t, client } = ui;
  let timer = null, asking = null, dismissed = false, askedFor = "";

  function wanted() {
    if (!help.offered || ui.view === null) return false;
    const c = typeof ui.view === "number" ? client.conversation(ui.view) : null;
    return !c || !Array.from(c.messages.values()).some((m) => m.sender.kind === "agent");
  }

  function show(articles) {
    $("suggestions-list").replaceChildren(...articles.map((article) => articleItem(article, help.openArticle)));
    $("suggestions").hidden = !articles.length;
    $("suggestions-status").textContent = articles.length ? t.suggestedCount.replace("{n}", articles.length) : "";
  }

  function clear() {
    clearTimeout(timer);
    if (asking) asking.abort();
    asking = null;
    askedFor = "";
    show([]);
  }

  function ask(text) {
    if (asking) asking.abort();
    const asked = asking = new AbortController();
    askedFor = text;
    help.search(text, asked.signal).then((articles) => {
      if (asked === asking && !dismissed) show(articles.slice(0, SHOWN));
    }, () => { if (asked === asking) askedFor = ""; });
  }

  function dismiss() {
    dismissed = true;
    clear();
    $("composer").focus();
  }

  $("suggestions-title").textContent = t.suggested;
  $("suggestions-hide").setAttribute("aria-label", t.hideSuggestions);
  $("suggestions-hide").title = t.hideSuggestions;
  $("composer").addEventListener("input", () => {
    const text = $("composer").value.trim();
    clearTimeout(timer);
    if (!text) { dismissed = false; clear(); return; }
    if (dismissed || text === askedFor) return;
    if (text.length < MIN_CHARACTERS || !wanted()) { clear(); return; }
    timer = setTimeout(() => { ask(text); }, DEBOUNCE_MS);
  });
  $("compose").addEventListener("submit", () => { // after the composer's own listener: sent or kept
    if (!$("composer").value.trim()) { dismissed = false; clear(); }
  });
  $("suggestions-hide").addEventListener("click", dismiss);
  $("suggestions").addEventListener("keydown", (event) => {
    if (event.key === "Escape") { event.stopPropagation(); dismiss(); }
  });
}
