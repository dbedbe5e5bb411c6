import type { Command, CommandParserEvent } from "@holdfast/imap-codec";
import { parseDateTime } from "@holdfast/imap-codec";
import { BackendError } from "../backend.js";
import { BodyChannel } from "../body-channel.js";
import type { ImapConnection } from "../connection.js";
import { uidSetOf } from "../uid-ranges.js";
import { decodeName } from "./names.js";

/*
 * APPEND (with MULTIAPPEND, LITERAL+, BINARY literal8): each message's bytes are staged in
 * the backend as they arrive; only when the whole command has been parsed are the staged
 * messages committed, all together (RFC 3502: all or none). A command that fails after its
 * bytes (a syntax error at the end of the line, a refused second message) aborts the
 * staging, so nothing becomes visible.
 */

type AppendEvent = Extract<CommandParserEvent, { type: "append-message" | "literal-chunk" | "literal-end" }>;

export async function onAppendEvent(conn: ImapConnection, event: AppendEvent): Promise<void> {
  if (event.type === "append-message") {
    if (!conn.append || conn.append.tag !== event.tag) {
      if (conn.append) await abortAppend(conn);
      conn.append = {
        tag: event.tag,
        tx: null,
        failure: null,
        bad: null,
        staged: [],
        chain: Promise.resolve(),
        body: null,
      };
      const name = decodeName(conn, event.mailbox);
      if (name === null) {
        conn.append.bad = "Invalid mailbox name.";
      } else if (conn.session) {
        try {
          conn.append.tx = await conn.session.beginAppend(name);
        } catch (error) {
          conn.append.failure = error as Error;
        }
      } else {
        conn.append.failure = new BackendError("CANNOT", "Not authenticated.");
      }
    }
    const state = conn.append;
    const body = new BodyChannel();
    state.body = body;
    if (state.tx && !state.failure && !state.bad) {
      let date: Date | undefined;
      if (event.message.date !== undefined) {
        date = parseDateTime(event.message.date) ?? undefined;
        if (!date) state.failure = new Error("Invalid date-time in APPEND.");
      }
      const tx = state.tx;
      const input = { flags: event.message.flags, date, size: event.message.size, body };
      const staged = state.chain.then(() => (state.failure ? undefined : tx.stage(input)));
      state.chain = staged.catch(() => {});
      // The stage runs while its bytes arrive; a failure is reported at the end of the command.
      state.staged.push(
        staged.catch((error) => {
          state.failure ??= error as Error;
          body.fail(error as Error);
        }),
      );
    }
    return;
  }
  const body = conn.append?.body;
  if (!body) return;
  if (event.type === "literal-chunk") {
    if (conn.append!.tx && !conn.append!.failure && !conn.append!.bad) await body.push(event.chunk);
    return;
  }
  body.end();
  conn.append!.body = null;
}

/** Throw away what an APPEND staged (command invalid, connection gone). */
export async function abortAppend(conn: ImapConnection): Promise<void> {
  const state = conn.append;
  if (!state) return;
  conn.append = null;
  state.body?.fail(new Error("APPEND aborted"));
  await Promise.allSettled(state.staged);
  await state.tx?.abort().catch(() => {});
}

/** The APPEND command line is complete: commit every staged message, or none. */
export async function finishAppend(conn: ImapConnection, command: Extract<Command, { name: "APPEND" }>): Promise<void> {
  const state = conn.append;
  if (!state || state.tag !== command.tag) {
    await conn.tagged(command.tag, "BAD", "APPEND without a message.");
    return;
  }
  await Promise.all(state.staged);
  if (state.bad) {
    await abortAppend(conn);
    await conn.tagged(command.tag, "BAD", state.bad);
    return;
  }
  if (state.failure) {
    await abortAppend(conn);
    const f = state.failure;
    if (f instanceof BackendError && f.code === "NONEXISTENT") {
      await conn.tagged(command.tag, "NO", f.message, { name: "TRYCREATE" });
    } else if (f instanceof BackendError) {
      await conn.tagged(command.tag, "NO", f.message, { name: f.code });
    } else {
      await conn.tagged(command.tag, "NO", f.message);
    }
    return;
  }
  conn.append = null;
  let committed: { uidValidity: number; uids: number[] };
  try {
    committed = await state.tx!.commit();
  } catch (error) {
    await state.tx!.abort().catch(() => {});
    throw error;
  }
  const { uidValidity, uids } = committed;
  // No APPENDUID when the backend gave none (a remote backend without UIDPLUS): 0 is no UIDVALIDITY.
  const code =
    uidValidity > 0 && uids.length > 0 ? { name: "APPENDUID" as const, uidValidity, uids: uidSetOf(uids) } : undefined;
  await conn.tagged(command.tag, "OK", "APPEND completed.", code, { expunge: true });
}
