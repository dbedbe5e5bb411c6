import { readdir } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ancestorsOf,
  canonicalMailboxName,
  canonicalUsername,
  StoreError,
  StoreInputError,
  userFolderName,
} from "../src/index.js";
import { withStore } from "./helpers/store.js";

const SAFE_FOLDER = /^[a-z0-9._@+%A-F-]+$/;

describe("name properties", () => {
  it("a username either is refused with StoreInputError or maps to one safe, distinct folder", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "binary", maxLength: 20 }), { minLength: 2, maxLength: 6 }), (names) => {
        const folders = new Map<string, string>();
        for (const name of names) {
          let canonical: string;
          try {
            canonical = canonicalUsername(name);
          } catch (error) {
            expect(error).toBeInstanceOf(StoreInputError);
            continue;
          }
          const folder = userFolderName(name);
          expect(SAFE_FOLDER.test(folder)).toBe(true);
          expect(folder === "." || folder === ".." || folder.startsWith(".")).toBe(false);
          const other = folders.get(folder);
          if (other !== undefined) expect(other).toBe(canonical);
          folders.set(folder, canonical);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("a mailbox name is refused or canonical: idempotent, no traversal, no empty component", () => {
    const part = fc.oneof(
      fc.constantFrom("a", "B", "inbox", "INBOX", "..", ".", "", " x", "ü", "*", "%", "\0", "x/y"),
      fc.string({ unit: "grapheme", maxLength: 6 }),
    );
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 5 }), (parts) => {
        const name = parts.join("/");
        let c: string;
        try {
          c = canonicalMailboxName(name);
        } catch (error) {
          expect(error).toBeInstanceOf(StoreInputError);
          return;
        }
        expect(canonicalMailboxName(c)).toBe(c);
        for (const p of c.split("/")) {
          expect(p.length).toBeGreaterThan(0);
          expect(p === "." || p === "..").toBe(false);
        }
        expect(c.includes("\0")).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});

type Op =
  | { kind: "create"; name: string }
  | { kind: "delete"; name: string }
  | { kind: "rename"; from: string; to: string }
  | { kind: "append"; name: string };

describe("mailbox list invariants under random CREATE / DELETE / RENAME / APPEND", () => {
  it("keeps parents, INBOX, unique never-reused UIDVALIDITYs, and folders matching the list", async () => {
    const names = fc.constantFrom("A", "A/B", "A/B/C", "B", "B/A", "INBOX/Sub", "inbox", "C");
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant("create" as const), name: names }),
      fc.record({ kind: fc.constant("delete" as const), name: names }),
      fc.record({ kind: fc.constant("rename" as const), from: names, to: names }),
      fc.record({ kind: fc.constant("append" as const), name: names }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        await withStore(
          async (store, dir) => {
            await store.users.add("p", "pw");
            const mb = await store.mailboxes("p");
            const everSeen = new Map<number, string>();
            for (const o of ops) {
              try {
                if (o.kind === "create") await mb.create(o.name);
                else if (o.kind === "delete") await mb.delete(o.name);
                else if (o.kind === "rename") await mb.rename(o.from, o.to);
                else await mb.append(o.name, "Subject: x\r\n\r\nx\r\n");
              } catch (error) {
                // refusals are typed store errors, never anything else
                expect(error).toBeInstanceOf(StoreError);
              }
              const list = mb.listMailboxes();
              const byName = new Map(list.map((m) => [m.name, m]));
              expect(byName.get("INBOX")?.selectable).toBe(true);
              for (const m of list) for (const a of ancestorsOf(m.name)) expect(byName.has(a)).toBe(true);
              const live = list.filter((m) => m.selectable);
              expect(new Set(live.map((m) => m.uidValidity)).size).toBe(live.length);
              for (const m of live) {
                // a UIDVALIDITY belongs to one mailbox id for ever
                const owner = everSeen.get(m.uidValidity);
                if (owner !== undefined) expect(owner).toBe(String(m.id));
                everSeen.set(m.uidValidity, String(m.id));
                expect((await mb.status(m.name)).uidValidity).toBe(m.uidValidity);
              }
              const folders = (await readdir(join(dir, "users/p/mailboxes"))).sort();
              expect(folders).toEqual(live.map((m) => String(m.id)).sort());
            }
          },
          { fsync: false },
        );
      }),
      { numRuns: 15 },
    );
  });
});
