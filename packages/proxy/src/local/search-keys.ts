import type { SearchKey } from "@holdfast/imap-codec";
import type { SearchKey as StoreSearchKey } from "@holdfast/store";
import { BackendError } from "../backend.js";

const FLAG_KEYS: Record<string, ["answered" | "deleted" | "draft" | "flagged" | "seen", boolean]> = {
  ANSWERED: ["answered", true],
  UNANSWERED: ["answered", false],
  DELETED: ["deleted", true],
  UNDELETED: ["deleted", false],
  DRAFT: ["draft", true],
  UNDRAFT: ["draft", false],
  FLAGGED: ["flagged", true],
  UNFLAGGED: ["flagged", false],
  SEEN: ["seen", true],
  UNSEEN: ["seen", false],
};

/**
 * An IMAP search key (UIDs only by now) as the store's search tree. \Recent is per session
 * (RFC 3501 §2.3.2): RECENT, NEW and OLD are answered from the session's own recent set,
 * not from the mailbox's, which SELECT has already moved past.
 */
export function toStoreKey(key: SearchKey, recent: ReadonlySet<number>): StoreSearchKey {
  const recentKey = (): StoreSearchKey =>
    recent.size === 0
      ? { type: "not", key: { type: "all" } }
      : { type: "uid", uids: [...recent].sort((a, b) => a - b) };
  const flag = FLAG_KEYS[key.type];
  if (flag) return { type: "flag", flag: flag[0], set: flag[1] };
  switch (key.type) {
    case "ALL":
      return { type: "all" };
    case "NEW":
      return { type: "and", keys: [recentKey(), { type: "flag", flag: "seen", set: false }] };
    case "OLD":
      return { type: "not", key: recentKey() };
    case "RECENT":
      return recentKey();
    case "KEYWORD":
    case "UNKEYWORD":
      return { type: "keyword", keyword: key.flag, set: key.type === "KEYWORD" };
    case "BCC":
    case "BODY":
    case "CC":
    case "FROM":
    case "SUBJECT":
    case "TEXT":
    case "TO":
      return { type: key.type.toLowerCase() as "bcc", value: key.value };
    case "HEADER":
      return { type: "header", field: key.field, value: key.value };
    case "BEFORE":
    case "ON":
    case "SINCE":
    case "SENTBEFORE":
    case "SENTON":
    case "SENTSINCE":
      return { type: key.type.toLowerCase() as "before", date: key.date };
    case "LARGER":
      return { type: "larger", size: key.size };
    case "SMALLER":
      return { type: "smaller", size: key.size };
    case "UID": {
      if (key.set === "$") throw new BackendError("CANNOT", "unresolved $ in SEARCH");
      const ranges = key.set.map((r): [number, number] => {
        const a = r.start === "*" ? 0xffffffff : r.start;
        const b = r.end === "*" ? 0xffffffff : r.end;
        return [Math.min(a, b), Math.max(a, b)];
      });
      return { type: "uid", uids: ranges };
    }
    case "MODSEQ":
      return { type: "modseq", modseq: Number(key.modseq) };
    case "NOT":
      return { type: "not", key: toStoreKey(key.key, recent) };
    case "OR":
      return { type: "or", left: toStoreKey(key.left, recent), right: toStoreKey(key.right, recent) };
    case "AND":
      return { type: "and", keys: key.keys.map((k) => toStoreKey(k, recent)) };
    default:
      throw new BackendError("CANNOT", `SEARCH ${key.type} is not supported.`);
  }
}
