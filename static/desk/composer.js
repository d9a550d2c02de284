/* The reply composer: saved replies ("/code"), Enter to send, typing announced, attachments by
 * drop or paste, emoji, and what the channel allows shown before the agent types. */
import { $, openId } from "./page.js";
import { markActive, send } from "./socket.js";

const EMOJI = "😀 😄 😁 😂 🙂 😉 😊 😍 🤔 😅 😢 🙏 👍 👎 👌 👏 🙌 👋 ✌️ 🤝 ❤️ 🔥 ✨ 🎉 ✅ ❌ ⚠️ ❓ 💡 📦 🚚 💳 📎 ⏰".split(" ");
let typingSentAt = 0;

export function newClientId() {
  const field = $("client-message-id");
  if (field) field.value = "desk-" + Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
}

// --- saved replies: "/code" in an empty composer offers them; Enter or Tab inserts one ---
function cannedMenu() { const menu = $("canned-menu"); return menu && !menu.hidden ? menu : null; }
function offerCanned(text) {
  const menu = $("canned-menu");
  if (!menu) return;
  if (!/^\/[\w-]*$/.test(text)) { menu.hidden = true; return; }
  htmx.ajax("GET", "/desk/canned/?q=" + encodeURIComponent(text), { source: "#canned-menu", target: "#canned-menu", swap: "innerHTML" }).then(() => {
    menu.hidden = !menu.querySelector("[data-content]");
  });
}
function moveCanned(step) {
  const items = Array.from(cannedMenu().querySelectorAll("[data-content]"));
  const at = items.findIndex((item) => item.getAttribute("aria-selected") === "true");
  items.forEach((item) => { item.removeAttribute("aria-selected"); });
  const next = items[(at + step + items.length) % items.length];
  if (next) next.setAttribute("aria-selected", "true");
}
function insertCanned(item) {
  $("reply-body").value = item.dataset.content;
  cannedMenu().hidden = true;
  $("reply-body").focus();
}

// A key pressed in the composer: Enter sends, Shift+Enter breaks the line, the saved-replies menu
// moves. Whether it was the composer's key (not a shortcut's).
export function composerKeydown(e) {
  const composer = e.target.id === "reply-body";
  const menu = composer && cannedMenu();
  if (menu && (e.key === "ArrowDown" || e.key === "ArrowUp")) { e.preventDefault(); moveCanned(e.key === "ArrowDown" ? 1 : -1); return true; }
  if (menu && (e.key === "Enter" || e.key === "Tab")) {
    const chosen = menu.querySelector("[aria-selected=true]");
    if (chosen) { e.preventDefault(); insertCanned(chosen); return true; }
  }
  if (menu && e.key === "Escape") { menu.hidden = true; return true; }
  if (composer && e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    if (!$("send").disabled && (e.target.value.trim() || $("reply-file").files.length)) $("composer").requestSubmit();
    return true;
  }
  if (composer && e.key === "Escape") { e.target.blur(); return true; }
  return false;
}

// --- attachments by drop or paste ---
function attach(files) {
  const input = $("reply-file");
  if (!input || !files || !files.length) return;
  const all = new DataTransfer();
  Array.from(input.files).concat(Array.from(files)).forEach((file) => { all.items.add(file); });
  input.files = all.files;
  $("file-name").textContent = all.files.length === 1 ? all.files[0].name : interpolate(ngettext("%s file", "%s files", all.files.length), [all.files.length]);
}

// --- what the channel allows, shown before the agent types: length, SMS segments, the window ---
const GSM7 = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-.\/0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà^{}\\\[~\]|€]*$/;
function smsSegments(text) {
  const gsm = GSM7.test(text);
  const length = text.length + (gsm ? (text.match(/[\^{}\\\[~\]|€]/g) || []).length : 0); // UCS-2 counts UTF-16 units
  const single = gsm ? 160 : 70, multi = gsm ? 153 : 67;
  return { length: length, segments: length <= single ? 1 : Math.ceil(length / multi), unicode: !gsm };
}
export function updateLimits() {
  const form = $("composer"), body = $("reply-body"), hint = $("length-hint");
  if (!form || !body || !hint) return;
  const note = $("private").checked, text = body.value, max = Number(form.dataset.maxLength);
  const closed = form.dataset.window === "closed" && !note;
  $("send").disabled = closed;
  body.placeholder = closed ? gettext("Only a private note can be written now") : gettext("Reply… (Enter sends, Shift+Enter for a new line, / for saved replies)");
  if (note || !text) { hint.textContent = ""; return; }
  if (form.dataset.sms === "on") {
    const sms = smsSegments(text);
    const fmt = sms.unicode ? ngettext("%(length)s characters · %(segments)s SMS (Unicode: 70 a segment)", "%(length)s characters · %(segments)s SMS (Unicode: 70 a segment)", sms.segments)
      : ngettext("%(length)s characters · %(segments)s SMS", "%(length)s characters · %(segments)s SMS", sms.segments);
    hint.textContent = interpolate(fmt, { length: sms.length, segments: sms.segments }, true);
  } else {
    hint.textContent = text.length > max * 0.8 ? text.length + " / " + max : "";
  }
  hint.classList.toggle("over", text.length > max);
}

export function wireComposer() {
  document.addEventListener("click", (e) => {
    const item = e.target.closest("#canned-menu [data-content]");
    if (item) insertCanned(item);
  });
  document.addEventListener("input", (e) => {
    markActive();
    if (e.target.id === "reply-body") offerCanned(e.target.value);
    if (e.target.id !== "reply-body" || Date.now() - typingSentAt < 3000) return;
    typingSentAt = Date.now();
    send({ type: "typing", conversation_id: openId(), typing: true, private: $("private").checked });
  });
  document.addEventListener("dragover", (e) => { if (e.target.closest && e.target.closest("#thread")) e.preventDefault(); });
  document.addEventListener("drop", (e) => {
    if (!e.target.closest || !e.target.closest("#thread")) return; // dropped anywhere on the thread: attached, never opened
    e.preventDefault();
    attach(e.dataTransfer.files);
  });
  document.addEventListener("paste", (e) => {
    if (e.target.id === "reply-body" && e.clipboardData && e.clipboardData.files.length) {
      e.preventDefault();
      attach(e.clipboardData.files);
    }
  });
  document.addEventListener("click", (e) => {
    const palette = $("emoji-palette");
    if (!palette) return;
    if (e.target.id === "emoji-open") {
      if (!palette.firstChild) EMOJI.forEach((emoji) => {
        const button = document.createElement("button");
        button.type = "button"; button.textContent = emoji; button.setAttribute("role", "menuitem");
        palette.appendChild(button);
      });
      palette.hidden = !palette.hidden;
      e.target.setAttribute("aria-expanded", String(!palette.hidden));
    } else if (e.target.parentNode === palette) {
      const body = $("reply-body"), at = body.selectionStart;
      body.setRangeText(e.target.textContent, at, body.selectionEnd, "end");
      palette.hidden = true;
      $("emoji-open").setAttribute("aria-expanded", "false");
      body.focus();
      updateLimits();
    }
  });
  document.addEventListener("input", (e) => { if (e.target.id === "reply-body") updateLimits(); });
  document.addEventListener("change", (e) => {
    if (e.target.id === "private") { $("composer").classList.toggle("note", e.target.checked); updateLimits(); }
    if (e.target.id === "reply-file") {
      const count = e.target.files.length;
      $("file-name").textContent = count === 0 ? gettext("Attach") : count === 1 ? e.target.files[0].name : interpolate(ngettext("%s file", "%s files", count), [count]);
    }
  });
}
