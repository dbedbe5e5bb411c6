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
 * - Relayed (a splice: relayInLargeChunks): see "Relayed sockets" below.
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
  const spare = spares.pop();
  if (spare !== undefined) return spare;
  largeBufferCounts.allocated++;
  return Buffer.allocUnsafeSlow(LARGE_READ_BYTES);
}

/**
 * LARGE buffers allocated so far, process-wide (tests, diagnostics). A fresh one costs
 * more than its read: the kernel faults in and zeroes its 256 pages on first use, and V8
 * counts it as external memory (more frequent major GCs); so the steady state is spares.
 */
export const largeBufferCounts = { allocated: 0 };

interface StreamHandle {
  useUserBuffer?(buffer: Uint8Array): void;
  /** Node's flag: the handle is reading (Socket._read and resume() start it when false). */
  reading?: boolean;
  readStart?(): number;
  readStop?(): number;
}

/** A switched socket: where its next read goes, and where its bytes go when relayed. */
interface Reader {
  next: Buffer;
  /** Point the socket's next read at `buffer` now (it is not in a read: not its own callback). */
  readInto: (buffer: Buffer) => void;
  relayTo: Socket | null;
  /**
   * Relayed to a TLS socket: never streams into the relay buffer. A TLS write never completes
   * synchronously, so every such read would be kept by its write (another LARGE buffer taken,
   * every other stream pointed back at SHARED); TLS copies while encrypting anyway.
   */
  relayCopies: boolean;
  /** Relayed: bytes of the current run of reads of STREAK_READ_BYTES or more. */
  streak: number;
  /** socket.resume, made once. */
  resume: () => void;
  /** Reads go into this slab while the consumer expects a stream (expectStream). */
  slab: Slab | null;
  streaming: boolean;
  /** The slab chunk being emitted right now (borrowChunk takes a loan on it), else null. */
  offered: Buffer | null;
  offeredSlab: Slab | null;
  borrowed: boolean;
  /** A slab stream's coalescing pause is running (see onSlabRead). */
  coalescing: boolean;
}

/**
 * A LARGE buffer read into piece by piece while a consumer streams (a FETCH body literal in
 * the stateful proxy): each read fills the next free bytes, each chunk emitted is a view;
 * once every loan is back and no chunk went out without one, the next read starts at the
 * beginning again (a rewind: the consumer wrote the last chunk out at once, so the same
 * cache-warm bytes take the next read, as the relay's one buffer does).
 * Invariant: the buffer goes back to the free list only when (1) no read goes into it any
 * more (`open` false), (2) every loan taken on its chunks was released (`loans` 0: the
 * writes that referenced them completed), and (3) no chunk of it was emitted without a loan
 * (`tainted`: whoever got such a chunk may keep it, so the buffer is left to the GC).
 */
interface Slab {
  buffer: Buffer;
  used: number;
  loans: number;
  open: boolean;
  tainted: boolean;
  /** Ends one loan; `error` (a failed write) leaves the buffer to the GC, to be safe. */
  release: (error?: unknown) => void;
}

/** A slab with less room than this is not read into any more. */
const SLAB_MIN_ROOM = 64 * 1024;

function newSlab(buffer: Buffer = takeLarge()): Slab {
  const slab: Slab = {
    buffer,
    used: 0,
    loans: 0,
    open: true,
    tainted: false,
    release: (error) => {
      if (error) slab.tainted = true;
      if (--slab.loans === 0 && !slab.open) recycle(slab);
    },
  };
  return slab;
}

function retire(slab: Slab): void {
  slab.open = false;
  if (slab.loans === 0) recycle(slab);
}

function recycle(slab: Slab): void {
  if (!slab.tainted && spares.length < SPARES) {
    spares.push(slab.buffer);
    slabCounts.recycled++;
  }
  slab.tainted = true; // once only
}

/**
 * Slab reads, recycled slabs, rewinds, coalescing pauses so far, process-wide (tests,
 * diagnostics); readsWhileCoalescing counts reads during a pause (0 unless the consumer
 * paused and resumed the socket meanwhile: a pause that does not hold shows here).
 */
