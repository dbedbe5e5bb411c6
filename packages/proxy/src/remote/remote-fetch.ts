import type { BodySection, FetchAttribute, FetchResponseItem, UntaggedData } from "@holdfast/imap-codec";
import { BackendError } from "../backend.js";
import { uidSetOf } from "../uid-ranges.js";
import { BodyStream } from "./body-stream.js";
import { ImapConnectionError } from "./errors.js";
import type { ImapClient, LiteralEvent } from "./imap-client.js";
import type { Link } from "./link.js";
import { encodeBodyStructure } from "./wire-values.js";

/*
 * FETCH against a backend, in UIDs, with bodies streamed.
 *
 * 1. markSeen (a non-PEEK body item): `UID STORE uids +FLAGS (\Seen)` first; the new flags
 *    reach the client through the change feed (and through FLAGS if asked for).
 * 2. Metadata, in chunks of CHUNK UIDs: `UID FETCH set (UID FLAGS … RFC822.SIZE)`, with
 *    CHANGEDSINCE when given. A UID missing from the answer no longer exists (skipped).
 *    One message with one body item (a client opening a message): steps 2 and 3 are one
 *    command, `UID FETCH uid (UID <items> <body>)`, see fetchOne.
 * 3. Bodies, always with BODY.PEEK/BINARY.PEEK:
 *    - messages smaller than the stream threshold: one `UID FETCH` for all of them in the
 *      chunk, bodies held in memory (each < threshold);
 *    - larger messages: one command per body item, the last item of the message streamed:
 *      the message is handed to the front end as soon as the backend announces the
 *      literal's size, and bytes flow backend → client with back-pressure (BodyStream).
 *      Earlier body items of the same message (rare: several sections of a large
 *      message) are gathered first, since the front end writes a FETCH response only
 *      when every literal's size is known.
 *
 * Failover: steps 1–3 are idempotent and re-run on a new connection. A streamed body cut
 * by a failure mid-literal is finished from the new connection with a partial fetch of the
 * missing byte range of the same UID (`BODY.PEEK[sec]<offset.length>`): with the same
 * mail storage the bytes are the same. If the new backend's literal does not have exactly
 * the missing length the stream fails, and the front end closes the client connection
 * (the client cannot find the end of a literal whose announced size was not delivered).
 */

const CHUNK = 500;

type BodyAttribute = Extract<FetchAttribute, { type: "BODY[]" | "BINARY[]" }>;

interface BodyRequest {
  /** What the client asked for (RFC822* are asked for as BODY.PEEK[...]). */
  client: FetchAttribute;
  backend: BodyAttribute;
}

export function bodyRequest(item: FetchAttribute): BodyRequest | null {
  switch (item.type) {
    case "RFC822":
      return { client: item, backend: { type: "BODY[]", peek: true, section: { part: [] } } };
    case "RFC822.HEADER":
      return { client: item, backend: { type: "BODY[]", peek: true, section: { part: [], text: "HEADER" } } };
    case "RFC822.TEXT":
      return { client: item, backend: { type: "BODY[]", peek: true, section: { part: [], text: "TEXT" } } };
    case "BODY[]":
    case "BINARY[]":
      return { client: item, backend: { ...item, peek: true } };
    default:
      return null;
  }
}

function sectionKey(s: BodySection): string {
  const fields = s.fields ? ` (${s.fields.map((f) => f.toUpperCase()).join(" ")})` : "";
  return `${s.part.join(".")}|${s.text ?? ""}${fields}`;
}

/** Key of a requested body item, matching the key of the response item. */
function requestKey(a: BodyAttribute): string {
  const origin = a.partial ? `<${a.partial.offset}>` : "";
  return a.type === "BODY[]" ? `B${sectionKey(a.section)}${origin}` : `N${a.part.join(".")}${origin}`;
}

function responseKey(item: FetchResponseItem): string | null {
  const origin = "origin" in item && item.origin !== undefined ? `<${item.origin}>` : "";
  if (item.name === "BODY[]") return `B${sectionKey(item.section)}${origin}`;
  if (item.name === "BINARY[]") return `N${item.part.join(".")}${origin}`;
  return null;
}

