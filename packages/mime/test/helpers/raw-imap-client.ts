/**
 * A deliberately small IMAP client on a raw socket, so the comparison sees the exact bytes
 * the server sends (literals included). One command at a time; responses are split into
 * complete response lines (a line plus any literals it announces).
 */
import { Socket } from "node:net";

export interface TaggedResult {
  /** Untagged responses, each the full bytes of one response including literals and CRLF. */
  untagged: Buffer[];
  /** The tagged completion line. */
  status: string;
}

export class RawImapClient {
  private readonly sock = new Socket();
  private buf: Buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private tagCounter = 0;
  private closed = false;

  async connect(port: number): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.sock.once("error", reject);
      this.sock.connect(port, "127.0.0.1", () => resolve());
    });
    this.sock.on("data", (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (const w of this.waiters.splice(0)) w();
    });
    this.sock.on("close", () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
    return (await this.readResponse()).toString("latin1");
  }

  private async more(): Promise<void> {
    if (this.closed) throw new Error("connection closed by server");
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Reads one complete response: a line, and for every `{n}` at its end n bytes plus the rest. */
  private async readResponse(): Promise<Buffer> {
    let pos = 0;
    for (;;) {
      const eol = this.buf.indexOf("\r\n", pos, "latin1");
      if (eol < 0) {
        await this.more();
        continue;
      }
      const line = this.buf.subarray(pos, eol).toString("latin1");
      const lit = /\{(\d+)\}$/.exec(line);
      if (lit) {
        const need = eol + 2 + Number(lit[1]);
        while (this.buf.length < need) await this.more();
        pos = need;
        continue;
      }
      const out = this.buf.subarray(0, eol + 2);
      this.buf = this.buf.subarray(eol + 2);
      return Buffer.from(out);
    }
  }

  async command(text: string | Buffer, literal?: Buffer): Promise<TaggedResult> {
    const tag = `T${++this.tagCounter}`;
    const head = Buffer.concat([Buffer.from(`${tag} `, "latin1"), Buffer.isBuffer(text) ? text : Buffer.from(text)]);
    if (literal) {
      this.sock.write(Buffer.concat([head, Buffer.from(` {${literal.length}}\r\n`, "latin1")]));
      const cont = await this.readResponse();
      if (!cont.toString("latin1").startsWith("+")) throw new Error(`no continuation: ${cont.toString("latin1")}`);
      this.sock.write(Buffer.concat([literal, Buffer.from("\r\n")]));
    } else {
      this.sock.write(Buffer.concat([head, Buffer.from("\r\n")]));
    }
    const untagged: Buffer[] = [];
    for (;;) {
      const r = await this.readResponse();
      const s = r.subarray(0, Math.min(r.length, 64)).toString("latin1");
      if (s.startsWith(`${tag} `)) {
        const status = r.toString("latin1").trimEnd();
        if (!status.startsWith(`${tag} OK`)) throw new Error(`command failed: ${status}`);
        return { untagged, status };
      }
      untagged.push(r);
    }
  }

  /**
   * FETCH one item of one message by sequence number and return the raw bytes of its value
   * (exactly as sent: quoting, literals, NIL), without the item name.
   */
  async fetchItem(seq: number, item: string, responseName: string): Promise<Buffer> {
    const { untagged } = await this.command(`FETCH ${seq} (${item})`);
    const prefix = Buffer.from(`* ${seq} FETCH (${responseName} `, "latin1");
    for (const r of untagged) {
      if (r.subarray(0, prefix.length).equals(prefix)) {
        if (r.subarray(r.length - 3).toString("latin1") !== ")\r\n") throw new Error("FETCH response not closed");
        return r.subarray(prefix.length, r.length - 3);
      }
    }
    throw new Error(`no FETCH ${responseName} in ${untagged.map((u) => u.toString("latin1")).join("")}`);
  }

  async close(): Promise<void> {
    if (!this.closed) {
      try {
        await this.command("LOGOUT");
      } catch {
        // the server closes the connection after BYE; nothing to do
      }
    }
    this.sock.destroy();
  }
}
