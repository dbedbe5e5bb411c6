import { xxh64 } from "@holdfast/checksum";

/*
 * A message blob: a self-describing header followed by the raw message, written once and
 * never changed. Every field is documented in docs/blob-format.md.
 *
 *   0   8  magic "HFBLOB01"
 *   8   2  u16 LE format version (1)
 *  10   2  u16 LE header size H (a multiple of 8, checksum included)
 *  12   4  u32 LE flags (0; reserved)
 *  16  16  GUID (128 random bits)
 *  32   8  u64 LE xxh64 (seed 0) of the message bytes
 *  40   8  u64 LE message size in bytes
 *  48   8  i64 LE internal date, milliseconds since the epoch
 *  56   4  u32 LE origin mailbox id (the mailbox it was appended to)
 *  60   4  u32 LE origin UIDVALIDITY
 *  64   4  u32 LE origin UID (what the append was going to get; 0 when unknown)
 *  68   2  u16 LE origin mailbox name length L (UTF-8 bytes)
 *  70   2  reserved (0)
 *  72   L  origin mailbox name (UTF-8), then zero padding up to H - 8
 * H-8   8  u64 LE xxh64 (seed BLOB_HEADER_SEED) of bytes 0 .. H-8
 *   H      the message, `size` bytes
 */

export const BLOB_MAGIC = "HFBLOB01";
export const BLOB_FORMAT_VERSION = 1;
export const BLOB_HEADER_SEED = 0x4846_424c_4f42_0001n; // "HFBLOB" + 1
export const BLOB_FIXED_SIZE = 72;
export const MAX_ORIGIN_NAME_BYTES = 1000;
/** Largest header possible: enough to read when only the header is wanted. */
export const MAX_BLOB_HEADER_SIZE = BLOB_FIXED_SIZE + MAX_ORIGIN_NAME_BYTES + 16;

export interface BlobHeader {
  guid: Uint8Array;
  contentHash: bigint;
  size: number;
  internalDate: number;
  originMailboxId: number;
  originUidValidity: number;
  originUid: number;
  originName: string;
  /** Header size in bytes: the message starts here. */
  headerSize: number;
}

export function blobHeaderSize(originName: string): number {
  const nameBytes = Math.min(Buffer.byteLength(originName, "utf8"), MAX_ORIGIN_NAME_BYTES);
  return Math.ceil((BLOB_FIXED_SIZE + nameBytes) / 8) * 8 + 8;
}

/** Encode a header (its `headerSize` is recomputed from the name). */
export function encodeBlobHeader(h: Omit<BlobHeader, "headerSize">): Buffer {
  let name = Buffer.from(h.originName, "utf8");
  if (name.byteLength > MAX_ORIGIN_NAME_BYTES) name = name.subarray(0, MAX_ORIGIN_NAME_BYTES);
  const size = Math.ceil((BLOB_FIXED_SIZE + name.byteLength) / 8) * 8 + 8;
  const b = Buffer.alloc(size);
  b.write(BLOB_MAGIC, 0, 8, "latin1");
  b.writeUInt16LE(BLOB_FORMAT_VERSION, 8);
  b.writeUInt16LE(size, 10);
  b.writeUInt32LE(0, 12);
  b.set(h.guid.subarray(0, 16), 16);
  b.writeBigUInt64LE(h.contentHash, 32);
  b.writeBigUInt64LE(BigInt(h.size), 40);
  b.writeBigInt64LE(BigInt(h.internalDate), 48);
  b.writeUInt32LE(h.originMailboxId >>> 0, 56);
  b.writeUInt32LE(h.originUidValidity >>> 0, 60);
  b.writeUInt32LE(h.originUid >>> 0, 64);
  b.writeUInt16LE(name.byteLength, 68);
  name.copy(b, BLOB_FIXED_SIZE);
  b.writeBigUInt64LE(xxh64(b.subarray(0, size - 8), BLOB_HEADER_SEED), size - 8);
  return b;
}

export type BlobHeaderRead = { kind: "ok"; header: BlobHeader } | { kind: "damaged"; reason: string };

/** Decode and check the header at the start of `bytes` (which may hold more than the header). */
export function decodeBlobHeader(bytes: Uint8Array): BlobHeaderRead {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.byteLength < BLOB_FIXED_SIZE + 8) return { kind: "damaged", reason: "shorter than a blob header" };
  if (b.toString("latin1", 0, 8) !== BLOB_MAGIC) return { kind: "damaged", reason: "bad magic" };
  const version = b.readUInt16LE(8);
  if (version !== BLOB_FORMAT_VERSION) return { kind: "damaged", reason: `unknown blob format version ${version}` };
  const size = b.readUInt16LE(10);
  if (size < BLOB_FIXED_SIZE + 8 || size % 8 !== 0 || size > MAX_BLOB_HEADER_SIZE)
    return { kind: "damaged", reason: `bad header size ${size}` };
  if (b.byteLength < size) return { kind: "damaged", reason: "header cut short" };
  const stored = b.readBigUInt64LE(size - 8);
  if (xxh64(b.subarray(0, size - 8), BLOB_HEADER_SEED) !== stored)
    return { kind: "damaged", reason: "header checksum mismatch" };
  const nameLength = b.readUInt16LE(68);
  if (BLOB_FIXED_SIZE + nameLength > size - 8) return { kind: "damaged", reason: "bad origin name length" };
  return {
    kind: "ok",
    header: {
      guid: Uint8Array.prototype.slice.call(b, 16, 32),
      contentHash: b.readBigUInt64LE(32),
      size: Number(b.readBigUInt64LE(40)),
      internalDate: Number(b.readBigInt64LE(48)),
      originMailboxId: b.readUInt32LE(56),
      originUidValidity: b.readUInt32LE(60),
      originUid: b.readUInt32LE(64),
      originName: b.toString("utf8", BLOB_FIXED_SIZE, BLOB_FIXED_SIZE + nameLength),
      headerSize: size,
    },
  };
}

export function guidToHex(guid: Uint8Array): string {
  return Buffer.from(guid.buffer, guid.byteOffset, guid.byteLength).toString("hex");
}

export function hexToGuid(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, "hex"));
}

export const GUID_HEX = /^[0-9a-f]{32}$/;
