/* A refused send, said beside the composer (#compose-error, role=alert, so it is announced): the
 * server's sentence for a message or file it will not take (the message also stays in the thread,
 * marked "Not sent"), or, while the server slows the visitor down, that their messages go in a
 * moment by themselves. The next acknowledged send clears it. */
import { $ } from "./dom.js";

export function sayRefusal(text) {
  const region = $("compose-error");
  region.textContent = ""; // emptied first, then said: the same sentence again is announced again
  setTimeout(() => { region.textContent = text; }, 50);
}

export function wireRefusals(ui) {
  const { client, t } = ui;
  client.on("refused", (item, error) => {
    const held = error.code === "busy" || error.code === "rate_limited";
    sayRefusal(held ? t.slowDown : t.failed + ": " + ((item && item.failed) || error.detail));
  });
  client.on("sent", () => { $("compose-error").textContent = ""; });
}
