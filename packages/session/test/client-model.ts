import type { Notification, SequenceMap } from "../src/index.js";

/**
 * What an IMAP client knows of the selected mailbox, kept the way a client keeps it: by
 * sequence number, changed only by the notifications it receives. For new messages
 * (EXISTS) a real client would FETCH the UIDs; the test reads them from the session's map,
 * which is what such a FETCH would return.
 */
export class ClientModel {
  uids: number[];
  flags: (readonly string[])[];

  constructor(uids: number[], flags: (readonly string[])[]) {
    this.uids = [...uids];
    this.flags = flags.map((f) => [...f]);
  }

  apply(notifications: Notification[], map: SequenceMap, newFlags: (uid: number) => readonly string[]): void {
    for (const n of notifications) {
      switch (n.type) {
        case "expunge":
          if (n.seq < 1 || n.seq > this.uids.length) throw new Error(`EXPUNGE ${n.seq} out of range`);
          this.uids.splice(n.seq - 1, 1);
          this.flags.splice(n.seq - 1, 1);
          break;
        case "vanished":
          for (const r of n.uids) {
            for (let uid = r.lo; uid <= r.hi; uid++) {
              const i = this.uids.indexOf(uid);
              if (i >= 0) {
                this.uids.splice(i, 1);
                this.flags.splice(i, 1);
              }
            }
          }
          break;
        case "exists":
          if (n.count < this.uids.length) throw new Error("EXISTS went down");
          for (let seq = this.uids.length + 1; seq <= n.count; seq++) {
            const uid = map.uidAt(seq)!;
            this.uids.push(uid);
            this.flags.push(newFlags(uid));
          }
          break;
        case "fetch":
          if (this.uids[n.seq - 1] !== n.uid)
            throw new Error(`FETCH ${n.seq} names UID ${n.uid}, client has ${this.uids[n.seq - 1]}`);
          this.flags[n.seq - 1] = n.flags;
          break;
      }
    }
  }
}

export function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  const fa = [...new Set(a.map((f) => f.toLowerCase()))].sort();
  const fb = [...new Set(b.map((f) => f.toLowerCase()))].sort();
  return fa.length === fb.length && fa.every((f, i) => f === fb[i]);
}
