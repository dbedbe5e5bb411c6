import type { FetchResponseItem } from "@holdfast/imap-codec";
import type { ImapClient } from "../../src/remote/index.js";

/**
 * UIDs and flags (without \Recent, sorted) of the mailbox selected on `c`, a connection
 * straight to a backend: the truth a proxied client's view is compared with.
 */
export async function uidsAndFlags(c: ImapClient): Promise<{ uid: number; flags: string[] }[]> {
  const r = await c.command({
    name: "FETCH",
    uid: true,
    set: [{ start: 1, end: "*" }],
    items: [{ type: "UID" }, { type: "FLAGS" }],
    vanished: false,
  });
  return r.untagged.flatMap((u) => (u.type === "FETCH" ? [uidAndFlagsOf(u.items)] : [])).sort((a, b) => a.uid - b.uid);
}

/** UID and flags (without \Recent, sorted) of one FETCH response's items (UID and FLAGS fetched). */
export function uidAndFlagsOf(items: readonly FetchResponseItem[]): { uid: number; flags: string[] } {
  return {
    uid: (items.find((i) => i.name === "UID") as { value: number }).value,
    flags: (items.find((i) => i.name === "FLAGS") as { value: string[] }).value.filter((f) => f !== "\\Recent").sort(),
  };
}