type BodyValue = Extract<FetchResponseItem, { name: "BODY[]" }>["value"];

function uidOf(items: FetchResponseItem[]): number {
  for (const i of items) if (i.name === "UID") return i.value;
  return 0;
}

/** A FETCH answer the proxy could not read would silently lose messages: refuse instead. */
export function complete<T extends { skipped: number }>(result: T): T {
  if (result.skipped > 0) {
    throw new BackendError(
      "SERVERBUG",
      `The mail server sent ${result.skipped} FETCH response(s) the proxy cannot read.`,
    );
  }
  return result;
}

/** Merge the FETCH responses of a command by UID (a message may be reported in several). */
export function byUid(untagged: UntaggedData[], wanted: Set<number>): Map<number, FetchResponseItem[]> {
  const out = new Map<number, FetchResponseItem[]>();
  for (const u of untagged) {
    if (u.type !== "FETCH") continue;
    const uid = uidOf(u.items);
    if (!wanted.has(uid)) continue;
    const have = out.get(uid);
    if (!have) out.set(uid, [...u.items]);
    else
      for (const item of u.items) {
        const i = have.findIndex((h) => h.name === item.name && responseKey(h) === responseKey(item));
        if (i >= 0) have[i] = item;
        else have.push(item);
      }
  }
  return out;
}

export function metaItems(items: FetchAttribute[], withSize: boolean, modseq: boolean): FetchAttribute[] {
  const out: FetchAttribute[] = [{ type: "UID" }];
  for (const item of items) {
    if (bodyRequest(item) !== null || item.type === "UID") continue;
    if (item.type === "EMAILID" || item.type === "THREADID" || item.type === "SAVEDATE") continue;
    out.push(item);
  }
  if (withSize && !out.some((i) => i.type === "RFC822.SIZE")) out.push({ type: "RFC822.SIZE" });
  if (modseq && !out.some((i) => i.type === "MODSEQ")) out.push({ type: "MODSEQ" });
  return out;
}

/** The response items in the order the client asked for them. */
export function assemble(
  requested: FetchAttribute[],
  uid: number,
  meta: FetchResponseItem[],
  bodies: Map<string, BodyValue>,
): FetchResponseItem[] {
  const out: FetchResponseItem[] = [];
  for (const item of requested) {
    const body = bodyRequest(item);
    if (body) {
      const value = bodies.get(requestKey(body.backend));
      if (value === undefined) continue;
      if (item.type === "RFC822" || item.type === "RFC822.HEADER" || item.type === "RFC822.TEXT") {
        out.push({ name: item.type, value });
      } else if (item.type === "BODY[]") {
        out.push({
          name: "BODY[]",
          section: item.section,
          value,
          ...(item.partial ? { origin: item.partial.offset } : {}),
        });
      } else if (item.type === "BINARY[]") {
        out.push({
          name: "BINARY[]",
          part: item.part,
          value,
          ...(item.partial ? { origin: item.partial.offset } : {}),
        });
      }
      continue;
    }
    switch (item.type) {
      case "UID":
        out.push({ name: "UID", value: uid });
        break;
      case "BODY":
      case "BODYSTRUCTURE": {
        const m = meta.find((i) => i.name === item.type);
        if (m && "value" in m && Array.isArray(m.value))
          out.push({ name: item.type, encoded: encodeBodyStructure(m.value) });
        break;
      }
      case "BINARY.SIZE": {
        const key = item.part.join(".");
        const m = meta.find((i) => i.name === "BINARY.SIZE" && i.part.join(".") === key);
        if (m) out.push(m);
        break;
      }
      case "EMAILID":
      case "THREADID":
      case "SAVEDATE":
        break;
      default: {
        const m = meta.find((i) => i.name === item.type);
        if (m) out.push(m);
      }
    }
  }
  return out;
}

function sizeOf(meta: FetchResponseItem[]): number {
  for (const i of meta) if (i.name === "RFC822.SIZE") return i.value;
  return Number.POSITIVE_INFINITY;
}

