/* The conversation's transcript, from the "Transcript" button of the thread's bar, in any
 * conversation: downloaded as a file, or emailed to the visitor's own address (transcript.request).
 * The end of a live chat opens it unasked. A visitor the business identified also finds there a
 * button that downloads everything held about them (POST /widget/api/v1/export, a ZIP).
 *
 * The download is the server's HTML document (every public message, never a private note),
 * fetched with the resume token in the request's body and saved from a blob: a link would carry
 * the token in its URL, into the logs and the browser history of the business's site. */
import { $, el } from "./dom.js";

export function createTranscript(ui, panel) {
  const { t, client } = ui;
  let chosen = null; // the visitor opened (true) or closed (false) the card here; null: as offered
  let shownFor = null; // the conversation the card was last drawn for
  let sent = null; // {conversation, email}: the last transcript asked for by email

  function render(c, offered) { // offered: a live chat of `c` ended
    if (!c || c.id !== shownFor) chosen = null;
    shownFor = c ? c.id : null;
    const shown = !!c && (chosen === null ? offered : chosen);
    $("transcript-toggle").hidden = !c;
    $("transcript-toggle").setAttribute("aria-expanded", String(shown));
    $("transcript-card").hidden = !shown;
    const contact = client.contact;
    if (shown && !$("transcript-email").value && contact && contact.email) $("transcript-email").value = contact.email;
    $("transcript-done").textContent = shown && sent && sent.conversation === c.id
      ? t.transcriptSent.replace("{email}", sent.email) : "";
    if (!shown) $("transcript-error").textContent = "";
    $("export-download").hidden = !client.identified; // only a visitor the page proved (docs/privacy.md)
  }

  function download() {
    const id = ui.view, button = $("transcript-download");
    if (typeof id !== "number") return;
    button.disabled = true;
    $("transcript-error").textContent = "";
    client.transcript(id).then((blob) => { save(blob, "conversation-" + id + ".html"); },
      (error) => { $("transcript-error").textContent = error.code ? error.message : t.downloadFailed; })
      .then(() => { button.disabled = false; });
  }

  function exportData() { // everything held about the identified visitor, as a ZIP
    const button = $("export-download");
    button.disabled = true;
    $("transcript-error").textContent = "";
    client.exportData().then((blob) => { save(blob, "my-data.zip"); },
      (error) => { $("transcript-error").textContent = error.code ? error.message : t.exportFailed; })
      .then(() => { button.disabled = false; });
  }

  function save(blob, name) { // a download from memory: nothing of it goes back to any server
    const link = el("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => { URL.revokeObjectURL(link.href); }, 60000);
  }

  $("transcript-toggle-label").textContent = t.transcriptButton;
  $("transcript-title").textContent = t.transcriptTitle;
  $("transcript-download").textContent = t.download;
  $("transcript-label").textContent = t.transcript;
  $("transcript-email").placeholder = t.email;
  $("transcript-send").textContent = t.send;
  $("transcript-toggle").addEventListener("click", () => {
    chosen = $("transcript-card").hidden;
    panel.render();
    if (chosen) $("transcript-download").focus();
  });
  $("transcript-download").addEventListener("click", download);
  $("export-download").textContent = t.exportButton;
  $("export-download").addEventListener("click", exportData);
  $("transcript").addEventListener("submit", (event) => {
    event.preventDefault();
    const id = ui.view;
    $("transcript-error").textContent = "";
    client.requestTranscript(id, $("transcript-email").value.trim()).then(
      (answer) => { sent = { conversation: id, email: answer.email }; panel.render(); },
      (error) => { $("transcript-error").textContent = error.code ? error.message : t.offline; });
  });
  client.on("session.ended", () => { sent = null; }); // a new chat ended: its transcript may be asked for

  return { render };
}
