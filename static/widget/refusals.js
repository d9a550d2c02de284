/* A refused send, said beside the composer (#compose-error, role=alert, so it is announced): the
 * server's sentence for a message or file it will not take (the message also stays in the thread,
 * marked "Not sent"), or, while the server slows the visitor down, that their messages go in a
 * moment by themselves. It stays until every send still waiting has been acknowledged (the acks of
 * sends taken before the refusal arrive after it), and a send held back again while it is shown
 * leaves it as it is instead of saying it again. */
import { $ } from "./dom.js";

let pending = null; // the sentence about to be said (emptied first, so the same one is announced again)

export function sayRefusal(text) {
  const region = $("compose-error");
  region.textContent = "";
  clearTimeout(pending);
  pending = setTimeout(() => { region.textContent = text; }, 50);
}

export function clearRefusal() {
  clearTimeout(pending);
  $("compose-error").textContent = "";
}

export function wireRefusals(ui) {
  const { client, t } = ui;
  const stillWaiting = () => Array.from(client.unacked.values()).some((item) => !item.failed);
  client.on("refused", (item, error) => {
    const held = error.code === "busy" || error.code === "rate_limited";
    if (held && $("compose-error").textContent === t.slowDown) return; // still held back: said, not again
    sayRefusal(held ? t.slowDown : t.failed + ": " + ((item && item.failed) || error.detail));
  });
  client.on("sent", () => { if (!stillWaiting()) clearRefusal(); });
}