/** A command whose streamed literals are gathered into Buffers (small bodies). */
async function fetchGathered(
  c: ImapClient,
  uids: number[],
  items: FetchAttribute[],
): Promise<Map<number, FetchResponseItem[]>> {
  const gathered = new Map<number, Buffer[]>();
  const result = complete(
    await c.command(
      { name: "FETCH", uid: true, set: uidSetOf(uids), items, vanished: false },
      {
        onLiteral: (ev) => {
          if (ev.type === "literal-start") gathered.set(ev.id, []);
          else if (ev.type === "literal-chunk") gathered.get(ev.id)?.push(ev.chunk);
        },
      },
    ),
  );
  if (gathered.size > 0) {
    for (const u of result.untagged) {
      if (u.type !== "FETCH") continue;
      for (const item of u.items) {
        if ("value" in item && item.value && typeof item.value === "object" && "streamed" in item.value) {
          (item as { value: BodyValue }).value = Buffer.concat(gathered.get(item.value.id) ?? []);
        }
      }
    }
  }
  return byUid(result.untagged, new Set(uids));
}

function bodiesOf(items: FetchResponseItem[] | undefined): Map<string, BodyValue> {
  const out = new Map<string, BodyValue>();
  for (const item of items ?? []) {
    const key = responseKey(item);
    if (key !== null && "value" in item) out.set(key, item.value as BodyValue);
  }
  return out;
}

/** What a streamed body command has to say once the body's size is known. */
interface BodyStart {
  /** The stream, an inline value (small), or undefined when the message is gone. */
  value: BodyValue | BodyStream | undefined;
  /**
   * With `withMeta`: the message's other items, from the items before the literal when they
   * were all there, else from the complete response. Null without `withMeta`, or gone.
   */
  meta: FetchResponseItem[] | null;
  /**
   * With `withMeta`: the backend sent the literal before the items asked for (nothing in
   * IMAP orders FETCH items), so it could not be streamed to the client; it was read and
   * dropped, `meta` has the items, and the body must be fetched again.
   */
  refetch: boolean;
}

/** Whether `items` has a response item for each attribute (other than UID). */
function covers(items: FetchResponseItem[], attributes: FetchAttribute[]): boolean {
  return attributes.every(
    (a) =>
      a.type === "UID" ||
      items.some(
        (i) =>
          i.name === a.type &&
          (a.type !== "BINARY.SIZE" || (i as { part: number[] }).part.join(".") === a.part.join(".")),
      ),
  );
}

/**
 * One body item of one message, streamed: resolves `started` as soon as the size is known
 * (with the stream, or an inline value, or undefined when the message is gone); `done`
 * settles when every byte has been delivered (re-fetching the missing range after a
 * failover). With `withMeta`, the first command also asks for those items, before the body
 * (one backend command per message instead of two); `changedSince` goes with them.
 */
