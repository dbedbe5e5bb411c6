import { Socket } from "node:net";
import { TLSSocket } from "node:tls";

/*
 * Large reads for sockets that carry FETCH bodies (a backend connection; spliced or not).
 *
 * Why: a relay on this 2-core machine costs CPU per byte mostly in the kernel (copies and
 * the loopback TCP work per read and per write) and per read in JS. Node reads a stream
 * socket 64 KiB at a time into a freshly allocated buffer. Measured with a trivial relay
 * between a fast local source and sink (2 GB through, loaded machine): `pipe` with Node's
 * reads used 1.5-1.75 CPU s/GB; reads of up to 1 MiB 0.7-0.8 (reads of 256 KiB 0.97,
 * 64 KiB 1.2): fewer system calls, wake-ups, callbacks and writes per byte. Whether the
 * buffers are recycled or freshly allocated made no difference there.
 *
 * How: Node's `onread` mode (the socket reads into a buffer the application supplies, and
 * calls back with the byte count). Node offers it only where a socket is created; the
 * sockets here are made by net.connect with ordinary options (and may be TLS-wrapped later,
 * or spliced), so the same mechanism is switched on afterwards, for plain TCP sockets only,
 * through the handle's `useUserBuffer` and the three properties a socket created with
 * `onread` carries (found by name on a probe socket). The callback pushes each chunk into
 * the socket's readable side as Node's own reads do, so its users (ImapClient's "data"
 * listener, `pipe`) are unchanged, `pause()`/`resume()` stop and start reading as before,
 * and "end" still comes. When
 * anything is missing (another Node version; a TLS socket, whose reads go through OpenSSL)
 * nothing is changed and the socket keeps Node's 64 KiB reads.
 *
 * Buffers (every chunk emitted is the receiver's to keep, like Node's own):
 * - Every switched socket first reads into one process-wide SHARED buffer (64 KiB, what
 *   Node's read would take); the bytes are copied out before the callback returns. An idle
 *   connection therefore holds no buffer of its own (10,000 idle sessions: no 10 GB).
 * - A read that fills its buffer means more is queued: the next read goes into a LARGE
 *   buffer (1 MiB) of the socket's own. A full one is emitted whole, without a copy, and
 *   the socket gets another. A partial one drained the socket: from at least half full it
 *   is emitted as a view (at most 2x the bytes held), below that the bytes are copied out
 *   and the buffer is kept for the next stream; the socket goes back to SHARED.
 * - A paused socket (its consumer is slow) goes back to SHARED too, and a relayed one keeps
 *   a LARGE buffer only while the client takes each write at once: a stalled session holds
 *   at most the bytes already read (<= 1 MiB being written, or its consumer's queue), never
 *   an empty 1 MiB read-ahead as well.
 * - Relayed (a splice: relayInLargeChunks), a LARGE buffer is written to the client as is
 *   and goes back to the free list once that write has completed.
 */

/** Size of the shared buffer every switched socket reads into while its traffic is small. */
export const SHARED_READ_BYTES = 64 * 1024;
/** Size of the buffers of a socket that is streaming. */
export const LARGE_READ_BYTES = 1024 * 1024;
/** Unused large buffers kept (a copied-out partial read or a completed relay write leaves one). */
const SPARES = 8;

interface OnreadSlots {
  buffer: symbol;
  callback: symbol;
  generator: symbol;
}

let slots: OnreadSlots | null | undefined;

/** The per-socket properties of Node's `onread` mode, found on a probe socket; null if absent. */
function onreadSlots(): OnreadSlots | null {
  if (slots !== undefined) return slots;
  slots = null;
  try {
    const generator = () => Buffer.alloc(1);
    const callback = () => true;
    // (Node's constructor takes `onread`; its type declarations list it for connect() only)
    const probe = new Socket({ onread: { buffer: generator, callback } } as ConstructorParameters<typeof Socket>[0]);
    const own = Object.getOwnPropertySymbols(probe);
    const slot = (name: string) => own.find((s) => s.description === name);
    const found = { buffer: slot("kBuffer"), callback: slot("kBufferCb"), generator: slot("kBufferGen") };
    const record = probe as unknown as Record<symbol, unknown>;
    if (
      found.buffer &&
      found.callback &&
      found.generator &&
      record[found.generator] === generator &&
      record[found.callback] === callback
    ) {
      slots = found as OnreadSlots;
    }
    probe.destroy();
  } catch {
    slots = null;
  }
  return slots;
}

