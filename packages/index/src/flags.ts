import { IndexInputError } from "./errors.js";
import { MAX_KEYWORD_LENGTH, MAX_KEYWORDS } from "./format.js";

/*
 * IMAP flags (RFC 9051 §2.3.2). System flags are bits of one byte; keywords are atoms
 * that get a number in the mailbox's keyword table (bit n of a message's keyword mask).
 * `\Recent` is not stored per message: it is derived from the first-recent UID.
 */

export const SystemFlag = {
  seen: 1,
  answered: 2,
  flagged: 4,
  deleted: 8,
  draft: 16,
} as const;

const SYSTEM_FLAG_BITS = new Map<string, number>([
  ["\\seen", SystemFlag.seen],
  ["\\answered", SystemFlag.answered],
  ["\\flagged", SystemFlag.flagged],
  ["\\deleted", SystemFlag.deleted],
  ["\\draft", SystemFlag.draft],
]);

const SYSTEM_FLAG_NAMES: ReadonlyArray<readonly [number, string]> = [
  [SystemFlag.seen, "\\Seen"],
  [SystemFlag.answered, "\\Answered"],
  [SystemFlag.flagged, "\\Flagged"],
  [SystemFlag.deleted, "\\Deleted"],
  [SystemFlag.draft, "\\Draft"],
];

export const ALL_SYSTEM_FLAGS = 0x1f;

/** Bits by canonical spelling: the usual spelling is found without lower-casing it. */
const SYSTEM_FLAG_CANONICAL = new Map<string, number>(SYSTEM_FLAG_NAMES.map(([bit, name]) => [name, bit]));

/** Bit of a system flag name (case-insensitive), or undefined when it is not a storable system flag. */
export function systemFlagBit(name: string): number | undefined {
  return SYSTEM_FLAG_CANONICAL.get(name) ?? SYSTEM_FLAG_BITS.get(name.toLowerCase());
}

/** Names of the system flags set in `bits`, in canonical spelling. */
export function systemFlagNames(bits: number): string[] {
  const out: string[] = [];
  for (const [bit, name] of SYSTEM_FLAG_NAMES) if (bits & bit) out.push(name);
  return out;
}

/*
 * atom-char = any CHAR except atom-specials; atom-specials = "(" / ")" / "{" / SP / CTL /
 * list-wildcards ("%" "*") / quoted-specials ('"' "\") / resp-specials ("]").
 */
function isAtomChar(code: number): boolean {
  if (code <= 0x20 || code >= 0x7f) return false;
  switch (code) {
    case 0x28: // (
    case 0x29: // )
    case 0x7b: // {
    case 0x25: // %
    case 0x2a: // *
    case 0x22: // "
    case 0x5c: // \
    case 0x5d: // ]
      return false;
    default:
      return true;
  }
}

/** Throws IndexInputError unless `name` is a valid keyword (an atom, bounded length). */
export function checkKeyword(name: unknown): string {
  if (typeof name !== "string") throw new IndexInputError(`keyword must be a string: got ${typeof name}`);
  if (name.length === 0) throw new IndexInputError("keyword must not be empty");
  if (name.length > MAX_KEYWORD_LENGTH) {
    throw new IndexInputError(
      `keyword longer than ${MAX_KEYWORD_LENGTH} characters: ${JSON.stringify(name.slice(0, 40))}…`,
    );
  }
  for (let i = 0; i < name.length; i++) {
    if (!isAtomChar(name.charCodeAt(i))) {
      throw new IndexInputError(`keyword ${JSON.stringify(name)} is not an IMAP atom (character ${i} is not allowed)`);
    }
  }
  return name;
}

/** Flags split into system-flag bits and keyword names (deduplicated, case-insensitively per RFC). */
export interface ParsedFlags {
  system: number;
  keywords: string[];
}

/**
 * Validate a list of flags as given by a client: system flags (`\Seen` ...) and keywords.
 * `\Recent` and unknown backslash flags are refused: they cannot be stored.
 */
export function parseFlags(flags: readonly unknown[]): ParsedFlags {
  if (!Array.isArray(flags)) throw new IndexInputError("flags must be an array of strings");
  if (flags.length > MAX_KEYWORDS + 8) throw new IndexInputError(`too many flags: ${flags.length}`);
  let system = 0;
  // Made with the first keyword (a list grown from empty by a push gets room for 16).
  let keywords: string[] | undefined;
  // Lower-cased keywords so far, for duplicates: made only from the second keyword on
  // (a store of one keyword, the common case, folds and allocates nothing for it).
  let seen: Set<string> | undefined;
  for (const flag of flags) {
    if (typeof flag !== "string") throw new IndexInputError(`flag must be a string: got ${typeof flag}`);
    if (flag.startsWith("\\")) {
      const bit = systemFlagBit(flag);
      if (bit === undefined) throw new IndexInputError(`${JSON.stringify(flag)} is not a storable system flag`);
      system |= bit;
      continue;
    }
    checkKeyword(flag);
    if (keywords === undefined) {
      keywords = [flag];
      continue;
    }
    seen ??= new Set([keywords[0]!.toLowerCase()]);
    const folded = flag.toLowerCase();
    if (seen.has(folded)) continue;
    seen.add(folded);
    keywords.push(flag);
  }
  return { system, keywords: keywords ?? [] };
}
