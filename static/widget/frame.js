/* The Parley widget frame (the entry module of templates/widget/frame.html): a client of
 * docs/protocol.md (v1) with its own small UI.
 *
 * protocol-client.js speaks the protocol and holds the state (no DOM code: a business can embed
 * it in its own app); panel.js draws that state and knows where the visitor is; composer.js is
 * what they write and send; messages.js draws one message (actions.js, a bot's offered replies;
 * survey.js, the satisfaction survey's ratings and comment box); help.js is the help center's
 * search and reader, suggestions.js its articles offered while the visitor writes; transcript.js
 * downloads or emails the conversation's transcript; storage.js keeps what outlives a reload.
 * This module picks the language, wires them together and talks to the loader.
 */
import { $ } from "./dom.js";
import { createComposer } from "./composer.js";
import { createHelp } from "./help.js";
import { hideImage, wireLightbox } from "./messages.js";
import { createPanel } from "./panel.js";
import { ProtocolClient } from "./protocol-client.js";
import { wireRefusals } from "./refusals.js";
import { frameStorage } from "./storage.js";
import { createSuggestions } from "./suggestions.js";
import { createSurveyComment } from "./survey.js";
import { createTranscript } from "./transcript.js";
import { visitorContext } from "./visitor-context.js";

const page = JSON.parse(document.getElementById("parley-page").textContent);
const STRINGS = translations();
const lang = (navigator.language || "en").slice(0, 2).toLowerCase();
const t = STRINGS[lang] || STRINGS.en;
document.documentElement.lang = STRINGS[lang] ? lang : "en";
document.documentElement.style.setProperty("--brand", page.color);

// Embedded, the frame keeps its state in the business's page through the loader (storage.js).
const embedded = window.parent !== window;
const store = frameStorage(page.publicKey, embedded);
const client = new ProtocolClient({ publicKey: page.publicKey, sessionUrl: page.sessionUrl,
  attributesUrl: page.attributesUrl, uploadUrl: page.uploadUrl, storage: store });
const ui = {
  page: page, t: t, client: client,
  translated: Boolean(STRINGS[lang]), // t is in the visitor's language, not the English fallback
  sound: new URLSearchParams(location.search).get("sound") === "1",
  view: null, // null: home; a conversation id; or "new"
  article: null, // the id of the help article open over the view, or null
  navigated: false, // the visitor chose a view: hello no longer picks one for them
  isOpen: false,
};
const panel = createPanel(ui);
const composer = createComposer(ui, panel);
ui.reply = (text) => { composer.send(text); $("composer").focus(); }; // an offered reply, picked
ui.surveyComment = createSurveyComment(ui);
ui.help = createHelp(ui, panel);
ui.transcript = createTranscript(ui, panel);
createSuggestions(ui, ui.help);
wireLightbox(t);
wireRefusals(ui);

// --- what the protocol client tells ---
client.on("connection", panel.showConnection);
client.on("session", (answer) => {
  page.online = !!answer.team_online;
  page.availability = answer.availability || page.availability;
});
client.on("hello", () => { if (ui.isOpen && ui.view === null && !ui.navigated) panel.showDefault(); });
client.on("message", panel.onMessage);
client.on("applied", (c) => { if (ui.view === c.id) panel.markRead(c); });
client.on("sent", (item, conversationId) => {
  if (item && item.conversation_id === null && ui.view === "new") ui.view = conversationId;
});
client.on("agent.typing", panel.onAgentTyping);
client.on("merged", (from, into) => { if (ui.view === from) ui.view = into; });
client.on("change", panel.render);

// --- navigation ---
$("launcher").setAttribute("aria-label", t.open);
$("close").setAttribute("aria-label", t.close);
$("back").setAttribute("aria-label", t.back);
$("new-conversation").textContent = t.newConversation;
if (!$("greeting").textContent.trim()) $("greeting").textContent = t.hello; // the inbox set none
$("launcher").addEventListener("click", () => { panel.setOpen(true); });
$("close").addEventListener("click", () => { panel.setOpen(false); });
$("back").addEventListener("click", () => {
  if (ui.help.closeArticle()) return;
  ui.navigated = true;
  ui.view = null;
  panel.render();
  $("new-conversation").focus();
});
$("new-conversation").addEventListener("click", () => { ui.navigated = true; panel.show("new"); });
$("messages").addEventListener("scroll", () => {
  if ($("messages").scrollTop < 40 && typeof ui.view === "number") panel.loadOlder();
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && ui.isOpen && !hideImage()) panel.setOpen(false);
});
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && typeof ui.view === "number") panel.markRead(client.conversation(ui.view));
});
window.addEventListener("online", () => { client.reconnect(); });
window.addEventListener("offline", () => { client.networkLost(); });

