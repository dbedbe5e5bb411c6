import { createReadStream } from "node:fs";
import { appendFile, mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatDateTime, type LiteralSource } from "@holdfast/imap-codec";
import type { AppendInput, AppendTransaction } from "../backend.js";
import { BackendError } from "../backend.js";
import type { Link } from "./link.js";
import { expand } from "./mailbox-tracker.js";

/*
 * APPEND to a backend. The client's bytes are staged first (in memory up to IN_MEMORY bytes,
 * in a temp file beyond), and only `commit()` sends them: one APPEND with every message
 * (MULTIAPPEND, RFC 3502: all or none) when the backend offers it, so nothing becomes
 * visible unless the whole client command was valid. Without MULTIAPPEND several messages
 * go as separate APPENDs (not atomic; the backend's own limit).
 *
 * Failover: APPEND is never re-issued blindly (a second copy could result). When the
 * connection breaks during the command, the outcome is checked once the session has
 * reconnected: on a side connection the target mailbox is selected and each message is
 * searched by its Message-ID and exact size (`UID SEARCH HEADER Message-ID <id> LARGER n-1
 * SMALLER n+1`). Every message found → the APPEND is reported done (OK [APPENDUID] with the
 * UIDs found); a found message that lacks some of the flags it was appended with (the
 * backend died between writing the message and its flags) gets them first. Otherwise (a
 * message without Message-ID, one not found, no connection, or the check not done within
 * `reconnect.attemptTimeoutMs`) → NO [UNAVAILABLE]: the outcome is unknown to the client, which may retry. The check
 * proves presence, not that this very command put it there: an identical message (same
 * Message-ID and size) that was already in the mailbox also counts.
 */

const IN_MEMORY = 1024 * 1024;

interface Staged {
  flags: string[];
  date?: Date;
  size: number;
  chunks: Buffer[] | null;
  file: string | null;
}

export class RemoteAppend implements AppendTransaction {
  private readonly staged: Staged[] = [];
  private dir: string | null = null;

  constructor(
    private readonly link: Link,
    private readonly wire: string,
  ) {}

  async stage(message: AppendInput): Promise<void> {
    const entry: Staged = {
      flags: message.flags.filter((f) => !/^\\recent$/i.test(f)),
      ...(message.date ? { date: message.date } : {}),
      size: message.size,
      chunks: [],
      file: null,
    };
    this.staged.push(entry);
    let got = 0;
    for await (const chunk of message.body) {
      got += chunk.length;
      if (entry.chunks && got > IN_MEMORY) {
        this.dir ??= await mkdtemp(join(tmpdir(), "holdfast-append-"));
        entry.file = join(this.dir, String(this.staged.length));
        await writeFile(entry.file, Buffer.concat(entry.chunks));
        entry.chunks = null;
      }
      if (entry.chunks) entry.chunks.push(chunk);
      else await appendFile(entry.file!, chunk);
    }
    if (got !== message.size) throw new BackendError("CANNOT", `Message has ${got} bytes, ${message.size} announced.`);
  }

  private data(entry: Staged): Buffer | LiteralSource {
    if (entry.chunks) return Buffer.concat(entry.chunks, entry.size);
    return { size: entry.size, source: createReadStream(entry.file!) };
  }

  async commit(): Promise<{ uidValidity: number; uids: number[] }> {
    try {
      let sent = false;
      const result = await this.link
        .run(async (c) => {
          // One APPEND per message would not be all or none (the front end refuses several
          // messages when MULTIAPPEND is withheld; here after a failover to a lesser host).
          if (this.staged.length > 1 && !c.capabilities.has("MULTIAPPEND")) {
            throw new BackendError("UNAVAILABLE", "MULTIAPPEND is not available on this server now.");
          }
          sent = true;
          const batches = c.capabilities.has("MULTIAPPEND") ? [this.staged] : this.staged.map((s) => [s]);
          let uidValidity = 0;
          const uids: number[] = [];
          for (const batch of batches) {
            const r = await c.command({
              name: "APPEND",
              mailbox: this.wire,
              messages: batch.map((s) => ({
                flags: s.flags,
                ...(s.date ? { date: formatDateTime(s.date) } : {}),
                data: this.data(s),
              })),
            });
            if (r.code?.name === "APPENDUID") {
              uidValidity = r.code.uidValidity;
              uids.push(...expand(r.code.uids));
            }
          }
          return { uidValidity, uids };
        }, false)
        .catch(async (error: unknown) => {
          if (!sent || !(error instanceof BackendError) || error.code !== "UNAVAILABLE") throw error;
          const proven = await this.verify().catch(() => null);
          if (!proven) throw error;
          this.link.log.info({ uids: proven.uids }, "APPEND outcome proven after a broken connection");
          return proven;
        });
      // Appended to the selected mailbox: its EXISTS goes out before the tagged OK.
      await this.link.settle();
      return result;
    } finally {
      await this.abort();
    }
  }

