import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BETWEEN_COMMANDS,
  FlagSetTable,
  flushPermissionFor,
  type MessageState,
  NotificationQueue,
  SequenceMap,
} from "../src/index.js";
import { ClientModel, sameFlags } from "./client-model.js";

function queueWith(uids: number[], qresync = false): NotificationQueue {
  return new NotificationQueue(SequenceMap.fromUids(uids), new FlagSetTable(), { qresync });
}

describe("flush permissions (RFC 9051 §7.5.1)", () => {
  it("holds EXPUNGE during FETCH, STORE, SEARCH, COPY, MOVE by sequence number and between commands", () => {
    for (const cmd of ["FETCH", "STORE", "SEARCH", "COPY", "MOVE", "SORT", "THREAD"]) {
      expect(flushPermissionFor(cmd, false).expunge).toBe(false);
      expect(flushPermissionFor(cmd, true).expunge).toBe(true);
    }
    for (const cmd of ["NOOP", "IDLE", "CHECK", "SELECT", "EXPUNGE", "STATUS", "LIST", "APPEND"]) {
      expect(flushPermissionFor(cmd, false).expunge).toBe(true);
    }
    expect(BETWEEN_COMMANDS.expunge).toBe(false);
  });
});

describe("NotificationQueue", () => {
  it("during a FETCH by number, new mail is announced but expunges wait; EXISTS counts the waiting ones", () => {
    const q = queueWith([1, 2, 3, 4]);
    q.apply({ kind: "expunge", uids: [2] });
    q.apply({ kind: "append", messages: [{ uid: 5, flags: [] }] });
    expect(q.flush(flushPermissionFor("FETCH", false))).toEqual([{ type: "exists", count: 5 }]);
    expect(q.isExpungePending(2)).toBe(true);
    expect(q.map.uidAt(2)).toBe(2); // the client's message 2 is still UID 2
    expect(q.flush(flushPermissionFor("NOOP", false))).toEqual([{ type: "expunge", seq: 2 }]);
    expect([...q.map.toUids()]).toEqual([1, 3, 4, 5]);
    expect(q.hasPending).toBe(false);
  });

  it("sends several expunges highest first, so each number is valid when applied", () => {
    const q = queueWith([10, 20, 30, 40, 50]);
    q.apply({ kind: "expunge", uids: [20, 40, 50] });
    expect(q.flush({ expunge: true })).toEqual([
      { type: "expunge", seq: 5 },
      { type: "expunge", seq: 4 },
      { type: "expunge", seq: 2 },
    ]);
  });

  it("under QRESYNC sends one VANISHED with UID ranges", () => {
    const q = queueWith([10, 11, 12, 13, 20], true);
    q.apply({ kind: "expunge", uids: [13, 11, 12, 20] });
    expect(q.flush({ expunge: true })).toEqual([
      {
        type: "vanished",
        uids: [
          { lo: 11, hi: 13 },
          { lo: 20, hi: 20 },
        ],
      },
    ]);
  });

  it("coalesces: one EXISTS for many, latest flags win, news the client never needs is dropped", () => {
    const q = queueWith([1, 2, 3]);
    q.apply({
      kind: "append",
      messages: [
        { uid: 4, flags: [] },
        { uid: 5, flags: [] },
      ],
    });
    q.apply({ kind: "append", messages: [{ uid: 6, flags: [] }] });
    q.apply({ kind: "expunge", uids: [5] }); // arrived and left before the client heard
    q.apply({ kind: "flags", messages: [{ uid: 1, flags: ["\\Seen"], modseq: 5n }] });
    q.apply({ kind: "flags", messages: [{ uid: 1, flags: ["\\Seen", "\\Flagged"], modseq: 6n }] });
    q.apply({ kind: "flags", messages: [{ uid: 1, flags: ["\\Seen"], modseq: 4n }] }); // stale, older MODSEQ
    q.apply({ kind: "flags", messages: [{ uid: 2, flags: ["\\Deleted"] }] });
    q.apply({ kind: "expunge", uids: [2] }); // its flag change is moot
    q.apply({ kind: "flags", messages: [{ uid: 3, flags: [] }] }); // what the client has already
    expect(q.flush({ expunge: true })).toEqual([
      { type: "expunge", seq: 2 },
      { type: "exists", count: 4 },
      { type: "fetch", seq: 1, uid: 1, flags: ["\\Flagged", "\\Seen"], modseq: 6n },
    ]);
    expect([...q.map.toUids()]).toEqual([1, 3, 4, 6]);
  });

  it("queues nothing for a flags change that is what the client already has, but keeps a change back to it", () => {
    const q = queueWith([1, 2]);
    q.apply({ kind: "flags", messages: [{ uid: 1, flags: [] }] });
    expect(q.hasPending).toBe(false);
    // Changed, then changed back before a flush: the queued change is replaced, not kept.
    q.apply({ kind: "flags", messages: [{ uid: 2, flags: ["\\Seen"] }] });
    q.apply({ kind: "flags", messages: [{ uid: 2, flags: [] }] });
    expect(q.hasPending).toBe(true);
    expect(q.flush({ expunge: true })).toEqual([]);
    // A new MODSEQ for the same flags is news under CONDSTORE.
    q.apply({ kind: "flags", messages: [{ uid: 1, flags: [], modseq: 9n }] });
    expect(q.hasPending).toBe(true);
    expect(q.flush({ expunge: true })).toEqual([{ type: "fetch", seq: 1, uid: 1, flags: [], modseq: 9n }]);
  });

  it("never sends flags older than what the client was already told", () => {
    const q = queueWith([1]);
    q.map.setAttributes(1, q.flagSets.intern([]), 5n);
    q.apply({ kind: "flags", messages: [{ uid: 1, flags: ["\\Flagged"], modseq: 6n }] });
    // A STORE answered the client directly with newer state while that change was queued.
    q.map.setAttributes(1, q.flagSets.intern(["\\Flagged", "\\Seen"]), 7n);
    expect(q.flush({ expunge: true })).toEqual([]);
    expect(q.map.attributes(1)).toEqual({ flagSet: q.flagSets.intern(["\\Seen", "\\Flagged"]), modseq: 7n });
  });

  it("a new UID not above the known ones is an inconsistency, not silently inserted", () => {
    const q = queueWith([5, 9]);
    q.map.expunge(9);
    q.apply({ kind: "append", messages: [{ uid: 7, flags: [] }] });
    expect(q.inconsistency).toMatch(/UID 7/);
    expect(q.flush({ expunge: true })).toEqual([]);
  });

  it("a repeated append of a known UID is a flag update", () => {
    const q = queueWith([1]);
    q.apply({ kind: "append", messages: [{ uid: 1, flags: ["\\Answered"] }] });
    expect(q.flush({ expunge: true })).toEqual([{ type: "fetch", seq: 1, uid: 1, flags: ["\\Answered"] }]);
    expect(q.inconsistency).toBeNull();
  });

  // The client's view must stay in step through any interleaving of changes and flushes,
  // no EXPUNGE may leave where it is not allowed, and once everything is flushed the client
  // must see exactly the backend's mailbox.
  it("keeps a simulated client exactly in step under random changes and flush points (property)", () => {
    type Step =
      | { s: "append"; n: number; flag: boolean }
      | { s: "expunge"; pick: number }
      | { s: "flags"; pick: number; flag: boolean }
      | { s: "flush"; command: string; uid: boolean };
    const stepArb: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ s: fc.constant("append" as const), n: fc.integer({ min: 1, max: 3 }), flag: fc.boolean() }),
      fc.record({ s: fc.constant("expunge" as const), pick: fc.nat() }),
      fc.record({ s: fc.constant("flags" as const), pick: fc.nat(), flag: fc.boolean() }),
      fc.record({
        s: fc.constant("flush" as const),
        command: fc.constantFrom("FETCH", "STORE", "SEARCH", "NOOP", "IDLE", "COPY"),
        uid: fc.boolean(),
      }),
    );
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 120 }), fc.boolean(), (steps, qresync) => {
        const backend = new Map<number, readonly string[]>([1, 2, 3, 4, 5].map((u) => [u, []]));
        let nextUid = 6;
        let modseq = 1n;
        const q = queueWith([...backend.keys()], qresync);
        const client = new ClientModel([...backend.keys()], [...backend.values()]);
        const flagsOf = (uid: number) => backend.get(uid) ?? [];
        for (const step of steps) {
          if (step.s === "append") {
            const added: MessageState[] = [];
            for (let i = 0; i < step.n; i++) {
              const m = { uid: nextUid++, flags: step.flag ? ["\\Recent"] : [], modseq: ++modseq };
              backend.set(m.uid, m.flags);
              added.push(m);
            }
            q.apply({ kind: "append", messages: added });
          } else if (step.s !== "flush" && backend.size > 0) {
            const uids = [...backend.keys()];
            const uid = uids[step.pick % uids.length]!;
            if (step.s === "expunge") {
              backend.delete(uid);
              q.apply({ kind: "expunge", uids: [uid] });
            } else {
              const flags = step.flag ? ["\\Seen"] : ["\\Flagged", "$Label1"];
              backend.set(uid, flags);
              q.apply({ kind: "flags", messages: [{ uid, flags, modseq: ++modseq }] });
            }
          }
          if (step.s === "flush") {
            const permission = flushPermissionFor(step.command, step.uid);
            const out = q.flush(permission);
            if (!permission.expunge) expect(out.some((n) => n.type === "expunge" || n.type === "vanished")).toBe(false);
            client.apply(out, q.map, flagsOf);
            expect(client.uids).toEqual([...q.map.toUids()]);
          }
        }
        client.apply(q.flush({ expunge: true }), q.map, flagsOf);
        expect(client.uids).toEqual([...backend.keys()]);
        for (const [i, uid] of client.uids.entries()) expect(sameFlags(client.flags[i]!, backend.get(uid)!)).toBe(true);
        expect(q.inconsistency).toBeNull();
      }),
      { numRuns: 300 },
    );
  });
});
