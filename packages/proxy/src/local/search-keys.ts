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

/** An IMAP search key (UIDs only by now) as the store's search tree. */
export function toStoreKey(key: SearchKey): StoreSearchKey {
  const flag = FLAG_KEYS[key.type];
  if (flag) return { type: "flag", flag: flag[0], set: flag[1] };
  switch (key.type) {
    case "ALL":
      return { type: "all" };
    case "NEW":
      return { type: "new" };
    case "OLD":
      return { type: "old" };
    case "RECENT":
      return { type: "recent" };
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
      return { type: "not", key: toStoreKey(key.key) };
    case "OR":
      return { type: "or", left: toStoreKey(key.left), right: toStoreKey(key.right) };
    case "AND":
      return { type: "and", keys: key.keys.map(toStoreKey) };
    default:
      throw new BackendError("CANNOT", `SEARCH ${key.type} is not supported.`);
  }
}
