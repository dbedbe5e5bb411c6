import type { MailboxState } from "./state.js";

/**
 * Differences between two states, in words (empty when equal). Compares what a client can
 * observe and what the digest covers: counters, keyword names, every message field,
 * tombstones. Used by verify (backup + log against the snapshot) and by tests.
 */
export function compareStates(a: MailboxState, b: MailboxState, limit = 20): string[] {
  const out: string[] = [];
  const note = (text: string) => {
    if (out.length < limit) out.push(text);
  };
  for (const key of ["uidValidity", "uidNext", "highestModseq", "firstRecentUid", "seq"] as const) {
    if (a[key] !== b[key]) note(`${key}: ${a[key]} vs ${b[key]}`);
  }
  if (a.digest !== b.digest) note(`digest: ${a.digest} vs ${b.digest}`);
  if (a.keywords.names.join("\n") !== b.keywords.names.join("\n")) note("keyword tables differ");
  const ta = a.messages;
  const tb = b.messages;
  if (ta.count !== tb.count) note(`message count: ${ta.count} vs ${tb.count}`);
  const n = Math.min(ta.count, tb.count);
  for (let i = 0; i < n && out.length < limit; i++) {
    const uid = ta.uids[i]!;
    if (uid !== tb.uids[i]) {
      note(`message ${i}: UID ${uid} vs ${tb.uids[i]}`);
      continue;
    }
    if (ta.flags[i] !== tb.flags[i]) note(`UID ${uid}: flags ${ta.flags[i]} vs ${tb.flags[i]}`);
    const ka = ta.keywordsAt(i);
    const kb = tb.keywordsAt(i);
    if (ka.some((v, w) => v !== kb[w])) note(`UID ${uid}: keywords differ`);
    if (ta.modseqs[i] !== tb.modseqs[i]) note(`UID ${uid}: modseq ${ta.modseqs[i]} vs ${tb.modseqs[i]}`);
    if (ta.sizes[i] !== tb.sizes[i] || ta.dates[i] !== tb.dates[i] || ta.hashAt(i) !== tb.hashAt(i))
      note(`UID ${uid}: size, date or content hash differ`);
    for (let k = 0; k < 16; k++) {
      if (ta.guids[i * 16 + k] !== tb.guids[i * 16 + k]) {
        note(`UID ${uid}: GUID differs`);
        break;
      }
    }
  }
  const xa = a.tombstones;
  const xb = b.tombstones;
  if (xa.count !== xb.count || xa.floor !== xb.floor)
    note(`tombstones: ${xa.count}/${xa.floor} vs ${xb.count}/${xb.floor}`);
  else
    for (let i = 0; i < xa.count; i++)
      if (xa.uids[i] !== xb.uids[i] || xa.modseqs[i] !== xb.modseqs[i]) {
        note(`tombstone ${i} differs`);
        break;
      }
  return out;
}