export const slabCounts = { reads: 0, recycled: 0, rewinds: 0, pauses: 0, readsWhileCoalescing: 0 };

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
  const reader: Reader = {
    next: shared,
    readInto: () => {},
    relayTo: null,
    relayCopies: false,
    streak: 0,
    resume: () => socket.resume(),
    slab: null,
    streaming: false,
    offered: null,
    offeredSlab: null,
    borrowed: false,
    coalescing: false,
  };
  reader.readInto = (buffer) => {
    reader.next = buffer;
    if (socket.destroyed) return;
    record[s.buffer] = buffer;
    handle.useUserBuffer!(buffer);
  };
  const onRead = (length: number, buffer: Buffer): boolean => {
    if (buffer === shared) largeReadCounts.shared++;
    else largeReadCounts.large++;
    if (reader.coalescing) slabCounts.readsWhileCoalescing++;
    const to = reader.relayTo;
    if (to !== null) return onRelayRead(socket, reader, to, length, buffer);
    if (reader.streaming || reader.slab !== null) return onSlabRead(length, buffer);
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
    const adopted = reader.slab as Slab | null; // (set by expectStream during the push)
    if (adopted !== null && adopted.buffer === reader.next) {
      // a stream began during this push and took the next buffer as its first slab (expectStream)
      if (socket.readableFlowing !== true) {
        retire(adopted);
        reader.slab = null;
        reader.next = shared;
      }
      return more;
    }
    if (socket.readableFlowing !== true && reader.next !== shared) {
      // paused (a slow consumer) or not read: hold no large buffer meanwhile
      if (spares.length < SPARES) spares.push(reader.next);
      reader.next = shared;
    }
    return more;
  };
  /**
   * While the consumer expects a stream: the first read (shared buffer) is copied out, the
   * next ones fill a slab piece by piece, each piece offered for a loan (borrowChunk) while
   * it is emitted; unborrowed pieces taint the slab. Out of streaming, or paused, or with a
   * slab nearly full, the slab is retired (recycled once its loans are back).
   */
  const onSlabRead = (length: number, buffer: Buffer): boolean => {
    let more: boolean;
    const slab = reader.slab;
    if (buffer === shared) more = socket.push(Buffer.from(buffer.subarray(0, length)));
    else if (slab === null || buffer.buffer !== slab.buffer.buffer) {
      // a LARGE buffer of the ordinary path, taken before the stream began: given away
      more = socket.push(buffer.length === length ? buffer : buffer.subarray(0, length));
    } else {
      slabCounts.reads++;
      const chunk = buffer.length === length ? buffer : buffer.subarray(0, length);
      slab.used += length;
      reader.offered = chunk;
      reader.offeredSlab = slab;
      reader.borrowed = false;
      more = socket.push(chunk);
      if (!reader.borrowed) slab.tainted = true;
      reader.offered = null;
      reader.offeredSlab = null;
    }
    const current = reader.slab;
    // Rewind: every chunk of the slab was handed on and nothing refers to it any more (each
    // loan back, none emitted without one): the next read goes to its start again, memory
    // the last read and write just touched, instead of the next megabyte, cold in the cache.
    // (perf, 4 clients streaming 5 MB bodies, 2026-11-29: the kernel's copy into fresh slab
    // memory took 2,186 samples per 800 bodies vs 1,090 for passthrough's one reused relay
    // buffer; with the rewind 967.)
    if (current !== null && current.loans === 0 && !current.tainted) {
      current.used = 0;
      slabCounts.rewinds++;
    }
    if (
      !reader.streaming ||
      socket.readableFlowing !== true ||
      (current && current.buffer.length - current.used < SLAB_MIN_ROOM)
    ) {
      if (current) retire(current);
      reader.slab = null;
    }
    if (reader.streaming && socket.readableFlowing === true) {
      reader.slab ??= newSlab();
      reader.next = reader.slab.buffer.subarray(reader.slab.used);
    } else reader.next = shared;
    // Coalescing, as relayed streams do (see "Relayed sockets" below): after a read that
    // drained the socket while other streams run, stop reading for COALESCE_MS so that the
    // next read takes what Dovecot (8 KB writes) queued meanwhile. Not by returning false:
    // socket.push() has scheduled Readable's maybeReadMore, whose _read() restarts a handle
    // whose `reading` flag is off at once (the pause then lasted until the next tick). So the
    // handle is stopped with its flag left on, and restarted by the timer only if nobody
    // paused the socket meanwhile (pause() clears the flag; resume() then restarts it).
    // 4 clients fetching 5 MB bodies: 6.4-8.6 -> 2.3-3.1 reads per MB, proxy CPU per body -12%.
    if (
      more &&
      reader.streaming &&
      buffer !== shared &&
      length < buffer.length &&
      handle.readStop !== undefined &&
      handle.readStart !== undefined &&
      othersStreaming(reader)
    ) {
      slabCounts.pauses++;
      reader.coalescing = true;
      handle.readStop();
      setTimeout(() => {
        reader.coalescing = false;
        if (!socket.destroyed && socket.readableFlowing === true && handle.reading === true) handle.readStart!();
      }, COALESCE_MS);
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

/*
 * Relayed sockets (a splice: relayInLargeChunks). What costs a relay CPU here is per read
 * (a wake-up, a read and a write system call, a JS callback) and per copy, so:
 * - No copy while streaming. A relayed socket streams once it has read STREAM_BYTES in
 *   consecutive reads of at least STREAK_READ_BYTES (a large FETCH body: Dovecot writes it in
 *   pieces of tens of KB, and a small response never counts); then it reads into the RELAY
 *   buffer: one LARGE buffer for the whole process, like SHARED. Its bytes are written to the client as a view. Nearly always the
 *   kernel takes such a write at once (Node tries it synchronously; `writableLength` is then
 *   back to 0 when write() returns) and the buffer is free again for the next read of any
 *   socket. When the write stays queued (a slow client), it owns that buffer until it
 *   completes (then the buffer goes to the free list): the process takes another RELAY
 *   buffer, and every other socket that was pointed at the old one is pointed back at
 *   SHARED (the set of them is emptied each time, so the cost is at most one step per read).
 * - Reads into SHARED (small responses, the start of a stream) are copied out, as SHARED is
 *   every switched socket's.
 * - Fewer, larger reads. Dovecot writes a large body in pieces as it produces them and the
 *   relay, faster, would read each one. After a read of a stream that did not fill the
 *   buffer, while other streams are being relayed too (othersStreaming), the socket stops
 *   reading for COALESCE_MS, so that the next read takes what queued meanwhile. It delays
 *   only bytes of a stream already running (the read just written is not held), and only
 *   after STREAM_BYTES of it: small and medium responses never wait.
 * - Idle relayed sessions hold no buffer: RELAY and SHARED are shared, the free list is
 *   bounded (SPARES), and a queued write holds only its own buffer, with the socket not
 *   reading more while the client is over its high-water mark.
 */

/** How long a relayed stream stops reading after a read that drained the socket. */
export const COALESCE_MS = 1;
/** A relayed socket streams once it read this much in consecutive reads of STREAK_READ_BYTES+. */
export const STREAM_BYTES = 256 * 1024;
const STREAK_READ_BYTES = 8 * 1024;

/** The read buffer of relayed sockets that stream; replaced when a write keeps it. */
let relayBuffer: Buffer | null = null;
/** The relayed sockets whose next read goes into relayBuffer. */
const streamingRelays = new Set<Socket>();

/** Relayed reads so far: into the relay buffer, and how often a queued write kept it. */
export const relayCounts = { reads: 0, keptByWrite: 0 };

/** The reader of the last read into the relay buffer, and when it was (performance.now()). */
let lastStreamReader: Reader | null = null;
let lastStreamReadAt = 0;

/**
 * Whether another relayed socket read a stream within the last COALESCE_MS * 2: only then
 * does a pause pay. A lone stream that pauses leaves the pipeline empty (Dovecot blocks on
 * a full socket, the client waits): one client fetching 5 MB bodies took 11.8 ms with the
 * pause, 10.1 without; several streams fill each other's pauses.
 */
function othersStreaming(reader: Reader): boolean {
  const now = performance.now();
  const others = lastStreamReader !== reader && now - lastStreamReadAt < COALESCE_MS * 2;
  lastStreamReader = reader;
  lastStreamReadAt = now;
  return others;
}

function spare(buffer: Buffer): void {
  if (spares.length < SPARES) spares.push(buffer);
}

function onRelayRead(socket: Socket, reader: Reader, to: Socket, length: number, buffer: Buffer): boolean {
  const chunk = length === buffer.length ? buffer : buffer.subarray(0, length);
  let ok: boolean;
  if (buffer === shared) ok = to.write(Buffer.from(chunk));
  else if (buffer === relayBuffer) {
    relayCounts.reads++;
    // the callback runs after write() has returned (never synchronously)
    let kept = false;
    ok = to.write(chunk, (error) => {
      if (kept && !error) spare(buffer);
    });
    if (to.writableLength > 0) {
      // queued: the buffer is the write's until it completes
      kept = true;
      relayCounts.keptByWrite++;
      relayBuffer = takeLarge();
      for (const other of streamingRelays) if (other !== socket) readers.get(other)?.readInto(shared);
      streamingRelays.clear();
    }
  } else {
    // a large buffer of the socket's own, taken before the relay began: the write's, then spare
    ok = to.write(chunk, (error) => {
      if (!error) spare(buffer);
    });
  }
  // Streaming: STREAM_BYTES or more in consecutive reads of at least STREAK_READ_BYTES.
  reader.streak = length >= STREAK_READ_BYTES ? reader.streak + length : 0;
  const streaming = !reader.relayCopies && reader.streak >= STREAM_BYTES;
  // Where the next read goes (Node asks the generator after this callback): RELAY while the
  // socket streams, SHARED otherwise.
  if (streaming) {
    relayBuffer ??= takeLarge();
    reader.next = relayBuffer;
    streamingRelays.add(socket);
  } else {
    reader.next = shared;
    streamingRelays.delete(socket);
  }
  if (!ok) {
    to.once("drain", reader.resume);
    return false; // Node stops reading until resume()
  }
  if (streaming && length < buffer.length && othersStreaming(reader)) {
    setTimeout(reader.resume, COALESCE_MS);
    return false;
  }
  return true;
}

/**
 * Send everything `from` receives to `to` (a splice's direction) straight from the read
 * buffers, without the readable-stream step: see "Relayed sockets" above. `from` stops
 * reading while `to` is over its high-water mark; its end ends `to`; errors and closes are
 * the caller's (as with `pipe`). Bytes `from` had already read and not delivered go first.
 * Returns false, having changed nothing, when `from` cannot be switched (then pipe).
 */
export function relayInLargeChunks(from: Socket, to: Socket): boolean {
  if (!readInLargeChunks(from)) return false;
  const reader = readers.get(from)!;
  for (let chunk: Buffer | null = from.read(); chunk !== null; chunk = from.read()) to.write(chunk);
  reader.relayTo = to;
  reader.relayCopies = to instanceof TLSSocket;
  from.once("end", () => to.end());
  from.once("close", () => streamingRelays.delete(from));
  from.resume();
  return true;
}

/**
 * The consumer of `socket` (switched by readInLargeChunks, not relayed) expects a long
 * stream now (`true`: a large literal started) or no more (`false`). While it does, reads
 * fill reusable slabs and each chunk can be borrowed (borrowChunk); otherwise reads behave
 * as described above. Does nothing for a socket that is not switched.
 */
export function expectStream(socket: Socket, on: boolean): void {
  const reader = readers.get(socket);
  if (reader === undefined || reader.relayTo !== null || reader.streaming === on) return;
  reader.streaming = on;
  // The read that carried the literal's start filled the shared buffer, so the next read was
  // already pointed at a LARGE buffer of the ordinary path: it becomes the first slab (read
  // into, lent and recycled like any), instead of being given away with its chunk and a
  // fresh buffer allocated for the next stream. Once per large FETCH body, that was ~1 MiB
  // allocated and faulted in per body.
  if (on && reader.slab === null && reader.next !== shared && reader.next.length === LARGE_READ_BYTES) {
    reader.slab = newSlab(reader.next);
  }
}

/**
 * A loan on `chunk`, the slab chunk `socket` is emitting right now (call it from the "data"
 * listener, synchronously): the returned function must be called once when no reference to
 * the chunk (or any view of it) is left, e.g. as the callback of the write that sends it on.
 * Until every loan on its slab is back the slab is not reused; a chunk emitted without a
 * loan is never reused. Null when `chunk` is not such a chunk (it is then the caller's).
 * More than one loan may be taken on the same chunk.
 */
export function borrowChunk(socket: Socket, chunk: Buffer): ((error?: unknown) => void) | null {
  const reader = readers.get(socket);
  if (reader === undefined || reader.offered !== chunk || reader.offeredSlab === null) return null;
  reader.borrowed = true;
  reader.offeredSlab.loans++;
  return reader.offeredSlab.release;
}
