/**
 * Copy every mailbox of a remote IMAP account with imapflow: flags (keywords included,
 * \Recent excluded) and internal dates kept. Resumable and idempotent: the list of
 * (size, INTERNALDATE) of what the target already holds decides which messages need to be
 * downloaded at all, and the content-hash check of ImportTarget decides what is appended.
 */

import type { Store } from "@holdfast/store";
import { ImapFlow } from "imapflow";
import { type ImportCounts, ImportTarget, toCrlf } from "./target.js";

export interface ImapSource {
  host: string;
  port: number;
  user: string;
  password: string;
  tls: boolean;
  insecure?: boolean;
}

export async function importImap(
  store: Store,
  targetUser: string,
  source: ImapSource,
  onMessage: () => void,
): Promise<ImportCounts[]> {
  const client = new ImapFlow({
    host: source.host,
    port: source.port,
    secure: source.tls,
    auth: { user: source.user, pass: source.password },
    logger: false,
    tls: { rejectUnauthorized: !source.insecure },
  });
  client.on("error", () => undefined); // surfaced by the awaited calls
  await client.connect();
  const results: ImportCounts[] = [];
  try {
    const boxes = await client.list();
    for (const box of boxes) {
      if (box.flags.has("\\Noselect") || box.flags.has("\\NonExistent")) continue;
      const name = box.path.toUpperCase() === "INBOX" ? "INBOX" : box.path.split(box.delimiter || "/").join("/");
      const target = await ImportTarget.open(store, targetUser, name);
      const lock = await client.getMailboxLock(box.path, { readOnly: true });
      try {
        const wanted: { uid: number; flags: string[]; date: number }[] = [];
        const sizeDates = new Map(target.sizeDates);
        if ((client.mailbox && typeof client.mailbox === "object" ? client.mailbox.exists : 0) > 0) {
          for await (const m of client.fetch("1:*", { uid: true, flags: true, internalDate: true, size: true })) {
            const date = new Date(m.internalDate ?? 0).getTime();
            const key = `${m.size}:${date}`;
            const have = sizeDates.get(key) ?? 0;
            target.counts.seen++;
            if (have > 0) {
              // already imported (size and date match): not downloaded again
              sizeDates.set(key, have - 1);
              target.counts.skipped++;
              onMessage();
              continue;
            }
            wanted.push({ uid: m.uid, flags: [...(m.flags ?? [])].filter((f) => f !== "\\Recent"), date });
          }
        }
        for (const w of wanted) {
          const msg = await client.fetchOne(String(w.uid), { source: true }, { uid: true });
          if (msg === false || !msg.source) continue;
          target.counts.seen--; // add() counts it again
          await target.add({ bytes: toCrlf(msg.source), flags: w.flags, internalDate: w.date });
          onMessage();
        }
      } finally {
        lock.release();
      }
      results.push(target.counts);
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
  return results;
}
