import { createReadStream } from "node:fs";
import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
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
 * Failover: APPEND is not re-issued when the connection breaks during it (a second copy
 * could result); the client gets NO [UNAVAILABLE] and may retry. Whether the first
 * attempt landed is not checked (a Message-ID + size search would need the target
 * mailbox selected on another connection): a client retrying may create a duplicate.
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
      const result = await this.link.run(async (c) => {
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
      }, false);
      // Appended to the selected mailbox: its EXISTS goes out before the tagged OK.
      await this.link.settle();
      return result;
    } finally {
      await this.abort();
    }
  }

  async abort(): Promise<void> {
    const dir = this.dir;
    this.dir = null;
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
