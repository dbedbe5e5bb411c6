import type { Command } from "@holdfast/imap-codec";
import { flushPermissionFor } from "@holdfast/session";
import { refusalFor } from "../capabilities.js";
import type { ConnectionState, ImapConnection } from "../connection.js";
import { abortAppend, finishAppend } from "./append.js";
import { startIdle } from "./idle.js";
import { list, lsub, mailboxChange, namespace, status } from "./mailboxes.js";
import { copyOrMove, fetch, search, store } from "./messages.js";
import { authenticate, capability, id, login, logout, startTls } from "./pre-auth.js";
import { check, close, enable, expunge, select } from "./select.js";

/** The states in which each command is valid (RFC 9051 §6). */
const VALID_IN: Record<string, readonly ConnectionState[]> = (() => {
  const any: ConnectionState[] = ["not-authenticated", "authenticated", "selected"];
  const notAuth: ConnectionState[] = ["not-authenticated"];
  const auth: ConnectionState[] = ["authenticated", "selected"];
  const selected: ConnectionState[] = ["selected"];
  const table: Record<string, ConnectionState[]> = {};
  for (const c of ["CAPABILITY", "NOOP", "LOGOUT", "ID"]) table[c] = any;
  for (const c of ["STARTTLS", "LOGIN", "AUTHENTICATE"]) table[c] = notAuth;
  for (const c of [
    "SELECT",
    "EXAMINE",
    "CREATE",
    "DELETE",
    "RENAME",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "LIST",
    "LSUB",
    "NAMESPACE",
    "STATUS",
    "APPEND",
    "IDLE",
  ]) {
    table[c] = auth;
  }
  table.ENABLE = ["authenticated"];
  for (const c of [
    "CHECK",
    "CLOSE",
    "UNSELECT",
    "EXPUNGE",
    "SEARCH",
    "FETCH",
    "STORE",
    "COPY",
    "MOVE",
    "SORT",
    "THREAD",
  ]) {
    table[c] = selected;
  }
  return table;
})();

/** Run one parsed command: check the state, then hand it to its handler. */
export async function dispatch(conn: ImapConnection, command: Command): Promise<void> {
  const allowed = VALID_IN[command.name];
  if (!allowed?.includes(conn.state)) {
    // An APPEND whose message bytes were already taken must not leave them staged.
    if (command.name === "APPEND" && conn.append?.tag === command.tag) await abortAppend(conn);
    await conn.tagged(command.tag, "BAD", `${command.name} is not valid in this state.`);
    return;
  }
  // A command relying on a capability the backend lacks is refused, never half done.
  const refusal = refusalFor(command, conn.withheld, conn.session?.withheldCapabilities?.bind(conn.session));
  if (refusal) {
    if (command.name === "APPEND" && conn.append?.tag === command.tag) await abortAppend(conn);
    await conn.tagged(command.tag, refusal.status, refusal.text, refusal.code);
    return;
  }
  switch (command.name) {
    case "CAPABILITY":
      return capability(conn, command.tag);
    case "NOOP":
      await conn.selected?.mailbox.poll();
      return conn.tagged(command.tag, "OK", "NOOP completed.", undefined, { expunge: true });
    case "LOGOUT":
      return logout(conn, command.tag);
    case "ID":
      return id(conn, command);
    case "STARTTLS":
      return startTls(conn, command.tag);
    case "LOGIN":
      return login(conn, command);
    case "AUTHENTICATE":
      return authenticate(conn, command);
    case "ENABLE":
      return enable(conn, command);
    case "SELECT":
    case "EXAMINE":
      return select(conn, command);
    case "NAMESPACE":
      return namespace(conn, command.tag);
    case "LIST":
      return list(conn, command);
    case "LSUB":
      return lsub(conn, command);
    case "STATUS":
      return status(conn, command);
    case "CREATE":
    case "DELETE":
    case "RENAME":
    case "SUBSCRIBE":
    case "UNSUBSCRIBE":
      return mailboxChange(conn, command);
    case "APPEND":
      return finishAppend(conn, command);
    case "IDLE":
      return startIdle(conn, command.tag);
    case "CHECK":
      return check(conn, command.tag, "CHECK");
    case "CLOSE":
    case "UNSELECT":
      return close(conn, { tag: command.tag, name: command.name });
    case "EXPUNGE":
      return expunge(conn, command);
    case "FETCH":
      return fetch(conn, command);
    case "STORE":
      return store(conn, command);
    case "SEARCH":
      return search(conn, command);
    case "COPY":
    case "MOVE":
      return copyOrMove(conn, command);
    case "SORT":
    case "THREAD":
      return conn.tagged(
        command.tag,
        "BAD",
        `${command.name} is not supported.`,
        undefined,
        flushPermissionFor(command.name, command.uid),
      );
  }
}
