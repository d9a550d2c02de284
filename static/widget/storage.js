/* Where the widget keeps what must outlive a reload: the resume token, unsent text, queued files.
 *
 * The frame is a third-party document on the business's site, where browsers may deny it storage
 * (Safari, Brave, Chrome without third-party cookies). Embedded, it keeps its state in the
 * page's own storage through the loader; opened directly, in its own.
 */
export function frameStorage(publicKey, embedded) {
  const saved = {};
  return {
    get(name, fallback) { return Object.prototype.hasOwnProperty.call(saved, name) ? saved[name] : fallback; },
    set(name, value) {
      saved[name] = value;
      if (embedded) return parent.postMessage({ parley: "store", name: name, value: value }, "*");
      try { localStorage.setItem("parley:" + publicKey + ":" + name, JSON.stringify(value)); } catch (error) { /* none */ }
    },
    load(values) { // what the loader kept for us
      Object.keys(values || {}).forEach((name) => { if (values[name] != null) saved[name] = values[name]; });
    },
    loadOwn() {
      ["resume", "unacked"].forEach((name) => {
        try {
          const raw = localStorage.getItem("parley:" + publicKey + ":" + name);
          if (raw !== null) saved[name] = JSON.parse(raw);
        } catch (error) { /* storage denied: this visit only */ }
      });
    },
    keepFile(item, keep) { // a queued file outlives a reload in the page's IndexedDB, through the loader
      if (!embedded) return; // opened directly: kept for this visit only
      parent.postMessage(keep ? { parley: "file", item: { client_message_id: item.client_message_id,
        conversation_id: item.conversation_id, body: item.body, created_at: item.created_at, file: item.file } }
        : { parley: "file", id: item.client_message_id }, "*");
    },
  };
}