  /** The Message-ID of a staged message (from its header), or null. */
  private async messageId(entry: Staged): Promise<string | null> {
    let head: Buffer;
    if (entry.chunks) head = Buffer.concat(entry.chunks).subarray(0, 65536);
    else {
      const fd = await open(entry.file!, "r");
      try {
        const { buffer, bytesRead } = await fd.read(Buffer.alloc(65536), 0, 65536, 0);
        head = buffer.subarray(0, bytesRead);
      } finally {
        await fd.close();
      }
    }
    const text = head.toString("latin1");
    const end = text.search(/\r?\n\r?\n/);
    const header = (end >= 0 ? text.slice(0, end) : text).replace(/\r?\n[ \t]+/g, " ");
    const m = /^message-id:[ \t]*(<[^>\r\n]{1,500}>)/im.exec(header);
    return m ? m[1]! : null;
  }

  /** Is every staged message in the target mailbox? Their UIDs, or null. */
  private async verify(): Promise<{ uidValidity: number; uids: number[] } | null> {
    const ids: string[] = [];
    for (const entry of this.staged) {
      const id = await this.messageId(entry);
      if (id === null) return null;
      ids.push(id);
    }
    return this.link.withSideConnection(async (c) => {
      // SELECT, not EXAMINE: a message found without its flags gets them (below).
      const opened = await c.command({ name: "SELECT", mailbox: this.wire, condstore: false });
      let uidValidity = 0;
      for (const u of opened.untagged) {
        if (u.type === "STATUS-RESPONSE" && u.code?.name === "UIDVALIDITY") uidValidity = u.code.value;
      }
      const uids: number[] = [];
      for (let i = 0; i < this.staged.length; i++) {
        const size = this.staged[i]!.size;
        const r = await c.command({
          name: "SEARCH",
          uid: true,
          criteria: [
            { type: "HEADER", field: "Message-ID", value: ids[i]! },
            { type: "LARGER", size: Math.max(0, size - 1) },
            { type: "SMALLER", size: size + 1 },
          ],
        });
        const found = r.untagged.flatMap((u) => (u.type === "SEARCH" ? u.numbers : []));
        if (found.length === 0) return null;
        const uid = Math.max(...found);
        // A backend killed in the middle of the APPEND can leave the message visible but
        // without the flags it was given (they were still to be written): complete it.
        const wanted = this.staged[i]!.flags;
        if (wanted.length > 0) {
          const f = await c.command({
            name: "FETCH",
            uid: true,
            set: [{ start: uid, end: uid }],
            items: [{ type: "FLAGS" }],
            vanished: false,
          });
          const have = new Set(
            f.untagged
              .flatMap((u) =>
                u.type === "FETCH" ? u.items.flatMap((it) => (it.name === "FLAGS" ? it.value : [])) : [],
              )
              .map((x) => x.toLowerCase()),
          );
          const missing = wanted.filter((x) => !have.has(x.toLowerCase()));
          if (missing.length > 0) {
            await c.command({
              name: "STORE",
              uid: true,
              set: [{ start: uid, end: uid }],
              action: { operation: "add", silent: true, flags: missing },
            });
          }
        }
        uids.push(uid);
      }
      return { uidValidity, uids };
      // Bounded as a whole: a backend that cannot answer within the bound (a lock of shared
      // storage left by the instance that died) gets the client NO [UNAVAILABLE] now rather
      // than an answer after the client has given up.
    }, this.link.attemptTimeoutMs);
  }

  async abort(): Promise<void> {
    const dir = this.dir;
    this.dir = null;
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
