/* The article editor (templates/desk/kb/editor.html): images uploaded and inserted as Markdown at
 * the cursor (the button, a paste or a drop), the body's length against the limit, Ctrl+S to save,
 * a confirm before archiving, a warning before leaving with unsaved changes, and focus on the
 * summary of a refused save. The live preview
 * is htmx alone (hx-trigger on the preview pane). */
const form = document.getElementById("article-form");
const body = document.getElementById("article-body");
const status = document.getElementById("image-status");
const count = document.getElementById("body-count");
let dirty = false, submitting = false;

function csrfToken() { return form.querySelector("[name=csrfmiddlewaretoken]").value; }

// Put `text` where the cursor was (replacing a selection), on lines of its own when it is a block.
function insertAtCursor(text) {
  const start = body.selectionStart, end = body.selectionEnd, before = body.value.slice(0, start);
  const lead = before && !before.endsWith("\n") ? "\n\n" : "";
  const after = body.value.slice(end);
  const trail = after && !after.startsWith("\n") ? "\n\n" : "";
  body.setRangeText(lead + text + trail, start, end, "end");
  body.focus();
  body.dispatchEvent(new Event("input", { bubbles: true })); // the preview and the count follow
}

function upload(file) {
  if (!file) return;
  status.textContent = interpolate(gettext("Uploading %s…"), [file.name]);
  status.classList.remove("error");
  const data = new FormData();
  data.append("file", file);
  fetch(form.dataset.imageUrl, { method: "POST", body: data, credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() } })
    .then((response) => response.json().catch(() => ({ detail: interpolate(gettext("The upload failed (%s)."), [response.status]) }))
      .then((answer) => ({ ok: response.ok, answer: answer })))
    .then(({ ok, answer }) => {
      if (!ok) throw new Error(answer.detail || gettext("The upload failed."));
      insertAtCursor(answer.markdown);
      status.textContent = interpolate(gettext("Inserted %s."), [file.name]);
    })
    .catch((error) => {
      status.textContent = error.message === "Failed to fetch" ? gettext("The upload failed: check your connection.") : error.message;
      status.classList.add("error");
    });
}

function showCount() {
  const max = Number(body.dataset.maxLength), length = body.value.length;
  const shown = { length: length.toLocaleString(), max: max.toLocaleString() };
  count.textContent = length > max * 0.8 ? interpolate(gettext("%(length)s / %(max)s characters"), shown, true) : "";
  count.classList.toggle("over", length > max);
}

document.getElementById("article-image").addEventListener("change", (e) => {
  upload(e.target.files[0]);
  e.target.value = "";
});
body.addEventListener("paste", (e) => {
  const image = Array.from(e.clipboardData ? e.clipboardData.files : []).find((file) => file.type.startsWith("image/"));
  if (image) { e.preventDefault(); upload(image); }
});
body.addEventListener("dragover", (e) => { e.preventDefault(); });
body.addEventListener("drop", (e) => {
  const image = Array.from(e.dataTransfer ? e.dataTransfer.files : []).find((file) => file.type.startsWith("image/"));
  if (!image) return;
  e.preventDefault();
  upload(image);
});
body.addEventListener("input", showCount);
form.addEventListener("input", () => { dirty = true; });
form.addEventListener("change", () => { dirty = true; });
form.addEventListener("submit", (e) => {
  const button = e.submitter;
  if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) { e.preventDefault(); return; }
  submitting = true;
});
document.addEventListener("keydown", (e) => { // Ctrl+S / Cmd+S: save as the first (save) button does
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s") {
    e.preventDefault();
    form.requestSubmit(form.querySelector("button[value=save]"));
  }
});
window.addEventListener("beforeunload", (e) => { if (dirty && !submitting) e.preventDefault(); });
showCount();
if (document.getElementById("form-errors")) document.getElementById("form-errors").focus(); // what was refused, and where
