/* The protocol client's HTTP calls beside the socket (docs/protocol.md): a file sent with its
 * message, a page's attribute calls, a conversation's transcript and the visitor's data export. Each carries the inbox's
 * public key and the session's resume token in its body, never in a URL. ProtocolClient
 * (protocol-client.js) decides what each answer means for its state. */

/* A promise of {ok, status, answer} for one file and its message (multipart), idempotent by
 * client_message_id like a socket send; rejected when Parley could not be reached. */
export function postFile(url, credentials, item) {
  const form = new FormData();
  form.append("public_key", credentials.public_key);
  form.append("resume_token", credentials.resume_token);
  form.append("client_message_id", item.client_message_id);
  form.append("conversation_id", item.conversation_id === null ? "" : String(item.conversation_id));
  form.append("body", item.body);
  form.append("file", item.file, item.file.name || "file");
  return fetch(url, { method: "POST", body: form, credentials: "omit" }).then((response) =>
    response.json().then((answer) => ({ ok: response.ok, status: response.status, answer: answer })));
}

/* A promise of the conversation's transcript, an HTML Blob to save; rejected with the server's
 * words (and its code) when it is refused. */
export function fetchTranscript(server, credentials, conversationId) {
  return fetch(server + "/widget/api/v1/conversations/" + conversationId + "/transcript", { method: "POST",
    headers: { "Content-Type": "application/json" }, credentials: "omit", body: JSON.stringify(credentials),
  }).then((response) => (response.ok ? response.blob() : response.json().then((answer) => {
    throw Object.assign(new Error(answer.detail || answer.error), { code: answer.error });
  })));
}

/* A promise of everything the business holds about the (identified) visitor, a ZIP Blob to save
 * (docs/protocol.md, "Exporting your data"); rejected with the server's words and code. */
export function fetchContactExport(server, credentials) {
  return fetch(server + "/widget/api/v1/export", { method: "POST",
    headers: { "Content-Type": "application/json" }, credentials: "omit", body: JSON.stringify(credentials),
  }).then((response) => (response.ok ? response.blob() : response.json().then((answer) => {
    throw Object.assign(new Error(answer.detail || answer.error), { code: answer.error });
  })));
}

/* setAttributes() calls, stored by the server one at a time in order once a session exists (a
 * page's bad call is refused alone, said on the console: it is the page's mistake); a call that
 * did not arrive goes again with send() after the next session. At most 50 wait. */
export class AttributeCalls {
  #calls = [];
  #sending = false;

  constructor({ url, credentials, onStored }) {
    this.url = url;
    this.credentials = credentials; // () -> {public_key, resume_token}
    this.onStored = onStored; // (answer) once a call is stored
  }

  add(attributes) {
    if (this.#calls.length < 50) this.#calls.push(attributes);
    this.send();
  }

  send() {
    const credentials = this.credentials();
    if (this.#sending || !credentials.resume_token || !this.#calls.length) return;
    this.#sending = true;
    fetch(this.url, { method: "POST", headers: { "Content-Type": "application/json" }, credentials: "omit",
      body: JSON.stringify(Object.assign({ attributes: this.#calls[0] }, credentials)),
    }).then((response) => response.json().then((answer) => {
      this.#sending = false;
      if (response.status >= 500 || response.status === 401) return;
      this.#calls.shift();
      if (response.ok) this.onStored(answer);
      else if (globalThis.console) console.warn("Parley.setAttributes:", answer.detail);
      this.send();
    })).catch(() => { this.#sending = false; });
  }
}
