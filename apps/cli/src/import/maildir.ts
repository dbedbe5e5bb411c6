/**
 * Maildir reader (Dovecot and Courier, Maildir++ layout): DIR itself is INBOX; each
 * subfolder `.A.B` is mailbox "A/B" (names in modified UTF-7). A message file is
 * `<unique>[,S=…][,W=…]:2,<info>` in cur/ (new/ holds unseen mail without info): upper-case
 * letters are system flags (S \Seen, R \Answered, F \Flagged, T \Deleted, D \Draft,
 * P $Forwarded — Courier's "passed"), lower-case letters are keywords a=0 … z=25 numbered by
 * the folder's `dovecot-keywords` file. The internal date is the file's mtime (Dovecot's
 * rule). Line ends become CRLF.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { decodeMutf7 } from "./mutf7.js";
import { toCrlf } from "./target.js";

export interface MaildirFolder {
  /** Mailbox name, "/" as the delimiter. */
  name: string;
  path: string;
}

export interface MaildirMessage {
  file: string;
  bytes: Buffer;
  flags: string[];
  internalDate: number;
}

async function isMaildir(path: string): Promise<boolean> {
  try {
    return (await stat(join(path, "cur"))).isDirectory();
  } catch {
    return false;
  }
}

export async function listMaildirFolders(root: string): Promise<MaildirFolder[]> {
  if (!(await isMaildir(root))) throw new Error(`${root} is not a maildir (no cur/ folder)`);
  const folders: MaildirFolder[] = [{ name: "INBOX", path: root }];
  for (const entry of (await readdir(root)).sort()) {
    if (!entry.startsWith(".") || entry === "." || entry === "..") continue;
    const path = join(root, entry);
    if (!(await isMaildir(path))) continue;
    const parts = entry.slice(1).split(".").map(decodeMutf7);
    if (parts.some((p) => p === "")) continue;
    const name = parts[0]!.toUpperCase() === "INBOX" && parts.length === 1 ? "INBOX" : parts.join("/");
    folders.push({ name, path });
  }
  return folders;
}

async function keywordNames(folder: string): Promise<Map<number, string>> {
  const map = new Map<number, string>();
  let text: string;
  try {
    text = await readFile(join(folder, "dovecot-keywords"), "utf8");
  } catch {
    return map;
  }
  for (const line of text.split("\n")) {
    const m = /^(\d+)\s+(\S+)$/.exec(line.trim());
    if (m) map.set(Number(m[1]), m[2]!);
  }
  return map;
}

const SYSTEM: Record<string, string> = {
  S: "\\Seen",
  R: "\\Answered",
  F: "\\Flagged",
  T: "\\Deleted",
  D: "\\Draft",
  P: "$Forwarded",
};

export function flagsOfName(file: string, keywords: Map<number, string>): string[] {
  const i = file.lastIndexOf(":2,");
  if (i < 0) return [];
  const flags: string[] = [];
  for (const c of file.slice(i + 3)) {
    if (SYSTEM[c]) flags.push(SYSTEM[c]!);
    else if (c >= "a" && c <= "z") {
      const k = keywords.get(c.charCodeAt(0) - 97);
      if (k) flags.push(k);
    }
  }
  return flags;
}

/** The messages of one maildir folder, oldest first (by mtime, then name). */
export async function* readMaildirFolder(folder: MaildirFolder): AsyncGenerator<MaildirMessage> {
  const keywords = await keywordNames(folder.path);
  const entries: { path: string; file: string; mtime: number }[] = [];
  for (const sub of ["new", "cur"]) {
    let names: string[];
    try {
      names = await readdir(join(folder.path, sub));
    } catch {
      continue;
    }
    for (const file of names) {
      if (file.startsWith(".")) continue;
      const path = join(folder.path, sub, file);
      const s = await stat(path);
      if (s.isFile()) entries.push({ path, file, mtime: s.mtimeMs });
    }
  }
  entries.sort((a, b) => a.mtime - b.mtime || (a.file < b.file ? -1 : 1));
  for (const e of entries) {
    yield {
      file: e.path,
      bytes: toCrlf(await readFile(e.path)),
      flags: flagsOfName(e.file, keywords),
      internalDate: Math.floor(e.mtime / 1000) * 1000,
    };
  }
}
