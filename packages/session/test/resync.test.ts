import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FlagSetTable, type MessageState, NotificationQueue, resync, SequenceMap } from "../src/index.js";
import { ClientModel, sameFlags } from "./client-model.js";

const FLAG_CHOICES: (readonly string[])[] = [
  [],
  ["\\Seen"],
  ["\\Seen", "\\Answered"],
  ["\\Flagged"],
  ["$Junk", "\\Seen"],
];

/** A session whose client has seen `messages` (flags and MODSEQs included). */
function sessionOf(messages: MessageState[], qresync = false): { q: NotificationQueue; client: ClientModel } {
  const flagSets = new FlagSetTable();
  const map = SequenceMap.fromUids(
    messages.map((m) => m.uid),
    messages.map((m) => flagSets.intern(m.flags)),
    messages.map((m) => m.modseq ?? 0n),
  );
  const q = new NotificationQueue(map, flagSets, { qresync });
  const client = new ClientModel(
    messages.map((m) => m.uid),
    messages.map((m) => m.flags),
  );
  return { q, client };
}

describe("resync", () => {
  it("produces exactly the expunges, EXISTS and FETCHes that bring the client in line", () => {
    const { q, client } = sessionOf([
      { uid: 1, flags: [], modseq: 1n },
      { uid: 2, flags: ["\\Seen"], modseq: 2n },
      { uid: 3, flags: [], modseq: 3n },
      { uid: 4, flags: [], modseq: 4n },
    ]);
    const truth: MessageState[] = [
      { uid: 1, flags: [], modseq: 1n }, // unchanged
      { uid: 3, flags: ["\\Seen"], modseq: 7n }, // changed
      { uid: 4, flags: [], modseq: 4n },
      { uid: 6, flags: ["\\Recent"], modseq: 8n }, // new
    ];
    const result = resync(q, { kind: "full", messages: truth });
    expect(result.ok).toBe(true);
    const out = q.flush({ expunge: true });
    expect(out).toEqual([
      { type: "expunge", seq: 2 },
      { type: "exists", count: 4 },
      { type: "fetch", seq: 2, uid: 3, flags: ["\\Seen"], modseq: 7n },
    ]);
    client.apply(out, q.map, (uid) => truth.find((m) => m.uid === uid)!.flags);
    expect(client.uids).toEqual([1, 3, 4, 6]);
  });

  it("a QRESYNC-style change set gives the same result as the full list", () => {
    const { q } = sessionOf([
      { uid: 1, flags: [], modseq: 1n },
      { uid: 2, flags: [], modseq: 2n },
    ]);
    const result = resync(q, {
      kind: "changes",
      vanished: [2, 99],
      changed: [
        { uid: 5, flags: [], modseq: 9n },
        { uid: 1, flags: ["\\Seen"], modseq: 8n },
      ],
    });
    expect(result.ok).toBe(true);
    expect(q.flush({ expunge: true })).toEqual([
      { type: "expunge", seq: 2 },
      { type: "exists", count: 2 },
      { type: "fetch", seq: 1, uid: 1, flags: ["\\Seen"], modseq: 8n },
    ]);
  });

  it("sends nothing when the backend matches", () => {
    const messages = [
      { uid: 3, flags: ["\\Seen"], modseq: 3n },
      { uid: 8, flags: [], modseq: 5n },
    ];
    const { q } = sessionOf(messages);
    expect(resync(q, { kind: "full", messages })).toEqual({ ok: true, changes: [] });
    expect(q.flush({ expunge: true })).toEqual([]);
  });

  it("refuses a UID the client never saw below the ones it has seen", () => {
    const { q } = sessionOf([
      { uid: 1, flags: [] },
      { uid: 5, flags: [] },
    ]);
    const result = resync(q, {
      kind: "full",
      messages: [
        { uid: 1, flags: [] },
        { uid: 3, flags: [] },
        { uid: 5, flags: [] },
      ],
    });
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/UID 3/) });
    expect(q.hasPending).toBe(false);
  });

  it("refuses a message that comes back after the client was told it was expunged", () => {
    const { q } = sessionOf([
      { uid: 1, flags: [] },
      { uid: 2, flags: [] },
    ]);
    q.apply({ kind: "expunge", uids: [2] });
    q.flush({ expunge: true });
    expect(
      resync(q, {
        kind: "full",
        messages: [
          { uid: 1, flags: [] },
          { uid: 2, flags: [] },
        ],
      }).ok,
    ).toBe(false);
  });

  it("replaces what the old backend had queued: an unsent expunge the new backend does not confirm is dropped", () => {
    const { q } = sessionOf([
      { uid: 1, flags: [] },
      { uid: 2, flags: [] },
    ]);
    q.apply({ kind: "expunge", uids: [2] });
    q.apply({ kind: "append", messages: [{ uid: 3, flags: [] }] });
    expect(
      resync(q, {
        kind: "full",
        messages: [
          { uid: 1, flags: [] },
          { uid: 2, flags: [] },
        ],
      }).ok,
    ).toBe(true);
    expect(q.flush({ expunge: true })).toEqual([]);
    expect([...q.map.toUids()]).toEqual([1, 2]);
  });

  it("brings any client state, with changes still queued, exactly to the backend's truth (property)", () => {
    const messageArb = fc.record({ keep: fc.boolean(), flags: fc.nat(FLAG_CHOICES.length - 1), bump: fc.boolean() });
    fc.assert(
      fc.property(
        fc.array(messageArb, { maxLength: 60 }),
        fc.array(fc.nat(FLAG_CHOICES.length - 1), { maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        fc.boolean(),
        fc.boolean(),
        (plan, added, queuedExpunges, qresync, asChanges) => {
          const initial: MessageState[] = plan.map((_, i) => ({ uid: 2 * i + 1, flags: [], modseq: BigInt(i + 1) }));
          const { q, client } = sessionOf(initial, qresync);
          // Some changes from the old backend already queued, not yet sent.
          for (const pick of queuedExpunges) {
            if (initial.length) q.apply({ kind: "expunge", uids: [initial[pick % initial.length]!.uid] });
          }
          let modseq = BigInt(initial.length + 100);
          const truth: MessageState[] = [];
          const vanished: number[] = [];
          const changed: MessageState[] = [];
          plan.forEach((p, i) => {
            const before = initial[i]!;
            if (!p.keep) {
              vanished.push(before.uid);
              return;
            }
            const now: MessageState = p.bump
              ? { uid: before.uid, flags: FLAG_CHOICES[p.flags]!, modseq: ++modseq }
              : { ...before };
            truth.push(now);
            if (p.bump) changed.push(now);
          });
          let uid = 2 * plan.length + 5;
          for (const f of added) {
            const m = { uid: uid++, flags: FLAG_CHOICES[f]!, modseq: ++modseq };
            truth.push(m);
            changed.push(m);
          }
          const result = asChanges
            ? resync(q, { kind: "changes", vanished, changed })
            : resync(q, { kind: "full", messages: truth });
          expect(result.ok).toBe(true);
          const out = q.flush({ expunge: true });
          client.apply(out, q.map, (u) => truth.find((m) => m.uid === u)!.flags);
          expect(client.uids).toEqual(truth.map((m) => m.uid));
          for (const [i, m] of truth.entries()) expect(sameFlags(client.flags[i]!, m.flags)).toBe(true);
          // Exactly: one FETCH per surviving message whose state changed, nothing more.
          const fetches = out.filter((n) => n.type === "fetch").length;
          const survivorsChanged = plan.filter((p) => p.keep && p.bump).length;
          expect(fetches).toBe(survivorsChanged);
          expect(out.filter((n) => n.type === "exists").length).toBe(added.length > 0 ? 1 : 0);
        },
      ),
      { numRuns: 400 },
    );
  });
});
