/* What every part of the desk reads off the page: elements by id, and the open conversation. */
export function $(id) { return document.getElementById(id); }

export function thread() { return $("thread"); }

export function openId() { return thread() ? Number(thread().dataset.conversationId) : null; }

export function lastSeq() { // the highest seq shown in the open conversation
  const seqs = Array.from(document.querySelectorAll("#messages [data-seq]"), (el) => Number(el.dataset.seq));
  return seqs.length ? Math.max(...seqs) : 0;
}