function streamBody(
  link: Link,
  uid: number,
  request: BodyAttribute,
  withMeta: FetchAttribute[] | null = null,
  changedSince?: bigint,
): { started: Promise<BodyStart>; done: Promise<void> } {
  let announce!: (v: BodyStart) => void;
  const started = new Promise<BodyStart>((resolve) => (announce = resolve));
  let stream: BodyStream | null = null;
  let announced = false;
  const say = (value: BodyValue | BodyStream | undefined, meta: FetchResponseItem[] | null = null, refetch = false) => {
    if (announced) return;
    announced = true;
    announce({ value, meta, refetch });
  };

  const attempt = async (c: ImapClient): Promise<void> => {
    if (stream?.complete) {
      // Every byte arrived before the connection broke (only the completion was lost).
      stream.end();
      return;
    }
    const from = stream ? stream.received : 0;
    if (stream) link.log.info({ uid, from, size: stream.size }, "finishing a body from the new backend connection");
    const item: BodyAttribute =
      stream === null
        ? request
        : {
            ...request,
            partial: {
              offset: (request.partial?.offset ?? 0) + from,
              length: stream.size - from,
            },
          };
    const folded = stream === null && withMeta !== null;
    let literalId = -1;
    let dropping = false;
    const onLiteral = (ev: LiteralEvent) => {
      if (ev.type === "literal-start") {
        if (literalId >= 0) return;
        literalId = ev.id;
        // From here the client's reading sets the pace: no total-time bound (link.ts).
        link.unbound();
        if (stream === null) {
          if (folded && (ev.before === null || !covers(ev.before, withMeta))) {
            dropping = true;
            return;
          }
          stream = new BodyStream(ev.size);
          stream.onPressure = (on) => (on ? c.pause() : c.resume());
          say(stream, folded ? ev.before : null);
        } else {
          stream.onPressure = (on) => (on ? c.pause() : c.resume());
          if (ev.size !== stream.size - from) {
            stream.fail(new Error(`UID ${uid} changed size on the new backend; the body cannot be finished`));
          }
        }
      } else if (ev.id === literalId && ev.type === "literal-chunk" && !dropping) {
        // A view of the read buffer when lent: the stream releases it once written out.
        stream?.push(ev.chunk, c.takeLoan(ev.chunk));
      }
    };
    const result = complete(
      await c.command(
        {
          name: "FETCH",
          uid: true,
          set: [{ start: uid, end: uid }],
          items: folded ? [...withMeta, item] : [item],
          vanished: false,
          ...(folded && changedSince !== undefined ? { changedSince } : {}),
        },
        { onLiteral },
      ),
    );
    if (stream === null) {
      // Not streamed: inline (small), dropped (items after the body), or the message is gone
      // (no answer for it, or one without the body: expunged meanwhile, as before the fold).
      const all = byUid(result.untagged, new Set([uid])).get(uid);
      if (all === undefined) say(undefined);
      else if (dropping) say(undefined, all, true);
      else say(bodiesOf(all).get(requestKey(request)), folded ? all : null);
      return;
    }
    const s = stream as BodyStream;
    if (literalId < 0) {
      s.fail(new Error(`UID ${uid} is gone from the new backend; the body cannot be finished`));
      return;
    }
    if (s.complete) s.end();
    else s.fail(new Error(`UID ${uid}: the backend sent ${s.received} of ${s.size} bytes`));
  };

  const done = link
    .runHeld(attempt, true)
    .catch((error: unknown) => {
      if (stream) stream.fail(error instanceof Error ? error : new Error(String(error)));
      if (!announced) throw error;
    })
    .finally(() => say(undefined));
  return { started, done };
}

export async function* fetchMessages(
  link: Link,
  uids: Uint32Array,
  items: FetchAttribute[],
  options: { markSeen: boolean; changedSince?: bigint },
  streamThreshold: number,
): AsyncIterable<{ uid: number; items: FetchResponseItem[] }> {
  if (uids.length === 0) return;
  const release = await link.acquire();
  try {
    const bodyRequests = items.map(bodyRequest).filter((b): b is BodyRequest => b !== null);
    if (options.markSeen && bodyRequests.length > 0) {
      await link.runHeld(async (c) => {
        for (let i = 0; i < uids.length; i += CHUNK) {
          await c.command({
            name: "STORE",
            uid: true,
            set: uidSetOf(Array.from(uids.subarray(i, i + CHUNK))),
            action: { operation: "add", silent: false, flags: ["\\Seen"] },
          });
        }
      }, true);
    }
    const modseq = options.changedSince !== undefined;
    if (uids.length === 1 && distinctBodies(bodyRequests).length === 1) {
      // The usual "open a message": its items and its body in one backend command.
      yield* fetchOne(link, uids[0]!, items, metaItems(items, false, modseq), bodyRequests, options.changedSince);
      return;
    }
    const meta = metaItems(items, bodyRequests.length > 0, modseq);
    const backendBodies: FetchAttribute[] = [{ type: "UID" }, ...bodyRequests.map((b) => b.backend)];
    for (let i = 0; i < uids.length; i += CHUNK) {
      const chunk = Array.from(uids.subarray(i, i + CHUNK));
      const metaByUid = await link.runHeld(async (c) => {
        const result = complete(
          await c.command({
            name: "FETCH",
            uid: true,
            set: uidSetOf(chunk),
            items: meta,
            vanished: false,
            ...(options.changedSince !== undefined ? { changedSince: options.changedSince } : {}),
          }),
        );
        return byUid(result.untagged, new Set(chunk));
      }, true);
      if (bodyRequests.length === 0) {
        for (const uid of chunk) {
          const m = metaByUid.get(uid);
          if (m) yield { uid, items: assemble(items, uid, m, new Map()) };
        }
        continue;
      }
      const small = chunk.filter((uid) => metaByUid.has(uid) && sizeOf(metaByUid.get(uid)!) < streamThreshold);
      const smallBodies =
        small.length > 0 ? await link.runHeld((c) => fetchGathered(c, small, backendBodies), true) : new Map();
      for (const uid of chunk) {
        const m = metaByUid.get(uid);
        if (!m) continue;
        if (sizeOf(m) < streamThreshold) {
          const b = smallBodies.get(uid);
          if (b) yield { uid, items: assemble(items, uid, m, bodiesOf(b)) };
          continue;
        }
        const message = yield* streamLarge(link, uid, items, m, bodyRequests);
        if (message === "gone") continue;
      }
    }
  } finally {
    release();
  }
}

