import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

/*
 * A loopback TCP relay between an IMAP client and a server that reads both directions and
 * checks the rules for when the server may change sequence numbers (RFC 9051 §7.5.1,
 * RFC 3501 §7.4.1, RFC 7162 §3.2.10):
 *
 * - an EXPUNGE (or a VANISHED without EARLIER) must not be sent when no command is in
 *   progress (IDLE counts as in progress), nor while responding to FETCH, STORE or SEARCH by
 *   sequence number (the UID forms allow it);
 * - EXISTS never decreases, and an EXPUNGE never names a number above the message count.
 *
 * Which command a response belongs to: a server answers commands in order, so untagged data
 * belongs to the oldest command whose tagged completion has not been seen yet. The relay sees
 * a command before the server does, so "a command is in progress" is judged generously (a
 * violation is never invented by timing; one may be missed only if the server sends an
 * EXPUNGE in the instant between a command leaving the client and reaching it).
 *
 * Literals are skipped by count both ways, so message bodies never look like responses.
 */

export interface WireStats {
  connections: number;
  commands: number;
  /** Untagged EXPUNGE responses, and UIDs reported in VANISHED (not EARLIER). */
  expunges: number;
  exists: number;
  byes: string[];
  /** Tagged completions by status and response code, e.g. "NO [UNAVAILABLE]": count. */
  completions: Map<string, number>;
}

interface Pending {
  tag: string;
  /** Upper-case command name with UID prefix, e.g. "UID FETCH", "FETCH", "IDLE". */
  name: string;
}

/** Commands during whose responses EXPUNGE is forbidden (the sequence-number forms). */
const NO_EXPUNGE_DURING = new Set(["FETCH", "STORE", "SEARCH"]);

/** Reads CRLF lines with `{n}` / `{n+}` / `~{n}` literals skipped, calls back per logical line. */
class LineReader {
  private buffer: Buffer = Buffer.alloc(0);
  private literalLeft = 0;
  /** The current logical line: text parts, with literals replaced by their size. */
  private current = "";

  /**
   * `onLine(text, partial)`: partial is true once per logical line, at its first literal
   * (text so far), so that a command can be known before its literal data has arrived.
   */
  constructor(private readonly onLine: (line: string, partial: boolean) => void) {}

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.literalLeft > 0) {
        const take = Math.min(this.literalLeft, this.buffer.length);
        this.buffer = this.buffer.subarray(take);
        this.literalLeft -= take;
        if (this.literalLeft > 0) return;
        continue;
      }
      const end = this.buffer.indexOf("\r\n");
      if (end < 0) {
        // Bound what a line may hold; only the start matters for classification.
        if (this.buffer.length > 1 << 20) this.buffer = this.buffer.subarray(this.buffer.length - 1024);
        return;
      }
      const text = this.buffer.subarray(0, end).toString("latin1");
      this.buffer = this.buffer.subarray(end + 2);
      const literal = /~?\{(\d+)\+?\}$/.exec(text);
      if (literal) {
        if (this.current === "") this.onLine(text, true);
        this.current += `${text.slice(0, literal.index)}{literal}`;
        this.literalLeft = Number(literal[1]);
        continue;
      }
      const line = this.current + text;
      this.current = "";
      this.onLine(line, false);
    }
  }
}

/** One relayed connection's protocol state. */
class WireConnection {
  /** The last lines both ways ("C: " from the client, "S: " from the server), for reports. */
  readonly transcript: string[] = [];
  private readonly pending: Pending[] = [];
  /** Messages in the selected mailbox as the responses so far say; null when unknown. */
  private count: number | null = null;
  private idleTag: string | undefined;

  constructor(
    private readonly id: number,
    private readonly stats: WireStats,
    private readonly violation: (text: string) => void,
    private readonly keep: (text: string) => void = () => {},
  ) {}

  private where(): string {
    return `connection ${this.id}, in progress: [${this.pending.map((p) => `${p.tag} ${p.name}`).join(", ")}]`;
  }

  /** `partial`: the start of a command with literals; its completion comes again with false. */
  private continued = false;

  note(line: string): void {
    this.keep(`connection ${this.id}: ${line}`);
    this.transcript.push(line.length > 200 ? `${line.slice(0, 200)}...` : line);
    if (this.transcript.length > 400) this.transcript.splice(0, 100);
  }

  fromClient(line: string, partial: boolean): void {
    this.note(`C: ${line}`);
    if (this.continued) {
      // the completion of a command already counted at its first literal
      this.continued = false;
      return;
    }
    if (partial) this.continued = true;
    if (this.idleTag !== undefined && /^DONE$/i.test(line)) return;
    const m = /^(\S+) (UID \S+|\S+)/i.exec(line);
    if (!m) return; // SASL continuation data
    const name = m[2]!.toUpperCase();
    this.pending.push({ tag: m[1]!, name });
    this.stats.commands++;
    if (name === "IDLE") this.idleTag = m[1]!;
    if (name === "SELECT" || name === "EXAMINE" || name === "UNSELECT" || name === "CLOSE") this.count = null;
  }

