/* What the visitor writes and sends: the composer (text, files by picker, paste or drop, emoji),
 * the pre-chat questions, "notify me", and a live chat's end (its transcript: transcript.js).
 * Every message goes through the protocol client's queue. */
import { $, el } from "./dom.js";
import { clearRefusal, sayRefusal } from "./refusals.js";

const MAX_FILE_BYTES = 10 * 1024 * 1024;
const MAX_TEXT = 20000; // characters, as the server counts them (conversations/services/content.py)
const EMOJI = "😀 😃 😄 😁 😅 😂 🙂 😉 😊 😍 😘 😎 🤔 😐 😕 😢 😭 😡 😮 😴 🙄 🤗 🙏 👍 👎 👌 👏 🙌 💪 👋 ✌️ 🤝 ❤️ 💔 🔥 ✨ 🎉 🎁 ✅ ❌ ⚠️ ❓ 💡 📦 🚚 💳 📎 ⏰".split(" ");

export function createComposer(ui, panel) {
  const { page, t, client } = ui;

  function newItem(fields) {
    client.queue(Object.assign({ conversation_id: ui.view === "new" ? null : ui.view }, fields));
    panel.render();
  }

  function compose(body) {
    body = body.trim();
    if (!body) return false;
    const length = Array.from(body).length;
    if (length > MAX_TEXT) { // refused here, kept in the composer: a maxlength would cut a paste silently
      sayRefusal(t.tooLong.replace("{n}", length.toLocaleString(document.documentElement.lang)));
      return false;
    }
    if (panel.prechatAsked()) return askPrechat(body);
    newItem({ body: body });
    sendTyping(false);
    return true;
  }

  function askPrechat(body) {
    const fields = {};
    page.prechat.forEach((field) => { fields[field] = $("prechat-" + field).value.trim(); });
    const missing = page.prechat.filter((field) => !fields[field]);
    if (missing.length) { // said, not only focused: nothing typed is lost
      $("prechat-error").textContent = t.prechatMissing.replace("{field}", t[missing[0]]);
      $("prechat-" + missing[0]).focus();
      return false;
    }
    Object.assign(client.user, fields);
    client.openSession().then(() => {
      $("prechat-error").textContent = "";
      newItem({ body: body });
    }, (error) => {
      $("prechat-error").textContent = error.detail || error.message;
      if (!$("composer").value) $("composer").value = body; // nothing typed is lost
    });
    $("composer").value = "";
    return false;
  }

  function attachFiles(files) {
    Array.prototype.forEach.call(files || [], (file) => {
      const tooBig = file.size > MAX_FILE_BYTES;
      newItem(tooBig ? { file: file, failed: t.tooBig } : { file: file });
      if (tooBig) sayRefusal(t.failed + ": " + file.name + ": " + t.tooBig);
    });
  }

  function sendTyping(on) {
    if (typeof ui.view !== "number") return;
    client.typing(ui.view, on);
  }

  function toggleEmoji(open) {
    const picker = $("emoji-picker");
    if (open && !picker.firstChild) {
      EMOJI.forEach((emoji) => {
        const button = el("button", "", emoji);
        button.type = "button";
        button.setAttribute("role", "menuitem");
        button.addEventListener("click", () => { insertText(emoji); toggleEmoji(false); });
        picker.appendChild(button);
      });
    }
    picker.hidden = !open;
    $("emoji").setAttribute("aria-expanded", String(open));
    if (open) picker.firstChild.focus();
  }

  function insertText(text) {
    const box = $("composer"), at = box.selectionStart || box.value.length;
    box.value = box.value.slice(0, at) + text + box.value.slice(box.selectionEnd || at);
    box.focus();
    box.selectionStart = box.selectionEnd = at + text.length;
  }

  // --- labels ---
  $("send").textContent = t.send;
  $("composer").placeholder = t.compose;
  document.querySelector("label[for=composer]").textContent = t.compose;
  $("notify-label").textContent = t.notify;
  $("notify-email").placeholder = t.reach;
  $("prechat-intro").textContent = t.prechat;
  ["name", "email"].forEach((field) => {
    $("prechat-" + field + "-field").hidden = page.prechat.indexOf(field) < 0;
    $("prechat-" + field + "-field").querySelector("span").textContent = t[field];
    $("prechat-" + field).required = page.prechat.indexOf(field) >= 0;
  });
  $("notify-save").textContent = t.save;
  $("end-chat").textContent = t.endChat;
  $("emoji").setAttribute("aria-label", t.emoji);
  $("emoji").title = t.emoji;
  $("attach").setAttribute("aria-label", t.attach);
  $("attach").title = t.attach;

  // --- live chat: end it ---
  $("end-chat").addEventListener("click", () => {
    if (typeof ui.view !== "number") return;
    client.endSession(ui.view).then(clearRefusal,
      (error) => sayRefusal(error.code ? error.message : t.endOffline)); // refused, or offline
  });
  $("notify").addEventListener("submit", (event) => { // "notify me": the session call records it
    event.preventDefault();
    const reach = $("notify-email").value.trim(), field = reach.indexOf("@") >= 0 ? "email" : "phone";
    delete client.user.email; delete client.user.phone;
    client.user[field] = reach; // an email or a phone number: the server checks either
    client.openSession().then(() => { $("notify-error").textContent = ""; panel.render(); }, (error) => {
      delete client.user[field];
      $("notify-error").textContent = error.detail || error.message;
    });
  });

  // --- the composer ---
  $("compose").addEventListener("submit", (event) => {
    event.preventDefault();
    if (compose($("composer").value)) $("composer").value = "";
  });
  $("composer").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("compose").requestSubmit();
    }
  });
  $("composer").addEventListener("input", () => { sendTyping($("composer").value.trim() !== ""); });
  $("emoji").addEventListener("click", () => { toggleEmoji($("emoji-picker").hidden); });
  $("emoji-picker").addEventListener("keydown", (event) => {
    if (event.key === "Escape") { event.stopPropagation(); toggleEmoji(false); $("emoji").focus(); }
  });
  $("attach").addEventListener("click", () => { $("file").click(); });
  $("file").addEventListener("change", () => { attachFiles($("file").files); $("file").value = ""; });
  $("composer").addEventListener("paste", (event) => {
    const files = event.clipboardData && event.clipboardData.files;
    if (files && files.length) { event.preventDefault(); attachFiles(files); }
  });
  $("thread").addEventListener("dragover", (event) => { event.preventDefault(); $("thread").classList.add("dropping"); });
  $("thread").addEventListener("dragleave", () => { $("thread").classList.remove("dropping"); });
  $("thread").addEventListener("drop", (event) => {
    event.preventDefault();
    $("thread").classList.remove("dropping");
    attachFiles(event.dataTransfer && event.dataTransfer.files);
  });

  return { send: compose }; // text sent from elsewhere (a bot's offered reply) takes the same path
}