/** The distinct backend body items of a request, in order (the same item asked twice is fetched once). */
function distinctBodies(requests: BodyRequest[]): BodyAttribute[] {
  return [...new Map(requests.map((r) => [requestKey(r.backend), r.backend])).values()];
}

/**
 * One message with one body item (step 2 and 3 in one): `UID FETCH uid (UID <items> <body>)`.
 * The response is written to the client as soon as the literal starts when the items came
 * before it (Dovecot sends them first); otherwise the body is fetched once more (streamLarge).
 */
async function* fetchOne(
  link: Link,
  uid: number,
  items: FetchAttribute[],
  meta: FetchAttribute[],
  requests: BodyRequest[],
  changedSince: bigint | undefined,
): AsyncGenerator<{ uid: number; items: FetchResponseItem[] }, void> {
  const request = distinctBodies(requests)[0]!;
  const { started, done } = streamBody(link, uid, request, meta, changedSince);
  const start = await started;
  if (start.value === undefined) {
    await done;
    if (start.refetch && start.meta !== null) {
      link.log.debug({ uid }, "the backend sent the body before the other items: fetching the body again");
      yield* streamLarge(link, uid, items, start.meta, requests);
    }
    return;
  }
  yield* deliver(uid, items, start.meta ?? [], new Map(), requestKey(request), start.value, done);
}

/** A large message: earlier body items gathered, the last streamed while it is written. */
async function* streamLarge(
  link: Link,
  uid: number,
  items: FetchAttribute[],
  meta: FetchResponseItem[],
  requests: BodyRequest[],
): AsyncGenerator<{ uid: number; items: FetchResponseItem[] }, "sent" | "gone"> {
  const bodies = new Map<string, BodyValue>();
  const distinct = distinctBodies(requests);
  for (const request of distinct.slice(0, -1)) {
    const { started, done } = streamBody(link, uid, request);
    const { value } = await started;
    if (value instanceof BodyStream) {
      const chunks: Buffer[] = [];
      for await (const chunk of value) chunks.push(chunk);
      bodies.set(requestKey(request), Buffer.concat(chunks));
    } else if (value !== undefined) bodies.set(requestKey(request), value);
    await done;
    if (value === undefined) return "gone";
  }
  const last = distinct[distinct.length - 1]!;
  const { started, done } = streamBody(link, uid, last);
  const { value } = await started;
  if (value === undefined) {
    await done;
    return "gone";
  }
  yield* deliver(uid, items, meta, bodies, requestKey(last), value, done);
  return "sent";
}

/** Hand the message to the front end with its last body (streamed or inline), then let the command finish. */
async function* deliver(
  uid: number,
  items: FetchAttribute[],
  meta: FetchResponseItem[],
  bodies: Map<string, BodyValue>,
  key: string,
  value: BodyValue | BodyStream,
  done: Promise<void>,
): AsyncGenerator<{ uid: number; items: FetchResponseItem[] }, void> {
  const stream = value instanceof BodyStream ? value : null;
  bodies.set(key, stream ? { size: stream.size, source: stream } : (value as BodyValue));
  try {
    yield { uid, items: assemble(items, uid, meta, bodies) };
  } finally {
    // The front end has written the response (or given up): let the command finish.
    if (stream && !stream.complete) stream.fail(new ImapConnectionError("CLOSED", "the client stopped reading"));
    await done.catch(() => {});
  }
}
