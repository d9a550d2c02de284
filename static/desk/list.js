/* The list of conversations: its refreshes, the open row, the unread count in the title, bulk
 * actions on ticked rows, saved views; and the agent's own status in the top bar. */
import { $, openId } from "./page.js";

let listTimer = null;

export function refreshList() { // debounced: a burst of events is one fetch
  clearTimeout(listTimer);
  listTimer = setTimeout(() => { htmx.trigger("#filters", "refresh"); }, 250);
}

export function refreshMe() { htmx.ajax("GET", "/desk/me/", { source: ".topbar", target: "#me", swap: "outerHTML" }); }

export function highlightRow() {
  document.querySelectorAll("#list .row").forEach((row) => {
    const on = Number(row.dataset.conversationId) === openId();
    row.classList.toggle("selected", on);
    if (on) row.setAttribute("aria-current", "true"); else row.removeAttribute("aria-current");
  });
}

export function updateTitle() {
  let total = 0;
  document.querySelectorAll("#list .unread-count").forEach((el) => { total += Number(el.textContent) || 0; });
  document.title = (total ? "(" + total + ") " : "") + gettext("Parley desk");
}

// --- bulk actions on ticked rows ---
export function updateBulk() {
  const ticked = document.querySelectorAll("#list .pick:checked").length;
  $("bulk").hidden = ticked === 0;
  $("bulk-count").textContent = interpolate(ngettext("%s selected", "%s selected", ticked), [ticked]);
}

// --- saved views: a named query string of the filters form ---
function applyQuery(query) {
  const params = new URLSearchParams(query), form = $("filters");
  Array.from(form.elements).forEach((field) => {
    if (!field.name) return;
    const value = params.get(field.name);
    if (field.type === "radio") field.checked = field.value === (value || "mine");
    else field.value = value || (field.tagName === "SELECT" ? field.options[0].value : "");
  });
  htmx.trigger(form, "refresh");
}

export function wireList() {
  document.addEventListener("change", (e) => { if (e.target.classList.contains("pick")) updateBulk(); });
  document.body.addEventListener("parley:bulk", () => { htmx.trigger("#filters", "refresh"); });
  document.addEventListener("change", (e) => {
    if (e.target.id !== "saved-view") return;
    $("delete-view").hidden = !e.target.value;
    if (e.target.value) applyQuery(e.target.value);
  });
  document.addEventListener("click", (e) => {
    if (e.target.id === "save-view") {
      const name = prompt(gettext("Name this view"));
      if (!name) return;
      const values = Object.fromEntries(new FormData($("filters")));
      values.name = name;
      htmx.ajax("POST", "/desk/filters/", { source: "#saved", values: values, target: "#saved", swap: "outerHTML" });
    } else if (e.target.id === "delete-view") {
      const chosen = $("saved-view").selectedOptions[0];
      if (chosen && chosen.dataset.id) htmx.ajax("POST", "/desk/filters/" + chosen.dataset.id + "/delete/", { source: "#saved", target: "#saved", swap: "outerHTML" });
    }
  });
}
