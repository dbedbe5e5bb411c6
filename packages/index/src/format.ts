/*
 * On-disk constants shared by the snapshot and the log. Every byte is documented in
 * docs/index-format.md; change that document whenever a constant here changes.
 */

export const FORMAT_VERSION = 1;

/**
 * Snapshot files are a whole number of blocks of this size; each block ends in its xxh64.
 * 16 KiB: large enough that per-block call overhead is small next to hashing (a million
 * messages are ~4,000 blocks), small enough that a block lost in every copy costs 255
 * messages, not thousands.
 */
export const BLOCK_SIZE = 16384;
/** Bytes at the start of every data block: section, entry count, first entry number. */
export const BLOCK_HEADER_SIZE = 8;
/** Usable bytes between the block header and the 8-byte block checksum. */
export const BLOCK_PAYLOAD_SIZE = BLOCK_SIZE - BLOCK_HEADER_SIZE - 8;

/** "HFIDXSNP": first 8 bytes of a snapshot. */
export const SNAPSHOT_MAGIC = new Uint8Array([0x48, 0x46, 0x49, 0x44, 0x58, 0x53, 0x4e, 0x50]);
/** "HFIDXLOG": first 8 bytes of the log header record's payload. */
export const LOG_MAGIC = new Uint8Array([0x48, 0x46, 0x49, 0x44, 0x58, 0x4c, 0x4f, 0x47]);

/*
 * Seeds: one per kind of checksummed thing, so a block or record of one kind is never
 * accepted as another (a log copied over a snapshot, a header block in a data slot).
 */
export const SNAPSHOT_SEED = 0x4846_534e_4150_0001n; // "HFSNAP" + 1
export const LOG_SEED = 0x4846_4c4f_4700_0001n; // "HFLOG" + 1
export const MESSAGE_HASH_SEED = 0x4846_4d53_4700_0001n; // "HFMSG" + 1

/** Sections of a snapshot, stored in byte 0 of every data block. */
export const Section = {
  keywords: 1,
  messages: 2,
  extraKeywords: 3,
  tombstones: 4,
} as const;
export type SectionId = (typeof Section)[keyof typeof Section];

/** Entry sizes per section (bytes). */
export const KEYWORD_ENTRY_SIZE = 128;
export const MESSAGE_RECORD_SIZE = 64;
export const EXTRA_KEYWORD_ENTRY_SIZE = 16;
export const TOMBSTONE_ENTRY_SIZE = 16;

export function entriesPerBlock(entrySize: number): number {
  return Math.floor(BLOCK_PAYLOAD_SIZE / entrySize);
}

/** Log record types (the FrameCodec type byte). */
export const LogRecordType = {
  header: 1,
  batch: 2,
} as const;

/** Operation codes inside a log transaction. */
export const Op = {
  append: 1,
  setFlags: 2,
  expunge: 3,
  defineKeyword: 4,
  setUidValidity: 5,
  setFirstRecent: 6,
  trimTombstones: 7,
} as const;

/** Limits on input (see limits in docs/index-format.md). */
export const MAX_KEYWORDS = 256;
export const KEYWORD_WORDS = MAX_KEYWORDS / 32;
export const MAX_KEYWORD_LENGTH = KEYWORD_ENTRY_SIZE - 1;
export const MAX_UID = 0xffff_ffff;
export const MAX_MESSAGE_SIZE = 0xffff_ffff;
/** Log frames larger than this are refused on decode (a batch of many appends fits easily). */
export const LOG_MAX_PAYLOAD = 256 * 1024 * 1024;

/** File names inside a mailbox folder. */
export const FileName = {
  snapshot: "index",
  backup: "index.backup",
  log: "log",
  lock: "lock",
  snapshotTemp: "index.tmp",
  logTemp: "log.tmp",
} as const;
