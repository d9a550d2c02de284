/* The two DOM helpers every part of the frame uses. */
export function $(id) { return document.getElementById(id); }

export function el(tag, className, text) { // text goes in as text: never parsed as HTML
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
