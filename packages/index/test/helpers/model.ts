import type { MailboxIndex, ReadView } from "../../src/index.js";
import { message } from "./mailbox.js";

/*
 * An independent, naive model of a mailbox (a Map of UID → flag names) that the random
 * workloads apply their requests to, to check the index against.
 */

export const FLAG_POOL = [
  "\\Seen",
  "\\Answered",
  "\\Flagged",
  "\\Deleted",
  "\\Draft",
  "$Junk",
  "$Label1",
  "Work",
  "$Forwarded",
];

export class Model {
  messages = new Map<number, Set<string>>();
  uidNext = 1;

  clone(): Model {
    const m = new Model();
    for (const [u, f] of this.messages) m.messages.set(u, new Set(f));
    m.uidNext = this.uidNext;
    return m;
  }

  append(flags: string[]): number {
    const uid = this.uidNext++;
    this.messages.set(uid, new Set(flags));
    return uid;
  }

  store(uids: number[], mode: "add" | "remove" | "replace", flags: string[]): void {
    for (const u of uids) {
      const cur = this.messages.get(u);
      if (!cur) continue;
      if (mode === "replace") cur.clear();
      for (const f of flags) {
        if (mode === "remove") cur.delete(f);
        else cur.add(f);
      }
    }
  }

  expunge(uids: number[]): void {
    for (const u of uids) this.messages.delete(u);
  }

  /** Canonical text of the whole mailbox. */
  key(): string {
    return [...this.messages]
      .sort((a, b) => a[0] - b[0])
      .map(([u, f]) => `${u}:${[...f].sort().join(" ")}`)
      .join(",");
  }
}

/** The same canonical text, read from an index through a read view. */
export async function indexKey(index: MailboxIndex): Promise<string> {
  const view: ReadView = await index.view();
  try {
    return [...view.uids()].map((u) => `${u}:${[...view.get(u)!.flags].sort().join(" ")}`).join(",");
  } finally {
    view.close();
  }
}

/** A random transaction applied to both the index transaction and the model. */
export function randomTransaction(index: MailboxIndex, model: Model, random: () => number) {
  const tx = index.transaction();
  const pick = () => FLAG_POOL.filter(() => random() < 0.3);
  const present = [...model.messages.keys()];
  const choose = () => present.filter(() => random() < 0.2);
  const n = 1 + Math.floor(random() * 3);
  for (let k = 0; k < n; k++) {
    const r = random();
    // Appends get rarer as the mailbox grows, so it stays a few hundred messages.
    if (r < 0.45 * (1 - Math.min(present.length, 400) / 400) || present.length === 0) {
      const flags = pick();
      tx.append(message(model.uidNext, flags));
      model.append(flags);
    } else if (r < 0.85) {
      const uids = choose();
      if (uids.length === 0) continue;
      const mode = (["add", "remove", "replace"] as const)[Math.floor(random() * 3)]!;
      const flags = pick();
      tx.store(uids, mode, flags);
      model.store(uids, mode, flags);
    } else {
      const uids = choose().slice(0, 3);
      if (uids.length === 0) continue;
      tx.expunge(uids);
      model.expunge(uids);
    }
  }
  return tx;
}