// --- the loader, on the business's page (static/widget/loader.js) ---
window.addEventListener("message", (event) => {
  if (event.source !== parent) return;
  const data = event.data || {};
  if (data.parley === "init") start(data.saved, data.user, data.page);
  else if (data.parley === "open") panel.setOpen(true);
  else if (data.parley === "close") panel.setOpen(false);
  else if (data.parley === "toggle") panel.setOpen(!ui.isOpen);
  else if (data.parley === "identify") {
    client.conversations.clear();
    ui.view = null;
    identify(data.user || {});
    client.reconnect();
  } else if (data.parley === "attributes") client.setAttributes(data.attributes);
});

function identify(fields) { // the page's logged-in user: the next session call proves it
  client.user = { user_id: String(fields.userId || ""), user_hash: String(fields.userHash || "") };
  if (fields.name) client.user.name = String(fields.name); // what the page says about them
  if (fields.email) client.user.email = String(fields.email);
}

let started = false;
function start(values, identified, hostPage) { // once, with what was kept, who the page says this is, and the page
  if (started) return;
  started = true;
  client.context = visitorContext(hostPage); // not the frame's own page: nothing an agent needs
  if (identified) identify(identified); // before the first session: never an anonymous detour
  store.load(values);
  client.restore(); // shown pending, even offline
  panel.render();
  client.connect();
}

$("launcher").hidden = false; // every listener is wired: a click from now on opens the panel
panel.render();
if (embedded) {
  parent.postMessage({ parley: "ready" }, "*");
  setTimeout(start, 3000); // a page whose loader never answers still gets a (forgetful) widget
} else {
  store.loadOwn();
  start();
}

