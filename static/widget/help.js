/* The help center in the widget (customer_clients/help.py, docs/protocol.md "Help center"): the
 * search card on the home view, results as the visitor types, and the reader an article opens in.
 *
 * An article's HTML is the one thing the frame inserts as HTML, and only from the articles
 * endpoint: it arrives sanitised (knowledge/markdown.py), and the frame's CSP runs no inline
 * script besides. Everything else (titles, snippets, refusals) goes in as text. */
import { $, el } from "./dom.js";

const DEBOUNCE_MS = 250;
export const MAX_QUERY = 500; // characters, as the server counts them (knowledge.search)

// A result as a list item holding a button: its title and snippet, as text.
export function articleItem(article, open) {
  const button = el("button", "article");
  button.type = "button";
  button.appendChild(el("span", "title", article.title));
  if (article.snippet) button.appendChild(el("span", "snippet", article.snippet));
  button.addEventListener("click", () => { open(article, button); });
  const item = el("li");
  item.appendChild(button);
  return item;
}

export function createHelp(ui, panel) {
  const { page, t } = ui;
  const offered = Boolean(page.help && page.help.enabled);
  const locale = visitorLocale(page.help ? page.help.locales : []);
  let searching = null, timer = null, homeLoaded = false;
  let opening = null, opener = null;

  function endpoint(path, params) {
    const url = new URL(page.helpUrl + path, location.origin);
    url.searchParams.set("key", page.publicKey);
    Object.keys(params || {}).forEach((name) => { if (params[name]) url.searchParams.set(name, params[name]); });
    return url;
  }

  function request(url, signal) { // the JSON answer; a refusal rejects with its code and detail
    return fetch(url, { signal: signal, credentials: "omit" }).then((response) => response.json().then((answer) => {
      if (response.ok) return answer;
      const refused = new Error(answer.detail || answer.error);
      refused.code = answer.error;
      throw refused;
    }));
  }

  function search(query, signal) { // up to five articles; a blank query: the most read ones
    const words = Array.from(query).slice(0, MAX_QUERY).join("");
    return request(endpoint("/search", { q: words, locale: locale }), signal).then((answer) => answer.articles);
  }

  // --- the search card of the home view ---
  function runSearch(query) {
    if (searching) searching.abort();
    const asked = searching = new AbortController();
    search(query, asked.signal).then((articles) => {
      if (asked === searching) showResults(articles, query);
    }, (error) => {
      if (asked !== searching || error.name === "AbortError") return;
      $("help-results").replaceChildren();
      showStatus(error.code ? error.message : t.helpFailed, true);
    });
  }

  function showResults(articles, query) {
    $("help-results").replaceChildren(...articles.map((article) => articleItem(article, openArticle)));
    if (!query.trim()) showStatus("", false);
    else if (articles.length) showStatus(t.helpFound.replace("{n}", articles.length), false);
    else showStatus(t.helpNone, true);
  }

  function showStatus(text, visible) { // always announced; shown when it is news (none, refused)
    $("help-status").textContent = text;
    $("help-status").classList.toggle("visually-hidden", !visible);
  }

  function showHome() { // the home view is drawn: the first time, fetch the most read articles
    if (!offered || homeLoaded) return;
    homeLoaded = true;
    runSearch("");
  }

  // --- the reader ---
  function openArticle(summary, from) {
    if (opening) opening.abort();
    const asked = opening = new AbortController();
    opener = from || null;
    ui.navigated = true; // the visitor chose where they are: a reconnect does not move them
    ui.article = summary.id;
    $("reader-title").textContent = summary.title;
    $("reader-updated").textContent = "";
    $("reader-body").replaceChildren();
    $("reader-status").textContent = t.loading;
    $("reader-link").hidden = true;
    panel.render();
    $("reader").scrollTop = 0;
    $("reader-title").focus();
    request(endpoint("/articles/" + encodeURIComponent(summary.id)), asked.signal).then((article) => {
      if (asked !== opening) return;
      $("reader-title").textContent = article.title;
      $("reader-updated").textContent = updatedLine(article.updated_at);
      $("reader-body").replaceChildren(articleContent(article));
      $("reader-status").textContent = "";
      $("reader-link").href = article.url;
      $("reader-link").hidden = !/^https?:\/\//.test(article.url);
    }, (error) => {
      if (asked !== opening || error.name === "AbortError") return;
      $("reader-status").textContent = error.code ? error.message : t.articleFailed;
    });
  }

  function closeArticle() { // back from the reader to where the visitor was; whether one was open
    if (ui.article === null) return false;
    if (opening) opening.abort();
    ui.article = null;
    panel.render();
    const back = opener && opener.isConnected && opener.offsetParent ? opener
      : ui.view === null ? $("help-query") : $("composer");
    opener = null;
    back.focus();
    return true;
  }

  function updatedLine(iso) {
    const at = new Date(iso);
    if (isNaN(at)) return "";
    const options = { day: "numeric", month: "long", year: "numeric" };
    return t.updated.replace("{date}", new Intl.DateTimeFormat(document.documentElement.lang, options).format(at));
  }

  // --- labels and listeners ---
  $("help").hidden = !offered;
  $("help-title").textContent = t.helpTitle;
  $("help-query").placeholder = t.helpSearch;
  document.querySelector("label[for=help-query]").textContent = t.helpSearch;
  $("reader-link").textContent = t.openInHelp;
  $("help-query").addEventListener("input", () => {
    clearTimeout(timer);
    const query = $("help-query").value;
    timer = setTimeout(() => { runSearch(query); }, DEBOUNCE_MS);
  });
  $("help-search").addEventListener("submit", (event) => { // Enter: at once
    event.preventDefault();
    clearTimeout(timer);
    runSearch($("help-query").value);
  });
  $("reader-body").addEventListener("click", (event) => { // a heading of this article: scroll to it
    const link = event.target.closest("a[href^='#']");
    if (!link) return;
    event.preventDefault();
    const target = $(link.getAttribute("href").slice(1));
    if (target && $("reader-body").contains(target)) target.scrollIntoView({ block: "start" });
  });

  return { offered: offered, search: search, openArticle: openArticle, closeArticle: closeArticle, showHome: showHome };
}

// The article's HTML as nodes. Its ids (headings' anchors) get a prefix so none can take the name
// of one of the frame's own elements; its links open in a new tab, never inside the frame.
function articleContent(article) {
  const holder = document.createElement("template");
  holder.innerHTML = article.html; // sanitised by the server: see the top of this module
  holder.content.querySelectorAll("[id]").forEach((node) => { node.id = "article-" + node.id; });
  holder.content.querySelectorAll("a[href]").forEach((link) => {
    const href = link.getAttribute("href");
    if (href.charAt(0) === "#") {
      link.setAttribute("href", "#article-" + href.slice(1));
      return;
    }
    try { link.href = new URL(href, article.url).href; } catch (error) { link.removeAttribute("href"); return; }
    const rel = link.getAttribute("rel") || "";
    link.target = "_blank";
    link.rel = /\bnoopener\b/.test(rel) ? rel : (rel + " noopener noreferrer").trim();
  });
  return holder.content;
}

// The help center's locale the visitor reads best, or undefined for the help center's default.
function visitorLocale(locales) {
  const wanted = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ""])
    .map((tag) => String(tag).toLowerCase());
  for (const tag of wanted) {
    const found = locales.find((code) => code.toLowerCase() === tag)
      || locales.find((code) => code.toLowerCase() === tag.split("-")[0]);
    if (found) return found;
  }
  return undefined;
}
