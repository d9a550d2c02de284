/* Parley widget loader. Paste on any page your inbox allows:
 *   <script src="https://parley.example.com/widget.js" data-parley-key="INBOX_PUBLIC_KEY" async></script>
 * It draws one iframe (the launcher and the chat live inside it, so no CSS leaks either way) and
 * defines window.Parley: open(), close(), toggle(), identify({userId, userHash, name, email}),
 * setAttributes({name, email, phone, any_custom_key}), onUnreadCountChange(callback). Calls made before it loaded can be
 * queued: window.Parley = window.Parley || {q: []}; Parley.q.push(["identify", {...}]).
 */
(function () {
  "use strict";
  if (window.Parley && window.Parley.loaded) return;
  var script = document.currentScript || document.querySelector("script[data-parley-key]");
  if (!script) return;
  var key = script.getAttribute("data-parley-key") || "";
  var base = new URL(script.src, location.href).origin;
  var queued = (window.Parley && window.Parley.q) || [];
  var frame = null;
  var ready = false;
  var isOpen = false;
  var toFrame = [];
  var identified = null; // identify() before the frame was ready: handed over with its start
  var listeners = [];
  var NARROW = 640;

  function important(el, rules) {
    for (var name in rules) el.style.setProperty(name, rules[name], "important");
  }

  function layout() {
    if (!frame) return;
    var narrow = window.innerWidth <= NARROW;
    var common = { position: "fixed", border: "0", margin: "0", padding: "0", "z-index": "2147483000",
      "color-scheme": "normal", background: "transparent", "max-width": "100vw", "max-height": "100vh" };
    important(frame, common);
    if (isOpen && narrow) {
      important(frame, { top: "0", left: "0", right: "0", bottom: "0", width: "100vw", height: "100vh" });
    } else if (isOpen) {
      important(frame, { top: "auto", left: "auto", right: "16px", bottom: "16px", width: "400px",
        height: "min(680px, calc(100vh - 32px))" });
    } else {
      important(frame, { top: "auto", left: "auto", right: "12px", bottom: "12px", width: "84px", height: "84px" });
    }
  }

  // The frame's state lives here, in the page's own storage: browsers may deny storage to the
  // third-party frame (the visitor's resume token, and messages not yet acknowledged).
  function recall(name) {
    try { return JSON.parse(localStorage.getItem("parley:" + key + ":" + name)) || undefined; } catch (error) { return undefined; }
  }

  function keep(name, value) {
    try { localStorage.setItem("parley:" + key + ":" + name, JSON.stringify(value)); } catch (error) { /* private mode */ }
  }

  // Files queued while offline: a Blob does not fit localStorage, so they wait in the page's
  // IndexedDB (one store keyed by client_message_id) until their ack. Without IndexedDB they live
  // as long as the frame does.
  var files = null;
  function filed(mode, act) {
    files = files || new Promise(function (resolve, reject) {
      var open = indexedDB.open("parley:" + key, 1);
      open.onupgradeneeded = function () { open.result.createObjectStore("files", { keyPath: "client_message_id" }); };
      open.onsuccess = function () { resolve(open.result); };
      open.onerror = function () { reject(open.error); };
    });
    return files.then(function (db) {
      return new Promise(function (resolve, reject) {
        var request = act(db.transaction("files", mode).objectStore("files"));
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    });
  }

  function post(message) {
    if (ready) frame.contentWindow.postMessage(message, base);
    else toFrame.push(message);
  }

  function onMessage(event) {
    if (!frame || event.source !== frame.contentWindow || event.origin !== base) return;
    var data = event.data || {};
    if (data.parley === "ready") {
      var read = filed("readonly", function (store) { return store.getAll(); });
      Promise.race([read, new Promise(function (resolve) { setTimeout(resolve, 1500); })]).catch(function () {}).then(function (kept) {
        ready = true;
        post({ parley: "init", saved: { resume: recall("resume"), unacked: recall("unacked"), files: kept || [] }, user: identified,
          page: { url: location.href, title: document.title } }); // for the agent (visitor-context.js)
        toFrame.splice(0).forEach(post);
      });
    } else if (data.parley === "file") {
      filed("readwrite", function (store) { return data.item ? store.put(data.item) : store.delete(data.id); })
        .catch(function () { /* no IndexedDB: the frame keeps it for this visit */ });
    } else if (data.parley === "store" && (data.name === "resume" || data.name === "unacked")) {
      keep(data.name, data.value);
    } else if (data.parley === "state") {
      isOpen = !!data.open;
      layout();
    } else if (data.parley === "unread") {
      listeners.forEach(function (callback) {
        try { callback(data.count); } catch (error) { setTimeout(function () { throw error; }); }
      });
    }
  }

  var api = {
    loaded: true,
    open: function () { post({ parley: "open" }); },
    close: function () { post({ parley: "close" }); },
    toggle: function () { post({ parley: "toggle" }); },
    identify: function (user) {
      if (ready) post({ parley: "identify", user: user || {} });
      else identified = user || {};
    },
    setAttributes: function (attributes) { post({ parley: "attributes", attributes: attributes || {} }); },
    onUnreadCountChange: function (callback) { if (typeof callback === "function") listeners.push(callback); },
  };
  window.Parley = api;
  queued.forEach(function (call) {
    if (call && typeof api[call[0]] === "function") api[call[0]].apply(api, call.slice(1));
  });

  function mount() {
    frame = document.createElement("iframe");
    frame.id = "parley-frame";
    frame.title = "Chat";
    frame.setAttribute("allow", "clipboard-write");
    frame.src = base + "/widget/frame/?key=" + encodeURIComponent(key) +
      (script.getAttribute("data-parley-sound") === "on" ? "&sound=1" : "");
    layout();
    window.addEventListener("message", onMessage);
    window.addEventListener("resize", layout);
    document.body.appendChild(frame);
  }

  fetch(base + "/widget/api/v1/config?key=" + encodeURIComponent(key), { credentials: "omit" })
    .then(function (response) {
      if (!response.ok) throw new Error("this page may not embed this inbox (" + response.status + ")");
      if (document.body) mount();
      else document.addEventListener("DOMContentLoaded", mount);
    })
    .catch(function (error) { if (window.console) console.warn("Parley widget:", error.message); });
})();
