/* The desk on a phone (static/desk/phone.css, below 768 px): one pane at a time, the list, the open
 * conversation or its customer, named by <body data-pane>; and the top bar folded into a menu.
 *
 * Opening a conversation shows it (thread.js calls showPane) and pushes its address; the
 * customer pane pushes one more entry, so the browser's Back walks back through the panes as the
 * Back controls do. Wider screens show every pane whatever data-pane says, and push nothing here. */
import { $ } from "./page.js";

const PHONE = window.matchMedia("(max-width: 767px)");

export function showPane(pane) {
  document.body.dataset.pane = pane;
  closeMenu();
  if (!PHONE.matches) return;
  document.body.classList.toggle("show-customer", pane === "customer"); // the tablet's slide-in
  const toggle = $("customer-toggle");
  if (toggle) toggle.setAttribute("aria-expanded", String(pane === "customer"));
  keepFocus(pane);
}

// Focus left in a pane now hidden goes to the shown one: its Back control, or the list's open row
// (never a text field: that would raise the on-screen keyboard).
const LANDINGS = { list: ["#list .row.selected a", "#list .row a"], conversation: ["#conv-header .pane-back"], customer: [".customer .pane-back"] };
function keepFocus(pane) {
  const active = document.activeElement;
  if (active && active !== document.body && active.getClientRects().length) return; // still on screen
  const landing = LANDINGS[pane].map((selector) => document.querySelector(selector)).find(Boolean);
  if (landing) landing.focus({ preventScroll: pane !== "list" });
}

function walkTo(pane) { // a Back control or the browser's Back: "parley:pane" says where to
  const changed = document.body.dataset.pane !== pane;
  showPane(pane);
  if (changed) document.body.dispatchEvent(new CustomEvent("parley:pane", { detail: pane }));
}

// The list is all a phone shows: the open conversation is out of sight (not read, say).
export function listShown() { return PHONE.matches && document.body.dataset.pane === "list"; }

function back(to) {
  const state = history.state || {};
  if (to === "conversation") {
    if (state.pane === "customer") history.back(); else walkTo("conversation");
    return;
  }
  if (state.back === "list") { history.back(); return; } // the list is the entry before this one
  const params = new URLSearchParams(location.search); // opened from a link: the list comes next
  params.delete("c");
  const query = params.toString();
  history.pushState({}, "", location.pathname + (query ? "?" + query : ""));
  walkTo("list");
}

function closeMenu() {
  const bar = $("topbar"), button = $("topbar-menu");
  if (!bar || !button) return;
  delete bar.dataset.menu;
  button.setAttribute("aria-expanded", "false");
}

function toggleMenu() {
  if ($("topbar").dataset.menu === "open") { closeMenu(); return; }
  $("topbar").dataset.menu = "open";
  $("topbar-menu").setAttribute("aria-expanded", "true");
}

export function wirePhone() {
  document.addEventListener("click", (e) => {
    const target = e.target;
    const backControl = target.closest(".pane-back");
    if (backControl) { back(backControl.dataset.paneBack); return; }
    if (target.closest("#topbar-menu")) { toggleMenu(); return; }
    if (!target.closest("#topbar")) closeMenu();
    if (target.closest("#customer-toggle") && PHONE.matches && document.body.dataset.pane !== "customer") {
      history.pushState({ pane: "customer" }, "", location.href);
      walkTo("customer");
    }
  });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && $("topbar").dataset.menu) closeMenu(); });
  window.addEventListener("popstate", () => {
    const state = history.state || {};
    if (state.pane === "customer") walkTo("customer");
    else if (!new URLSearchParams(location.search).has("c")) walkTo("list");
    else if ($("thread")) walkTo("conversation"); // another conversation: thread.js opens it, then shows it
  });
  PHONE.addEventListener("change", () => { if (!PHONE.matches) closeMenu(); });
  keepNewestInSight();
}

// The on-screen keyboard shrinks the page (desk.html's viewport asks for that): a history read to
// its newest message stays there, as a messaging app's does, instead of hiding it behind the keyboard.
function keepNewestInSight() {
  let atNewest = true;
  document.addEventListener("scroll", (e) => {
    if (e.target.id === "messages") atNewest = e.target.scrollHeight - e.target.scrollTop - e.target.clientHeight < 40;
  }, true);
  window.addEventListener("resize", () => {
    const list = $("messages");
    if (list && atNewest && PHONE.matches) list.scrollTop = list.scrollHeight;
  });
}
