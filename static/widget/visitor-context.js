/* What the widget knows of its visitor, sent as `context` with every session call
 * (docs/protocol.md, "Visitor context"): the page they are on (the business's page, which the
 * loader hands the frame), their browser's language and their time zone. The agent sees it in
 * the customer panel. Made here as the server keeps it: a title of at most 200 characters in
 * well-formed text, a page only if it is an http(s) link of at most 2000; the server drops what
 * it cannot use, and never refuses a session for it.
 *
 * A business's own app can send the same: client.context = visitorContext({url, title}).
 */
const MAX_TITLE = 200;
const MAX_URL = 2000;
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function pageTitle(title) {
  const chars = Array.from(String(title || "").replace(CONTROL, " ").replace(/\s+/g, " ").trim());
  const cut = chars.length > MAX_TITLE ? chars.slice(0, MAX_TITLE - 1).concat("…") : chars;
  return cut.join("").replace(LONE_SURROGATE, "\ufffd");
}

function timeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    return ""; // no Intl: the panel shows no local time
  }
}

export function visitorContext(page) { // page: {url, title} of the business's page, if known
  const { url: pageUrl = "", title = "" } = page || {};
  const browser = globalThis.navigator || {};
  const context = {};
  if (browser.language) context.language = browser.language;
  const zone = timeZone();
  if (zone) context.time_zone = zone;
  const url = String(pageUrl || "");
  if (/^https?:\/\//i.test(url) && url.length <= MAX_URL) context.page_url = url;
  const shown = pageTitle(title);
  if (shown) context.page_title = shown;
  return context;
}
