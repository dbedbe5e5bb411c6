// A minimal IMAP client for load generation: one connection, commands sent one at a time,
// resolves when the tagged answer arrives. Literals in responses are skipped by length so
// FETCH bodies do not confuse the line reader.
import { connect } from "node:net";

export class LoadClient {
  constructor(socket) {
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    this.pending = null;
    this.lines = [];
    this.literalLeft = 0;
    this.counter = 0;
    this.greeted = null;
    socket.on("data", (d) => this.onData(d));
    socket.on("error", (e) => this.pending?.reject(e));
    socket.on("close", () => this.pending?.reject(new Error("closed")));
  }

  static open(port) {
    return new Promise((resolve, reject) => {
      const socket = connect(port, "127.0.0.1");
      const client = new LoadClient(socket);
      client.greeted = { resolve: () => resolve(client), reject };
      socket.once("error", reject);
    });
  }

  onData(data) {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, data]) : data;
    for (;;) {
      if (this.literalLeft > 0) {
        const take = Math.min(this.literalLeft, this.buffer.length);
        this.literalLeft -= take;
        this.buffer = this.buffer.subarray(take);
        if (this.literalLeft > 0) return;
      }
      const i = this.buffer.indexOf("\r\n");
      if (i < 0) return;
      const line = this.buffer.toString("latin1", 0, i);
      this.buffer = this.buffer.subarray(i + 2);
      const lit = /\{(\d+)\}$/.exec(line);
      if (lit) this.literalLeft = Number(lit[1]);
      if (this.greeted) {
        const g = this.greeted;
        this.greeted = null;
        g.resolve();
        continue;
      }
      if (line.startsWith("+ ") && this.pending?.onContinue) {
        const c = this.pending.onContinue;
        this.pending.onContinue = null;
        c();
        continue;
      }
      this.lines.push(line);
      if (this.pending && line.startsWith(`${this.pending.tag} `)) {
        const p = this.pending;
        this.pending = null;
        const lines = this.lines;
        this.lines = [];
        if (/^\S+ OK/.test(line)) p.resolve(lines);
        else p.reject(new Error(line));
      }
    }
  }

  /** Send a command; `literal` (Buffer) is sent as a synchronizing literal after `text`. */
  command(text, literal) {
    const tag = `t${++this.counter}`;
    return new Promise((resolve, reject) => {
      this.pending = { tag, resolve, reject, onContinue: null };
      if (literal) {
        this.pending.onContinue = () => this.socket.write(Buffer.concat([literal, Buffer.from("\r\n")]));
        this.socket.write(`${tag} ${text} {${literal.length}}\r\n`);
      } else {
        this.socket.write(`${tag} ${text}\r\n`);
      }
    });
  }

  /** Enter IDLE and resolve once the server has said `+ idling`. */
  idle() {
    return new Promise((resolve, reject) => {
      this.pending = { tag: `t${++this.counter}`, resolve, reject, onContinue: resolve };
      this.socket.write(`${this.pending.tag} IDLE\r\n`);
    });
  }

  close() {
    this.socket.destroy();
  }
}
