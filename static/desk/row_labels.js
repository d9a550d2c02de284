/* A row's label chips drawn from the label_ids of a conversation.updated event (the header's label
 * menu and the list's bulk "Add label" / "Remove label" both announce it), with no fetch. The chips
 * are copied from the page's catalogue (<template id="label-chips"> in desk/desk.html, rendered as
 * the header renders a label, in the labels' order); the first MAX_ROW_LABELS are shown and "+N"
 * counts the rest, as desk/views/rows.py row_labels does. */

const MAX_ROW_LABELS = 3; // desk/views/rows.py

function catalogue() {
  const template = document.getElementById("label-chips");
  return template ? Array.from(template.content.querySelectorAll(".label")) : [];
}

// Draw `labelIds` into the row. False when it cannot: a label made after the page was loaded is not
// in the catalogue (the caller then fetches the row).
export function drawRowLabels(row, labelIds) {
  const place = row.querySelector(".labels");
  const wanted = new Set(labelIds.map(Number));
  const chips = catalogue().filter((chip) => wanted.has(Number(chip.dataset.labelId)));
  if (!place || chips.length !== wanted.size) return false;
  const rest = chips.slice(MAX_ROW_LABELS);
  place.replaceChildren(...chips.slice(0, MAX_ROW_LABELS).map((chip) => chip.cloneNode(true)));
  if (rest.length) {
    const more = document.createElement("span");
    more.className = "label-more";
    more.title = rest.map((chip) => chip.textContent).join(", ");
    more.textContent = "+" + rest.length;
    place.append(more);
  }
  return true;
}
