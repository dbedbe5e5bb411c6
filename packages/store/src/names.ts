import { StoreInputError } from "./errors.js";

/*
 * Names that come from clients never become paths directly.
 *
 * Users: a username is folded to a canonical form (Unicode NFC, then lower case: user
 * names are case-insensitive, "Alice" and "alice" are one user) and that form is encoded
 * into a folder name that uses only [a-z0-9._@+-] and "%XX" escapes of UTF-8 bytes, with
 * a leading "." escaped too. The folder name can therefore never be ".", "..", contain a
 * "/" or a NUL, or name anything outside <data>/users/.
 *
 * Mailboxes: names are decoded Unicode strings (the IMAP codec turns modified UTF-7 into
 * UTF-8), validated here and mapped to numeric ids by the mailbox list; the folder of a
 * mailbox is mailboxes/<id>, never derived from its name.
 */

export const MAX_USERNAME_LENGTH = 128;
export const MAX_MAILBOX_NAME_BYTES = 1000;
export const MAX_MAILBOX_COMPONENT_BYTES = 255;
export const MAX_MAILBOX_DEPTH = 32;
export const HIERARCHY_DELIMITER = "/";

const encoder = new TextEncoder();

function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0)) return true;
  }
  return false;
}

function hasLoneSurrogate(text: string): boolean {
  // A lone surrogate cannot be encoded as UTF-8: refuse it rather than store U+FFFD.
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

/** Canonical form of a username (what makes two names the same user). Throws StoreInputError. */
export function canonicalUsername(name: unknown): string {
  if (typeof name !== "string") throw new StoreInputError("username must be a string");
  if (name.length === 0) throw new StoreInputError("username must not be empty");
  if (name.length > MAX_USERNAME_LENGTH)
    throw new StoreInputError(`username longer than ${MAX_USERNAME_LENGTH} characters`);
  if (name.includes("\0")) throw new StoreInputError("username must not contain NUL");
  if (name.includes("/") || name.includes("\\")) throw new StoreInputError("username must not contain '/' or '\\'");
  if (hasLoneSurrogate(name)) throw new StoreInputError("username is not valid Unicode");
  if (hasControl(name)) throw new StoreInputError("username must not contain control characters");
  if (/\s/u.test(name)) throw new StoreInputError("username must not contain white space");
  const folded = name.normalize("NFC").toLowerCase();
  if (folded === "." || folded === ".." || folded.includes(".."))
    throw new StoreInputError("username must not contain '..'");
  return folded;
}

const SAFE = /[a-z0-9._@+-]/;

/** Folder name (one path component) for a username. Deterministic and injective. */
export function userFolderName(name: string): string {
  const canonical = canonicalUsername(name);
  let out = "";
  for (const byte of encoder.encode(canonical)) {
    const ch = String.fromCharCode(byte);
    if (byte < 0x80 && SAFE.test(ch) && !(out.length === 0 && ch === ".")) out += ch;
    else out += `%${byte.toString(16).padStart(2, "0").toUpperCase()}`;
  }
  if (out.length > 255) throw new StoreInputError("username too long once encoded as a folder name");
  return out;
}

/**
 * Validate a mailbox name and return its canonical form: NFC; "INBOX" in any case (as the
 * first component) becomes "INBOX". Rules: 1..1000 UTF-8 bytes, components separated by
 * "/", none empty (no leading, trailing or doubled "/"), none "." or "..", each at most 255
 * bytes, at most 32 deep, no control characters or NUL, no list wildcards "*" "%".
 */
export function canonicalMailboxName(name: unknown): string {
  if (typeof name !== "string") throw new StoreInputError("mailbox name must be a string");
  if (name.length === 0) throw new StoreInputError("mailbox name must not be empty");
  if (name.includes("\0")) throw new StoreInputError("mailbox name must not contain NUL");
  if (hasLoneSurrogate(name)) throw new StoreInputError("mailbox name is not valid Unicode");
  if (hasControl(name)) throw new StoreInputError("mailbox name must not contain control characters");
  if (name.includes("*") || name.includes("%"))
    throw new StoreInputError("mailbox name must not contain the list wildcards '*' or '%'");
  const normal = name.normalize("NFC");
  if (encoder.encode(normal).byteLength > MAX_MAILBOX_NAME_BYTES)
    throw new StoreInputError(`mailbox name longer than ${MAX_MAILBOX_NAME_BYTES} bytes`);
  const parts = normal.split(HIERARCHY_DELIMITER);
  if (parts.length > MAX_MAILBOX_DEPTH)
    throw new StoreInputError(`mailbox name nested deeper than ${MAX_MAILBOX_DEPTH} levels`);
  for (const p of parts) {
    if (p.length === 0) throw new StoreInputError("mailbox name has an empty component (leading, trailing or '//')");
    if (p === "." || p === "..") throw new StoreInputError("mailbox name must not have '.' or '..' components");
    if (p.trim() !== p) throw new StoreInputError("mailbox name components must not start or end with white space");
    if (encoder.encode(p).byteLength > MAX_MAILBOX_COMPONENT_BYTES)
      throw new StoreInputError(`mailbox name component longer than ${MAX_MAILBOX_COMPONENT_BYTES} bytes`);
  }
  if (parts[0]!.toUpperCase() === "INBOX") parts[0] = "INBOX";
  return parts.join(HIERARCHY_DELIMITER);
}

/** Every proper ancestor of a canonical name, outermost first ("a/b/c" → ["a", "a/b"]). */
export function ancestorsOf(name: string): string[] {
  const parts = name.split(HIERARCHY_DELIMITER);
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join(HIERARCHY_DELIMITER));
  return out;
}

/** True when `name` is `parent` or lies below it. */
export function isSameOrBelow(name: string, parent: string): boolean {
  return name === parent || name.startsWith(parent + HIERARCHY_DELIMITER);
}
