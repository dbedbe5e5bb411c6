export { BLOCK_CHECKSUM_SIZE, damagedBlocks, sealBlock, sealBlocks, verifyBlock } from "./block.js";
export { type Digest, hashFile, hashStream } from "./digest.js";
export { fsyncDirectory, writeFileAtomic } from "./durable-file.js";
export { ChecksumError, ChecksumNotReadyError, FrameEncodeError, ManifestDamagedError } from "./errors.js";
export {
  DEFAULT_MAX_PAYLOAD,
  FRAME_HEADER_SIZE,
  FRAME_OVERHEAD,
  FRAME_TRAILER_SIZE,
  FrameCodec,
  type FrameCodecOptions,
  type FrameCorrupt,
  type FrameEnd,
  type FrameRecord,
  type FrameResult,
  type FrameTorn,
  frameSize,
} from "./framing.js";
export { fromHex32, fromHex64, toHex32, toHex64 } from "./hex.js";
export {
  checkRelativePath,
  createManifest,
  type Manifest,
  type ManifestChange,
  type ManifestEntry,
  type ManifestReport,
  type ManifestScanOptions,
  parseManifest,
  readManifest,
  serializeManifest,
  updateManifest,
  verifyManifest,
  writeManifest,
} from "./manifest.js";
export { createXxh32, createXxh64, type StreamingHasher } from "./streaming.js";
export { initChecksum, isChecksumReady, MAX_WASM_INPUT, xxh32, xxh64 } from "./xxhash.js";