  fromServer(line: string): void {
    this.note(`S: ${line}`);
    if (line.startsWith("* ")) {
      this.untagged(line.slice(2));
      return;
    }
    if (line.startsWith("+")) return;
    const m = /^(\S+) (OK|NO|BAD)( \[[^\]\s]+)?/i.exec(line);
    if (!m) return;
    const status = `${m[2]!.toUpperCase()}${m[3] ? `${m[3].toUpperCase()}]` : ""}`;
    this.stats.completions.set(status, (this.stats.completions.get(status) ?? 0) + 1);
    const at = this.pending.findIndex((p) => p.tag === m[1]);
    if (at < 0) {
      this.violation(`tagged response for a tag not in progress: ${line} (${this.where()})`);
      return;
    }
    if (at !== 0) this.violation(`commands completed out of order: ${line} (${this.where()})`);
    const [done] = this.pending.splice(at, 1);
    if (done?.tag === this.idleTag) this.idleTag = undefined;
  }

  private untagged(text: string): void {
    const numbered = /^(\d+) (EXISTS|EXPUNGE|RECENT|FETCH)\b/i.exec(text);
    if (numbered) {
      const n = Number(numbered[1]);
      const kind = numbered[2]!.toUpperCase();
      if (kind === "EXISTS") {
        this.stats.exists++;
        const selecting = this.pending[0] && /^(SELECT|EXAMINE)$/.test(this.pending[0].name);
        if (!selecting && this.count !== null && n < this.count)
          this.violation(`EXISTS went down from ${this.count} to ${n} (${this.where()})`);
        this.count = n;
      } else if (kind === "EXPUNGE") {
        this.stats.expunges++;
        this.checkExpungeAllowed(`* ${text}`);
        if (this.count !== null) {
          if (n < 1 || n > this.count) this.violation(`* ${text} with ${this.count} messages (${this.where()})`);
          this.count--;
        }
      } else if (kind === "FETCH" && this.count !== null && (n < 1 || n > this.count)) {
        this.violation(`* ${text.slice(0, 80)} with ${this.count} messages (${this.where()})`);
      }
      return;
    }
    const vanished = /^VANISHED (\(EARLIER\) )?(\S+)/i.exec(text);
    if (vanished && !vanished[1]) {
      let uids = 0;
      for (const part of vanished[2]!.split(",")) {
        const [a, b] = part.split(":").map(Number);
        uids += b === undefined ? 1 : Math.abs(b - a!) + 1;
      }
      this.stats.expunges += uids;
      this.checkExpungeAllowed(`* ${text}`);
      if (this.count !== null) this.count -= uids;
      return;
    }
    if (/^BYE\b/i.test(text)) this.stats.byes.push(`* ${text}`);
  }

  private checkExpungeAllowed(response: string): void {
    const current = this.pending[0];
    if (!current) {
      this.violation(`${response} sent with no command in progress (${this.where()})`);
      return;
    }
    if (NO_EXPUNGE_DURING.has(current.name))
      this.violation(`${response} sent during ${current.tag} ${current.name} (${this.where()})`);
  }
}

export class WireRecorder {
  readonly violations: string[] = [];
  /** Lines (both ways) that matched `keep`, whenever they came (transcripts only keep the last ones). */
  readonly kept: string[] = [];
  /** Lines to keep in `kept`, e.g. /BODY\[\] NIL/. */
  keep: RegExp | undefined;
  readonly stats: WireStats = { connections: 0, commands: 0, expunges: 0, exists: 0, byes: [], completions: new Map() };
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly connections: WireConnection[] = [];
  /** When each connection was accepted (Date.now()), in order. */
  readonly acceptedAt: number[] = [];
  port = 0;

  private constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => this.relay(client));
  }

  /** Listen on 127.0.0.1 (random port) and relay each connection to `target`. */
  static async start(target: { host: string; port: number }): Promise<WireRecorder> {
    const recorder = new WireRecorder(target);
    await new Promise<void>((resolve) => recorder.server.listen(0, "127.0.0.1", resolve));
    const address = recorder.server.address();
    recorder.port = typeof address === "object" && address ? address.port : 0;
    return recorder;
  }

  private relay(client: Socket): void {
    const id = ++this.stats.connections;
    this.acceptedAt.push(Date.now());
    const state = new WireConnection(
      id,
      this.stats,
      (text) => this.violations.push(text),
      (text) => {
        if (this.keep?.test(text) && this.kept.length < 1000) this.kept.push(text);
      },
    );
    this.connections.push(state);
    const upstream = tcpConnect(this.target.port, this.target.host);
    this.sockets.add(client);
    this.sockets.add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const fromClient = new LineReader((line, partial) => state.fromClient(line, partial));
    const fromServer = new LineReader((line) => state.fromServer(line));
    // Parse before forwarding: the state must know a command before the answer can arrive.
    client.on("data", (chunk: Buffer) => {
      fromClient.push(chunk);
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      fromServer.push(chunk);
      client.write(chunk);
    });
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on("close", closeBoth);
    upstream.on("close", closeBoth);
    client.on("error", closeBoth);
    upstream.on("error", closeBoth);
  }

  /** Put a line (e.g. "-- killed dovecot 1") into every connection's transcript. */
  mark(text: string): void {
    for (const c of this.connections) c.note(`-- ${text}`);
  }

  /** The last `lines` lines of connection `id` (1 = the first accepted). */
  transcript(id: number, lines = 60): string[] {
    return this.connections[id - 1]?.transcript.slice(-lines) ?? [];
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
