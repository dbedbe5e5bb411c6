/** Base class of every error this package throws, so callers can catch them as one kind. */
export class ChecksumError extends Error {
  override name = "ChecksumError";
}

/**
 * The synchronous hash functions need the WASM module; loading it is asynchronous.
 * Thrown when one of them is called before `initChecksum()` has resolved.
 */
export class ChecksumNotReadyError extends ChecksumError {
  override name = "ChecksumNotReadyError";
  constructor() {
    super("xxhash WASM module not loaded yet: await initChecksum() once before hashing synchronously");
  }
}

/** A value handed to an encoder is outside what the format can represent. */
export class FrameEncodeError extends ChecksumError {
  override name = "FrameEncodeError";
}

/** A manifest file failed its own checksum or does not parse. Nothing in it is trusted. */
export class ManifestDamagedError extends ChecksumError {
  override name = "ManifestDamagedError";
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`manifest ${file} is damaged: ${reason}`);
  }
}