/** Reads so far into the shared buffer and into large ones, process-wide (tests, diagnostics). */
export const largeReadCounts = { shared: 0, large: 0 };

const shared = Buffer.allocUnsafeSlow(SHARED_READ_BYTES);
const spares: Buffer[] = [];

function takeLarge(): Buffer {
  return spares.pop() ?? Buffer.allocUnsafeSlow(LARGE_READ_BYTES);
}

interface StreamHandle {
  useUserBuffer?(buffer: Uint8Array): void;
}

/** A switched socket: where its next read goes, and where its bytes go when relayed. */
interface Reader {
  next: Buffer;
  relayTo: Socket | null;
}

const readers = new WeakMap<Socket, Reader>();

/**
 * Make `socket` (plain TCP, connected) read into large buffers while it streams; its
 * readable side behaves as before. Idempotent. Returns whether the socket reads that way now.
 */
export function readInLargeChunks(socket: Socket): boolean {
  if (readers.has(socket)) return true;
  const s = onreadSlots();
  const handle = (socket as unknown as { _handle?: StreamHandle | null })._handle;
  const record = socket as unknown as Record<symbol, unknown>;
  if (
    s === null ||
    socket instanceof TLSSocket ||
    !handle ||
    typeof handle.useUserBuffer !== "function" ||
    record[s.buffer] ||
    socket.connecting ||
    socket.destroyed
  ) {
    return false;
  }
  const reader: Reader = { next: shared, relayTo: null };
  const resume = () => socket.resume();
  const onRead = (length: number, buffer: Buffer): boolean => {
    if (buffer === shared) largeReadCounts.shared++;
    else largeReadCounts.large++;
    const to = reader.relayTo;
    if (to !== null) {
      // Relayed: a large buffer is written as is and reused once the write completed.
      let ok: boolean;
      if (buffer === shared) ok = to.write(Buffer.from(buffer.subarray(0, length)));
      else
        ok = to.write(length === buffer.length ? buffer : buffer.subarray(0, length), (error) => {
          if (!error && spares.length < SPARES) spares.push(buffer);
        });
      // A large buffer again only while the client keeps up (the write went out at once): a
      // slow client's session holds at most the one being written, not another read ahead.
      reader.next = length === buffer.length && to.writableLength === 0 ? takeLarge() : shared;
      if (ok) return true;
      to.once("drain", resume);
      return false; // Node stops reading until resume()
    }
    let chunk: Buffer;
    if (buffer === shared) {
      chunk = Buffer.from(buffer.subarray(0, length));
      reader.next = length === buffer.length ? takeLarge() : shared;
    } else if (length === buffer.length) {
      chunk = buffer;
      reader.next = takeLarge();
    } else {
      if (length >= buffer.length / 2) chunk = buffer.subarray(0, length);
      else {
        chunk = Buffer.from(buffer.subarray(0, length));
        if (spares.length < SPARES) spares.push(buffer);
      }
      reader.next = shared;
    }
    // What Node does with its own reads: false (a full readable buffer: nobody is reading)
    // makes Node stop reading until the socket is read from or resumed.
    const more = socket.push(chunk);
    if (socket.readableFlowing !== true && reader.next !== shared) {
      // paused (a slow consumer) or not read: hold no large buffer meanwhile
      if (spares.length < SPARES) spares.push(reader.next);
      reader.next = shared;
    }
    return more;
  };
  record[s.callback] = onRead;
  record[s.generator] = () => reader.next;
  record[s.buffer] = shared;
  handle.useUserBuffer(shared);
  readers.set(socket, reader);
  return true;
}

/**
 * Send everything `from` receives to `to` (a splice's backend → client direction) straight
 * from the read buffers: no readable-stream step, and a large buffer goes back to the free
 * list when its write completed instead of to the GC. `from` stops reading while `to` is
 * over its high-water mark; its end ends `to`; errors and closes are the caller's (as with
 * `pipe`). Bytes `from` had already read and not delivered go first. Returns false, having
 * changed nothing, when `from` cannot be switched (then pipe).
 */
export function relayInLargeChunks(from: Socket, to: Socket): boolean {
  if (!readInLargeChunks(from)) return false;
  const reader = readers.get(from)!;
  for (let chunk: Buffer | null = from.read(); chunk !== null; chunk = from.read()) to.write(chunk);
  reader.relayTo = to;
  from.once("end", () => to.end());
  from.resume();
  return true;
}
