/* The socket under the protocol client (protocol-client.js; docs/protocol.md, "The websocket"):
 * a session call, then the websocket with its connect token; reconnection with backoff and full
 * jitter; a ping every 25 s, and a socket that heard nothing for 60 s closed and opened again;
 * requests matched to their reply by `ref`. No DOM code. */

const HEARTBEAT_MS = 25000;
const SILENCE_MS = 60000; // two missed pongs: the socket is dead even if it looks open
const REQUEST_TIMEOUT_MS = 15000;
const browser = globalThis.navigator || {}; // none outside a browser (Node before 21)

export class ProtocolConnection {
  #ws = null;
  #attempt = 0;
  #refs = 0;
  #waiting = new Map(); // ref -> {resolve, reject}
  #heartbeat = null;
  #lastHeard = 0;
  #retryTimer = null;

  /* server: Parley's origin; session(): a promise of a session call's answer; onEvent(event): every
   * event that is not a reply to a request; onState({state, attempt, refused}). */
  constructor({ server, session, onEvent, onState }) {
    Object.assign(this, { server: server, session: session, onEvent: onEvent, onState: onState });
  }

  get hasSocket() { return this.#ws !== null; }

  connect() {
    clearTimeout(this.#retryTimer);
    this.#showTrying();
    this.session().then((session) => {
      const url = this.server.replace(/^http/, "ws") + session.websocket_path + "?token=" +
        encodeURIComponent(session.connect_token);
      const socket = new WebSocket(url);
      this.#ws = socket;
      socket.onmessage = (frame) => {
        if (socket !== this.#ws) return;
        this.#lastHeard = Date.now();
        this.#receive(JSON.parse(frame.data));
      };
      socket.onclose = (event) => {
        if (socket !== this.#ws) return;
        this.#ws = null;
        clearInterval(this.#heartbeat);
        this.#waiting.forEach((entry) => entry.reject(new Error("closed")));
        this.#waiting.clear();
        if (event.code === 4003) return this.onState({ state: "offline", attempt: this.#attempt, refused: true });
        this.#retry();
      };
    }).catch(() => this.#retry());
  }

  reconnect() { // at once, with a fresh session
    if (this.#ws) { const old = this.#ws; this.#ws = null; old.close(1000); }
    this.#attempt = 0;
    this.connect();
  }

  networkLost() { // the browser went offline: say so now; the close brings the backoff
    this.onState({ state: "offline", attempt: this.#attempt, refused: false });
    if (this.#ws) this.#ws.close();
  }

  #showTrying() {
    const state = browser.onLine === false ? "offline" : "connecting";
    this.onState({ state: state, attempt: this.#attempt, refused: false });
  }

  #retry() { // full jitter: random(0, min(30 s, 0.5 s x 2^attempt))
    this.#attempt += 1;
    this.#showTrying();
    this.#retryTimer = setTimeout(() => this.connect(), Math.random() * Math.min(30000, 500 * Math.pow(2, this.#attempt)));
  }

  send(frame) { // whether it went: nothing is sent before the socket is open
    if (!this.#ws || this.#ws.readyState !== WebSocket.OPEN) return false;
    this.#ws.send(JSON.stringify(frame));
    return true;
  }

  request(frame) { // a reply with our ref, or an error; lost frames time out
    return new Promise((resolve, reject) => {
      const ref = "r" + (++this.#refs);
      if (!this.send(Object.assign({ ref: ref }, frame))) return reject(new Error("offline"));
      const timer = setTimeout(() => { this.#waiting.delete(ref); reject(new Error("timeout")); }, REQUEST_TIMEOUT_MS);
      this.#waiting.set(ref, {
        resolve: (value) => { clearTimeout(timer); resolve(value); },
        reject: (error) => { clearTimeout(timer); reject(error); },
      });
    });
  }

  #receive(event) {
    if (event.ref && this.#waiting.has(event.ref) && event.type !== "message.ack") {
      const entry = this.#waiting.get(event.ref);
      this.#waiting.delete(event.ref);
      if (event.type === "error") entry.reject(Object.assign(new Error(event.detail), { code: event.code }));
      else entry.resolve(event);
      return;
    }
    if (event.type === "hello") {
      this.#attempt = 0;
      this.onState({ state: "online", attempt: 0, refused: false });
      clearInterval(this.#heartbeat);
      this.#heartbeat = setInterval(() => {
        if (Date.now() - this.#lastHeard > SILENCE_MS && this.#ws) return this.#ws.close();
        this.send({ type: "ping", ref: "ping" });
      }, HEARTBEAT_MS);
    }
    this.onEvent(event);
  }
}
