/* What the visitor sees, drawn again from the protocol client's state on every change: the
 * launcher's badge, the list of conversations, the open thread with its live-chat line, the
 * bot's offered replies and the satisfaction survey (survey.js); and where they are (`ui.view`: null for home, a conversation id, or
 * "new"; `ui.article`: the id of the help article read over that view, or null). */
import { offeredReplies, replyButtons } from "./actions.js";
import { $, el } from "./dom.js";
import { messageItem, time } from "./messages.js";
import { ratingButtons, surveyOf } from "./survey.js";

export function createPanel(ui) {
  const { page, t, client } = ui;
  let agentTyping = null, typingTimer = null, unreadReported = -1;

  function messagesInOrder(c) {
    return Array.from(c.messages.values()).sort((a, b) => a.seq - b.seq);
  }

  function unreadOf(c) {
    let count = 0;
    c.messages.forEach((m) => { if (m.sender.kind !== "contact" && m.seq > c.read_seq) count += 1; });
    return count || (!c.loaded && c.last_seq > c.read_seq ? 1 : 0);
  }

  // Outside business hours, until the opening the server announced (docs/protocol.md, availability).
  function away() {
    const hours = page.availability || {};
    return hours.open_now === false && !(Date.parse(hours.next_open_at) <= Date.now());
  }

  function subtitle() {
    const hours = page.availability || {};
    if (page.online) return t.online;
    if (!away()) return { hours: t.repliesHours, day: t.repliesDay }[hours.reply_time] || t.replies;
    if (!hours.next_open_at) return t.away;
    const at = new Date(hours.next_open_at), options = { weekday: "long", hour: "numeric", minute: "2-digit" };
    if (at - Date.now() > 6 * 86400000) { options.day = "numeric"; options.month = "long"; }
    // The visitor's own language and time zone: the business's zone means nothing to them.
    const when = new Intl.DateTimeFormat(ui.translated ? navigator.language : "en", options).format(at);
    return t.backAt.replace("{when}", when);
  }

  function prechatAsked() { // live inboxes may ask who the visitor is before their first message
    return ui.view === "new" && client.conversations.size === 0 && page.prechat.some((field) =>
      !(client.contact && client.contact[field]));
  }

  function render() {
    document.body.classList.toggle("open", ui.isOpen);
    $("panel").hidden = !ui.isOpen;
    const inThread = ui.view !== null, reading = ui.article !== null;
    $("panel").dataset.view = reading ? "article" : inThread ? "thread" : "home";
    $("home").hidden = inThread || reading;
    $("thread").hidden = !inThread || reading;
    $("reader").hidden = !reading;
    $("back").hidden = !inThread && !reading;
    $("back").setAttribute("aria-label", reading ? t.backFromArticle : t.back);
    $("subtitle").textContent = subtitle();
    if (inThread) renderThread(); else renderHome();
    let total = 0;
    client.conversations.forEach((c) => { if (!(ui.isOpen && ui.view === c.id)) total += unreadOf(c); });
    $("badge").hidden = total === 0;
    $("badge").textContent = total > 99 ? "99+" : String(total);
    if (total !== unreadReported) {
      unreadReported = total;
      parent.postMessage({ parley: "unread", count: total }, "*");
    }
  }

  function renderHome() {
    const list = $("conversations");
    list.replaceChildren();
    client.sortedConversations().forEach((c) => {
      const last = messagesInOrder(c).pop();
      const item = el("li", "conversation");
      const button = el("button");
      button.type = "button";
      button.appendChild(el("span", "preview", last ? last.body || "📎" : t.loading));
      button.appendChild(el("span", "when", c.activity ? time(c.activity) : ""));
      const unread = unreadOf(c);
      if (unread) button.appendChild(el("span", "unread", String(unread)));
      button.addEventListener("click", () => { ui.navigated = true; show(c.id); });
      item.appendChild(button);
      list.appendChild(item);
    });
    if (ui.isOpen && ui.article === null && ui.help) ui.help.showHome();
  }

  function renderThread() {
    const list = $("messages");
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
    const c = typeof ui.view === "number" ? client.conversation(ui.view) : null;
    const items = [];
    let survey = null;
    if (c) {
      const notices = c.notices.slice();
      const notice = () => el("li", "day", t.joined.replace("{name}", notices.shift().name));
      const ordered = messagesInOrder(c);
      const waiting = Array.from(client.unacked.values()).some((item) => item.conversation_id === c.id);
      const offer = offeredReplies(ordered, waiting);
      survey = surveyOf(ordered, waiting);
      const seen = ordered.filter((m) => m.sender.kind === "contact" && m.delivery_status === "read").pop();
      ordered.forEach((m) => {
        while (notices.length && notices[0].seq < m.seq) items.push(notice());
        const item = messageItem(m, false, t, page.name, m === seen);
        if (offer && offer.message === m) item.appendChild(replyButtons(offer, t, ui.reply));
        if (survey && survey.question === m) item.appendChild(ratingButtons(survey, t, ui.reply));
        items.push(item);
        if (survey && survey.thanksAfter === m) items.push(el("li", "day", t.surveyThanks));
      });
      while (notices.length) items.push(notice());
    }
    if (ui.surveyComment) ui.surveyComment.render(survey);
    client.unacked.forEach((item) => {
      if (item.conversation_id === (c ? c.id : null)) items.push(messageItem(item, true, t, page.name));
    });
    if (!items.length) items.push(el("li", "day", c && !c.loaded ? t.loading : t.empty));
    if (c && c.status === "resolved") items.push(el("li", "day", page.mode === "live" ? t.endedLive : t.ended));
    list.replaceChildren(...items);
    renderSession(c);
    $("prechat").hidden = !prechatAsked();
    const wrote = c && messagesInOrder(c).some((m) => m.sender.kind === "contact");
    const reachLater = page.mode === "messaging" || (away() && !page.online); // live, outside hours
    const contact = client.contact;
    $("notify").hidden = !(reachLater && wrote && contact && !contact.email && !contact.phone && !client.user.phone);
    const typing = agentTyping && c && agentTyping.conversation === c.id;
    $("typing").hidden = !typing;
    $("typing").textContent = typing ? t.typing.replace("{name}", agentTyping.name) : "";
    if (atBottom || list.dataset.conversation !== String(ui.view)) list.scrollTop = list.scrollHeight;
    list.dataset.conversation = String(ui.view);
  }

  // The thread's bar: on live inboxes the session's queue place, its end and why; in every
  // conversation the transcript (transcript.js), offered unasked when a live chat ended.
  function renderSession(c) {
    const session = page.mode === "live" && c && c.session;
    let status = "";
    if (session && session.state === "queued" && session.queue_position) {
      status = t.queued.replace("{n}", session.queue_position);
      if (session.estimated_wait_seconds != null) {
        status += " · " + t.wait.replace("{m}", Math.max(1, Math.round(session.estimated_wait_seconds / 60)));
      }
    } else if (session && session.state === "ended") {
      status = { customer_left: t.leftEnd, customer_ended: t.youEnded, inactivity: t.idleEnd,
        agent_ended: t.agentEnd }[session.close_reason] || "";
    }
    $("live-status").textContent = status;
    $("thread-bar").hidden = !c;
    $("end-chat").hidden = !session || session.state === "ended";
    if (ui.transcript) ui.transcript.render(c, !!session && session.state === "ended");
  }

  function showConnection(status) { // the protocol client's "connection" event
    const text = status.state === "online" ? ""
      : status.state === "offline" ? (status.refused ? t.unreachable : t.offline)
        : status.attempt > 2 ? t.unreachable : t.connecting;
    $("connection").dataset.state = status.state;
    $("connection").textContent = text;
  }

  // --- where the visitor is ---
  function markRead(c) {
    if (!ui.isOpen || document.hidden) return;
    client.markRead(c.id);
  }

  function show(id) {
    ui.view = id;
    if (typeof id === "number") {
      const c = client.conversation(id);
      if (!c.loaded) client.loadNewest(id).catch(() => {});
      markRead(c);
    }
    render();
    $("composer").focus();
  }

  function showDefault() {
    const latest = client.sortedConversations()[0];
    if (latest && latest.status !== "resolved") show(latest.id);
    else { ui.view = null; render(); }
  }

  function setOpen(open) {
    if (open === ui.isOpen) return;
    ui.isOpen = open;
    $("launcher").setAttribute("aria-expanded", String(open));
    parent.postMessage({ parley: "state", open: open }, "*");
    client.setPresence(open ? "here" : "away"); // a live chat ends, and a messaging stretch closes, when the customer closed the widget
    if (open) {
      if (ui.view === null) showDefault();
      if (typeof ui.view === "number") markRead(client.conversation(ui.view));
      render();
      (ui.article !== null ? $("reader-title") : ui.view === null ? $("new-conversation") : $("composer")).focus();
    } else {
      render();
      $("launcher").focus();
    }
  }

  function loadOlder() { // scrolled to the top of the open thread
    const list = $("messages"), fromBottom = list.scrollHeight - list.scrollTop;
    const asked = client.loadOlder(ui.view);
    if (asked) asked.then((loaded) => { if (loaded) { render(); list.scrollTop = list.scrollHeight - fromBottom; } });
  }

  // --- an agent's typing, and their new messages ---
  function onAgentTyping(event) {
    if (!event.typing) return stopAgentTyping();
    clearTimeout(typingTimer);
    agentTyping = { conversation: event.conversation_id, name: event.name || t.someone };
    typingTimer = setTimeout(stopAgentTyping, 6000);
    render();
  }

  function stopAgentTyping() { clearTimeout(typingTimer); agentTyping = null; render(); }

  function onMessage(message, live) { // an agent's message ends their typing, and chimes if unseen
    if (!live || message.sender.kind === "contact") return;
    if (agentTyping && agentTyping.conversation === message.conversation_id) stopAgentTyping();
    if (ui.sound && (!ui.isOpen || document.hidden || ui.view !== message.conversation_id)) chime();
  }

  function chime() { // optional (data-parley-sound="on"): a short tone when an agent writes unseen
    try {
      const audio = new (window.AudioContext || window.webkitAudioContext)();
      const tone = audio.createOscillator(), gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.08, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.35);
      tone.connect(gain).connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.35);
    } catch (error) { /* no audio: nothing to do */ }
  }

  return { render, show, showDefault, setOpen, markRead, loadOlder, prechatAsked, showConnection, onAgentTyping, onMessage };
}