// Every string the visitor reads, in each language the widget speaks (tests/widget/test_pages.py
// checks that both have every key the frame uses).
function translations() {
  return {
    en: {
      open: "Open chat", close: "Close chat", back: "Back to conversations", send: "Send",
      compose: "Write a message…", newConversation: "Send us a message", connecting: "Connecting…",
      offline: "You are offline. Messages will be sent when you are back.",
      unreachable: "Cannot reach the chat. Retrying…", pending: "Sending…", failed: "Not sent", read: "Seen",
      typing: "{name} is typing…", someone: "An agent", replies: "We usually reply in a few minutes",
      empty: "No messages yet",
      ended: "This conversation is resolved. Write to reopen it.", loading: "Loading…",
      attach: "Attach an image or a PDF", tooBig: "files can be at most 10 MB: send a smaller one, or a link to it", closeImage: "Close the image",
      notify: "Get replies by email or SMS when you are away:", save: "Save", online: "Online now", emoji: "Insert an emoji",
      prechat: "Before we start, tell us who you are.", name: "Your name", email: "Your email",
      joined: "{name} joined the conversation",
      repliesHours: "We usually reply in a few hours", repliesDay: "We usually reply within a day",
      away: "We're away right now", backAt: "We're away. Back {when}",
      queued: "You are number {n} in the queue", wait: "about {m} min", endChat: "End chat",
      endedLive: "Chat ended. Write to start a new one.", leftEnd: "The chat ended when you left.",
      idleEnd: "The chat ended after a quiet while.", agentEnd: "The agent ended the chat.",
      youEnded: "You ended the chat.",
      transcript: "Email me the transcript:", transcriptSent: "The transcript is on its way to {email}.",
      transcriptButton: "Transcript", transcriptTitle: "Your transcript", download: "Download",
      downloadFailed: "The transcript cannot be downloaded right now. Try again.",
      exportButton: "Download all my data", exportFailed: "Your data cannot be downloaded right now. Try again.",
      reach: "Email or phone, like +44 20 7946 0958",
      helpTitle: "Search for answers", helpSearch: "Search our help center", helpFound: "Articles found: {n}",
      helpNone: "No article matches. Try other words, or send us a message.",
      helpFailed: "Search is not available right now.", articleFailed: "This article cannot be shown right now.",
      openInHelp: "Open in help center", backFromArticle: "Back", updated: "Updated {date}",
      suggested: "These articles may help", suggestedCount: "Suggested articles: {n}",
      hideSuggestions: "Hide suggestions", quickReplies: "Suggested replies", bot: "Bot",
      rate: "Rate this conversation", rating: "{n} out of 5", surveyComment: "Your comment (optional)",
      surveyThanks: "Thank you for your feedback!",
      slowDown: "You are sending very fast: your messages go in a moment, by themselves.",
      endOffline: "The chat could not be ended: you are offline. Press End chat again once you are back.",
      tooLong: "A message can be at most 20,000 characters ({n} now): shorten it or split it in two.",
      prechatMissing: "Fill in “{field}” to start.",
      hello: "Hi there 👋\nHow can we help?",
    },
    fr: {
      open: "Ouvrir la discussion", close: "Fermer la discussion", back: "Retour aux conversations",
      send: "Envoyer", compose: "Écrivez un message…", newConversation: "Envoyez-nous un message",
      connecting: "Connexion…", offline: "Vous êtes hors ligne. Les messages partiront à votre retour.",
      unreachable: "Impossible de joindre la discussion. Nouvel essai…", pending: "Envoi…",
      failed: "Non envoyé", read: "Lu", typing: "{name} écrit…",
      someone: "Un agent", replies: "Nous répondons en général en quelques minutes",
      empty: "Aucun message", ended: "Cette conversation est résolue. Écrivez pour la rouvrir.",
      loading: "Chargement…", attach: "Joindre une image ou un PDF", tooBig: "les fichiers font au plus 10 Mo : envoyez-en un plus petit, ou un lien",
      closeImage: "Fermer l'image", notify: "Recevez nos réponses par e-mail ou SMS en votre absence :",
      save: "Enregistrer", online: "En ligne", emoji: "Insérer un emoji",
      prechat: "Avant de commencer, dites-nous qui vous êtes.", name: "Votre nom", email: "Votre e-mail",
      joined: "{name} a rejoint la conversation",
      repliesHours: "Nous répondons en général en quelques heures",
      repliesDay: "Nous répondons en général sous 24 heures",
      away: "Nous sommes absents pour le moment", backAt: "Nous sommes absents. De retour {when}",
      queued: "Vous êtes numéro {n} dans la file", wait: "environ {m} min", endChat: "Terminer",
      endedLive: "Discussion terminée. Écrivez pour en commencer une autre.",
      leftEnd: "La discussion s'est terminée à votre départ.", idleEnd: "La discussion s'est terminée après un silence.",
      agentEnd: "L'agent a terminé la discussion.", youEnded: "Vous avez terminé la discussion.",
      transcript: "Recevoir la transcription par e-mail :",
      transcriptSent: "La transcription part vers {email}.",
      transcriptButton: "Transcription", transcriptTitle: "Votre transcription", download: "Télécharger",
      downloadFailed: "Impossible de télécharger la transcription pour le moment. Réessayez.",
      exportButton: "Télécharger toutes mes données",
      exportFailed: "Impossible de télécharger vos données pour le moment. Réessayez.",
      reach: "E-mail ou téléphone, ex. +33 6 12 34 56 78",
      helpTitle: "Trouver une réponse", helpSearch: "Rechercher dans l'aide", helpFound: "Articles trouvés : {n}",
      helpNone: "Aucun article ne correspond. Essayez d'autres mots, ou écrivez-nous.",
      helpFailed: "La recherche est indisponible pour le moment.",
      articleFailed: "Impossible d'afficher cet article pour le moment.",
      openInHelp: "Ouvrir dans le centre d'aide", backFromArticle: "Retour", updated: "Mis à jour le {date}",
      suggested: "Ces articles peuvent vous aider", suggestedCount: "Articles suggérés : {n}",
      hideSuggestions: "Masquer les suggestions", quickReplies: "Réponses proposées", bot: "Bot",
      rate: "Notez cette conversation", rating: "{n} sur 5", surveyComment: "Votre commentaire (facultatif)",
      surveyThanks: "Merci pour votre avis !",
      slowDown: "Vous envoyez très vite : vos messages partiront dans un instant, d'eux-mêmes.",
      endOffline: "Le chat n'a pas pu être terminé : vous êtes hors ligne. Appuyez de nouveau sur Terminer une fois reconnecté.",
      tooLong: "Un message fait au plus 20 000 caractères ({n} ici) : raccourcissez-le ou coupez-le en deux.",
      prechatMissing: "Remplissez « {field} » pour commencer.",
      hello: "Bonjour 👋\nComment pouvons-nous vous aider ?",
    },
  };
}
