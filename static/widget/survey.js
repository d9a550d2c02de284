/* The satisfaction survey, inline in the thread (docs/protocol.md, "Satisfaction survey"): the
 * question is a `system` message offering the ratings `csat:1`…`csat:5`, drawn as five buttons
 * under it; once rated, the server's invitation to comment (offering `csat:no_comment`) opens the
 * comment box under the thread. As with a bot's offered replies, a rating, a comment or the decline
 * is sent as an ordinary message: the server reads it, and the widget changes nothing itself. */
import { $, el } from "./dom.js";

const RATING_ID = /^csat:([1-5])$/;
const DIGIT = /^([1-5])$/;
const NO_COMMENT = "csat:no_comment";

function offering(m, count, test) {
  return m.sender.kind === "system" && Array.isArray(m.actions) && m.actions.length === count &&
    m.actions.every((action) => action && test(String(action.id)));
}

function isQuestion(m) { return offering(m, 5, (id) => RATING_ID.test(id)); }

function isInvitation(m) { return offering(m, 1, (id) => id === NO_COMMENT); }

function ratingOf(m, actions) { // the visitor's pick, read as the server reads it (its common cases)
  if (!m || m.sender.kind !== "contact") return null;
  const said = (m.body || "").trim();
  const action = actions.find((offered) => offered.title === said);
  const match = action ? RATING_ID.exec(action.id) : DIGIT.exec(said);
  return match ? Number(match[1]) : null;
}

// The conversation's latest survey as the thread shows it (null when it has none): its question,
// whether the ratings may still be picked (nothing has followed the question), the rating picked,
// the invitation to comment while it stands (nothing has followed it), and the visitor's message
// that answered the invitation, after which the thread thanks them.
export function surveyOf(messages, waiting) {
  let at = messages.length - 1;
  while (at >= 0 && !isQuestion(messages[at])) at -= 1;
  if (at < 0) return null;
  const question = messages[at], last = messages[messages.length - 1];
  const picked = ratingOf(messages[at + 1], question.actions);
  const invited = picked === null ? -1 : messages.findIndex((m, index) => index > at + 1 && isInvitation(m));
  const invitation = invited < 0 ? null : messages[invited];
  const answer = invitation ? messages.slice(invited + 1).find((m) => m.sender.kind === "contact") : null;
  return {
    question: question,
    open: !waiting && last === question,
    picked: picked,
    invitation: invitation && !answer && !waiting && last === invitation ? invitation : null,
    thanksAfter: answer || null,
  };
}

export function ratingButtons(survey, t, pick) {
  const group = el("div", "actions rating");
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", t.rate);
  survey.question.actions.forEach((action) => {
    const value = Number(RATING_ID.exec(action.id)[1]);
    const button = el("button", "action", value + " ★");
    button.type = "button";
    button.disabled = !survey.open;
    button.dataset.rating = String(value);
    button.setAttribute("aria-label", t.rating.replace("{n}", value));
    button.setAttribute("aria-pressed", String(survey.picked === value));
    button.addEventListener("click", () => {
      group.querySelectorAll("button").forEach((other) => { other.disabled = true; });
      pick(action.title); // the title, as a tap on any channel sends it
    });
    group.appendChild(button);
  });
  return group;
}

// The comment box (#survey-comment, under the thread, so what is typed outlives each redraw).
export function createSurveyComment(ui) {
  const { t } = ui;
  let decline = "";
  $("survey-comment-label").textContent = t.surveyComment;
  $("survey-comment-send").textContent = t.send;
  $("survey-comment").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("survey-comment-text").value.trim();
    if (!text) { $("survey-comment-text").focus(); return; }
    $("survey-comment-text").value = "";
    ui.reply(text);
  });
  $("survey-no-comment").addEventListener("click", () => { if (decline) ui.reply(decline); });

  function render(survey) { // the open thread's survey, or null
    const invitation = survey && survey.invitation;
    $("survey-comment").hidden = !invitation;
    decline = invitation ? String(invitation.actions[0].title || "") : "";
    $("survey-no-comment").textContent = decline;
    $("survey-no-comment").hidden = !decline;
  }

  return { render };
}
