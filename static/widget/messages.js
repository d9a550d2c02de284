/* One message as the visitor sees it, and the lightbox its images open in. The DOM is built with
 * textContent only: nothing a message says is parsed as HTML. */
import { $, el } from "./dom.js";

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;

function linkified(text) {
  const fragment = document.createDocumentFragment();
  let at = 0, match;
  URL_PATTERN.lastIndex = 0;
  while ((match = URL_PATTERN.exec(text))) {
    fragment.appendChild(document.createTextNode(text.slice(at, match.index)));
    const link = el("a", "", match[0]);
    link.href = match[0];
    link.target = "_blank";
    link.rel = "noopener noreferrer nofollow";
    fragment.appendChild(link);
    at = match.index + match[0].length;
  }
  fragment.appendChild(document.createTextNode(text.slice(at)));
  return fragment;
}

export function time(iso) {
  const date = new Date(iso);
  return isNaN(date) ? "" : date.toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" });
}

function statusOf(m) { return m.delivery_status === "read" ? "read" : m.delivery_status || "sent"; }

// A held message, or (pending) a queued one: the visitor's own, or an agent's with their name
// (Parley's own, such as a survey's question, under the inbox's name). `seen`: it is the visitor's
// latest message an agent has read, the one that says "Seen".
export function messageItem(m, pending, t, inboxName, seen = false) {
  const mine = m.sender ? m.sender.kind === "contact" : true;
  const item = el("li", "message " + (mine ? "mine" : "theirs"));
  item.dataset.seq = pending ? "" : String(m.seq);
  item.dataset.status = pending ? (m.failed ? "failed" : "pending") : mine ? statusOf(m) : m.delivery_status;
  if (!mine) {
    const who = el("span", "sender");
    if (m.sender.avatar_url && /^https:\/\//.test(m.sender.avatar_url)) {
      const avatar = el("img", "avatar");
      avatar.src = m.sender.avatar_url;
      avatar.alt = "";
      who.appendChild(avatar);
    }
    const named = { bot: t.bot, system: inboxName || t.someone };
    who.appendChild(document.createTextNode(m.sender.name || named[m.sender.kind] || t.someone));
    item.appendChild(who);
  }
  if (m.body) {
    const body = el("div", "body");
    body.appendChild(linkified(m.body));
    item.appendChild(body);
  }
  const files = pending && m.file
    ? [{ url: m.preview || (m.preview = URL.createObjectURL(m.file)), mime_type: m.file.type, name: m.file.name }]
    : m.attachments || [];
  files.forEach((file) => {
    if (!/^(\/|https?:|blob:)/.test(file.url)) return; // a path of ours, a provider's URL, a local preview
    const link = el("a", "attachment");
    link.href = file.url; link.target = "_blank"; link.rel = "noopener noreferrer";
    if (/^image\//.test(file.mime_type)) {
      const img = el("img"); img.src = file.url; img.alt = file.name || ""; link.appendChild(img);
      link.addEventListener("click", (event) => { event.preventDefault(); showImage(file.url, file.name); });
    } else link.textContent = "📄 " + (file.name || "file") + (file.size ? " (" + Math.ceil(file.size / 1024) + " KB)" : "");
    item.appendChild(link);
  });
  const meta = pending ? (m.failed ? t.failed + ": " + m.failed : t.pending)
    : time(m.created_at) + (seen ? " · " + t.read : "");
  item.appendChild(el("span", "meta", meta));
  return item;
}

// --- the lightbox ---
function showImage(url, name) {
  $("lightbox-image").src = url;
  $("lightbox-image").alt = name || "";
  $("lightbox").hidden = false;
  $("lightbox-close").focus();
}

export function hideImage() { // whether there was one to hide
  if ($("lightbox").hidden) return false;
  $("lightbox").hidden = true;
  $("lightbox-image").removeAttribute("src");
  $("composer").focus();
  return true;
}

export function wireLightbox(t) {
  $("lightbox-close").setAttribute("aria-label", t.closeImage);
  $("lightbox-close").addEventListener("click", hideImage);
  $("lightbox").addEventListener("click", (event) => { if (event.target === $("lightbox")) hideImage(); });
}
