/* Refusals, shown where the agent acted. A desk action the server refuses answers 422 with a
 * sentence that says what to do (desk/view_helpers.py refused()); htmx swaps nothing for a 4xx, so
 * without this module the agent pressed Send and saw nothing. The sentence goes into the refusal
 * region nearest the element that acted: the first `.refusal` (role=alert, announced) that is a
 * direct child of it or of one of its ancestors (the composer's, a menu's, the bulk bar's, the
 * customer panel's), or the page's #desk-error. Nothing is swapped, so what the agent typed stays.
 * A refusal is an answer, not a failure of the page: it is not logged as an error. */
import { $ } from "./page.js";

const UNREACHABLE = gettext("Parley could not be reached: check your connection, then try again.");

export function refusalRegion(element) {
  for (let at = element; at && at !== document.body; at = at.parentElement) {
    const region = at.querySelector(":scope > .refusal");
    if (region) return region;
  }
  return $("desk-error");
}

export function showRefusal(element, text) {
  refusalRegion(element).textContent = text; // emptied when the attempt left: announced each time
}

function actor(detail) { return (detail.requestConfig && detail.requestConfig.elt) || detail.elt; }

function changes(detail) { return detail.requestConfig && detail.requestConfig.verb !== "get"; }

function failed(detail) { // a status that is not a refusal (a 403, a 404, a 500): still said, with what to do
  return interpolate(gettext("That did not work (%s): reload the desk and try again."), [detail.xhr.status]);
}

export function wireRefusals() {
  document.body.addEventListener("htmx:beforeRequest", (e) => { // a new attempt: the old answer goes
    if (changes(e.detail)) refusalRegion(actor(e.detail)).textContent = "";
  });
  document.body.addEventListener("htmx:beforeSwap", (e) => {
    if (e.detail.xhr.status !== 422) return;
    e.detail.shouldSwap = false;
    e.detail.isError = false;
    showRefusal(actor(e.detail), e.detail.xhr.responseText.trim());
  });
  document.body.addEventListener("htmx:responseError", (e) => {
    if (changes(e.detail)) showRefusal(actor(e.detail), failed(e.detail));
  });
  document.body.addEventListener("htmx:sendError", (e) => {
    if (changes(e.detail)) showRefusal(actor(e.detail), UNREACHABLE);
  });
}
