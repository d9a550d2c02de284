// The customer simulator's page: pick an inbox and a customer, send as them, and poll the phone's
// thread (what they sent, and the replies the fake provider accepted for them, or for an email
// customer the mails the simulator's SMTP server took). No build step.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const inboxes = JSON.parse($("simulator-inboxes").textContent);
  const root = document.querySelector(".simulator");
  const composer = $("composer");
  const csrfToken = composer.querySelector("[name=csrfmiddlewaretoken]").value;
  const POLL_MS = 1000;
  const NAMES = ["Alex Morgan", "Priya Patel", "Kenji Sato", "Fatima Zahra", "Lucas Martin", "Amara Obi", "Sofia Rossi"];
  const digits = (count) => Array.from({ length: count }, () => Math.floor(Math.random() * 10)).join("");
  const NEW_CUSTOMER_ID = {
    sms: () => "+1415555" + digits(4),
    whatsapp: () => "55119" + digits(8),
    messenger: () => "7" + digits(15),
    telegram: () => String(1 + Math.floor(Math.random() * 9)) + digits(8),
    email: () => "customer" + digits(4) + "@example.net",
  };
  // Outbound ticks as the provider reports them; the customer's own messages say whether Parley took them.
  const STATUS = {
    queued: ["🕓", "queued at the provider"],
    accepted: ["🕓", "accepted by the provider"],
    sent: ["✓", "sent"],
    delivered: ["✓✓", "delivered (the provider's status callback)"],
    read: ["✓✓", "delivered and read (this phone's receipts)"],
    unreported: ["✓", "sent; Parley refused this phone's receipt"],
    received: ["✓", "received in this customer's mailbox (the simulator's SMTP server)"],
    stored: ["✓", "Parley verified and stored the webhook"],
    refused: ["⚠", "Parley refused the webhook"],
  };
  let inbox = null;
  let shown = "";
  let sending = false;

  if (!inboxes.length) {
    composer.hidden = true;
    return;
  }

  // Each inbox remembers its customer in this browser, so switching channels keeps them.
  const storageKey = () => "parley-simulator:" + inbox.key;
  const customer = () => ({ customer: $("customer").value.trim(), name: $("name").value.trim() });
  const remember = () => localStorage.setItem(storageKey(), JSON.stringify(customer()));
  const remembered = () => {
    try {
      return JSON.parse(localStorage.getItem(storageKey()) || "null");
    } catch {
      return null;
    }
  };

  function choose(key) {
    inbox = inboxes.find((candidate) => candidate.key === key) || inboxes[0];
    const person = remembered() || { customer: inbox.default_id, name: inbox.default_name };
    $("id-label").textContent = inbox.id_label;
    $("customer").value = person.customer;
    $("name").value = person.name;
    $("name-field").hidden = !inbox.asks_name;
    $("business").textContent = inbox.name;
    // A mail has a subject and no photo button; the other channels the reverse.
    $("subject").hidden = inbox.channel !== "email";
    $("photo").hidden = inbox.channel === "email";
    $("via").textContent = inbox.label;
    document.body.dataset.channel = inbox.channel;
    refresh(true);
  }

  function newCustomer() {
    $("customer").value = NEW_CUSTOMER_ID[inbox.channel]();
    $("name").value = NAMES[Math.floor(Math.random() * NAMES.length)];
    remember();
    refresh(true);
  }

  function problem(text) {
    $("problem").textContent = text || "";
    $("problem").hidden = !text;
  }

  async function refresh(reset) {
    if (reset) {
      shown = "";
      $("thread").replaceChildren();
    }
    const query = new URLSearchParams({ inbox: inbox.key, customer: customer().customer });
    let text;
    try {
      const response = await fetch(root.dataset.messagesUrl + "?" + query, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      text = await response.text();
    } catch {
      return; // the server restarts: the next poll catches up
    }
    if (text === shown) return;
    shown = text;
    const thread = $("thread");
    thread.replaceChildren(...JSON.parse(text).messages.map(bubble));
    thread.scrollTop = thread.scrollHeight;
  }

  function bubble(message) {
    const item = document.createElement("li");
    item.className = `bubble ${message.direction} ${message.status}`;
    if (message.subject) {
      const subject = document.createElement("strong");
      subject.className = "subject";
      subject.textContent = message.subject;
      item.append(subject);
    }
    if (message.photo) {
      const image = new Image();
      image.src = message.photo;
      image.alt = "The photo you sent";
      item.append(image);
    }
    if (message.body) {
      const body = document.createElement("p");
      body.textContent = message.body;
      item.append(body);
    }
    for (const url of message.links || []) {
      const link = document.createElement("a");
      link.href = url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = "📎 Attachment";
      item.append(link);
    }
    if (message.files > (message.links || []).length) item.append(document.createTextNode("📎 A file"));
    if (message.buttons && message.buttons.length) item.append(buttons(message));
    item.append(footer(message));
    return item;
  }

  // The reply's buttons as the provider shows them (reply buttons, quick replies, an inline
  // keyboard); a tap posts that provider's own tap webhook.
  function buttons(message) {
    const row = document.createElement("div");
    row.className = "buttons";
    for (const offered of message.buttons) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = offered.title;
      button.addEventListener("click", () => post(root.dataset.tapUrl, { reply: message.id, button: offered.id }));
      row.append(button);
    }
    return row;
  }

  function footer(message) {
    const [tick, meaning] = STATUS[message.status] || ["", message.status];
    const meta = document.createElement("small");
    const time = new Date(message.at * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    const mark = document.createElement("span");
    mark.textContent = tick;
    if (message.status === "read") mark.className = "read";
    meta.append(time + " ", mark);
    meta.title = message.detail ? `${meaning}: ${message.detail}` : meaning;
    return meta;
  }

  function send(withPhoto) {
    const fields = { text: $("text").value, ...(withPhoto ? { photo: "1" } : {}) };
    if (inbox.channel === "email") fields.subject = $("subject").value;
    post(root.dataset.sendUrl, fields).then((sent) => {
      if (!sent) return;
      $("text").value = "";
      $("subject").value = "";
    });
  }

  // Posts as this customer; true once the simulator has the message (Parley may still refuse it).
  async function post(url, fields) {
    if (sending) return false;
    const form = new FormData();
    const person = customer();
    form.set("inbox", inbox.key);
    form.set("customer", person.customer);
    form.set("name", person.name);
    for (const [name, value] of Object.entries(fields)) form.set(name, value);
    sending = true;
    try {
      const response = await fetch(url, { method: "POST", body: form, headers: { "X-CSRFToken": csrfToken } });
      const answer = await response.json().catch(() => ({ error: `The simulator answered ${response.status}.` }));
      if (response.status === 400 || !answer.message) {
        problem(answer.error);
        return false;
      }
      problem(answer.message.detail);
      remember();
      refresh();
      return true;
    } catch {
      problem("Parley is not answering: is make run still running?");
      return false;
    } finally {
      sending = false;
    }
  }

  $("identity").addEventListener("change", (event) => {
    if (event.target.name === "inbox") choose(event.target.value);
    else {
      remember();
      refresh(true);
    }
  });
  $("new-customer").addEventListener("click", newCustomer);
  $("photo").addEventListener("click", () => send(true));
  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    send(false);
  });
  setInterval(() => document.hidden || refresh(), POLL_MS);
  choose(document.querySelector("#identity [name=inbox]:checked").value);
})();
