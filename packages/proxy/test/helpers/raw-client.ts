import { connect, type Socket } from "node:net";
import { type TLSSocket, connect as tlsConnect } from "node:tls";

/**
 * A raw IMAP client for tests: writes exactly the bytes given and collects response lines,
 * so tests see what goes over the wire (including malformed input no library would send).
 */
export class RawClient {
  private buffer = "";
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(public socket: Socket | TLSSocket) {
    this.listen(socket);
  }

  private listen(socket: Socket | TLSSocket): void {
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => {
      this.buffer += d;
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on("close", () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on("error", () => {});
  }

  static async open(port: number): Promise<RawClient> {
    const socket = connect(port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    return new RawClient(socket);
  }

  /** Connect, read the greeting and LOGIN (tag `l`); throws unless LOGIN says OK. */
  static async loggedIn(port: number, user: string, password: string): Promise<RawClient> {
    const c = await RawClient.open(port);
    await c.line();
    const last = (await c.command("l", `LOGIN ${user} ${password}`)).at(-1) ?? "";
    if (!/^l OK/.test(last)) throw new Error(`LOGIN ${user} failed: ${last}`);
    return c;
  }

  /** Switch to TLS on the same TCP connection (after STARTTLS's OK). */
  async startTls(): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners("data");
    const secure = tlsConnect({ socket: plain, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once("secureConnect", resolve);
      secure.once("error", reject);
    });
    this.buffer = "";
    this.socket = secure;
    this.listen(secure);
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  private async waitFor(predicate: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (this.closed) return;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; received so far:\n${this.buffer}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Next complete line (without CRLF). */
  async line(timeoutMs = 5000): Promise<string> {
    await this.waitFor(() => this.buffer.includes("\r\n"), timeoutMs);
    const i = this.buffer.indexOf("\r\n");
    if (i < 0) throw new Error("connection closed");
    const line = this.buffer.slice(0, i);
    this.buffer = this.buffer.slice(i + 2);
    return line;
  }

  /** Every line up to and including the tagged completion for `tag`. */
  async untilTagged(tag: string, timeoutMs = 5000): Promise<string[]> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.line(timeoutMs);
      lines.push(line);
      if (line.startsWith(`${tag} `)) return lines;
    }
  }

  /** Send a command line and collect the response. */
  async command(tag: string, text: string, timeoutMs = 5000): Promise<string[]> {
    this.write(`${tag} ${text}\r\n`);
    return this.untilTagged(tag, timeoutMs);
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    await this.waitFor(() => this.closed, timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }
}
