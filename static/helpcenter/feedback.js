// "Was this helpful?" without leaving the page. Without JavaScript the same form posts and the
// page comes back with the thanks; here it is sent with fetch and the answer shown in place.
// Words come from the page, in its language.
const form = document.querySelector("form[data-feedback]");
const status = document.querySelector("[data-feedback-status]");
const FAILED = form?.dataset.failed || "Your answer could not be sent. Please try again.";

async function send(body) {
  let response;
  try {
    response = await fetch(form.action, {
      method: "POST",
      body,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
  } catch {
    return { ok: false, message: FAILED };
  }
  const answer = await response.json().catch(() => ({})); // a proxy's or a CSRF page is not JSON
  return response.ok && answer.message
    ? { ok: true, message: answer.message }
    : { ok: false, message: answer.detail || FAILED };
}

if (form && status) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = new FormData(form);
    if (event.submitter?.name) body.set(event.submitter.name, event.submitter.value);
    const buttons = [...form.querySelectorAll("button")];
    buttons.forEach((button) => { button.disabled = true; });
    const result = await send(body);
    status.textContent = result.message;
    if (result.ok) form.hidden = true;
    else buttons.forEach((button) => { button.disabled = false; });
  });
}
