import type { Command, CommandParserEvent } from "@holdfast/imap-codec";
import { BackendError } from "../backend.js";
import { BodyChannel } from "../body-channel.js";
import type { ImapConnection } from "../connection.js";
import { parseImapDate } from "../imap-date.js";

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
      conn.append = { tag: event.tag, tx: null, failure: null, staged: [], body: null };
      if (conn.session) {
        try {
          conn.append.tx = await conn.session.beginAppend(event.mailbox);
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
    if (state.tx && !state.failure) {
      let date: Date | undefined;
      if (event.message.date !== undefined) {
        date = parseImapDate(event.message.date) ?? undefined;
        if (!date) state.failure = new Error("Invalid date-time in APPEND.");
      }
      const staged = state.tx.stage({ flags: event.message.flags, date, size: event.message.size, body });
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
    if (conn.append!.tx && !conn.append!.failure) await body.push(event.chunk);
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
  const { uidValidity, uids } = await state.tx!.commit();
  await conn.tagged(
    command.tag,
    "OK",
    "APPEND completed.",
    { name: "APPENDUID", uidValidity, uids: uids.map((uid) => ({ start: uid, end: uid })) },
    { expunge: true },
  );
}
